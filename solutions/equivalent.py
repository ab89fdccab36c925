"""One convolution that computes what a chain of linear steps computes.

Two convolutions in a row (no padding, stride 1, nothing between them) are one
convolution whose kernel is the full 2-D convolution of the two kernels, summed
over the channels in between; batch normalisation at inference is a per-channel
scale and shift, which folds into the weights and bias of the convolution before it.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._args import check_array, check_bias


def _weight(value, name: str) -> np.ndarray:
    value = check_array(value, name)
    if value.ndim != 4 or min(value.shape) < 1:
        raise ValueError(f"{name} must be a non-empty 4-D (C_out, C_in, kH, kW) array, "
                         f"got shape {value.shape}")
    return value.astype(np.float64)


def compose_conv2d(weight1, bias1, weight2, bias2):
    """``(weight, bias)`` with ``conv2d(x, weight, bias) == conv2d(conv2d(x, weight1, bias1),
    weight2, bias2)`` (stride 1, no padding, no groups).

    ``weight[o, c, a, b] = sum_m sum_{a1 + a2 = a, b1 + b2 = b} weight2[o, m, a2, b2]
    weight1[m, c, a1, b1]``; the first bias passes through the second kernel:
    ``bias[o] = bias2[o] + sum_m bias1[m] * weight2[o, m].sum()``.
    """
    w1, w2 = _weight(weight1, "weight1"), _weight(weight2, "weight2")
    if w2.shape[1] != w1.shape[0]:
        raise ValueError(f"weight2 reads {w2.shape[1]} channels but weight1 makes "
                         f"{w1.shape[0]}: weight2.shape[1] must equal weight1.shape[0]")
    b1 = check_bias(bias1, w1.shape[0], np.float64)
    b2 = check_bias(bias2, w2.shape[0], np.float64)
    (_, c_in, h1, k1), (c_out, _, h2, k2) = w1.shape, w2.shape
    weight = np.zeros((c_out, c_in, h1 + h2 - 1, k1 + k2 - 1))
    for a2 in range(h2):
        for b2_ in range(k2):
            # tap (a2, b2) of the second kernel shifts every first kernel by (a2, b2)
            weight[:, :, a2:a2 + h1, b2_:b2_ + k1] += np.einsum("om,mcab->ocab",
                                                                w2[:, :, a2, b2_], w1)
    bias = np.zeros(c_out) if b2 is None else b2.copy()
    if b1 is not None:
        bias += w2.sum(axis=(2, 3)) @ b1
    return weight, bias


def fold_batch_norm(weight, bias, gamma, beta, mean, var, eps=1e-5):
    """``(weight, bias)`` of one convolution equal to the convolution followed by batch norm
    in inference mode, ``gamma * (z - mean) / sqrt(var + eps) + beta`` per output channel.

    Works for any weight layout whose first axis is the output channel (dense, grouped,
    depthwise ``(m C, 1, k, k)``); ``bias`` may be ``None``.
    """
    weight = check_array(weight, "weight")
    if weight.ndim < 1 or weight.shape[0] < 1:
        raise ValueError(f"weight must have output channels on its first axis, got {weight.shape}")
    c_out = weight.shape[0]
    stats = {}
    for name, value in (("gamma", gamma), ("beta", beta), ("mean", mean), ("var", var)):
        value = check_array(value, name)
        if value.shape != (c_out,):
            raise ValueError(f"{name} must have shape ({c_out},), one per output channel, "
                             f"got {value.shape}")
        stats[name] = value.astype(np.float64)
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or eps < 0:
        raise ValueError(f"eps must be a non-negative number, got {eps!r}")
    if np.any(stats["var"] + eps <= 0):
        raise ValueError("var + eps must be positive in every channel")
    scale = stats["gamma"] / np.sqrt(stats["var"] + eps)
    b = np.zeros(c_out) if bias is None else check_bias(bias, c_out, np.float64)
    folded = weight.astype(np.float64) * scale.reshape(-1, *([1] * (weight.ndim - 1)))
    return folded, (b - stats["mean"]) * scale + stats["beta"]
