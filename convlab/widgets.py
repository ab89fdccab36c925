"""Slider panels (ipywidgets 8) that redraw a diagram or filter an image on every change.

    >>> ConvPanel()                          # kernel_size, stride, padding, dilation, input size
    >>> ConvPanel(kernel_size=2, values=True)  # numbers in the cells, the sum spelled out
    >>> TransposedPanel()                    # zero insertion, output_padding
    >>> GroupsPanel(in_channels=8, groups=4) # channel groups, block-diagonal weight
    >>> FilterPanel(image="photo", kernel="sobel x")  # a real image, input and output

Each panel shows the size formula with the current numbers filled in. A
redraw updates the artists of one reused figure and sends a PNG to an
``ipywidgets.Image``, which keeps it to a few tens of milliseconds.

Without a kernel (the static book) nothing can redraw. A panel executed at
build time still shows its last picture through the saved widget state, and
its display bundle also carries that picture as ``text/html``, which any
renderer without a widget manager shows instead of an empty box.
"""

from __future__ import annotations

import base64
import contextlib
import html

import ipywidgets as widgets
import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from . import _geometry
from ._pathtext import PathText
from .filters import KERNEL_NAMES, _filter_image, named_kernel
from .frames import Frame, Grid, conv_frame, groups_frame, transposed_frame
from .grid import FrameArtist, figure_png
from .images import SAMPLE_IMAGES, sample_image

_FAST_PNG = 1  # zlib level: a redraw must stay interactive; size hardly matters in a kernel


def _slider(description: str, value: int, low: int, high: int) -> widgets.IntSlider:
    return widgets.IntSlider(value=value, min=low, max=max(high, value), description=description,
                             continuous_update=True, style={"description_width": "initial"},
                             layout=widgets.Layout(width="240px"))


class _Panel(widgets.VBox):
    """Controls on top, a PNG picture and an HTML formula below; any change redraws."""

    def __init__(self, controls: dict[str, widgets.Widget], extra: tuple = ()):
        self.controls = controls
        # flex-start: a stretched <img> would be upscaled to the cell width and blur
        self.image = widgets.Image(format="png", layout=widgets.Layout(
            align_self="flex-start", max_width="100%"))
        self.formula = widgets.HTML()
        self._busy = False
        grid = widgets.GridBox(list(controls.values()) + list(extra), layout=widgets.Layout(
            grid_template_columns="repeat(3, max-content)", grid_gap="2px 12px"))
        super().__init__([grid, self.image, self.formula])
        for control in controls.values():
            control.observe(self._changed, names="value")
        self.redraw()

    @contextlib.contextmanager
    def _quiet(self):
        # Adjusting one control from another (a slider's max, a dropdown's
        # options) must not trigger a second redraw in the middle of the first.
        busy, self._busy = self._busy, True
        try:
            yield
        finally:
            self._busy = busy

    def _changed(self, change) -> None:
        if not self._busy:
            self.redraw()

    def _value(self, name: str):
        return self.controls[name].value

    def redraw(self) -> None:
        """Render the picture and the formula for the current control values."""
        with self._quiet():
            png, formula = self._render()
        self.image.value = png
        self.formula.value = f'<div style="font-size:14px;padding:2px 0">{formula}</div>'

    def _render(self) -> tuple[bytes, str]:
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs)
        encoded = base64.b64encode(self.image.value).decode("ascii")
        data["text/html"] = (f'<div class="convlab-static"><img src="data:image/png;base64,'
                             f'{encoded}" alt="{html.escape(type(self).__name__)}" '
                             f'style="max-width:100%">{self.formula.value}<div style="color:#666;'
                             f'font-size:12px">Static snapshot: run the notebook to move the '
                             f'sliders.</div></div>')
        return data


def _error_frame(message: str, shape: tuple[int, int], pad: int) -> Frame:
    """The input alone, with the reason there is no output as the caption."""
    kinds = np.pad(np.full(shape, "input", dtype=object), pad, constant_values="padding")
    return Frame((Grid(0, 0, kinds, label="input"),), title="",
                 caption=f"No output: {message}.")


class _WindowPanel(_Panel):
    """A panel whose picture is a sliding-window Frame with a chosen output position."""

    def __init__(self, controls: dict[str, widgets.Widget], values: bool):
        self.artist = FrameArtist()
        controls["position"] = _slider("output cell", 0, 0, 0)
        controls["values"] = widgets.Checkbox(value=values, description="numbers",
                                              indent=False)
        self.play = widgets.Play(interval=700, min=0, max=0, description="play")
        widgets.jslink((self.play, "value"), (controls["position"], "value"))
        super().__init__(controls, extra=(self.play,))

    def _render(self) -> tuple[bytes, str]:
        position = self.controls["position"]
        try:
            frame, count, formula = self._frame(position.value)
        except ValueError as error:
            frame = _error_frame(str(error), *self._input_shape())
            count, formula = 1, self._formula()
        position.max = self.play.max = count - 1   # also clamps the current value
        self.artist.update(frame)
        return self.artist.png(80, compress_level=_FAST_PNG), formula


class ConvPanel(_WindowPanel):
    """Sliders for input size, kernel_size, stride, padding, dilation over a live grid diagram."""

    def __init__(self, input_size: int = 5, kernel_size: int = 3, stride: int = 1,
                 padding: int = 0, dilation: int = 1, values: bool = False):
        super().__init__({"input_size": _slider("input size", input_size, 1, 9),
                          "kernel_size": _slider("kernel_size", kernel_size, 1, 5),
                          "stride": _slider("stride", stride, 1, 3),
                          "padding": _slider("padding", padding, 0, 3),
                          "dilation": _slider("dilation", dilation, 1, 3)}, values)

    def _args(self):
        return tuple(self._value(n) for n in ("input_size", "kernel_size", "stride", "padding",
                                             "dilation"))

    def _input_shape(self):
        return (self._value("input_size"),) * 2, self._value("padding")

    def _formula(self) -> str:
        return _geometry.size_formula(*self._args())

    def _frame(self, position: int):
        n, k, s, p, d = self._args()
        out = _geometry.window_count(n, k, s, p, p, d)
        frame = conv_frame(n, k, s, p, d, min(position, out * out - 1), self._value("values"))
        return frame, out * out, self._formula()


class TransposedPanel(_WindowPanel):
    """Sliders for a transposed convolution, drawn as zero insertion plus a stride-1 convolution."""

    def __init__(self, input_size: int = 2, kernel_size: int = 3, stride: int = 2,
                 padding: int = 0, output_padding: int = 0, dilation: int = 1,
                 values: bool = False):
        super().__init__({"input_size": _slider("input size", input_size, 1, 5),
                          "kernel_size": _slider("kernel_size", kernel_size, 1, 4),
                          "stride": _slider("stride", stride, 1, 3),
                          "padding": _slider("padding", padding, 0, 3),
                          "output_padding": _slider("output_padding", output_padding, 0, 2),
                          "dilation": _slider("dilation", dilation, 1, 2)}, values)

    def _args(self):
        return tuple(self._value(n) for n in ("input_size", "kernel_size", "stride", "padding",
                                             "output_padding", "dilation"))

    def _input_shape(self):
        return (self._value("input_size"),) * 2, 0

    def _formula(self) -> str:
        return _geometry.transposed_size_formula(*self._args())

    def _frame(self, position: int):
        count = _geometry.transposed_size(*self._args()) ** 2
        frame = transposed_frame(*self._args(), position=min(position, max(count - 1, 0)),
                                 values=self._value("values"))
        return frame, count, self._formula()


def _divisors(a: int, b: int) -> list[int]:
    return [g for g in range(1, min(a, b) + 1) if a % g == 0 and b % g == 0]


class GroupsPanel(_Panel):
    """Sliders for channels and a groups menu over the channel-group picture."""

    def __init__(self, in_channels: int = 4, out_channels: int = 4, groups: int = 2):
        self.artist = FrameArtist()
        options = _divisors(in_channels, out_channels)
        if groups not in options:
            raise ValueError(f"groups={groups} must divide in_channels={in_channels} and "
                             f"out_channels={out_channels}")
        super().__init__({
            "in_channels": _slider("in_channels", in_channels, 1, 12),
            "out_channels": _slider("out_channels", out_channels, 1, 12),
            "groups": widgets.Dropdown(options=options, value=groups, description="groups",
                                       layout=widgets.Layout(width="160px")),
            "highlight": widgets.Dropdown(options=[("all", None)], value=None,
                                          description="show group",
                                          layout=widgets.Layout(width="200px")),
        })

    def _render(self) -> tuple[bytes, str]:
        c_in, c_out = self._value("in_channels"), self._value("out_channels")
        groups, highlight = self.controls["groups"], self.controls["highlight"]
        options = _divisors(c_in, c_out)
        if list(groups.options) != options:
            keep = groups.value if groups.value in options else max(
                g for g in options if g <= groups.value)
            groups.options, groups.value = options, keep
        g = groups.value
        choices = [("all", None)] + [(str(i), i) for i in range(g)]
        if list(highlight.options) != choices:
            keep = highlight.value if highlight.value is None or highlight.value < g else None
            highlight.options, highlight.value = choices, keep
        self.artist.update(groups_frame(c_in, c_out, g, highlight.value))
        formula = (f"weight shape (C_out, C_in/g, k, k) = ({c_out}, {c_in}/{g}, k, k) = "
                   f"({c_out}, {c_in // g}, k, k): 1/{g} of the weights and multiply-adds "
                   f"of a dense layer")
        return self.artist.png(80, compress_level=_FAST_PNG), formula


class FilterPanel(_Panel):
    """A named kernel applied live to a sample image: padded input, kernel, output side by side."""

    _DPI, _INCHES = 80, (7.6, 3.25)
    # (left, top, side) of the input, kernel and output pictures, in inches from the top left.
    _BOXES = ((0.1, 0.35, 2.8), (3.2, 1.1, 1.2), (4.7, 0.35, 2.8))

    def __init__(self, image: str = "test card", kernel: str = "box blur", kernel_size: int = 3,
                 stride: int = 1, padding: int = 0, dilation: int = 1, size: int = 128):
        self.size = size
        self.images = {name: sample_image(name, size) for name in SAMPLE_IMAGES}
        width, height = self._INCHES
        self.figure = Figure(figsize=self._INCHES, dpi=self._DPI, facecolor="white")
        FigureCanvasAgg(self.figure)
        # Pictures are scaled by numpy and pasted pixel for pixel (figimage): matplotlib's
        # own image resampling would take half of the redraw budget. The axes on top
        # only frame them and carry the padding outline and the kernel's numbers.
        self.pictures, self.axes = [], []
        for x, y, side in self._BOXES:
            self.pictures.append(self.figure.figimage(
                np.zeros((1, 1, 4), np.uint8), x * self._DPI, (height - y - side) * self._DPI,
                origin="upper", zorder=-1))
            ax = self.figure.add_axes((x / width, 1 - (y + side) / height, side / width,
                                       side / height), facecolor="none")
            ax.set_xticks([])
            ax.set_yticks([])
            self.axes.append(ax)
        self.border = self.axes[0].add_patch(Rectangle((0, 0), 1, 1, fill=False, linewidth=1.2,
                                                       edgecolor="#ff8c00", linestyle="--"))
        self.weights = PathText(self.axes[1], "#111111", zorder=5)
        # One overlay in inches, y down, holds every title as paths: Text is slow to draw.
        overlay = self.figure.add_axes((0, 0, 1, 1))
        overlay.set_axis_off()
        overlay.set_xlim(0, width)
        overlay.set_ylim(height, 0)
        self.titles = PathText(overlay, "#222222")
        super().__init__({
            "image": widgets.Dropdown(options=list(SAMPLE_IMAGES), value=image,
                                      description="image", layout=widgets.Layout(width="200px")),
            "kernel": widgets.Dropdown(options=list(KERNEL_NAMES), value=kernel,
                                       description="kernel",
                                       layout=widgets.Layout(width="240px")),
            "kernel_size": _slider("kernel_size", kernel_size, 1, 7),
            "stride": _slider("stride", stride, 1, 4),
            "padding": _slider("padding", padding, 0, 8),
            "dilation": _slider("dilation", dilation, 1, 4),
        })

    def _render(self) -> tuple[bytes, str]:
        k, s, p, d = (self._value(n) for n in ("kernel_size", "stride", "padding", "dilation"))
        image = self.images[self._value("image")]
        formula = _geometry.size_formula(self.size, k, s, p, d)
        try:
            kernel = named_kernel(self._value("kernel"), k)
            output = _filter_image(image, kernel, s, p, d)
        except ValueError as error:
            kernel, output = np.zeros((k, k)), np.zeros((1, 1))
            formula += f"<br>{html.escape(str(error))}"
        self.output = output  # the filtered image on show, for checks next to the panel
        self._show(0, np.pad(image, p), "gray", (0, 1))
        self.border.set_bounds(p - 0.5, p - 0.5, self.size, self.size)
        # Wide colour limits keep the kernel's cells pale enough to read numbers on.
        limit = 2 * float(np.abs(kernel).max()) or 1.0
        self._show(1, kernel, "RdBu_r", (-limit, limit))
        self.weights.show([(c, r, f"{kernel[r, c]:.2g}", 0.3, "center", "center")
                           for r in range(k) for c in range(k)] if k <= 3 else [])
        # A kernel that sums to 0 (edges) gives signed output: grey is 0, not black.
        signed = abs(kernel.sum()) < 1e-9
        reach = float(np.abs(output).max()) or 1.0
        self._show(2, output, "gray", (-reach, reach) if signed else (0, 1))
        names = (f"input {self.size}×{self.size}, padding {p}", f"kernel {k}×{k}",
                 f"output {output.shape[0]}×{output.shape[1]}")
        self.titles.show((x + side / 2, y - 0.08, name, 0.15, "center", "bottom")
                         for (x, y, side), name in zip(self._BOXES, names))
        return figure_png(self.figure, self._DPI, _FAST_PNG), formula

    def _show(self, index: int, array: np.ndarray, cmap: str,
              limits: tuple[float, float]) -> None:
        """Colour ``array`` and scale it (nearest neighbour) to fill picture ``index``."""
        low, high = limits
        colours = colormaps[cmap](np.clip((array - low) / (high - low), 0, 1), bytes=True)
        side = round(self._BOXES[index][2] * self._DPI)
        rows = np.arange(side) * array.shape[0] // side
        cols = np.arange(side) * array.shape[1] // side
        self.pictures[index].set_data(colours[rows[:, None], cols[None, :]])
        ax = self.axes[index]
        ax.set_xlim(-0.5, array.shape[1] - 0.5)
        ax.set_ylim(array.shape[0] - 0.5, -0.5)
