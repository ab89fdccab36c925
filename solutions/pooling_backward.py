"""The gradient of max pooling: each window's upstream gradient goes to the input that won.

Max pooling copies one input per window, so its gradient routes ``grad_output[n, c, r, q]``
to that input and gives every other one 0; an input that wins several overlapping windows
collects the sum. Ties go to the first maximum in the window's row-major order, as in
torch's CPU kernel (a later tap must be strictly larger to win).
"""

from __future__ import annotations

import numpy as np

from ._args import check_input
from .columns import pad_input, windows
from .pooling import check_pool


def max_pool2d_backward(grad_output, input, kernel_size, stride=None, padding=0, dilation=1,
                        ceil_mode=False):
    """dL/dx of ``max_pool2d(input, ...)`` given ``grad_output`` = dL/dy; dtype of grad_output."""
    call = check_pool(input, kernel_size, stride, padding, dilation, ceil_mode)
    if not np.issubdtype(call.x.dtype, np.floating):
        raise TypeError(f"input must have a floating dtype for a gradient, got {call.x.dtype}")
    grad, _ = check_input(grad_output, "grad_output")
    expected = (*call.x.shape[:2], *call.out_size)
    if grad.shape != expected:
        shown = expected[1:] if call.unbatched else expected
        raise ValueError(f"grad_output must have max_pool2d's output shape {shown}, "
                         f"got {grad_output.shape}")
    geometry = call.geometry
    view = windows(pad_input(call.x, geometry, -np.inf), geometry, call.out_size)
    best = view[:, :, 0, 0].copy()
    winner = np.zeros(best.shape, dtype=np.intp)
    kh, kw = geometry.kernel
    for tap in range(1, kh * kw):
        candidate = view[:, :, tap // kw, tap % kw]
        better = candidate > best
        best[better], winner[better] = candidate[better], tap
    (sh, sw), (dh, dw), (oh, ow) = geometry.stride, geometry.dilation, call.out_size
    padded = np.zeros(pad_input(call.x, geometry).shape, dtype=grad.dtype)
    for tap in range(kh * kw):
        i, j = divmod(tap, kw)
        # the input cells tap (i, j) reads, one per output position: a strided slice
        padded[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh,
               j * dw:j * dw + sw * (ow - 1) + 1:sw] += np.where(winner == tap, grad, 0)
    (top, left), (h, w) = geometry.pad_before, call.x.shape[2:]
    out = padded[:, :, top:top + h, left:left + w]
    return out[0] if call.unbatched else out
