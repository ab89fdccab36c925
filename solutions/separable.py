"""Spatially separable kernels: a k x k kernel that is the outer product of two vectors.

``K = col ⊗ row`` holds exactly when ``K`` has rank 1, which the SVD tells:
``K = sum_i s_i u_i v_i^T``, separable iff ``s_2 = s_3 = ... = 0``. Then one
k x k pass (k^2 MACs per pixel) equals a k x 1 pass and a 1 x k pass (2k MACs).
"""

from __future__ import annotations

import numpy as np

from ._args import check_array, check_input, check_pair
from .standard import conv2d


def rank1_approximation(kernel):
    """Best rank-1 approximation ``outer(col, row)`` of a 2-D kernel (Eckart-Young).

    Returns ``(col, row, relative_error)`` where the error is
    ``||K - outer(col, row)||_F / ||K||_F = sqrt(s_2^2 + ...) / sqrt(s_1^2 + ...)``.
    ``col`` is scaled so that its first non-zero entry is 1.
    """
    kernel = check_array(kernel, "kernel")
    if kernel.ndim != 2:
        raise ValueError(f"kernel must be 2-D, got shape {kernel.shape}")
    dtype = kernel.dtype if np.issubdtype(kernel.dtype, np.floating) else np.float64
    u, s, vt = np.linalg.svd(kernel.astype(np.float64))
    total = np.sqrt(np.sum(s ** 2))
    error = float(np.sqrt(np.sum(s[1:] ** 2)) / total) if total > 0 else 0.0
    col, row = u[:, 0], vt[0] * s[0]
    # The split is unique only up to col*c, row/c; scale col so its first significant
    # entry is 1, which gives the textbook factors, e.g. Sobel = [1, 2, 1]^T [-1, 0, 1].
    significant = np.abs(col) > 1e-12 * np.abs(col).max()
    if significant.any():
        c = col[np.argmax(significant)]
        col, row = col / c, row * c
    # "+ 0.0" turns the -0.0 that the division leaves into 0.0 for readable output.
    return (col + 0.0).astype(dtype), (row + 0.0).astype(dtype), error


def separable_split(kernel, tol=1e-6):
    """Split a rank-1 kernel into ``(col, row)`` with ``outer(col, row) == kernel``.

    Raises ``ValueError`` when the best rank-1 approximation is off by more than
    ``tol`` (relative Frobenius error): such a kernel is not separable.
    """
    col, row, error = rank1_approximation(kernel)
    if error > tol:
        raise ValueError(f"kernel is not separable: its best rank-1 approximation has "
                         f"relative error {error:.3g} > tol={tol:g} (the kernel has rank > 1)")
    return col, row


def spatially_separable_conv2d(input, col, row, stride=1, padding=0, dilation=1):
    """Filter every channel with ``outer(col, row)`` as two 1-D passes: down, then across.

    Equals ``conv2d`` with a depthwise weight ``outer(col, row)`` per channel, at
    ``len(col) + len(row)`` instead of ``len(col) * len(row)`` MACs per output value.
    """
    x, unbatched = check_input(input)
    col, row = (_vector(v, name, x.dtype) for v, name in ((col, "col"), (row, "row")))
    (sh, sw), (dh, dw) = check_pair(stride, "stride", 1), check_pair(dilation, "dilation", 1)
    if isinstance(padding, str):
        pad_down = pad_across = padding
    else:
        ph, pw = check_pair(padding, "padding", 0)
        pad_down, pad_across = (ph, 0), (0, pw)
    c = x.shape[1]
    down = np.tile(col.reshape(1, 1, -1, 1), (c, 1, 1, 1))
    across = np.tile(row.reshape(1, 1, 1, -1), (c, 1, 1, 1))
    out = conv2d(x, down, stride=(sh, 1), padding=pad_down, dilation=(dh, 1), groups=c)
    out = conv2d(out, across, stride=(1, sw), padding=pad_across, dilation=(1, dw), groups=c)
    return out[0] if unbatched else out


def _vector(v, name: str, dtype) -> np.ndarray:
    v = check_array(v, name)
    if v.ndim != 1 or v.size < 1:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {v.shape}")
    return v.astype(dtype, copy=False)
