"""Seeded random convolution calls covering every parameter, shared by the tests.

Each generator returns ``(args, kwargs)`` for a call that torch accepts, drawn so
that every option appears often: int and pair arguments, 'valid'/'same' padding,
groups with several channels per group, dilation, output_padding, unbatched input.
"""

from __future__ import annotations

import numpy as np


def _pair_or_int(rng, low, high):
    """An int, or (when the coin says so) an (h, w) pair with independent values."""
    if rng.random() < 0.5:
        return int(rng.integers(low, high + 1))
    return (int(rng.integers(low, high + 1)), int(rng.integers(low, high + 1)))


def _pair(v):
    return v if isinstance(v, tuple) else (v, v)


def conv2d_case(rng, dtype=np.float64, max_size=9):
    """Arguments of one valid ``conv2d`` call."""
    groups = int(rng.choice([1, 1, 2, 3]))
    c_in, c_out = groups * int(rng.integers(1, 4)), groups * int(rng.integers(1, 4))
    kernel = _pair(_pair_or_int(rng, 1, 4))
    stride = _pair_or_int(rng, 1, 3)
    dilation = _pair_or_int(rng, 1, 3)
    roll = rng.random()
    if roll < 0.15 and _pair(stride) == (1, 1):
        padding = "same"
    elif roll < 0.25:
        padding = "valid"
    else:
        padding = _pair_or_int(rng, 0, 3)
    pads = (0, 0) if isinstance(padding, str) else _pair(padding)
    # Smallest input the dilated kernel fits in, plus some room.
    size = [max(1, d * (k - 1) + 1 - 2 * p) + int(rng.integers(0, max_size))
            for k, d, p in zip(kernel, _pair(dilation), pads)]
    shape = (c_in, *size) if rng.random() < 0.2 else (int(rng.integers(1, 4)), c_in, *size)
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((c_out, c_in // groups, *kernel)).astype(dtype)
    b = rng.standard_normal(c_out).astype(dtype) if rng.random() < 0.5 else None
    return (x, w, b), dict(stride=stride, padding=padding, dilation=dilation, groups=groups)


def conv_transpose2d_case(rng, dtype=np.float64, max_size=7):
    """Arguments of one valid ``conv_transpose2d`` call."""
    groups = int(rng.choice([1, 1, 2, 3]))
    c_in, c_out_g = groups * int(rng.integers(1, 4)), int(rng.integers(1, 4))
    kernel = _pair(_pair_or_int(rng, 1, 4))
    stride = _pair(_pair_or_int(rng, 1, 3))
    dilation = _pair(_pair_or_int(rng, 1, 3))
    output_padding = tuple(int(rng.integers(0, max(s, d))) for s, d in zip(stride, dilation))
    size = [int(rng.integers(1, max_size + 1)) for _ in range(2)]
    # Padding may crop at most what leaves one output row/column.
    padding = []
    for n, k, s, d, op in zip(size, kernel, stride, dilation, output_padding):
        full = (n - 1) * s + d * (k - 1) + op + 1
        padding.append(int(rng.integers(0, min(3, (full - 1) // 2) + 1)))
    shape = (c_in, *size) if rng.random() < 0.2 else (int(rng.integers(1, 4)), c_in, *size)
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((c_in, c_out_g, *kernel)).astype(dtype)
    b = rng.standard_normal(c_out_g * groups).astype(dtype) if rng.random() < 0.5 else None
    def maybe_int(pair):
        return pair[0] if pair[0] == pair[1] and rng.random() < 0.5 else pair

    return (x, w, b), dict(stride=maybe_int(stride), padding=maybe_int(tuple(padding)),
                           output_padding=maybe_int(output_padding), groups=groups,
                           dilation=maybe_int(dilation))
