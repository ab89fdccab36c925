"""The book pipeline (bookbuild/): student versions, offline build, pages in a real browser.

Most tests build a one-chapter book made here (a fixture notebook with math, a widget, a
plot and an nbgrader exercise), so they do not depend on the chapters being written; the
`real_book` tests run `make book` on the project itself.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
import yaml
from book_browser import CHROMIUM, DESKTOP, PHONE, render
from filelock import FileLock
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # bookbuild is the project's build tool, not an installed package
from autograder.course import student  # noqa: E402
from bookbuild import icons, offline, stage, toc, vendor  # noqa: E402

MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "HIDDEN TESTS")
CHAPTER = "chapters/01_convolution/01_convolution"


def _nbgrader(cell, grade_id, *, solution=False, grade=False, points=0):
    cell.metadata["nbgrader"] = {
        "grade_id": grade_id, "solution": solution, "grade": grade, "locked": not solution,
        "schema_version": 3, **({"points": points} if grade else {}),
    }
    return cell


def fixture_notebook():
    """A chapter in miniature: math, a widget, a plot, an exercise with hidden tests, a panel."""
    return new_notebook(
        cells=[
            new_markdown_cell("# Fixture chapter\n\nA sum:\n\n$$\n\\sum_{i=1}^{n} i = "
                              "\\frac{n(n+1)}{2}\n$$\n\nand inline $k^2$."),
            # convlab first, as in the chapters: every figure shown after it has alt text
            new_code_cell("import convlab\nimport ipywidgets as widgets\n\n"
                          "widgets.IntSlider(value=3, min=1, max=7, description='$k$')"),
            new_code_cell("import matplotlib.pyplot as plt\n\n"
                          "plt.plot([0, 1, 2], [0, 1, 4])\nplt.title('squares')\nplt.show()"),
            new_markdown_cell("## Exercises\n\n**Part A (1 point).** Return twice `x`."),
            _nbgrader(new_code_cell(
                'def double(x):\n    """Return 2 * x."""\n'
                "    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"
            ), "double_answer", solution=True),
            _nbgrader(new_code_cell(
                '"""Check double on small cases."""\nassert double(2) == 4\n'
                "### BEGIN HIDDEN TESTS\nassert double(-3) == -6\n### END HIDDEN TESTS"
            ), "double_check", grade=True, points=1),
            new_code_cell("import convlab\n\nconvlab.ConvPanel(stride=2)"),
            new_code_cell("convlab.conv_frame(4, 3, position=1)"),  # a diagram: a PNG
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}},
    )


def make_fixture_book(root: Path) -> None:
    """The project's own config, toc and intro, with the fixture as its only chapter."""
    (root / CHAPTER).parent.mkdir(parents=True)
    nbformat.write(fixture_notebook(), root / f"{CHAPTER}.ipynb")
    for name in ("_config.yml", "_toc.yml", "intro.md"):
        shutil.copy(ROOT / name, root / name)


def _shared_dir(tmp_path_factory) -> Path:
    """A folder all pytest-xdist workers of this run share (their own basetemps are siblings)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _once(tmp_path_factory, name: str, build) -> dict:
    """Run `build()` once per test run, whichever worker asks first; others get its result."""
    shared = _shared_dir(tmp_path_factory)
    result = shared / f"{name}.json"
    with FileLock(str(shared / f"{name}.lock")):
        if not result.exists():
            result.write_text(json.dumps(build()))
    return json.loads(result.read_text())


def _run(command: list[str], cwd: Path = ROOT) -> dict:
    start = time.monotonic()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    return {"returncode": done.returncode, "seconds": time.monotonic() - start,
            "log": (done.stdout + done.stderr)[-6000:]}


@pytest.fixture(scope="session")
def fixture_book(tmp_path_factory) -> Path:
    """The fixture book's root, built twice: a clean build, then a cached rebuild."""
    root = _shared_dir(tmp_path_factory) / "fixture_book"

    def build():
        make_fixture_book(root)
        command = [sys.executable, "-m", "bookbuild", "--root", str(root)]
        return {"clean": _run(command), "cached": _run(command)}

    result = _once(tmp_path_factory, "fixture_book", build)
    assert result["clean"]["returncode"] == 0, result["clean"]["log"]
    assert result["cached"]["returncode"] == 0, result["cached"]["log"]
    return root


@pytest.fixture(scope="session")
def real_book(tmp_path_factory) -> Path:
    """The project's own book, built by `make book` into _build/ (execution cache kept)."""
    result = _once(tmp_path_factory, "real_book", lambda: _run(["make", "book"]))
    assert result["returncode"] == 0, result["log"]
    return ROOT


# --- student versions, toc, offline check: fast unit tests -------------------------------


def test_student_version_has_stubs_no_answers_and_skips_exercise_cells():
    nb = student.student_notebook(fixture_notebook(), for_book=True)
    text = nbformat.writes(nb)
    assert not [m for m in MARKERS if m in text]
    assert "return 2 * x" not in text and "double(-3)" not in text
    answer, check = nb.cells[4], nb.cells[5]
    assert "raise NotImplementedError()" in answer.source
    assert "assert double(2) == 4" in check.source  # the visible check stays
    tagged = [i for i, c in enumerate(nb.cells) if student.SKIP_TAG in c.metadata.get("tags", [])]
    assert tagged == [4, 5]


def test_student_version_refuses_a_solution_outside_a_solution_cell(tmp_path):
    nb = fixture_notebook()
    nb.cells[2].source += "\n### BEGIN SOLUTION\nsecret = 1\n### END SOLUTION"
    path = tmp_path / "bad.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(student.LeakError, match="bad.ipynb"):
        student.student_version(path, for_book=True)


def test_toc_keeps_the_chapters_that_exist_and_names_the_rest(tmp_path):
    make_fixture_book(tmp_path)
    kept, missing = toc.present(tmp_path)
    assert toc.entries(kept) == [CHAPTER]
    assert len(missing) == len(toc.entries(yaml.safe_load((ROOT / "_toc.yml").read_text()))) - 1
    assert CHAPTER not in missing
    assert [p["caption"] for p in kept["parts"]] == ["Foundations"]  # empty parts dropped
    assert all(p["numbered"] for p in kept["parts"])


def test_offline_check_flags_what_loads_from_the_network(tmp_path):
    (tmp_path / "page.html").write_text(
        '<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/font-awesome/4.4.0/'
        'css/font-awesome.min.css">\n'
        '<script src="//cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script>\n'
        "<style>@import url('https://fonts.googleapis.com/css?family=Roboto');</style>\n"
        '<img src="https://example.org/a.png">\n'
        '<img src="a.png" srcset="a2.png 2x, https://example.org/a3.png 3x">\n'
        # links that fetch nothing, and local files, are fine
        '<a href="https://colab.research.google.com/">Colab</a>\n'
        '<link rel="canonical" href="https://example.org/page.html">\n'
        '<script src="_static/vendor/mathjax/tex-chtml.js"></script>\n')
    (tmp_path / "x.css").write_text('@import "https://example.org/x.css";\n')
    found = offline.remote_references(tmp_path)
    assert [f.split(": ")[0] for f in found] == [
        "page.html:1", "page.html:2", "page.html:3", "page.html:4", "page.html:5", "x.css:1"]


def test_buttons_are_left_out_until_a_repository_is_set(tmp_path):
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["repository"]["url"] == ""  # committed unset: an instructor fills it in
    staged = yaml.safe_load(stage.book_config(ROOT / "_config.yml"))
    assert not staged["html"]["use_repository_button"] and not staged["html"]["use_issues_button"]
    assert "launch_buttons" not in staged
    config["repository"]["url"] = "https://github.com/someone/convolutions"
    (tmp_path / "_config.yml").write_text(yaml.safe_dump(config))
    staged = yaml.safe_load(stage.book_config(tmp_path / "_config.yml"))
    assert staged["html"]["use_repository_button"] and staged["launch_buttons"]["binderhub_url"]


def test_icons_are_cut_to_those_the_pages_use(tmp_path):
    vendor.ensure_node_modules()  # the icons' SVGs come from npm, as in a build
    for folder in (icons.BUNDLE.parent, icons.STYLESHEET.parent, icons.FONTS):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "page.html").write_text('<button><span class="fa-solid fa-bars"></span>'
                                        '<i class="theme-switch fa-solid fa-sun fa-lg"></i>')
    icons.trim(tmp_path)
    script = (tmp_path / icons.BUNDLE).read_text()
    assert '"fa-bars"' in script and '"fa-sun"' in script and '"fa-github"' not in script
    css = (tmp_path / icons.STYLESHEET).read_text()
    assert ".fa-bars:before" in css and ".fa-github:before" not in css
    assert "--pst-icon-admonition-note" in css  # the theme's own icons stay
    solid = tmp_path / icons.FONTS / "fa-solid-900.woff2"
    original = icons.THEME_STATIC / "vendor" / "fontawesome" / "webfonts" / solid.name
    assert solid.read_bytes()[:4] == b"wOF2" and solid.stat().st_size < original.stat().st_size / 10


# --- the fixture book, built ---------------------------------------------------------------


@pytest.mark.slow
def test_fixture_book_builds_and_rebuilds_from_the_cache(fixture_book):
    html = fixture_book / "_build" / "html"
    assert (html / "intro.html").is_file() and (html / f"{CHAPTER}.html").is_file()
    log = json.loads((fixture_book.parent / "fixture_book.json").read_text())
    assert "Executed notebook" not in log["cached"]["log"]  # executed once, then cached


@pytest.mark.slow
def test_fixture_book_shows_exercises_unsolved_and_unexecuted(fixture_book):
    html = fixture_book / "_build" / "html"
    page = (html / f"{CHAPTER}.html").read_text()
    assert "NotImplementedError" in page  # the stub is shown...
    assert "Traceback" not in page and "AssertionError" not in page  # ...but not run
    download = html / "_sources" / f"{CHAPTER}.ipynb"  # what the download button serves
    assert f"_sources/{CHAPTER}.ipynb" in page
    assert "raise NotImplementedError()" in download.read_text()


@pytest.mark.slow
def test_fixture_book_has_no_solutions_hidden_tests_or_cdn_links(fixture_book):
    html = fixture_book / "_build" / "html"
    assert student.leaks(html) == []
    assert not [p for p in html.rglob("*") if p.is_file()
                for m in MARKERS if m.encode() in p.read_bytes()]
    assert offline.remote_references(html) == []
    assert (html / "_static" / "vendor" / "mathjax" / "startup.js").is_file()


@pytest.mark.slow
def test_fixture_book_loads_vendored_bundles_only_where_needed(fixture_book):
    html = fixture_book / "_build" / "html"
    scripts = {page: re.findall(r'<script[^>]* src="[^"]*_static/vendor/([^"?]+)',
                                (html / page).read_text())
               for page in ("intro.html", f"{CHAPTER}.html")}
    # not every .js under _static/ on every page (Jupyter Book's html_static_path scan)
    assert scripts["intro.html"] == ["mathjax/startup.js", "accessible-names.js"]
    assert scripts[f"{CHAPTER}.html"] == [
        "mathjax/startup.js", "requirejs/require.js", "widgets-setup.js",
        "html-manager/embed-amd.js", "accessible-names.js"]


def _assert_reads_well(page: str, report) -> None:
    """No error, nothing off-site, no sideways scroll, figure text >= 10 px, images described,
    axe-core clean."""
    assert report.offsite == [], page
    assert report.failed == [], page
    assert report.errors == [], page
    assert report.sideways == 0, (page, report.sideways)
    assert report.small_text == [], (page, report.small_text)
    assert report.bad_alt == [], (page, report.bad_alt)
    assert report.axe == [], (page, report.axe)


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (see .ci/run)")
@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_fixture_book_renders_offline_in_chromium(fixture_book, width):
    html = fixture_book / "_build" / "html"
    reports = render(html, ["intro.html", f"{CHAPTER}.html"],
                     fixture_book / "_build" / "screenshots", width=width)
    for page, report in reports.items():
        _assert_reads_well(page, report)
        assert report.mathjax > 0, page
    chapter = reports[f"{CHAPTER}.html"]
    assert chapter.mathjax >= 2 and chapter.widgets == 1
    assert chapter.panels == 1 and chapter.redrawn == 1  # live with no kernel


@pytest.mark.slow
def test_fixture_book_ships_no_test_asset(fixture_book):
    """axe-core audits the pages in the tests; a reader never downloads it."""
    html = fixture_book / "_build" / "html"
    audit = vendor.test_asset("axe").read_bytes()[:200]
    assert not [p for p in html.rglob("*") if p.is_file() and
                ("axe" in p.name or audit in p.read_bytes())]


# --- the project's own book ----------------------------------------------------------------


def _built_chapters(root: Path) -> list[str]:
    """The chapters the last build staged (the tree may have grown since: others write it)."""
    staged = yaml.safe_load((root / "_build" / "student_src" / "_toc.yml").read_text())
    return toc.entries(staged)


@pytest.mark.slow
def test_real_book_builds_with_every_written_chapter(real_book):
    html = real_book / "_build" / "html"
    assert (html / "intro.html").is_file()
    built = _built_chapters(real_book)
    committed = toc.entries(yaml.safe_load((ROOT / "_toc.yml").read_text()))
    assert built == [c for c in committed if c in built]  # committed order, nothing invented
    for chapter in built:
        assert (html / f"{chapter}.html").is_file(), chapter


@pytest.mark.slow
def test_real_book_has_no_solutions_hidden_tests_or_cdn_links(real_book):
    html = real_book / "_build" / "html"
    assert student.leaks(html) == []
    assert offline.remote_references(html) == []


# A first visit to a chapter page loads at most this much (issue 13; it was 7.3-8.1 MB).
PAGE_BUDGET = 2_500_000


@pytest.mark.slow
def test_real_book_pages_load_the_widgets_manager_only_for_widgets(real_book):
    html = real_book / "_build" / "html"
    for chapter in _built_chapters(real_book):
        page = (html / f"{chapter}.html").read_text()
        views = page.count('type="application/vnd.jupyter.widget-view+json"')
        assert ("html-manager/embed-amd.js" in page) == (views > 0), chapter
        assert 'class="convlab-static"' in page, chapter  # panels as their own HTML
    theme_icons = (html / "_static" / "scripts" / "fontawesome.js").stat().st_size
    assert theme_icons < 50_000  # bookbuild/icons.py: the icons in use, not all 1.5 MB


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (see .ci/run)")
@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_real_book_chapters_render_offline_in_chromium(real_book, width):
    """Every page at a desktop's and a phone's width: offline, typeset, no error, no sideways
    scroll, figure text of at least 10 px, axe-core clean; its panels redraw when a slider
    moves."""
    html = real_book / "_build" / "html"
    pages = ["intro.html"] + [f"{chapter}.html" for chapter in _built_chapters(real_book)]
    reports = render(html, pages, real_book / "_build" / "screenshots", width=width)
    if width == DESKTOP:
        weights = {page: report.bytes for page, report in reports.items()}
        (real_book / "_build" / "page_weights.json").write_text(json.dumps(weights, indent=1))
    for page, report in reports.items():
        _assert_reads_well(page, report)
        assert report.mathjax > 0, page
        assert 0 < report.bytes <= PAGE_BUDGET, (page, report.bytes)
        if width == DESKTOP:  # every figure fits the column with its text at 10 px
            assert report.cramped == [], (page, report.cramped)
        if page.startswith("chapters/"):
            assert report.panels > 0, page  # DESIGN.md: every chapter has a live panel
            assert report.redrawn == report.panels, page


# --- references from the project's files --------------------------------------------------

# A reference to a README section, as the config files write it: (README, "Heading").
README_REFERENCE = re.compile(r'README, "([^"]+)"')


def test_config_files_refer_only_to_what_the_repository_holds():
    headings = set(re.findall(r"^#+ (.+?)\s*$", (ROOT / "README.md").read_text(), re.M))
    for name in ("_config.yml", "_toc.yml", "pyproject.toml", "Makefile", "intro.md"):
        text = (ROOT / name).read_text()
        # DESIGN.md is the team's brief, kept outside the repository a reader clones
        assert "DESIGN.md" not in text, name
        for section in README_REFERENCE.findall(text):
            assert section in headings, f"{name} refers to README section {section!r}"
