"""Alt text for the matplotlib figures a notebook shows (convlab/alt_text.py)."""

from __future__ import annotations

import base64

import nbformat
from matplotlib.figure import Figure
from nbformat.v4 import new_code_cell, new_notebook

from convlab import alt_text


def test_a_figure_is_described_by_its_titles_labels_and_legend():
    figure = Figure()
    left, right = figure.subplots(1, 2)
    figure.suptitle("Cost of a layer")
    left.plot([1, 2], label="standard")
    left.plot([2, 3], label="separable")
    left.legend()
    left.set_title("MACs as $k$ grows")
    left.set_xlabel("kernel size $k$")
    right.imshow([[0, 1]])
    right.axis("off")
    right.set_title("the kernel")
    assert alt_text.describe(figure) == (
        "Figure: Cost of a layer. panels: MACs as k grows (x: kernel size k; "
        "lines: standard, separable); the kernel")
    assert alt_text.describe(Figure()) == "Figure"


def test_in_a_kernel_each_figure_shown_carries_its_alt_text(monkeypatch):
    """Whichever comes first, convlab or pyplot, and with plt.show() in the plotting cell."""
    from nbclient import NotebookClient

    # the kernel's own inline backend, as in Jupyter (other tests set Agg for this process)
    monkeypatch.delenv("MPLBACKEND", raising=False)

    plot = ("fig, ax = plt.subplots()\nax.plot([0, 1])\nax.set_title('{}')\nplt.show()")
    for first in ("import convlab\nimport matplotlib.pyplot as plt",
                  "import matplotlib.pyplot as plt\nimport convlab"):
        notebook = new_notebook(cells=[new_code_cell(first), new_code_cell(plot.format("a")),
                                       new_code_cell(plot.format("b").replace("plt.show()",
                                                                              ""))])
        NotebookClient(notebook, timeout=120).execute()
        alts = [o.metadata.get("image/png", {}).get("alt") for c in notebook.cells
                for o in c.outputs if "image/png" in o.get("data", {})]
        assert alts == ["Figure: a", "Figure: b"], (first, alts)
        nbformat.validate(notebook)


def test_in_a_kernel_a_frame_is_shown_as_its_picture_with_its_alt_text():
    """A Frame left as a cell's value: its PNG, as convlab.grid draws it, and its words."""
    from nbclient import NotebookClient

    import convlab

    notebook = new_notebook(cells=[new_code_cell("import convlab\nconvlab.conv_frame(3, 2)")])
    NotebookClient(notebook, timeout=120).execute()
    [shown] = notebook.cells[0].outputs
    frame = convlab.conv_frame(3, 2)
    assert shown.metadata["image/png"] == {"alt": frame.describe()}
    assert base64.b64decode(shown.data["image/png"]) == convlab.frame_png(frame)
    nbformat.validate(notebook)
