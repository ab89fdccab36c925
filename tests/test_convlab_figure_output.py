"""What the matplotlib figures a notebook shows carry: alt text, and text large enough to read
(convlab/figure_output.py)."""

from __future__ import annotations

import base64

import nbformat
from matplotlib.figure import Figure
from nbformat.v4 import new_code_cell, new_notebook

from convlab import figure_output
from convlab.grid import MIN_TEXT_PX


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
    assert figure_output.describe(figure) == (
        "Figure: Cost of a layer. panels: MACs as k grows (x: kernel size k; "
        "lines: standard, separable); the kernel")
    assert figure_output.describe(Figure()) == "Figure"


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
    assert shown.metadata["image/png"]["alt"] == frame.describe()
    assert shown.metadata["image/png"]["text_px"] >= MIN_TEXT_PX
    assert base64.b64decode(shown.data["image/png"]) == convlab.frame_png(frame)
    nbformat.validate(notebook)


def _png_width(data: str) -> int:
    return int.from_bytes(base64.b64decode(data)[16:20], "big")


def test_in_a_kernel_a_figure_with_small_text_is_printed_large_enough_to_read(monkeypatch):
    """Text under MIN_TEXT_PX at the figure's dpi: printed at the dpi that makes it that size
    (the PNG widens in proportion), and the size is in the metadata, which the book uses to
    keep the figure at least as wide as that text needs (bookbuild/sphinx_pages.py)."""
    from nbclient import NotebookClient

    monkeypatch.delenv("MPLBACKEND", raising=False)
    plot = ("fig, ax = plt.subplots(figsize=(4, 2), dpi=72)\nax.plot([0, 1])\n"
            "ax.tick_params(labelsize={})\nax.set_title('t', fontsize=12)\nplt.show()\n"
            "print(fig.dpi)")
    notebook = new_notebook(cells=[new_code_cell("import convlab\nimport matplotlib.pyplot as plt"),
                                   new_code_cell(plot.format(12)), new_code_cell(plot.format(6))])
    NotebookClient(notebook, timeout=120).execute()
    (large, large_dpi), (small, small_dpi) = [
        ([o for o in c.outputs if "image/png" in o.get("data", {})][0],
         [o.text for o in c.outputs if o.get("name") == "stdout"][0]) for c in notebook.cells[1:]]
    assert large.metadata["image/png"]["text_px"] == 12.0  # 12 pt at 72 dpi: left alone
    assert small.metadata["image/png"]["text_px"] == MIN_TEXT_PX  # 6 pt, printed at 120 dpi
    ratio = _png_width(small.data["image/png"]) / _png_width(large.data["image/png"])
    assert 1.5 < ratio < 1.75, ratio  # 120/72, less the smaller labels in the tight box
    assert float(large_dpi) == float(small_dpi) == 72  # the figure keeps its own dpi
