"""The backward pass of conv2d: gradients with respect to its input and its weight.

With ``y = conv2d(x, w)`` and an upstream gradient ``g = dL/dy``, every output value
``y[n, o, r, q]`` came from one window of the padded input times ``w[o]``, so

- ``dL/dx``: each ``g[n, o, r, q]`` sends ``g * w[o]`` back onto its window (the
  transposed convolution of ``g``), and padding is cropped off again;
- ``dL/dw[o]``: the sum over every window of ``g[n, o, r, q]`` times that window
  (a correlation of the input with ``g``).

``conv2d_backward_naive`` states both as loops; ``conv2d_grad_input`` and
``conv2d_grad_weight`` compute them like ``torch.nn.grad.conv2d_input`` / ``conv2d_weight``.
A strided convolution maps several input sizes to one output size, so the input's
size is an argument rather than derived from ``grad_output``.
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from ._args import (
    Geometry,
    check_array,
    check_groups,
    check_input,
    check_int,
    check_weight,
    conv_geometry,
)
from .columns import batch_chunks, channel_columns, pad_input
from .transposed import TransposeCall, scatter_kernels


class BackwardCall(NamedTuple):
    """A checked backward call: shapes of the forward pass and the batched upstream gradient."""

    input_shape: tuple[int, int, int, int]
    weight_shape: tuple[int, int, int, int]
    grad: np.ndarray
    geometry: Geometry
    groups: int
    unbatched: bool


def check_size(value, name: str, lengths: tuple[int, ...]) -> tuple[int, ...]:
    """A shape given as a tuple or list of ints (``torch.Size`` is a tuple)."""
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"{name} must be a tuple of ints, got {type(value).__name__}")
    if len(value) not in lengths:
        rule = " or ".join(str(n) for n in lengths)
        raise ValueError(f"{name} must have {rule} entries, got {tuple(value)!r}")
    if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value):
        raise TypeError(f"{name} must hold ints, got {tuple(value)!r}")
    return tuple(int(v) for v in value)


def check_backward(input_shape, weight_shape, grad_output, stride, padding, dilation, groups,
                   unbatched, dtype) -> BackwardCall:
    """Check that ``grad_output`` is the gradient of ``conv2d`` on these shapes."""
    grad, grad_unbatched = check_input(grad_output, "grad_output")
    if grad_unbatched != unbatched:
        raise ValueError(f"grad_output has shape {grad_output.shape} but the input is "
                         f"{'unbatched' if unbatched else 'batched'} {input_shape}: "
                         f"both need a batch axis or neither")
    n, c_in, h, w = input_shape
    c_out, c_in_g = weight_shape[:2]
    if min(input_shape[1:]) < 1 or n < 0:
        raise ValueError(f"input size must be positive (the batch may be 0), got {input_shape}")
    if min(weight_shape) < 1:
        raise ValueError(f"weight size must be positive, got {weight_shape}")
    groups = check_groups(groups, c_in, c_out)
    if c_in_g * groups != c_in:
        raise ValueError(
            f"channel mismatch: input has {c_in} channels but weight expects {c_in_g} per "
            f"group x groups={groups} = {c_in_g * groups} "
            f"(weight layout is (C_out, C_in/groups, kH, kW))")
    if isinstance(padding, str):
        raise ValueError(f"padding must be an int or a pair of ints for a gradient "
                         f"(as in torch.nn.grad), got {padding!r}")
    geometry = conv_geometry(weight_shape[2:], stride, padding, dilation)
    expected = (n, c_out, *geometry.output_size((h, w)))
    if grad.shape != expected:
        raise ValueError(f"grad_output must have the shape of conv2d's output, {expected} "
                         f"for input {input_shape} and weight {weight_shape}, "
                         f"got {grad.shape}")
    return BackwardCall(tuple(input_shape), tuple(weight_shape), grad.astype(dtype, copy=False),
                        geometry, groups, unbatched)


def conv2d_grad_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1,
                      groups=1):
    """``dL/dx`` of ``conv2d`` as ``torch.nn.grad.conv2d_input``; dtype of ``grad_output``.

    ``input_size`` is ``(N, C_in, H, W)`` (or ``(C_in, H, W)`` with an unbatched
    ``grad_output``); it settles the rows and columns a stride skipped, which get 0.
    """
    size = check_size(input_size, "input_size", (3, 4))
    unbatched = len(size) == 3
    grad, _ = check_input(grad_output, "grad_output")
    weight = check_weight(weight, grad.dtype)
    call = check_backward((1, *size) if unbatched else size, weight.shape, grad_output,
                          stride, padding, dilation, groups, unbatched, grad.dtype)
    g = call.geometry
    # The transposed convolution of g, cropped by the padding, with the size given.
    out = scatter_kernels(TransposeCall(call.grad, weight, None, g.stride, g.pad_before,
                                        g.dilation, call.groups, call.input_shape[2:],
                                        unbatched))
    return out[0] if unbatched else out


def conv2d_grad_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1,
                       groups=1):
    """``dL/dw`` of ``conv2d`` as ``torch.nn.grad.conv2d_weight``; dtype of ``input``.

    ``weight_size`` is ``(C_out, C_in/groups, kH, kW)``. Input rows and columns that
    no window reaches (a stride that does not divide evenly) contribute nothing.
    """
    x, unbatched = check_input(input)
    size = check_size(weight_size, "weight_size", (4,))
    call = check_backward(x.shape, size, grad_output, stride, padding, dilation, groups,
                          unbatched, x.dtype)
    c_out, c_in_g, kh, kw = size
    g = call.groups
    n, c_in = x.shape[:2]
    ho, wo = call.grad.shape[2:]
    grad_weight = np.zeros((g, c_out // g, c_in_g * kh * kw), dtype=x.dtype)
    for chunk in batch_chunks(n, c_in * kh * kw * ho * wo * x.itemsize):
        # Group j: (C_out/g, b*L) gradient times the transposed (C_in/g*kH*kW, b*L) columns.
        cols = channel_columns(pad_input(x[chunk], call.geometry), call.geometry, (ho, wo))
        cols = cols.reshape(g, c_in_g * kh * kw, -1)
        grad = call.grad[chunk].transpose(1, 0, 2, 3).reshape(g, c_out // g, -1)
        grad_weight += np.matmul(grad, cols.transpose(0, 2, 1))
    return grad_weight.reshape(size)


def conv2d_backward_naive(input, weight, grad_output, stride=1, padding=0, dilation=1,
                          groups=1):
    """The definition of both gradients, one output value at a time: ``(dL/dx, dL/dw)``.

    For each ``g = grad_output[n, o, r, q]`` and its window ``W`` of the padded input
    (channels of ``o``'s group): ``dx_pad[W] += g * weight[o]`` and ``dw[o] += g * x_pad[W]``.
    """
    x, unbatched = check_input(input)
    weight = check_weight(weight, x.dtype)
    call = check_backward(x.shape, weight.shape, check_array(grad_output, "grad_output"),
                          stride, padding, dilation, check_int(groups, "groups", 1), unbatched,
                          x.dtype)
    geometry = call.geometry
    xp = pad_input(x, geometry)
    dx_pad, grad_weight = np.zeros_like(xp), np.zeros_like(weight)
    (sh, sw), (dh, dw), (kh, kw) = geometry.stride, geometry.dilation, geometry.kernel
    c_out, c_in_g = weight.shape[:2]
    out_per_group = c_out // call.groups
    for b, o, r, q in np.ndindex(*call.grad.shape):
        first = (o // out_per_group) * c_in_g
        window = (b, slice(first, first + c_in_g),
                  slice(r * sh, r * sh + dh * (kh - 1) + 1, dh),
                  slice(q * sw, q * sw + dw * (kw - 1) + 1, dw))
        dx_pad[window] += call.grad[b, o, r, q] * weight[o]
        grad_weight[o] += call.grad[b, o, r, q] * xp[window]
    (top, left), (h, w) = geometry.pad_before, x.shape[2:]
    dx = dx_pad[:, :, top:top + h, left:left + w]
    return (dx[0] if unbatched else dx), grad_weight
