"""What a convolution layer costs: parameters and multiply-accumulates (MACs)."""

from __future__ import annotations

from ._args import check_groups, check_int, check_pair


def conv_params(in_channels, out_channels, kernel_size, groups=1, bias=True) -> int:
    """Learnable parameters of a conv layer: ``C_out * (C_in / g) * kH * kW`` (+ ``C_out`` bias).

    Each of the ``C_out`` filters sees only the ``C_in / g`` channels of its group.
    """
    c_in = check_int(in_channels, "in_channels", 1)
    c_out = check_int(out_channels, "out_channels", 1)
    kh, kw = check_pair(kernel_size, "kernel_size", 1)
    g = check_groups(groups, c_in, c_out)
    if not isinstance(bias, bool):
        raise TypeError(f"bias must be True or False, got {bias!r}")
    return c_out * (c_in // g) * kh * kw + (c_out if bias else 0)


def conv_macs(in_channels, out_channels, kernel_size, output_size, groups=1) -> int:
    """Multiply-accumulates of one sample: every output value costs ``(C_in / g) * kH * kW``.

    ``output_size`` is the spatial output ``(H_out, W_out)`` (or one int for a square).
    The bias adds are not counted, as is usual for MAC counts.
    """
    c_in = check_int(in_channels, "in_channels", 1)
    c_out = check_int(out_channels, "out_channels", 1)
    kh, kw = check_pair(kernel_size, "kernel_size", 1)
    ho, wo = check_pair(output_size, "output_size", 1)
    g = check_groups(groups, c_in, c_out)
    return c_out * ho * wo * (c_in // g) * kh * kw


def depthwise_separable_cost_ratio(out_channels, kernel_size) -> float:
    """MACs of depthwise (k x k) + pointwise (1 x 1) over a standard k x k conv.

    ``(k^2 C_in + C_in C_out) HW / (k^2 C_in C_out HW) = 1/C_out + 1/k^2``:
    the input channel count and the image size cancel out.
    """
    c_out = check_int(out_channels, "out_channels", 1)
    kh, kw = check_pair(kernel_size, "kernel_size", 1)
    return 1 / c_out + 1 / (kh * kw)
