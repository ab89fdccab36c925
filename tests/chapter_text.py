"""The prose of a chapter, for tests that check what its citations say.

A citation test pins the source a claim is taken from (paper, section, table,
figure, quoted words), so that an edit cannot silently turn a checked citation
back into an unsourced one. The markdown is joined with single spaces so that a
quoted phrase matches wherever the notebook breaks its lines.
"""

from __future__ import annotations

import json

from pytorch_box import CHAPTERS


def markdown(chapter: str) -> str:
    """All markdown cells of ``chapters/<chapter>/<chapter>.ipynb``, whitespace collapsed."""
    nb = json.loads((CHAPTERS / chapter / f"{chapter}.ipynb").read_text(encoding="utf-8"))
    text = " ".join("".join(cell["source"]) for cell in nb["cells"]
                    if cell["cell_type"] == "markdown")
    return " ".join(text.split())
