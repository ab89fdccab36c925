"""Which input cells a stack of dilated layers reaches, and hybrid dilated convolution's test.

One output of a stack of stride-1 layers (kernel ``k_l``, dilation ``d_l``, taps centred)
depends on input offset ``t`` exactly when ``t = sum_l d_l (a_l - (k_l - 1) // 2)`` for some
taps ``a_l``: a Minkowski sum, so the order of the layers does not matter. Holes in it are
the gridding artifact.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._args import check_int


def reachable_offsets(kernel_sizes: Sequence[int], dilations: Sequence[int]) -> set[int]:
    """Input offsets (one axis) that can influence one output of the stack."""
    if len(kernel_sizes) != len(dilations):
        raise ValueError(f"kernel_sizes and dilations must have the same length, got "
                         f"{len(kernel_sizes)} and {len(dilations)}")
    offsets = {0}
    for i, (k, d) in enumerate(zip(kernel_sizes, dilations)):
        k = check_int(k, f"kernel_sizes[{i}]", 1)
        d = check_int(d, f"dilations[{i}]", 1)
        offsets = {o + d * (a - (k - 1) // 2) for o in offsets for a in range(k)}
    return offsets


def is_dense(kernel_sizes: Sequence[int], dilations: Sequence[int]) -> bool:
    """True when the stack reaches every cell between its outermost taps (no gridding)."""
    offsets = reachable_offsets(kernel_sizes, dilations)
    return len(offsets) == max(offsets) - min(offsets) + 1


def hdc_max_distances(rates: Sequence[int]) -> list[int]:
    """Wang et al. (2018), hybrid dilated convolution, for 3x3 layers: ``[M_1, ..., M_n]``.

    ``M_n = r_n`` and ``M_i = max(M_{i+1} - 2 r_i, M_{i+1} - 2 (M_{i+1} - r_i), r_i)``,
    the largest distance between two taps that reach the output; the design goal is
    ``M_2 <= 3``.
    """
    rates = [check_int(r, f"rates[{i}]", 1) for i, r in enumerate(rates)]
    if not rates:
        raise ValueError("rates must name at least one layer")
    m = [rates[-1]]
    for r in reversed(rates[:-1]):
        m.append(max(m[-1] - 2 * r, m[-1] - 2 * (m[-1] - r), r))
    return m[::-1]
