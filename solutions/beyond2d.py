"""1-D and 3-D convolution, each computed by the 2-D one.

conv1d is conv2d on inputs one row high, with a one-row kernel. conv3d folds the
depth axis into the channels: output depth ``t`` sees the ``kD`` input slices
``t*s_D + i*d_D`` (after depth padding), so stacking those slices as ``C_in * kD``
channels, and the weight's depth taps with them, turns each output slice into one
2-D convolution of a batch of ``N * D_out`` such stacks.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ._args import Geometry
from .standard import ConvCall, check_conv, correlate, finish


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """``torch.nn.functional.conv1d``: ``input`` (N, C_in, L) or (C_in, L), ``weight``
    (C_out, C_in/groups, kL); ``padding`` an int, ``'valid'`` or ``'same'``."""
    call = check_conv(input, weight, bias, stride, padding, dilation, groups, spatial=1)
    flat = ConvCall(call.x[:, :, None], call.weight[:, :, None], None,
                    _one_row(call.geometry),
                    call.groups, (1, *call.out_size), False)
    return finish(correlate(flat)[:, :, 0], call)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """``torch.nn.functional.conv3d``: ``input`` (N, C_in, D, H, W) or (C_in, D, H, W),
    ``weight`` (C_out, C_in/groups, kD, kH, kW); arguments int, triple, ``'valid'``, ``'same'``."""
    call = check_conv(input, weight, bias, stride, padding, dilation, groups, spatial=3)
    n, c_in, depth = call.x.shape[:3]
    c_out, c_in_g, kd = call.weight.shape[:3]
    d_out = call.out_size[0]
    (sd, dd), (before, after) = (call.geometry.stride[0], call.geometry.dilation[0]), \
        (call.geometry.pad_before[0], call.geometry.pad_after[0])
    xp = np.pad(call.x, ((0, 0), (0, 0), (before, after), (0, 0), (0, 0))) \
        if before or after else call.x
    s_n, s_c, s_d, s_h, s_w = xp.strides
    # (N, D_out, C_in, kD, H, W): output slice t's kD input slices, each a view.
    slices = as_strided(xp, shape=(n, d_out, c_in, kd, *xp.shape[3:]),
                        strides=(s_n, s_d * sd, s_c, s_d * dd, s_h, s_w), writeable=False)
    # Channel c's depth taps stay adjacent (c*kD + i), so groups stay contiguous blocks.
    stacks = ConvCall(np.ascontiguousarray(slices).reshape(n * d_out, c_in * kd, *xp.shape[3:]),
                      call.weight.reshape(c_out, c_in_g * kd, *call.weight.shape[3:]), None,
                      call.geometry.axes(slice(1, None)), call.groups, call.out_size[1:], False)
    out = correlate(stacks).reshape(n, d_out, c_out, *call.out_size[1:]).transpose(0, 2, 1, 3, 4)
    return finish(np.ascontiguousarray(out), call)


def _one_row(geometry: Geometry) -> Geometry:
    """A 1-D geometry as a 2-D one over inputs and kernels one row high."""
    return Geometry((1, *geometry.kernel), (1, *geometry.stride), (1, *geometry.dilation),
                    (0, *geometry.pad_before), (0, *geometry.pad_after))
