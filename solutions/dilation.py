"""Spreading an array out with zeros: how dilation and transposed strides are drawn.

A dilated kernel is the kernel with ``d - 1`` zeros between its taps; the
zero-insertion view of a strided transposed convolution puts ``s - 1`` zeros
between input pixels. Both are :func:`insert_zeros`.
"""

from __future__ import annotations

import numpy as np

from ._args import check_array, check_pair


def insert_zeros(a, gap) -> np.ndarray:
    """Put ``gap`` zeros between neighbouring entries along the last two axes.

    ``gap`` is an int or an (h, w) pair; an axis of length ``n`` becomes
    ``(n - 1)(gap + 1) + 1`` long. ``gap = 0`` returns a copy.
    """
    a = check_array(a, "a")
    if a.ndim < 2:
        raise ValueError(f"a must have at least 2 dimensions, got shape {a.shape}")
    gh, gw = check_pair(gap, "gap", 0)
    h, w = a.shape[-2:]
    out = np.zeros((*a.shape[:-2], (h - 1) * (gh + 1) + 1, (w - 1) * (gw + 1) + 1), a.dtype)
    out[..., ::gh + 1, ::gw + 1] = a
    return out


def dilate_kernel(weight, dilation) -> np.ndarray:
    """The dense kernel equal to ``weight`` used with ``dilation``: ``d - 1`` zeros between taps.

    ``conv2d(x, weight, dilation=d) == conv2d(x, dilate_kernel(weight, d))``: dilation
    spreads the kernel, never the input.
    """
    dh, dw = check_pair(dilation, "dilation", 1)
    return insert_zeros(weight, (dh - 1, dw - 1))
