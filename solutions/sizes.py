"""Output sizes and receptive fields: the arithmetic of convolution, one axis at a time.

Every formula here is one line of Dumoulin & Visin's *A guide to convolution
arithmetic for deep learning* (2016), stated for a single spatial axis.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import pooling
from ._args import check_int, conv_geometry


def effective_kernel_size(kernel_size: int, dilation: int = 1) -> int:
    """Span of a dilated kernel: ``k + (k - 1)(d - 1) = d(k - 1) + 1``."""
    k = check_int(kernel_size, "kernel_size", 1)
    d = check_int(dilation, "dilation", 1)
    return d * (k - 1) + 1


def conv_output_size(n, kernel_size, stride=1, padding=0, dilation=1) -> int:
    """Output length of a convolution along one axis: ``floor((n + 2p - d(k-1) - 1) / s) + 1``.

    ``padding`` may also be ``'valid'`` (0) or ``'same'`` (output = input; stride 1 only).
    """
    n = check_int(n, "n", 1)
    k = check_int(kernel_size, "kernel_size", 1)
    return conv_geometry((k, k), stride, padding, dilation).output_size((n, n))[0]


def conv_transpose_output_size(n, kernel_size, stride=1, padding=0, output_padding=0,
                               dilation=1) -> int:
    """Output length of a transposed convolution: ``(n-1)s - 2p + d(k-1) + output_padding + 1``.

    It inverts :func:`conv_output_size` on shapes: the ``s`` input sizes that a
    strided convolution maps to the same ``n`` are told apart by ``output_padding``.
    """
    n = check_int(n, "n", 1)
    s = check_int(stride, "stride", 1)
    p = check_int(padding, "padding", 0)
    d = check_int(dilation, "dilation", 1)
    k_eff = effective_kernel_size(kernel_size, d)
    op = check_int(output_padding, "output_padding", 0)
    if op >= s and op >= d:
        raise ValueError(f"output_padding must be smaller than either stride or dilation, "
                         f"got output_padding={op}, stride={s}, dilation={d}")
    size = (n - 1) * s - 2 * p + k_eff + op
    if size < 1:
        # torch's backends disagree here (oneDNN returns an empty tensor, the reference
        # kernel raises "Output size is too small"); an empty output is never intended.
        raise ValueError(f"padding={p} crops the whole output: the transposed convolution "
                         f"would have size {size}")
    return size


def receptive_field(kernel_sizes: Sequence[int], strides=1, dilations=1) -> int:
    """Receptive field of a stack of convolutions, first layer first.

    Layer ``l`` widens the field by ``(k_l_eff - 1)`` times the product of the
    strides before it: ``r = 1 + sum_l (d_l (k_l - 1)) * prod_{j<l} s_j``.
    ``strides`` and ``dilations`` may be one int for every layer or one per layer.
    """
    kernel_sizes = list(kernel_sizes)
    if not kernel_sizes:
        raise ValueError("kernel_sizes must name at least one layer")
    strides = _per_layer(strides, "strides", len(kernel_sizes))
    dilations = _per_layer(dilations, "dilations", len(kernel_sizes))
    field, jump = 1, 1
    for i, (k, s, d) in enumerate(zip(kernel_sizes, strides, dilations)):
        field += (effective_kernel_size(k, d) - 1) * jump
        jump *= check_int(s, f"strides[{i}]", 1)
    return field


def _per_layer(value, name: str, layers: int) -> list[int]:
    if isinstance(value, (list, tuple)):
        if len(value) != layers:
            raise ValueError(f"{name} must have one entry per layer ({layers}), got {len(value)}")
        return list(value)
    return [check_int(value, name, 1)] * layers


def pool_output_size(n, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False) -> int:
    """Output length of a pooling layer along one axis, as ``torch.nn.MaxPool2d`` computes it.

    ``floor`` (or, with ``ceil_mode``, ``ceil``) of ``(n + 2p - d(k-1) - 1) / s``, plus one;
    ``stride=None`` means ``stride = kernel_size``. In ceil mode a last window that
    would start in the right padding is dropped: every window must start inside the
    input or its left padding. torch also requires ``p <= k // 2`` (half the kernel size,
    whatever the dilation).
    """
    n = check_int(n, "n", 1)
    k = check_int(kernel_size, "kernel_size", 1)
    s = k if stride is None else check_int(stride, "stride", 1)
    p = check_int(padding, "padding", 0)
    d = check_int(dilation, "dilation", 1)
    span = d * (k - 1) + 1
    if not isinstance(ceil_mode, bool):
        raise TypeError(f"ceil_mode must be True or False, got {ceil_mode!r}")
    if p > k // 2:
        raise ValueError(f"padding={p} must be at most half the kernel size (p <= k // 2 = "
                         f"{k // 2})")
    size = pooling.pool_output_size(n, k, s, p, d, ceil_mode)
    if size < 1:
        raise ValueError(f"the pooling window spans {span} cells but the padded input has "
                         f"only {n + 2 * p}: there is no output")
    return size


def receptive_window(layers: Sequence[tuple[int, int, int, int]],
                     index: int = 0) -> tuple[int, int]:
    """First and last input index seen by output ``index`` of a stack of layers.

    ``layers`` lists ``(kernel_size, stride, padding, dilation)`` per layer, first layer
    first (a pooling layer is one too). With the jump ``J_l = s_1 ... s_l`` (input cells
    between neighbouring outputs of layer ``l``), output ``i`` of the last layer starts
    at ``i J_L - sum_l p_l J_{l-1}`` and spans :func:`receptive_field` cells. Indices
    below 0 or past the input lie in padding.
    """
    layers = [tuple(layer) for layer in layers]
    if not layers or any(len(layer) != 4 for layer in layers):
        raise ValueError("layers must be a non-empty list of (kernel_size, stride, padding, "
                         "dilation) tuples")
    index = check_int(index, "index", 0)
    jump, first = 1, 0
    for i, (_, s, p, _) in enumerate(layers):
        first -= check_int(p, f"layers[{i}] padding", 0) * jump
        jump *= check_int(s, f"layers[{i}] stride", 1)
    field = receptive_field([k for k, *_ in layers], strides=[s for _, s, _, _ in layers],
                            dilations=[d for *_, d in layers])
    first += index * jump
    return first, first + field - 1
