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

    Uncropped output row ``Y = r*s + i*d`` of input row ``r`` and tap ``i`` lies in
    row phase ``Y mod s``, at phase row ``r + (i*d) // s``: within one phase, a tap
    shifts a whole input plane by a constant. With the input zero-padded to the phase
    width, that shift is one offset in the flattened plane, so each tap is a single
    long, contiguous addition; the phases interleave into the output. Only the phases
    that hold output rows and columns are built: with a stride larger than the output
    (a dilation of thousands read through as large a stride) that is a few of the
    ``s_h * s_w``, and the time grows with the output, not with the stride squared.
    """
    x, g = call.x, call.groups
    n, c_in, h, w = x.shape
    _, c_out_g, kh, kw = call.weight.shape
    (sh, sw), (dh, dw), (ph, pw) = call.stride, call.dilation, call.padding
    ho, wo = call.out_size
    c_out = g * c_out_g
    down, right = (kh - 1) * dh // sh, (kw - 1) * dw // sw  # largest shifts in phase units
    # Phase planes hold every shifted copy and every phase row/column the output needs.
    width = max(w + right, (wo - 1 + pw) // sw + 1)
    rows = max(h + down + (right > 0), (ho - 1 + ph) // sh + 1)
    # Each group's (C_in/g, C_out/g*kH*kW) weight, transposed: input pixels -> kernel copies.
    w_t = call.weight.reshape(g, c_in // g, c_out_g * kh * kw).transpose(0, 2, 1)
    # Output row y lies in phase (y + p) mod s: the phases with output, and each one's slot.
    row_phases = sorted({(y + ph) % sh for y in range(min(ho, sh))})
    col_phases = sorted({(y + pw) % sw for y in range(min(wo, sw))})
    row_slot = {a: i for i, a in enumerate(row_phases)}
    col_slot = {c: j for j, c in enumerate(col_phases)}
    out = np.empty((n, c_out, ho, wo), dtype=x.dtype)
    for chunk in batch_chunks(n, c_out * kh * kw * h * width * x.itemsize):
        b = x[chunk].shape[0]
        # The chunk's pixels side by side, (g, C_in/g, b*H*width): one large product per
        # group rather than one small product per sample (BLAS threads pay off on large ones).
        pixels = np.zeros((c_in, b, h, width), dtype=x.dtype)
        pixels[..., :w] = x[chunk].transpose(1, 0, 2, 3)
        copies = np.matmul(w_t, pixels.reshape(g, c_in // g, -1))
        copies = copies.reshape(c_out, kh, kw, b, h * width)
        planes = np.zeros((len(row_phases), len(col_phases), c_out, b, rows * width),
                          dtype=x.dtype)
        for i in range(kh):
            for j in range(kw):
                if i * dh % sh in row_slot and j * dw % sw in col_slot:  # else cropped away
                    shift = (i * dh // sh) * width + j * dw // sw
                    planes[row_slot[i * dh % sh], col_slot[j * dw % sw], :, :,
                           shift:shift + h * width] += copies[:, i, j]
        del pixels, copies  # free this chunk's buffers before the next chunk allocates
        # Output row y is uncropped row y + p: phase (y + p) mod s, phase row (y + p) // s.
        for a in row_phases:
            first_r = (a - ph) % sh
            for c in col_phases:
                first_q = (c - pw) % sw
                plane = planes[row_slot[a], col_slot[c]].reshape(c_out, b, rows, width)
                rr = (first_r + ph) // sh
                qq = (first_q + pw) // sw
                target = out[chunk, :, first_r::sh, first_q::sw]
                target[...] = plane[:, :, rr:rr + target.shape[2],
                                    qq:qq + target.shape[3]].transpose(1, 0, 2, 3)
        del planes
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
