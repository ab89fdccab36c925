"""The student's path end to end: a released chapter in a real JupyterLab 4 and Notebook 7.

The instructor releases with the real CLI; the student opens the chapter in the venv's
`jupyter lab` with the network cut off, runs every cell, moves a slider, sees the first
exercise raise NotImplementedError, answers it (first forgetting `return`, as students do),
sees the visible checks pass, saves, and validates with `nbgrader validate`. Notebook 7 on
the same server runs the chapter and its nbgrader "Validate" button reports the exercises
still unanswered. A stranger's machine too: a clean venv made by the release README's own
setup lines, from the chapter's requirements.txt alone, runs the chapter in JupyterLab to its
first exercise and passes its visible checks, with nbgrader's exchange parts switched off;
and the notebook the book's download button serves names what to fetch when it is alone.
Screenshots of every step go to build/screenshots/student_path/.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from lab_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    VENV_BIN,
    cell,
    failed_cells,
    jupyter_server,
    open_page,
    paste_into_cell,
    run_all_cells,
    show,
    wait_kernel_idle,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # bookbuild is the project's build tool, not an installed package
from autograder.course import handout, student, visible_mistakes  # noqa: E402
from bookbuild import download  # noqa: E402

# Its first exercise has a one-line answer, and its first widget panel redraws quickly.
CHAPTER = "01_convolution"
NOTEBOOK = f"{CHAPTER}/{CHAPTER}.ipynb"
# A slider of that panel that changes the output size: picture and formula change.
SLIDER = "padding"
PANEL = ".jp-OutputArea-output .convlab-panel"  # an anywidget drawn by convlab/js/panels.js
SHOTS = ROOT / "build" / "screenshots" / "student_path"
STUB = "raise NotImplementedError()"
EXTENSIONS = {"@jupyter-widgets/jupyterlab-manager", "anywidget", "@jupyter/nbgrader"}

CHAPTERS = sorted(p.name for p in (ROOT / "chapters").iterdir() if any(p.glob("*.ipynb")))

pytestmark = pytest.mark.slow
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(),
                                    reason="needs Debian's chromium (see .ci/run)")


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    """The instructor's release of every chapter, made with the real CLI."""
    out = tmp_path_factory.mktemp("release")
    done = subprocess.run([sys.executable, "-m", "autograder", "release", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


@pytest.fixture(scope="module")
def server(release, tmp_path_factory):
    """`jupyter lab` serving the release to a student."""
    with jupyter_server(release, tmp_path_factory.mktemp("student")) as server:
        yield server
        # What the student's session logged, before the shutdown adds its own lines.
        log = server.log.read_text()
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / "jupyter.log").write_text(log)
        checked = CLOSED_SOCKET.sub("", log)
        assert "Traceback" not in checked and not re.search(r"^\[E ", checked, re.M), \
            checked[-6000:]


# jupyter_server writing a kernel message to a browser tab that just closed: tornado logs the
# WebSocketClosedError of that write as an unretrieved task exception. It depends only on
# when the test closes its page, and says nothing about the student's session.
CLOSED_SOCKET = re.compile(
    r"Task exception was never retrieved\nfuture: <Task finished name='[^']*' "
    r"coro=<WebSocketProtocol13\.write_message\..*?tornado\.websocket\.WebSocketClosedError\n",
    re.S)


@pytest.fixture
def chromium():
    """A fresh browser context that may use the clipboard (students paste code)."""
    from playwright.sync_api import sync_playwright  # test-only dependency

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.grant_permissions(["clipboard-read", "clipboard-write"])
            context.set_default_timeout(60_000)  # a shared 2-core machine can be slow
            yield context
        finally:
            browser.close()


def _as_released(release: Path, chapter: str) -> bytes:
    """A chapter's notebook as the student receives it (the zip), whatever a test changed."""
    with zipfile.ZipFile(release / f"{chapter}.zip") as archive:
        return archive.read(f"{chapter}/{chapter}.ipynb")


def _fresh_notebook(server) -> Path:
    """The chapter's notebook as released, whatever the other test left on this server."""
    path = server.root / NOTEBOOK
    path.write_bytes(_as_released(server.root, CHAPTER))
    return path


def _nbgrader(c) -> dict:
    return c.metadata.get("nbgrader", {})


def _exercises(notebook) -> dict[int, list[int]]:
    """Answer cell index -> indices of the graded check cells that follow it."""
    exercises, answer = {}, None
    for i, c in enumerate(notebook.cells):
        if _nbgrader(c).get("solution"):
            answer = i
            exercises[answer] = []
        elif _nbgrader(c).get("grade") and answer is not None:
            exercises[answer].append(i)
        else:
            answer = None
    return exercises


def _correct_answer(chapter: str, grade_id: str) -> str:
    """The source chapter's solution cell without its nbgrader markers."""
    source = nbformat.read(ROOT / "chapters" / chapter / f"{chapter}.ipynb", as_version=4)
    solved = next(c for c in source.cells if _nbgrader(c).get("grade_id") == grade_id)
    return "\n".join(line for line in solved.source.splitlines()
                     if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def _named_mistake(folder: Path, check_source: str) -> tuple[str, object]:
    """A named mistake of the check's first case and the answer it gives there, from the
    table the release ships beside the notebook."""
    table = json.loads((folder / "convlab" / visible_mistakes.FILE).read_text(encoding="utf-8"))
    name, _, wrong = table[visible_mistakes.whys(check_source)[0]][0]
    return name, wrong


def _failed_checks(validate_output: str, notebook) -> dict[str, str]:
    """grade_id -> nbgrader's report, for each check cell nbgrader's validation lists."""
    reports = failed_cells(validate_output)
    found = {}
    for c in notebook.cells:
        first_line = c.source.splitlines()[0] if c.source else ""
        for shown, report in reports.items():
            if _nbgrader(c).get("grade") and shown and first_line.startswith(shown):
                found[_nbgrader(c)["grade_id"]] = report
    assert len(found) == len(reports), f"unmatched failures in:\n{validate_output}"
    return found


def _stubbed_checks(notebook) -> set[str]:
    """grade_ids of the check cells whose exercise still has the released stub."""
    return {_nbgrader(notebook.cells[i])["grade_id"]
            for answer, checks in _exercises(notebook).items()
            if STUB in notebook.cells[answer].source for i in checks}


def _text(locator) -> str:
    # textContent, not innerText: cells scrolled away are not rendered (content-visibility)
    return "\n".join(locator.all_text_contents())


def _run_all_stops_at_the_first_check(page, first: int, timeout: float):
    """Run All, as a student opening the released notebook: it stops at the cell ``first``,
    the first exercise's check (its stub raises, as released), with that one traceback and
    every widget drawn. That check's cell."""
    run_all_cells(page)
    check = cell(page, first)
    check.locator(".jp-OutputArea-output", has_text="NotImplementedError").wait_for(
        timeout=timeout)
    wait_kernel_idle(page)
    outputs = page.locator(".jp-Notebook .jp-OutputArea-output").all_text_contents()
    assert sum("Traceback (most recent call last)" in o for o in outputs) == 1
    assert not any("Error displaying widget" in o for o in outputs)
    return check


def _answer_passes_every_check(page, released, answer: int, checks: list[int],
                               correct: str) -> None:
    """Paste ``correct`` into the answer cell, run it and its checks: each check prints one
    tick per ``expect(`` of its source, and nothing else."""
    paste_into_cell(page, answer, correct)
    _run_answer_and_checks(page, checks)
    for i in checks:
        lines = _text(cell(page, i).locator(".jp-OutputArea-output")).splitlines()
        expected = released.cells[i].source.count("expect(")
        assert len(lines) == expected and all(ln.startswith("✓ ") for ln in lines), lines


def _run_answer_and_checks(page, checks: list[int]) -> None:
    """Shift+Enter on the answer, then on each check cell (run and advance, as students do)."""
    prompt = cell(page, checks[-1]).locator(".jp-InputPrompt")
    before = prompt.text_content()
    for _ in range(1 + len(checks)):
        page.keyboard.press("Shift+Enter")
    # The last check's execution count changes once its new output is complete.
    page.wait_for_function("([el, old]) => el.textContent !== old && /\\d/.test(el.textContent)",
                           arg=[prompt.element_handle(), before])
    wait_kernel_idle(page)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_released_chapter_answered_correctly_passes_every_visible_check(release, chapter):
    """The release, every stub replaced by the source's solution and run top to bottom: no
    cell needs a removed hidden test's state or a lost import, and every check ticks."""
    from nbclient import NotebookClient

    notebook = nbformat.reads(_as_released(release, chapter).decode(), as_version=4)
    exercises = _exercises(notebook)
    for answer in exercises:
        assert STUB in notebook.cells[answer].source  # as released: nothing answered
        notebook.cells[answer].source = _correct_answer(
            chapter, _nbgrader(notebook.cells[answer])["grade_id"])
    NotebookClient(notebook, timeout=600, allow_errors=True,
                   resources={"metadata": {"path": str(release / chapter)}}).execute()
    errors = [f"cell {i}: {o.ename}: {o.evalue}" for i, c in enumerate(notebook.cells)
              for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    for i in (i for ids in exercises.values() for i in ids):
        printed = "".join(o.get("text", "") for o in notebook.cells[i].outputs).splitlines()
        assert len(printed) == notebook.cells[i].source.count("expect(")
        assert all(line.startswith("✓ ") for line in printed), printed


@needs_chromium
def test_student_answers_an_exercise_in_jupyterlab(server, chromium):
    path = _fresh_notebook(server)
    released = nbformat.read(path, as_version=4)
    answer, checks = next(iter(_exercises(released).items()))
    grade_id = _nbgrader(released.cells[answer])["grade_id"]
    page, log = open_page(chromium, server, f"lab/tree/{NOTEBOOK}")
    wait_kernel_idle(page)

    # The book's cross-reference label (a MyST line) is not shown above the title.
    assert not re.match(r"\([\w.:-]+\)=", cell(page, 0).text_content().strip())

    # The widgets manager and nbgrader's extension are installed, enabled and loaded.
    config = json.loads(page.locator("#jupyter-config-data").text_content())
    enabled = ({e["name"] for e in config["federated_extensions"]}
               - set(config.get("disabledExtensions", [])))
    assert EXTENSIONS <= enabled, config
    page.get_by_role("menuitem", name="Nbgrader", exact=True).wait_for()
    page.locator(".jp-NotebookPanel-toolbar .validate-button").wait_for()
    page.screenshot(path=SHOTS / "lab_01_opened.png")

    # Run All stops at the first exercise's check: its stub raises, as released.
    first_check = _run_all_stops_at_the_first_check(page, checks[0], timeout=180_000)
    show(first_check)
    page.screenshot(path=SHOTS / "lab_02_run_all_stops_at_exercise_1.png")

    # A slider of the first panel redraws the picture and the formula, from the keyboard.
    panel = page.locator(PANEL).first
    show(panel)
    slider = panel.locator(f'input[type="range"][name="{SLIDER}"]')
    picture, formula = panel.locator(".convlab-picture"), panel.locator(".convlab-formula")
    before = (slider.input_value(), picture.inner_html(), formula.text_content(),
              picture.screenshot())
    panel.screenshot(path=SHOTS / f"lab_03_panel_{SLIDER}_{before[0]}.png")
    slider.focus()
    page.keyboard.press("ArrowRight")
    moved = page.wait_for_function("([html, text]) => html.textContent !== text",
                                   arg=[formula.element_handle(), before[2]], timeout=20_000)
    assert moved, slider.input_value()
    after = (slider.input_value(), picture.inner_html(), formula.text_content(),
             picture.screenshot())
    panel.screenshot(path=SHOTS / f"lab_04_panel_{SLIDER}_{after[0]}.png")
    assert int(after[0]) == int(before[0]) + 1
    assert after[1] != before[1] and after[3] != before[3]

    # First attempt: the stub's raise deleted, nothing returned. The check says why it fails.
    paste_into_cell(page, answer, released.cells[answer].source.replace(STUB, "pass"))
    _run_answer_and_checks(page, checks)
    report = _text(first_check.locator(".jp-OutputArea-output"))
    assert "✗" in report and "did you forget `return`?" in report, report
    show(first_check)
    page.screenshot(path=SHOTS / "lab_05_check_explains_missing_return.png")

    # A wrong answer that a named mistake gives: the visible check names the mistake in the
    # hidden check's words (the release's convlab/likely_mistakes.json). The answer returns
    # that mistake's value for the first case, as a student who made it would get.
    name, wrong = _named_mistake(path.parent, released.cells[checks[0]].source)
    paste_into_cell(page, answer, released.cells[answer].source.replace(STUB, f"return {wrong!r}"))
    _run_answer_and_checks(page, checks)
    report = _text(first_check.locator(".jp-OutputArea-output"))
    assert "✗" in report and f"Likely mistake: {name} — " in report, report
    show(first_check)
    page.screenshot(path=SHOTS / "lab_05b_check_names_the_likely_mistake.png")

    # The correct answer: every visible check of the exercise prints its tick.
    correct = _correct_answer(CHAPTER, grade_id)
    _answer_passes_every_check(page, released, answer, checks, correct)
    show(first_check)
    page.screenshot(path=SHOTS / "lab_06_checks_pass.png")

    # Ctrl+S writes the answer and the ticks to disk.
    page.keyboard.press("Control+s")
    page.wait_for_function("() => !document.querySelector('.lm-TabBar-tab.jp-mod-dirty')")
    page.screenshot(path=SHOTS / "lab_07_saved.png")
    saved = nbformat.read(path, as_version=4)
    assert saved.cells[answer].source.rstrip() == correct.rstrip()
    assert saved.cells[answer].metadata == released.cells[answer].metadata
    for i in checks:
        printed = "".join(o.get("text", "") for o in saved.cells[i].outputs)
        assert printed.count("✓ ") == released.cells[i].source.count("expect("), printed
    assert not [o for c in saved.cells for o in c.get("outputs", []) if o.output_type == "error"]

    # nbgrader validate: only the exercises left unanswered fail, each on its stub.
    done = subprocess.run([str(VENV_BIN / "nbgrader"), "validate", path.name], cwd=path.parent,
                          env=server.env, capture_output=True, text=True, timeout=600)
    output = done.stdout + done.stderr
    (SHOTS / "lab_08_nbgrader_validate.txt").write_text(output)
    assert done.returncode == 0, output
    unanswered = _stubbed_checks(saved)
    assert unanswered and not unanswered & {_nbgrader(saved.cells[i])["grade_id"] for i in checks}
    failed = _failed_checks(output, saved)
    assert set(failed) == unanswered, output
    assert all("NotImplementedError" in report for report in failed.values()), output
    assert f"VALIDATION FAILED ON {len(unanswered)} CELL(S)" in output, output
    assert "HAVE CHANGED" not in output, output  # no locked cell or cell type was altered

    page.close()
    server.shut_down_kernels()
    assert log.problems() == {"offsite": [], "failed": [], "errors": []}


@needs_chromium
def test_notebook7_runs_the_chapter_and_validates(server, chromium):
    path = _fresh_notebook(server)
    page, log = open_page(chromium, server, f"notebooks/{NOTEBOOK}")
    wait_kernel_idle(page)
    validate = page.locator(".jp-NotebookPanel-toolbar .validate-button")
    validate.wait_for()
    page.get_by_role("menuitem", name="Nbgrader", exact=True).wait_for()

    run_all_cells(page)
    page.locator(".jp-OutputArea-output", has_text="NotImplementedError").first.wait_for(
        timeout=180_000)
    wait_kernel_idle(page)
    panel = page.locator(PANEL).first
    show(panel)
    assert panel.locator(".convlab-picture svg, .convlab-picture canvas").count() > 0
    assert "o = " in panel.locator(".convlab-formula").text_content()
    assert "Error displaying widget" not in _text(page.locator(".jp-OutputArea-output"))
    page.screenshot(path=SHOTS / "nb7_01_run_all.png")
    panel.screenshot(path=SHOTS / "nb7_02_panel.png")

    # The button saves the notebook, then the server runs nbgrader's validation on it.
    validate.click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=180_000)
    report = dialog.inner_text()
    assert "Validation Results" in report and "The following cell failed:" in report, report
    page.screenshot(path=SHOTS / "nb7_03_validate_dialog.png")
    saved = nbformat.read(path, as_version=4)
    assert set(_failed_checks(report, saved)) == _stubbed_checks(saved), report
    dialog.get_by_role("button", name="Ok").click()

    page.close()
    server.shut_down_kernels()
    assert log.problems() == {"offsite": [], "failed": [], "errors": []}


# --- a stranger's machine: a clean venv from the release's requirements.txt alone ----------


def _stranger_env() -> dict[str, str]:
    """The environment of someone who has Python 3.11 and nothing of this project."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("VIRTUAL_ENV", "PYTHON", "JUPYTER", "JPY_"))}
    path = [p for p in env.get("PATH", "").split(os.pathsep) if Path(p) != VENV_BIN]
    # `python3` is the interpreter the project's venv was made from
    env["PATH"] = os.pathsep.join([str(Path(sys._base_executable).parent), *path])
    return env


@pytest.fixture(scope="module")
def stranger(release, tmp_path_factory) -> Path:
    """The chapter's zip unpacked and the README's setup lines run there as typed; the folder
    holds `<chapter>/` and `.venv/`. pip resolves from the index it is configured with (here
    the local mirrors of PyPI), as a stranger's pip does from PyPI."""
    home = tmp_path_factory.mktemp("stranger")
    with zipfile.ZipFile(release / f"{CHAPTER}.zip") as archive:
        archive.extractall(home)
    lines = handout.setup_commands(CHAPTER)
    assert "\n".join(lines) in (home / CHAPTER / "README.md").read_text()  # what runs here
    done = subprocess.run(["bash", "-euc", "\n".join(lines)], cwd=home, env=_stranger_env(),
                          capture_output=True, text=True, timeout=3600)
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / "stranger_setup.log").write_text(done.stdout + done.stderr)
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]
    return home


def test_stranger_venv_holds_the_requirements_and_nothing_else(stranger):
    python = stranger / ".venv" / "bin" / "python"
    wanted = {}
    for line in (stranger / CHAPTER / "requirements.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            wanted[name.lower().replace("_", "-")] = version
    assert {"anywidget", "ipywidgets", "jupyterlab", "notebook", "nbgrader", "numpy",
            "matplotlib", "scipy"} <= set(wanted)
    freeze = subprocess.run([str(python), "-m", "pip", "freeze", "--all"], capture_output=True,
                            text=True, check=True, env=_stranger_env()).stdout
    installed = dict(line.lower().replace("_", "-").split("==") for line in freeze.split())
    assert "torch" not in installed and "jupyter-book" not in installed
    pinned = {n: v for n, v in wanted.items() if v}
    assert {n: installed.get(n) for n in pinned} == pinned  # each at its pinned version
    assert set(installed) - set(wanted) <= {"pip"}  # nothing pip found on its own
    # the instructor's packages are not installed (convlab comes as the folder beside it)
    for package in ("solutions", "autograder", "convlab"):
        found = subprocess.run([str(python), "-c", f"import {package}"], cwd=stranger,
                               capture_output=True, env=_stranger_env())
        assert found.returncode != 0, package


def test_book_download_alone_names_what_to_fetch(stranger, tmp_path):
    """The book's .ipynb download, run in a Python without the chapter's folder: its first
    cell says what to get and the line to type; beside convlab/ it passes."""
    source = ROOT / "chapters" / CHAPTER / f"{CHAPTER}.ipynb"
    given = student.student_version(source, for_book=True)
    downloaded = nbformat.reads(download.with_setup_check(given, source).decode(), as_version=4)
    first = downloaded.cells[0].source
    python = stranger / ".venv" / "bin" / "python"
    alone = subprocess.run([str(python), "-c", first], cwd=tmp_path, capture_output=True,
                           text=True, env=_stranger_env())
    assert alone.returncode != 0
    assert "ModuleNotFoundError: this notebook needs convlab" in alone.stderr, alone.stderr
    assert f"pip install -r {CHAPTER}/requirements.txt" in alone.stderr
    assert f"{CHAPTER}.zip" in alone.stderr
    beside = subprocess.run([str(python), "-c", first], cwd=stranger / CHAPTER,
                            capture_output=True, text=True, env=_stranger_env())
    assert beside.returncode == 0, beside.stderr


@needs_chromium
def test_stranger_runs_the_first_exercise_in_jupyterlab(stranger, tmp_path, chromium):
    bin_dir = stranger / ".venv" / "bin"
    released = nbformat.read(stranger / NOTEBOOK, as_version=4)
    answer, checks = next(iter(_exercises(released).items()))
    grade_id = _nbgrader(released.cells[answer])["grade_id"]
    with jupyter_server(stranger, tmp_path, bin_dir=bin_dir) as server:
        page, log = open_page(chromium, server, f"lab/tree/{NOTEBOOK}")
        wait_kernel_idle(page)

        # nbgrader's exchange and instructor parts are off; Validate stays
        config = json.loads(page.locator("#jupyter-config-data").text_content())
        assert set(handout.LAB_PLUGINS_OFF) <= set(config.get("disabledExtensions", [])), config
        page.locator(".jp-NotebookPanel-toolbar .validate-button").wait_for()
        assert page.get_by_role("menuitem", name="Nbgrader", exact=True).count() == 0
        assert page.get_by_text("Error fetching courses").count() == 0

        first_check = _run_all_stops_at_the_first_check(page, checks[0], timeout=300_000)
        assert page.locator(PANEL).count() > 0  # the widgets drew
        show(first_check)
        page.screenshot(path=SHOTS / "stranger_01_first_run.png")

        _answer_passes_every_check(page, released, answer, checks,
                                   _correct_answer(CHAPTER, grade_id))
        show(first_check)
        page.screenshot(path=SHOTS / "stranger_02_checks_pass.png")
        page.close()
        server.shut_down_kernels()
        assert log.problems() == {"offsite": [], "failed": [], "errors": []}
        server_log = CLOSED_SOCKET.sub("", server.log.read_text())
    (SHOTS / "stranger_jupyter.log").write_text(server_log)
    assert "Traceback" not in server_log and not re.search(r"^\[E ", server_log, re.M), \
        server_log[-6000:]
