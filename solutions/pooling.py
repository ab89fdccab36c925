"""Max and average pooling: a window slides as in a convolution, but is reduced, not weighted.

The windows are conv2d's (same stride, padding and dilation), read as the same
strided view; what differs is the reduction and torch's rules at the border:

- padding may be at most half the kernel (``p <= k // 2``), so that every window
  holds at least one real input value;
- ``ceil_mode`` rounds the output size up, keeping a last, partial window only if it
  starts inside the input or the left padding;
- max pooling pads with ``-inf`` (padding never wins); average pooling divides by
  the window's size clipped to the padded input (``count_include_pad=True``) or by
  the number of real input values in it (``False``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._args import AXES, Geometry, check_input, check_pair
from .columns import pad_input, windows


class PoolCall(NamedTuple):
    """A checked pooling call; ``geometry.pad_after`` covers ceil_mode's partial windows."""

    x: np.ndarray
    geometry: Geometry
    out_size: tuple[int, int]
    unbatched: bool


def pool_output_size(n: int, kernel: int, stride: int, padding: int, dilation: int,
                     ceil_mode: bool) -> int:
    """``floor`` (or ``ceil``) of ``(n + 2p - d(k-1) - 1) / s``, plus 1, along one axis.

    With ``ceil_mode`` the last window must start before ``n + p``, inside the input
    or its left padding; a window starting in the right padding is dropped.
    """
    span = n + 2 * padding - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= n + padding:
        out -= 1
    return out


def check_pool(input, kernel_size, stride, padding, dilation, ceil_mode) -> PoolCall:
    """Validate a pooling call the way torch does, naming the argument that breaks a rule."""
    x, unbatched = check_input(input)
    kernel = check_pair(kernel_size, "kernel_size", 1)
    # torch reads a missing stride (None, or an empty list) as "stride = kernel_size".
    stride = kernel if stride is None or (isinstance(stride, (tuple, list)) and not stride) \
        else check_pair(stride, "stride", 1)
    padding = check_pair(padding, "padding", 0)
    dilation = check_pair(dilation, "dilation", 1)
    if not isinstance(ceil_mode, (bool, np.bool_)):
        raise TypeError(f"ceil_mode must be True or False, got {ceil_mode!r}")
    out_size, pad_after = [], []
    for axis, n, k, s, p, d in zip(AXES[2], x.shape[2:], kernel, stride, padding, dilation):
        if p > k // 2:
            raise ValueError(f"padding must be at most half the kernel size (p <= k // 2), "
                             f"got padding {p} for a kernel {axis} of {k}")
        out = pool_output_size(n, k, s, p, d, bool(ceil_mode))
        if out < 1:
            raise ValueError(f"kernel larger than the padded input: the dilated kernel {axis} "
                             f"is {d * (k - 1) + 1} but the padded input {axis} is only "
                             f"{n + 2 * p} ({n} + padding {2 * p})")
        out_size.append(out)
        # Enough bottom/right padding for the last window (ceil_mode may need more than p).
        pad_after.append(max(0, (out - 1) * s + d * (k - 1) + 1 - n - p))
    geometry = Geometry(kernel, stride, dilation, padding, tuple(pad_after))
    return PoolCall(x, geometry, tuple(out_size), unbatched)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """``torch.nn.functional.max_pool2d``: the largest value of each (dilated) window.

    ``stride`` defaults to ``kernel_size``. NaN in a window makes its maximum NaN, as in torch.
    """
    call = check_pool(input, kernel_size, stride, padding, dilation, ceil_mode)
    padded = pad_input(call.x, call.geometry, -np.inf)
    out = windows(padded, call.geometry, call.out_size).max(axis=(2, 3))
    return out[0] if call.unbatched else out


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """``torch.nn.functional.avg_pool2d``: each window's sum over its divisor.

    The divisor counts the window's positions inside the padded input
    (``count_include_pad=True``) or only those inside the input itself.
    """
    if not isinstance(count_include_pad, (bool, np.bool_)):
        raise TypeError(f"count_include_pad must be True or False, got {count_include_pad!r}")
    call = check_pool(input, kernel_size, stride, padding, 1, ceil_mode)
    sums = windows(pad_input(call.x, call.geometry), call.geometry,
                   call.out_size).sum(axis=(2, 3))
    divisor = np.outer(*(_window_counts(n, k, s, p, o, bool(count_include_pad))
                         for n, k, s, p, o in zip(call.x.shape[2:], call.geometry.kernel,
                                                  call.geometry.stride, call.geometry.pad_before,
                                                  call.out_size)))
    out = sums / divisor.astype(sums.dtype)
    return out[0] if call.unbatched else out


def _window_counts(n: int, k: int, s: int, p: int, out: int, include_pad: bool) -> np.ndarray:
    """Per output position along one axis: how many of the window's taps the divisor counts.

    The window ``[r*s - p, r*s - p + k)`` is first clipped to the padded input
    ``[-p, n + p)`` (a ceil_mode window may reach past it), then, without padding, to ``[0, n)``.
    """
    start = np.arange(out) * s - p
    stop = np.minimum(start + k, n + p)
    if include_pad:
        return stop - start
    return np.minimum(stop, n) - np.maximum(start, 0)
