"""The instructor's markdown as HTML, with its TeX formulas already typeset as MathML.

Feedback pages load nothing and run no script, so MathJax cannot typeset them in the
student's browser. The formulas are converted once, when the page is written, into MathML,
which browsers render natively (Chromium since 109, Firefox and Safari for much longer).
Delimiters are the book's: ``$...$`` and ``$$...$$`` (MyST's dollarmath), and also
``\\(...\\)`` and ``\\[...\\]``. Only the instructor's markdown goes through here: a
student's text and outputs stay escaped text, formulas included.
"""

from __future__ import annotations

import html
from functools import lru_cache

from latex2mathml.converter import convert
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.texmath import texmath_plugin

# The token types the two plugins emit, and whether each is a displayed formula.
_MATH_TOKENS = {"math_inline": False, "math_inline_double": True, "math_single": False,
                "math_block": True, "math_block_label": True, "math_block_eqno": True}


def tex_to_mathml(tex: str, display: bool) -> str:
    """One formula as a ``<math>`` element; TeX the converter cannot read stays visible as code.

    latex2mathml raises its own exception types (and the occasional IndexError on malformed
    input); a formula it cannot convert must not cost the student their feedback page.
    """
    try:
        return convert(tex.strip(), display="block" if display else "inline")
    except Exception:  # noqa: BLE001 - any converter failure falls back to the TeX source
        return f"<code class='tex'>{html.escape(tex)}</code>"


@lru_cache(maxsize=1)
def markdown() -> MarkdownIt:
    """CommonMark with tables and math; raw HTML in the source is shown as text, never run."""
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    dollarmath_plugin(md, double_inline=True)
    texmath_plugin(md, delimiters="brackets")
    for kind, display in _MATH_TOKENS.items():
        md.add_render_rule(kind, _rule(display))
    md.add_render_rule("fence", _fence)
    return md


# MyST admonitions (```{tip}, ````{admonition} Title) whose body is markdown, not code.
_ADMONITIONS = {"admonition", "note", "tip", "hint", "important", "warning", "caution",
                "attention", "danger", "error", "seealso"}


def _fence(self, tokens, idx, options, env) -> str:
    """A MyST admonition as a titled box with its body rendered; any other fence as code."""
    token = tokens[idx]
    name, _, title = token.info.strip().removeprefix("{").partition("}")
    if not token.info.startswith("{") or name not in _ADMONITIONS:
        return type(self).fence(self, tokens, idx, options, env)
    body = "\n".join(line for line in token.content.splitlines()
                     if not (line.startswith(":") and line.count(":") >= 2))  # :class: tip
    title = title.strip() or name.capitalize()
    return (f"<div class='admonition'><p class='admonition-title'>{html.escape(title)}</p>"
            f"{markdown().render(body)}</div>")


def _rule(display: bool):
    def render(self, tokens, idx, options, env) -> str:
        return tex_to_mathml(tokens[idx].content, display)
    return render


@lru_cache(maxsize=1024)
def render(source: str) -> str:
    """Every student's page shows the same prompts: each is converted once per process."""
    return markdown().render(source)
