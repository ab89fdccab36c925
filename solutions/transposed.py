"""Transposed convolution: the adjoint (matrix transpose) of conv2d, not its inverse.

Every input value scatters a copy of the kernel, scaled by itself, into the
output at ``stride`` steps; overlapping copies add up. ``padding`` then crops
the border of that full result and ``output_padding`` adds rows/columns at the
bottom/right, choosing among the input sizes a strided conv2d maps to one size.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._args import (
    check_bias,
    check_groups,
    check_input,
    check_int,
    check_pair,
    check_weight,
)
from .columns import batch_chunks
from .sizes import conv_transpose_output_size


class TransposeCall(NamedTuple):
    """A checked conv_transpose2d call; pairs are (height, width)."""

    x: np.ndarray
    weight: np.ndarray
    bias: np.ndarray | None
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    groups: int
    out_size: tuple[int, int]
    unbatched: bool


def check_conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups,
                           dilation) -> TransposeCall:
    """Validate every argument of :func:`conv_transpose2d` once, for both implementations."""
    x, unbatched = check_input(input)
    weight = check_weight(weight, x.dtype)
    c_in, c_out_per_group, kh, kw = weight.shape
    if c_in != x.shape[1]:
        raise ValueError(
            f"channel mismatch: input has {x.shape[1]} channels but weight.shape[0] is {c_in} "
            f"(weight layout for a transposed conv is (C_in, C_out/groups, kH, kW))")
    # Output channels depend on groups, so groups must be an int before it can be checked.
    groups = check_groups(groups, c_in, c_out_per_group * check_int(groups, "groups", 1))
    if isinstance(padding, str):
        raise ValueError(f"conv_transpose2d takes padding as an int or a pair, got {padding!r} "
                         f"('valid'/'same' exist only for conv2d)")
    stride = check_pair(stride, "stride", 1)
    padding = check_pair(padding, "padding", 0)
    output_padding = check_pair(output_padding, "output_padding", 0)
    dilation = check_pair(dilation, "dilation", 1)
    out_size = tuple(conv_transpose_output_size(*args) for args in zip(
        x.shape[2:], (kh, kw), stride, padding, output_padding, dilation))
    bias = check_bias(bias, c_out_per_group * groups, x.dtype)
    return TransposeCall(x, weight, bias, stride, padding, dilation, groups, out_size,
                         unbatched)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 2-D convolution with ``torch.nn.functional.conv_transpose2d`` semantics.

    ``input`` (N, C_in, H, W) or (C_in, H, W); ``weight`` (C_in, C_out/groups, kH, kW).
    Output size per axis: ``(n - 1)s - 2p + d(k - 1) + output_padding + 1``.
    """
    call = check_conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups,
                                  dilation)
    out = scatter_kernels(call)
    if call.bias is not None:
        out += call.bias[:, None, None]
    return out[0] if call.unbatched else out


def scatter_kernels(call: TransposeCall) -> np.ndarray:
    """The batched, cropped transposed convolution of a checked call, without bias.

    Shared with :func:`solutions.conv2d_grad_input`, which is this with the output
    size given instead of derived.
    """
    x, g = call.x, call.groups
    n, c_in, h, w = x.shape
    _, c_out_g, kh, kw = call.weight.shape
    (sh, sw), (dh, dw) = call.stride, call.dilation
    # Each group's (C_in/g, C_out/g*kH*kW) weight, transposed: input pixels -> kernel copies.
    w_t = call.weight.reshape(g, c_in // g, c_out_g * kh * kw).transpose(0, 2, 1)
    ho, wo = call.out_size
    out = np.zeros((n, g * c_out_g, ho, wo), dtype=x.dtype)
    for chunk in batch_chunks(n, c_out_g * g * kh * kw * h * w * x.itemsize):
        b = x[chunk].shape[0]
        copies = np.matmul(w_t, x[chunk].reshape(b, g, c_in // g, h * w))
        copies = copies.reshape(b, g * c_out_g, kh, kw, h, w)
        # col2im: tap (i, j) of input pixel (r, q) lands at (r*s + i*d - p, q*s + j*d - p),
        # written straight into the cropped output (no uncropped buffer, no copy).
        for i in range(kh):
            src_r, dst_r = _tap_span(h, ho, i * dh - call.padding[0], sh)
            for j in range(kw):
                src_q, dst_q = _tap_span(w, wo, j * dw - call.padding[1], sw)
                out[chunk, :, dst_r, dst_q] += copies[:, :, i, j, src_r, src_q]
    return out


def conv_transpose2d_naive(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                           groups=1, dilation=1):
    """The definition of :func:`conv_transpose2d`: scatter ``x[n, c, r, q] * weight[c]``.

    The copy for input pixel ``(r, q)`` starts at ``(r*s_h, q*s_w)`` of the uncropped
    output, its taps ``d`` apart, and lands in the output channels of ``c``'s group.
    """
    call = check_conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups,
                                  dilation)
    x = call.x
    _, c_out_g, kh, kw = call.weight.shape
    c_in_g = x.shape[1] // call.groups
    (sh, sw), (dh, dw) = call.stride, call.dilation
    full = _full_buffer(x, call)
    for b in range(x.shape[0]):
        for c in range(x.shape[1]):
            first = (c // c_in_g) * c_out_g
            for r in range(x.shape[2]):
                for q in range(x.shape[3]):
                    full[b, first:first + c_out_g,
                         r * sh:r * sh + dh * (kh - 1) + 1:dh,
                         q * sw:q * sw + dw * (kw - 1) + 1:dw] += x[b, c, r, q] * call.weight[c]
    return _crop(full, call)


def _tap_span(n_in: int, n_out: int, offset: int, stride: int) -> tuple[slice, slice]:
    """Input positions ``r`` whose target ``r*stride + offset`` lies in ``[0, n_out)``."""
    first = max(0, -(offset // stride))  # smallest r with r*stride + offset >= 0
    last = min(n_in - 1, (n_out - 1 - offset) // stride)
    if last < first:
        return slice(0, 0), slice(0, 0)
    start = first * stride + offset
    return slice(first, last + 1), slice(start, start + (last - first) * stride + 1, stride)


def _full_buffer(x: np.ndarray, call: TransposeCall) -> np.ndarray:
    """Zeros holding the uncropped output plus any output_padding rows/columns past it."""
    ph, pw = call.padding
    ho, wo = call.out_size
    # The uncropped output spans [0, full); the kept part is [p, p + out), which may reach
    # past `full` when output_padding > padding: size the buffer for whichever is larger.
    height = max((x.shape[2] - 1) * call.stride[0]
                 + call.dilation[0] * (call.weight.shape[2] - 1) + 1, ph + ho)
    width = max((x.shape[3] - 1) * call.stride[1]
                + call.dilation[1] * (call.weight.shape[3] - 1) + 1, pw + wo)
    c_out = call.weight.shape[1] * call.groups
    return np.zeros((x.shape[0], c_out, height, width), dtype=x.dtype)


def _crop(full: np.ndarray, call: TransposeCall) -> np.ndarray:
    """Cut ``padding`` off the top/left, keep ``out_size``, add bias, undo batching."""
    (ph, pw), (ho, wo) = call.padding, call.out_size
    out = np.ascontiguousarray(full[:, :, ph:ph + ho, pw:pw + wo])
    if call.bias is not None:
        out += call.bias[:, None, None]
    return out[0] if call.unbatched else out
