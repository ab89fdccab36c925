"""A chapter's "In PyTorch" box: the torch code it shows, run here so a test can compare it.

Convention (every chapter): one markdown cell holds a MyST admonition titled "In PyTorch"
with exactly one fenced ``python`` block, written with four backticks outside so the inner
three-backtick block nests::

    ````{admonition} In PyTorch
    :class: tip
    One or two sentences: which torch call computes what the chapter built.
    ```python
    x = torch.randn(1, 3, 8, 8, dtype=torch.float64)
    w = torch.randn(4, 3, 3, 3, dtype=torch.float64)
    y = F.conv2d(x, w, dilation=2)
    ```
    ````

The block builds its own inputs (torch is not a dependency of the book, so it is shown, not
executed, in the chapter); a fact test runs it with :func:`run_pytorch_box` and asserts that
its tensors equal what ``solutions`` computes from the same inputs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

CHAPTERS = Path(__file__).resolve().parents[1] / "chapters"
_BOX = re.compile(r"````\{admonition\} In PyTorch\n(.*?)\n````", re.S)
_CODE = re.compile(r"```python\n(.*?)\n```", re.S)


def pytorch_box(chapter: str) -> str:
    """The code of the chapter's one "In PyTorch" box."""
    nb = json.loads((CHAPTERS / chapter / f"{chapter}.ipynb").read_text())
    boxes = [m.group(1) for c in nb["cells"] if c["cell_type"] == "markdown"
             for m in _BOX.finditer("".join(c["source"]))]
    assert len(boxes) == 1, f"{chapter}: expected one 'In PyTorch' box, found {len(boxes)}"
    blocks = _CODE.findall(boxes[0])
    assert len(blocks) == 1, f"{chapter}: the 'In PyTorch' box needs one python block"
    return blocks[0]


def run_pytorch_box(chapter: str) -> dict:
    """Execute the box (seeded) with ``torch``, ``F`` and ``nn`` imported; its namespace."""
    import torch

    torch.manual_seed(0)
    namespace = {"torch": torch, "F": torch.nn.functional, "nn": torch.nn}
    exec(compile(pytorch_box(chapter), f"<{chapter} In PyTorch box>", "exec"), namespace)
    return namespace
