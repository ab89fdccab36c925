"""Softmax cross-entropy: the loss of a classifier that outputs one score (logit) per class.

``p = softmax(z)`` row by row, and the loss is the mean over the batch of ``-log p[target]``,
computed as ``logsumexp(z) - z[target]`` with the row maximum subtracted first (``exp`` of a
large logit would overflow). Its gradient is ``(p - onehot(target)) / N``. With label
smoothing ``ε`` (torch's ``label_smoothing``) the target is ``q = (1 - ε) onehot + ε/C``, the
loss ``-Σ_c q_c log p_c`` and the gradient ``(p - q) / N``.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._args import check_array


def _check_logits_targets(input, target) -> tuple[np.ndarray, np.ndarray]:
    z = check_array(input, "input")
    if not np.issubdtype(z.dtype, np.floating):
        raise TypeError(f"input must have a floating dtype (the logits), got {z.dtype}")
    if z.ndim != 2 or min(z.shape) < 1:
        raise ValueError(f"input must be 2-D (N, C) logits with N, C >= 1, got shape {z.shape}")
    t = check_array(target, "target")
    if not np.issubdtype(t.dtype, np.integer):
        raise TypeError(f"target must hold integer class indices, got dtype {t.dtype}")
    if t.shape != (z.shape[0],):
        raise ValueError(f"target must have shape ({z.shape[0]},), one class per row of input, "
                         f"got shape {t.shape}")
    if t.min() < 0 or t.max() >= z.shape[1]:
        raise ValueError(f"target must hold classes 0 .. {z.shape[1] - 1}, got values from "
                         f"{t.min()} to {t.max()}")
    return z, t


def log_softmax(z: np.ndarray) -> np.ndarray:
    """``z - logsumexp(z)`` along the last axis, stable for large logits."""
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _check_smoothing(label_smoothing) -> float:
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, numbers.Real):
        raise TypeError(f"label_smoothing must be a number, got {label_smoothing!r}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    return float(label_smoothing)


def _smoothed_target(z: np.ndarray, t: np.ndarray, label_smoothing) -> np.ndarray:
    eps = _check_smoothing(label_smoothing)
    q = np.full(z.shape, eps / z.shape[1])
    q[np.arange(len(t)), t] += 1 - eps
    return q


def cross_entropy(input, target, label_smoothing=0.0):
    """``torch.nn.functional.cross_entropy`` (mean reduction): a 0-d array of input's dtype."""
    z, t = _check_logits_targets(input, target)
    q = _smoothed_target(z, t, label_smoothing)
    return np.asarray(-(q * log_softmax(z)).sum(axis=1).mean(), dtype=z.dtype)


def cross_entropy_backward(input, target, label_smoothing=0.0):
    """dL/dz of the mean cross-entropy: ``(softmax(z) - q) / N``, q the (smoothed) target."""
    z, t = _check_logits_targets(input, target)
    grad = np.exp(log_softmax(z)) - _smoothed_target(z, t, label_smoothing)
    return (grad / len(t)).astype(z.dtype, copy=False)
