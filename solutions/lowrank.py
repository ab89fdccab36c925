"""Low-rank kernels: the best rank-r approximation, and the rank a tolerance needs.

Every kernel is ``K = sum_i s_i u_i v_i^T`` (its SVD). Keeping the first r terms gives
the closest rank-r kernel in the Frobenius norm (Eckart-Young), and since correlation
is linear, filtering with it is r separable two-pass filterings added up.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._args import check_array, check_int


def _kernel(kernel) -> np.ndarray:
    kernel = check_array(kernel, "kernel")
    if kernel.ndim != 2 or min(kernel.shape) < 1:
        raise ValueError(f"kernel must be a non-empty 2-D array, got shape {kernel.shape}")
    return kernel.astype(np.float64)


def low_rank_approximation(kernel, rank):
    """``(cols, rows)``: ``cols[:, i] ⊗ rows[i]`` summed over ``i < rank`` is the best
    rank-``rank`` kernel, ``cols @ rows``; each term is one column pass and one row pass.

    ``rank`` may exceed the kernel's rank (the extra terms are zero) but not
    ``min(kH, kW)``, the number of singular values.
    """
    kernel = _kernel(kernel)
    rank = check_int(rank, "rank", 1)
    if rank > min(kernel.shape):
        raise ValueError(f"rank must be at most min(kH, kW) = {min(kernel.shape)}, got {rank}")
    u, s, vt = np.linalg.svd(kernel)
    root = np.sqrt(s[:rank])
    return u[:, :rank] * root, root[:, None] * vt[:rank]


def rank_for_error(kernel, max_error) -> int:
    """The smallest r whose best rank-r kernel has relative Frobenius error <= ``max_error``.

    The error of rank r is ``sqrt(s_{r+1}^2 + ...) / sqrt(s_1^2 + ...)``; the zero kernel
    needs rank 0.
    """
    kernel = _kernel(kernel)
    if isinstance(max_error, bool) or not isinstance(max_error, numbers.Real) \
            or not 0 <= max_error < 1:
        raise ValueError(f"max_error must be a number in [0, 1), got {max_error!r}")
    energy = np.linalg.svd(kernel, compute_uv=False) ** 2
    if energy.sum() == 0:
        return 0
    # left[r] = energy dropped when r terms are kept, for r = 0 .. len(s)
    left = np.concatenate([np.cumsum(energy[::-1])[::-1], [0.0]])
    return int(np.argmax(np.sqrt(left / energy.sum()) <= max_error))
