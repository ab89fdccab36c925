"""A slider panel comparing a standard k×k convolution with its depthwise-separable replacement.

    >>> SeparableCostPanel(in_channels=64, out_channels=128, kernel_size=3, size=56)

Bars show the weights and the multiply-accumulates (MACs) of both layers, the
separable ones split into their depthwise and pointwise parts; below them the
ratio ``1/C_out + 1/k²`` with the current numbers filled in. Biases are left
out, as in MobileNet, where batch normalisation follows every convolution.
"""

from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .grid import buffer_png
from .widgets import _FAST_PNG, _Panel, _slider

_STANDARD, _DEPTHWISE, _POINTWISE = "#80b1d3", "#fdb462", "#b3de69"


def _separable_costs(in_channels: int, out_channels: int, kernel_size: int,
                    size: int) -> dict[str, tuple[int, int]]:
    """``(weights, MACs)`` of the standard, depthwise and pointwise layers (no bias, same size)."""
    k2, hw = kernel_size * kernel_size, size * size
    return {"standard": (k2 * in_channels * out_channels, k2 * in_channels * out_channels * hw),
            "depthwise": (k2 * in_channels, k2 * in_channels * hw),
            "pointwise": (in_channels * out_channels, in_channels * out_channels * hw)}


class SeparableCostPanel(_Panel):
    """Sliders for C_in, C_out, k and the image size over bars of weights and MACs."""

    def __init__(self, in_channels: int = 64, out_channels: int = 128, kernel_size: int = 3,
                 size: int = 56):
        self.figure = Figure(figsize=(7.6, 2.0), dpi=80, facecolor="white")
        FigureCanvasAgg(self.figure)
        self.axes = self.figure.subplots(1, 2)
        self.figure.subplots_adjust(left=0.11, right=0.98, bottom=0.06, top=0.84, wspace=0.3)
        # Bars are made once and resized on every change: clearing the axes would cost
        # a few hundred milliseconds a redraw.
        self.bars = []
        for ax in self.axes:
            standard = ax.barh([1], [1], color=_STANDARD)[0]
            dw = ax.barh([0], [1], color=_DEPTHWISE, label="depthwise k×k")[0]
            pw = ax.barh([0], [1], color=_POINTWISE, label="pointwise 1×1")[0]
            ax.set_yticks([0, 1], ["separable", "standard"])
            ax.tick_params(axis="y", length=0)
            ax.xaxis.set_visible(False)  # the lengths carry the ratio; numbers are in the title
            for side in ("top", "right", "bottom"):
                ax.spines[side].set_visible(False)
            labels = [ax.text(0, y, "", va="center", fontsize=9) for y in (1, 0)]
            self.bars.append((standard, dw, pw, labels))
        self.axes[0].set_title("weights", fontsize=10, loc="left")
        self.axes[1].set_title("multiply-accumulates per image", fontsize=10, loc="left")
        self.axes[0].legend(loc="lower right", fontsize=8, frameon=False)
        # Blitting: titles, legend and tick labels never change, so they are drawn once
        # into a saved background; a redraw paints only the bars and their numbers on it
        # (a full draw of all that text takes over 100 ms with matplotlib 3.11).
        self.moving = [artist for bars in self.bars for artist in (*bars[:3], *bars[3])]
        for artist in self.moving:
            artist.set_animated(True)
        self.figure.canvas.draw()
        self.background = self.figure.canvas.copy_from_bbox(self.figure.bbox)
        super().__init__({
            "in_channels": _slider("C_in", in_channels, 1, 512),
            "out_channels": _slider("C_out", out_channels, 1, 1024),
            "kernel_size": _slider("kernel_size k", kernel_size, 1, 9),
            "size": _slider("output size H = W", size, 1, 224),
        })

    def _render(self) -> tuple[bytes, str]:
        c_in, c_out, k, size = (self._value(n) for n in ("in_channels", "out_channels",
                                                         "kernel_size", "size"))
        costs = _separable_costs(c_in, c_out, k, size)
        for ax, bars, index in zip(self.axes, self.bars, (0, 1)):
            standard, dw, pw = (costs[key][index] for key in ("standard", "depthwise",
                                                              "pointwise"))
            bars[0].set_width(standard)
            bars[1].set_width(dw)
            bars[2].set_x(dw)
            bars[2].set_width(pw)
            top = max(standard, dw + pw)
            for label, value in zip(bars[3], (standard, dw + pw)):
                label.set_text(f" {value:,}")
                label.set_x(value)
            ax.set_xlim(0, 1.55 * top)  # room for the number after the longer bar
        exact = (costs["depthwise"][1] + costs["pointwise"][1]) / costs["standard"][1]
        formula = (f"MACs ratio = (k²C<sub>in</sub> + C<sub>in</sub>C<sub>out</sub>)HW / "
                   f"(k²C<sub>in</sub>C<sub>out</sub>HW) = 1/C<sub>out</sub> + 1/k² = "
                   f"1/{c_out} + 1/{k * k} = {exact:.4f}: {1 / exact:.1f}× fewer "
                   f"multiply-accumulates (and weights)")
        canvas = self.figure.canvas
        canvas.restore_region(self.background)
        for artist in self.moving:
            artist.axes.draw_artist(artist)
        return buffer_png(canvas, _FAST_PNG), formula
