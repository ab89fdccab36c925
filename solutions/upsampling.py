"""The fixed kernel with which a transposed convolution is bilinear upsampling.

Long, Shelhamer & Darrell (FCN, 2015) initialise their learned upsampling layers with it:
a separable tent of half-width ``f``. With ``stride=f`` and ``padding=f // 2`` the
transposed convolution maps ``n`` cells to ``n f`` and, away from the border, equals
bilinear interpolation with half-pixel centres (``align_corners=False``).
"""

from __future__ import annotations

import numpy as np

from ._args import check_int


def bilinear_kernel(factor) -> np.ndarray:
    """The ``(k, k)`` tent, ``k = 2f - f mod 2``: ``K[a, b] = (1 - |a - c|/f)(1 - |b - c|/f)``.

    ``c = (k - 1)/2`` is the kernel's centre, between two cells when ``f`` is even.
    """
    f = check_int(factor, "factor", 1)
    k = 2 * f - f % 2
    tent = 1 - np.abs(np.arange(k) - (k - 1) / 2) / f
    return np.outer(tent, tent)
