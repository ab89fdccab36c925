"""He (Kaiming) initialisation: weights whose variance keeps a ReLU network's signal alive.

He et al. (2015), Sec. 2.2: with ReLU, a layer's output variance is ``n_l Var[w] / 2`` times
its input's (half of the pre-activations are cut to zero), so ``Var[w] = 2 / n_l`` with
``n_l = k² c`` the fan-in keeps it constant through any depth. As
``torch.nn.init.kaiming_normal_(w, mode='fan_in', nonlinearity='relu')``: normal with
standard deviation ``sqrt(2 / fan_in)``, fan-in being ``shape[1] * prod(shape[2:])``.
"""

from __future__ import annotations

import numbers

import numpy as np


def fan_in(shape) -> int:
    """Inputs that feed one output: ``C_in/groups · kH · kW`` for a conv weight (torch's rule)."""
    if not isinstance(shape, (tuple, list)) or not all(
            isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in shape):
        raise TypeError(f"shape must be a tuple of ints, got {shape!r}")
    if len(shape) < 2:
        raise ValueError(f"shape must have at least 2 dimensions (out, in, ...), got {shape!r}")
    if min(shape) < 1:
        raise ValueError(f"shape must be positive, got {tuple(shape)!r}")
    return int(np.prod(shape[1:]))


def kaiming_normal(shape, rng, dtype=np.float64):
    """A weight of ``shape`` drawn from N(0, 2 / fan_in) with the numpy Generator ``rng``."""
    std = np.sqrt(2.0 / fan_in(shape))
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return (rng.standard_normal(tuple(shape)) * std).astype(dtype)
