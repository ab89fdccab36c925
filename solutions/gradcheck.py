"""Numerical gradients: the check every hand-written backward pass has to pass.

A central difference perturbs one entry at a time by ``±eps``; its error is
``eps² f'''/6`` (the even Taylor terms cancel), against ``eps f''/2`` for a
one-sided difference, which is why gradient checks use it.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._args import check_array


def numerical_gradient(f, x, eps=1e-6) -> np.ndarray:
    """dL/dx of a scalar ``f`` at ``x`` (any shape): ``(f(x + eps e_i) - f(x - eps e_i)) / 2eps``.

    ``x`` is not modified; the result is float with ``x``'s shape.
    """
    if not callable(f):
        raise TypeError(f"f must be a function of one array, got {type(f).__name__}")
    x = check_array(x, "x")
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not eps > 0:
        raise ValueError(f"eps must be a positive number, got {eps!r}")
    probe = x.astype(np.result_type(x.dtype, np.float64))
    grad = np.zeros(probe.shape, probe.dtype)
    for index in np.ndindex(probe.shape):
        centre = probe[index]
        probe[index] = centre + eps
        above = f(probe)
        probe[index] = centre - eps
        below = f(probe)
        probe[index] = centre  # restore, so the next entry is perturbed alone
        grad[index] = (above - below) / (2 * eps)
    return grad
