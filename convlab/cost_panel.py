"""A slider panel comparing a standard k×k convolution with its depthwise-separable replacement.

    >>> SeparableCostPanel(in_channels=64, out_channels=128, kernel_size=3, size=56)

Bars show the weights and the multiply-accumulates (MACs) of both layers, the
separable ones split into their depthwise and pointwise parts; below them the
ratio ``1/C_out + 1/k²`` with the current numbers filled in. Biases are left
out, as in MobileNet's own count (its Section 3.1); with batch normalisation after
every convolution, as there, a bias would be redundant anyway.
The counts are computed and drawn in the browser (``js/panels.js``).
"""

from __future__ import annotations

from .widgets import _int, _Panel


class SeparableCostPanel(_Panel):
    """Sliders for C_in, C_out, k and the image size over bars of weights and MACs."""

    in_channels = _int(1)
    out_channels = _int(1)
    kernel_size = _int(1)
    size = _int(1)

    def __init__(self, in_channels: int = 64, out_channels: int = 128, kernel_size: int = 3,
                 size: int = 56):
        super().__init__(in_channels=in_channels, out_channels=out_channels,
                         kernel_size=kernel_size, size=size)
