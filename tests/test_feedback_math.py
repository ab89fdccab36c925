"""Feedback pages: the chapters' formulas arrive as MathML, and the page stays inert.

The browser test opens one feedback page per chapter in headless Chromium and reads the
visible text: no ``$...$`` (nor ``\\(``/``\\[``) may be left, and the ``math`` elements must
be laid out with a size, i.e. rendered rather than ignored.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from book_browser import CHROMIUM
from delivered_pages import CHAPTER_SOURCES, browser_pages, chapter_feedback

from autograder.outputs import feedback, mathml

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")
TEX_LEFT = re.compile(r"\$[^$\n]+\$|\\\(|\\\[|\\(frac|sum|text|times|lfloor|cdot)\b")


def _formulas(source: Path):
    nb = json.loads(source.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            text = "".join(cell["source"])
            yield from re.findall(r"\$\$.+?\$\$|\$[^$\n]+?\$", text, re.S)


@pytest.mark.parametrize("source", CHAPTER_SOURCES, ids=lambda p: p.parent.name)
def test_every_formula_of_the_chapter_converts_without_falling_back_to_tex(source):
    formulas = list(_formulas(source))
    assert formulas, "a chapter without formulas would make this test vacuous"
    for tex in formulas:
        out = mathml.tex_to_mathml(tex.strip("$"), tex.startswith("$$"))
        assert out.startswith("<math") and "merror" not in out, tex


@pytest.mark.parametrize("tex, needles", [
    (r"Y_{i,j} = \sum_{a,b} X_{i+a,j+b}K_{a,b}", ["<msub>", "&#x02211;"]),
    (r"C_\text{out}", ["<mtext>out</mtext>"]),
    (r"\lfloor (n + 2p - k)/s \rfloor + 1", ["&#x0230A;", "&#x0230B;"]),
    (r"C_\text{in} \times k \cdot k", ["&#x000D7;", "&#x000B7;"]),
    (r"\frac{1}{C_\text{out}} + \frac{1}{k^2}", ["<mfrac>", "<msup>"]),
])
def test_the_constructs_the_chapters_use_become_mathml(tex, needles):
    out = mathml.tex_to_mathml(tex, False)
    assert all(n in out for n in needles), out


def test_all_four_delimiters_and_nothing_inside_code():
    html = mathml.render("Inline $a_1$ and \\(b^2\\).\n\n$$c$$\n\n\\[d\\]\n\n`$e$` in code\n")
    assert html.count("<math") == 4
    assert html.count('display="block"') == 2
    assert "<code>$e$</code>" in html


def test_markdown_html_and_student_text_stay_text():
    page = feedback.render("t", "", [
        ("markdown", "<script>alert(1)</script> $x$", []),
        ("raw", "<pre>$y$ from the student's markdown</pre>", []),
        ("code", "print('$z$')", [{"output_type": "stream", "name": "stdout",
                                   "text": "$z$ <script>alert(2)</script>\n"}]),
    ])
    assert "<script" not in page
    assert page.count("<math") == 1  # the instructor's $x$ only
    assert "$y$" in page and "$z$ &lt;script&gt;" in page


def test_unreadable_tex_stays_visible_instead_of_breaking_the_page():
    assert mathml.tex_to_mathml(r"\frac{1}{", False) == "<code class='tex'>\\frac{1}{</code>"


@pytest.mark.slow
@needs_chromium
@pytest.mark.skipif(not CHAPTER_SOURCES, reason="no chapters")
def test_a_feedback_page_of_every_chapter_shows_its_formulas_rendered(tmp_path):
    for source in CHAPTER_SOURCES:
        page = chapter_feedback(source, wrong_exercise=0)
        (tmp_path / f"{source.stem}.html").write_text(page, encoding="utf-8")
        assert len(page.encode()) < 100_000, (source.name, len(page))
        assert "<script" not in page
    with browser_pages(tmp_path) as (open_page, offsite):
        for source in CHAPTER_SOURCES:
            page = open_page(f"{source.stem}.html")
            text = page.inner_text("body")
            assert not TEX_LEFT.findall(text), (source.name, TEX_LEFT.findall(text)[:5])
            sizes = page.eval_on_selector_all(
                "math", "ms => ms.map(m => m.getBoundingClientRect().width)")
            assert sizes and min(sizes) > 0, (source.name, len(sizes))
            assert "Likely mistake:" in text  # the wrong answer's named mistake is shown
            page.close()
    assert not offsite
