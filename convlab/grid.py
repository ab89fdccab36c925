"""Draw a :class:`~convlab.frames.Frame` in the look of Dumoulin & Visin's conv_arithmetic.

Blue input cells, dashed white padding, pale inserted zeros, the kernel's taps
shaded dark over the input (dilation gaps stay light), the window outlined, and
the output in teal with the cell being computed darkest.

    >>> fig = draw(conv_frame(5, 3, stride=2, padding=1))      # a new Figure
    >>> draw(conv_frame(5, 3), ax=my_axes)                       # or into your axes
    >>> png = frame_png(transposed_frame(2, 3, stride=2))        # PNG bytes

:class:`FrameArtist` keeps one figure and updates its artists in place, so a
widget can redraw in a few milliseconds instead of building a figure each time.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from PIL import Image

from . import _kernel
from ._pathtext import PathText, text_width, wrap
from .frames import Frame

#: Face colour, edge colour and line style of every cell role a Frame may use.
STYLES = {
    "input": ("#a9cbeb", "#3d6fa8", "solid"),
    "padding": ("#ffffff", "#7fa6cf", (0, (3, 2))),
    "inserted": ("#f1f5fa", "#9db8d6", (0, (1, 1.5))),
    "cropped": ("#eeeeee", "#bbbbbb", (0, (3, 2))),
    "output": ("#aee3da", "#2a8f82", "solid"),
    "current": ("#2a9d8f", "#1d6d63", "solid"),
    "zero": ("#ffffff", "#cccccc", "solid"),
    "muted": ("#e4e4e4", "#b0b0b0", "solid"),
}
#: Colours of channel groups ``"g0"``, ``"g1"``, ... (cycled).
GROUP_COLORS = ("#8dd3c7", "#fdb462", "#bebada", "#fb8072", "#80b1d3", "#b3de69", "#fccde5",
                "#ffed6f")
_TAP_COLOR = (0.07, 0.23, 0.47, 0.55)   # translucent, so a dilation gap reads as "not touched"
_INK = "#1b1b1b"
_MARGIN = 0.6                          # diagram units around the content


def _style(kind: str) -> tuple:
    if kind in STYLES:
        return STYLES[kind]
    if kind.startswith("g") and kind[1:].isdigit():
        color = GROUP_COLORS[int(kind[1:]) % len(GROUP_COLORS)]
        return color, "#555555", "solid"
    raise ValueError(f"unknown cell kind {kind!r}; add it to convlab.grid.STYLES")


def _square(x: float, y: float, size: float) -> list[tuple[float, float]]:
    return [(x, y), (x + size, y), (x + size, y + size), (x, y + size)]


def _label(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e4 else f"{value:.2g}"


# Text sizes in cell units, so text keeps its size relative to a cell at any zoom. The
# smallest is a third of a cell: at the default 0.4-inch cells and 80 dpi that is 10.2 px.
_VALUE, _WEIGHT, _LABEL, _TITLE, _CAPTION = 0.40, 0.32, 0.32, 0.36, 0.34


class FrameArtist:
    """One figure that shows one Frame at a time; :meth:`update` swaps the frame in place."""

    def __init__(self, ax=None, cell_inches: float = 0.4, max_inches: float = 9.0):
        self.cell_inches, self.max_inches = cell_inches, max_inches
        self.owns_figure = ax is None
        if ax is None:
            figure = Figure(facecolor="white")
            FigureCanvasAgg(figure)
            ax = figure.add_axes((0, 0, 1, 1))
        self.figure, self.ax = ax.figure, ax
        ax.set_axis_off()
        ax.set_aspect("equal")
        self.cells = ax.add_collection(PolyCollection([], linewidths=1.0, zorder=1))
        self.tap_cells = ax.add_collection(
            PolyCollection([], facecolors=[_TAP_COLOR], linewidths=0, zorder=2))
        self.window = ax.add_patch(Rectangle((0, 0), 1, 1, fill=False, edgecolor="#12356b",
                                             linewidth=1.8, zorder=3, visible=False))
        self.links = ax.add_collection(
            LineCollection([], colors="#12356b", linewidths=0.9, alpha=0.45, zorder=4))
        self.text = PathText(ax, _INK, zorder=5)
        self.weights = PathText(ax, "#ffffff", weight="bold", zorder=6)
        self.labels = PathText(ax, "#444444", zorder=5)
        self.title = PathText(ax, _INK, weight="bold", zorder=5)
        self.smallest_text = 0.0  # em size of the smallest text shown, in cell units (0: none)

    def update(self, frame: Frame) -> None:
        """Show ``frame``: cells, taps, window, links and text are all replaced."""
        polys, faces, edges, styles, values = [], [], [], [], []
        for grid in frame.grids:
            rows, cols = grid.kinds.shape
            for r in range(rows):
                for c in range(cols):
                    x, y = grid.x + c * grid.cell, grid.y + r * grid.cell
                    face, edge, style = _style(grid.kinds[r, c])
                    polys.append(_square(x, y, grid.cell))
                    faces.append(face)
                    edges.append(edge)
                    styles.append(style)
                    if grid.values is not None and not np.isnan(grid.values[r, c]):
                        values.append((x + grid.cell / 2, y + grid.cell / 2,
                                       _label(grid.values[r, c]), _VALUE, "center", "center"))
        self.cells.set_verts(polys)
        self.cells.set_facecolors(faces)
        self.cells.set_edgecolors(edges)
        self.cells.set_linestyles(styles)
        self.tap_cells.set_verts([_square(x, y, 1) for x, y, _ in frame.taps])
        self.weights.show((x + 0.93, y + 0.95, _label(w), _WEIGHT, "right", "bottom")
                          for x, y, w in frame.taps if not np.isnan(w))
        self.window.set_visible(frame.window is not None)
        if frame.window is not None:
            x, y, w, h = frame.window
            self.window.set_bounds(x, y, w, h)
        self.links.set_segments([((x0, y0), (x1, y1)) for x0, y0, x1, y1 in frame.links])
        self.labels.show((g.extent[0], g.extent[1] - 0.15, g.label, _LABEL, "left", "bottom")
                         for g in frame.grids)
        self._layout(frame, values)
        shown = [_VALUE] * bool(values) + [_LABEL] * any(g.label for g in frame.grids)
        shown += [_WEIGHT] * any(not np.isnan(w) for _, _, w in frame.taps)
        shown += [_TITLE] * bool(frame.title) + [_CAPTION] * bool(frame.caption)
        self.smallest_text = min(shown, default=0.0)

    def text_px(self, dpi: float) -> float:
        """Em size of the smallest text in the PNG at ``dpi``, in pixels (0: no text)."""
        x0, x1 = self.ax.get_xlim()
        width_px = self.figure.get_figwidth() * self.ax.get_position().width * dpi
        return self.smallest_text * width_px / (x1 - x0)

    def _layout(self, frame: Frame, values: list) -> None:
        # The figure grows with the content (cell units times cell_inches), so
        # a cell and its text look the same in every picture.
        x0, y0, x1, y1 = frame.extent
        right = max([x1, x0 + text_width(frame.title, _TITLE, "bold")]
                    + [g.extent[0] + text_width(g.label, _LABEL) for g in frame.grids])
        if frame.caption:  # a caption may widen a narrow picture, up to a readable measure
            right = max(right, min(x0 + 14, x0 + text_width(frame.caption, _CAPTION)))
        width = right - x0 + 2 * _MARGIN
        caption = wrap(frame.caption, right - x0, _CAPTION) if frame.caption else []
        top = y0 - (1.45 if frame.title else 0.75)
        bottom = y1 + 0.45 + _CAPTION * 1.45 * len(caption) + _MARGIN / 2
        self.title.show([(x0, top, frame.title, _TITLE, "left", "top")])
        self.text.show(values + [(x0, y1 + 0.45, "\n".join(caption), _CAPTION, "left", "top")])
        self.ax.set_xlim(x0 - _MARGIN, x0 - _MARGIN + width)
        self.ax.set_ylim(bottom, top - _MARGIN / 2)   # y grows downwards, like array rows
        if self.owns_figure:
            inches = min(self.cell_inches, self.max_inches / width)
            self.figure.set_size_inches(width * inches, (bottom - top + _MARGIN / 2) * inches)

    def png(self, dpi: float = 80, compress_level: int = 6) -> bytes:
        """The figure as PNG bytes (``compress_level=1`` trades size for speed)."""
        return figure_png(self.figure, dpi, compress_level)


# The smallest text a picture may show, in CSS px. Players show frames at their own size
# (convlab/player.py) and the book keeps a figure at least wide enough for this
# (bookbuild/sphinx_pages.py), so the dpi is raised for pictures whose text would be smaller.
MIN_TEXT_PX = 10.0


def figure_text_px(figure: Figure, dpi: float) -> float:
    """Em size in pixels of the smallest visible text of a matplotlib figure at ``dpi``
    (0: none). A frame's text is drawn as paths: :meth:`FrameArtist.text_px` sizes that."""
    sizes = [t.get_fontsize() for t in figure.findobj(Text) if t.get_visible() and t.get_text()]
    return min(sizes, default=0.0) * dpi / 72


def figure_png(figure: Figure, dpi: float = 80, compress_level: int = 6) -> bytes:
    """Any matplotlib figure as PNG bytes on a white background."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, facecolor="white",
                   pil_kwargs={"compress_level": compress_level})
    return buffer.getvalue()


def buffer_png(canvas, compress_level: int = 6) -> bytes:
    """PNG of what an Agg canvas holds now, without redrawing the figure (for blitting)."""
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(canvas.buffer_rgba())).convert("RGB").save(
        buffer, format="png", compress_level=compress_level)
    return buffer.getvalue()


def draw(frame: Frame, ax=None, cell_inches: float = 0.4) -> Figure:
    """Draw ``frame`` into ``ax`` (or a new Figure sized to fit) and return the figure."""
    artist = FrameArtist(ax, cell_inches=cell_inches)
    artist.update(frame)
    return artist.figure


def frame_png(frame: Frame, dpi: float = 80, cell_inches: float = 0.4) -> bytes:
    """``frame`` as PNG bytes, e.g. for an animation or an ``ipywidgets.Image``."""
    artist = FrameArtist(cell_inches=cell_inches)
    artist.update(frame)
    return artist.png(dpi)


def frame_display(frame: Frame, dpi: float = 80) -> tuple[bytes, dict]:
    """A frame as a notebook shows it: its PNG, and as the PNG's metadata its alt text and
    its smallest text in the PNG's pixels (IPython keeps both with the output; the book
    makes them the image's alt text and its narrowest width, bookbuild/sphinx_pages.py)."""
    artist = FrameArtist()
    artist.update(frame)
    dpi = max(dpi, dpi * MIN_TEXT_PX / (artist.text_px(dpi) or MIN_TEXT_PX))
    text = round(float(artist.text_px(dpi)), 2)
    return artist.png(dpi), {"alt": frame.describe(), "text_px": text}


def install() -> None:
    """Show every :class:`Frame` in the running IPython kernel as :func:`frame_display`.
    Registered here, not as a ``_repr_png_`` of Frame: frames are plain data that can be
    built without matplotlib, and drawing is this module's (the data never imports it)."""
    shell = _kernel.shell()
    if shell is not None:
        shell.display_formatter.formatters["image/png"].for_type(Frame, frame_display)
