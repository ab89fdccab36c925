"""2-D convolution (cross-correlation, as in every deep-learning library).

``conv2d_naive`` is the definition, written as loops you can check by hand;
``conv2d`` computes the same numbers with im2col and one matrix product per
batch chunk. The tests hold the two equal, and both to ``torch``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._args import Geometry, check_bias, check_groups, check_input, check_weight, conv_geometry
from .columns import batch_chunks, channel_columns, columns, pad_input

# Depthwise columns are built for blocks of channels of about this many bytes (cache-sized).
DEPTHWISE_BLOCK_BYTES = 2**21


class ConvCall(NamedTuple):
    """A checked conv2d call: batched input, weight and bias in the input's dtype."""

    x: np.ndarray
    weight: np.ndarray
    bias: np.ndarray | None
    geometry: Geometry
    groups: int
    out_size: tuple[int, int]
    unbatched: bool


def check_conv2d(input, weight, bias, stride, padding, dilation, groups) -> ConvCall:
    """Validate every argument of :func:`conv2d` once, for both implementations."""
    x, unbatched = check_input(input)
    weight = check_weight(weight, x.dtype)
    c_out, c_in_per_group, kh, kw = weight.shape
    groups = check_groups(groups, x.shape[1], c_out)
    if c_in_per_group * groups != x.shape[1]:
        raise ValueError(
            f"channel mismatch: input has {x.shape[1]} channels but weight expects "
            f"{c_in_per_group} per group x groups={groups} = {c_in_per_group * groups} "
            f"(weight layout is (C_out, C_in/groups, kH, kW))")
    bias = check_bias(bias, c_out, x.dtype)
    geometry = conv_geometry((kh, kw), stride, padding, dilation)
    return ConvCall(x, weight, bias, geometry, groups, geometry.output_size(x.shape[2:]),
                    unbatched)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation with ``torch.nn.functional.conv2d`` semantics.

    ``input`` (N, C_in, H, W) or (C_in, H, W); ``weight`` (C_out, C_in/groups, kH, kW);
    ``bias`` (C_out,) or None. ``stride``, ``padding``, ``dilation``: int or (h, w) pair;
    ``padding`` also ``'valid'`` or ``'same'``. Returns an array of the input's dtype.
    """
    call = check_conv2d(input, weight, bias, stride, padding, dilation, groups)
    return _finish(correlate(call), call)


def correlate(call: ConvCall) -> np.ndarray:
    """The batched convolution of a checked call, without bias (shared with conv1d/conv3d)."""
    x, g = call.x, call.groups
    n, c_in = x.shape[:2]
    c_out, _, kh, kw = call.weight.shape
    ho, wo = call.out_size
    if c_in == g:
        return _depthwise(call)
    out = np.empty((n, c_out, ho, wo), dtype=x.dtype)
    # Group j's filters multiply only group j's rows of the columns: a stacked matmul.
    w_groups = call.weight.reshape(g, c_out // g, -1)
    for chunk in batch_chunks(n, c_in * kh * kw * ho * wo * x.itemsize):
        cols = columns(x[chunk], call.geometry, call.out_size)
        b = cols.shape[0]
        np.matmul(w_groups, cols.reshape(b, g, -1, ho * wo),
                  out=out[chunk].reshape(b, g, c_out // g, ho * wo))
    return out


def conv2d_naive(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """The definition of :func:`conv2d`, one output value at a time.

    ``out[n, o, r, q] = bias[o] + sum_{c, i, j} x_pad[n, c_o + c, r*s_h + i*d_h, q*s_w + j*d_w]
    * weight[o, c, i, j]``, where ``c_o`` is the first input channel of ``o``'s group.
    """
    call = check_conv2d(input, weight, bias, stride, padding, dilation, groups)
    xp = pad_input(call.x, call.geometry)
    (sh, sw), (dh, dw) = call.geometry.stride, call.geometry.dilation
    c_out, c_per_group, kh, kw = call.weight.shape
    out_per_group = c_out // call.groups
    n = xp.shape[0]
    out = np.zeros((n, c_out, *call.out_size), dtype=xp.dtype)
    for b in range(n):
        for o in range(c_out):
            first = (o // out_per_group) * c_per_group
            for r in range(call.out_size[0]):
                for q in range(call.out_size[1]):
                    window = xp[b, first:first + c_per_group,
                                r * sh:r * sh + dh * (kh - 1) + 1:dh,
                                q * sw:q * sw + dw * (kw - 1) + 1:dw]
                    out[b, o, r, q] = np.sum(window * call.weight[o])
    return _finish(out, call)


def _depthwise(call: ConvCall) -> np.ndarray:
    """One input channel per group: per channel, a (m x k*k) @ (k*k x N*H_out*W_out) product.

    Grouping the columns by channel rather than by sample gives each small product
    the whole batch as its long dimension; blocks of channels keep the columns
    in cache. Output channel ``c*m + j`` is filter ``j`` of input channel ``c``.
    """
    xp = pad_input(call.x, call.geometry)
    n, c = xp.shape[:2]
    c_out, _, kh, kw = call.weight.shape
    m = c_out // c
    ho, wo = call.out_size
    out = np.empty((n, c_out, ho, wo), dtype=xp.dtype)
    taps = call.weight.reshape(c, m, kh * kw)
    step = max(1, DEPTHWISE_BLOCK_BYTES // (kh * kw * n * ho * wo * xp.itemsize))
    for start in range(0, c, step):
        stop = min(start + step, c)
        cols = channel_columns(xp[:, start:stop], call.geometry, call.out_size)
        products = np.matmul(taps[start:stop], cols)
        out[:, start * m:stop * m] = products.reshape(-1, n, ho, wo).transpose(1, 0, 2, 3)
    return out


def _finish(out: np.ndarray, call: ConvCall) -> np.ndarray:
    """Add the bias and drop the batch axis again for an unbatched input."""
    if call.bias is not None:
        out += call.bias[:, None, None]
    return out[0] if call.unbatched else out
