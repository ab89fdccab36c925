"""Depthwise, pointwise and depthwise-separable convolution (the MobileNet block).

Depthwise: one k x k filter per input channel, channels never mix (``groups = C_in``).
Pointwise: a 1 x 1 convolution, i.e. the same ``C_out x C_in`` matrix applied to
every pixel's channel vector. Their composition replaces a standard k x k conv
at ``1/C_out + 1/k^2`` of its cost.
"""

from __future__ import annotations

from ._args import check_array, check_input
from .standard import conv2d


def depthwise_conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1):
    """``conv2d`` with ``groups = C_in``; weight ``(C_in * m, 1, kH, kW)``, m filters a channel."""
    x, _ = check_input(input)
    return conv2d(input, weight, bias, stride, padding, dilation, groups=x.shape[1])


def pointwise_conv2d(input, weight, bias=None):
    """1 x 1 convolution: ``out[:, :, r, q] = weight @ input[:, :, r, q] + bias``.

    ``weight`` is ``(C_out, C_in)`` or the equivalent conv weight ``(C_out, C_in, 1, 1)``.
    """
    weight = check_array(weight, "weight")
    if weight.ndim == 2:
        weight = weight[:, :, None, None]
    elif weight.ndim != 4 or weight.shape[2:] != (1, 1):
        raise ValueError(f"pointwise weight must be (C_out, C_in) or (C_out, C_in, 1, 1), "
                         f"got shape {weight.shape}")
    return conv2d(input, weight, bias)


def depthwise_separable_conv2d(input, depthwise_weight, pointwise_weight, depthwise_bias=None,
                               pointwise_bias=None, stride=1, padding=0, dilation=1):
    """The MobileNet block without its norms and activations: depthwise, then pointwise."""
    spatial = depthwise_conv2d(input, depthwise_weight, depthwise_bias, stride, padding, dilation)
    return pointwise_conv2d(spatial, pointwise_weight, pointwise_bias)
