"""Grouped convolution seen from outside: its dense block-diagonal weight, and channel shuffle.

With ``g`` groups, output channel block ``j`` sees only input channel block ``j``:
a dense weight with zeros everywhere off the diagonal blocks. Stacked grouped
layers therefore never let the groups talk; a channel shuffle between them does.
"""

from __future__ import annotations

import numpy as np

from ._args import check_array, check_groups, check_int


def block_diagonal_weight(weight, groups) -> np.ndarray:
    """The dense ``(C_out, C_in, kH, kW)`` weight equal to a grouped one (zeros off-block).

    ``conv2d(x, weight, groups=g) == conv2d(x, block_diagonal_weight(weight, g))``.
    """
    weight = check_array(weight, "weight")
    if weight.ndim != 4:
        raise ValueError(f"weight must be 4-D (C_out, C_in/groups, kH, kW), got {weight.shape}")
    c_out, c_in_g = weight.shape[:2]
    g = check_int(groups, "groups", 1)
    check_groups(g, c_in_g * g, c_out)
    dense = np.zeros((c_out, c_in_g * g, *weight.shape[2:]), dtype=weight.dtype)
    c_out_g = c_out // g
    for j in range(g):
        dense[j * c_out_g:(j + 1) * c_out_g, j * c_in_g:(j + 1) * c_in_g] = \
            weight[j * c_out_g:(j + 1) * c_out_g]
    return dense


def channel_shuffle(input, groups) -> np.ndarray:
    """Interleave channel groups, as ``torch.nn.ChannelShuffle``: (N, C, ...) with C = g * m.

    View the channels as a ``g x m`` matrix (group, member), transpose it to
    ``m x g`` and read it out again: channel ``i * m + k`` moves to ``k * g + i``,
    so every group of the next layer receives one channel from each group.
    """
    x = check_array(input, "input")
    if x.ndim < 3:
        raise ValueError(f"input must be (N, C, *) with at least 3 dimensions, got {x.shape}")
    g = check_int(groups, "groups", 1)
    c = x.shape[1]
    if c % g:
        raise ValueError(f"groups={g} must divide the {c} channels")
    n, rest = x.shape[0], x.shape[2:]
    return np.ascontiguousarray(x.reshape(n, g, c // g, *rest).swapaxes(1, 2)).reshape(x.shape)
