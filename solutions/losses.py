"""Softmax cross-entropy: the loss of a classifier that outputs one score (logit) per class.

``p = softmax(z)`` row by row, and the loss is the mean over the batch of ``-log p[target]``,
computed as ``logsumexp(z) - z[target]`` with the row maximum subtracted first (``exp`` of a
large logit would overflow). Its gradient is ``(p - onehot(target)) / N``.
"""

from __future__ import annotations

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


def cross_entropy(input, target):
    """``torch.nn.functional.cross_entropy`` (mean reduction): a 0-d array of input's dtype."""
    z, t = _check_logits_targets(input, target)
    return np.asarray(-log_softmax(z)[np.arange(len(t)), t].mean(), dtype=z.dtype)


def cross_entropy_backward(input, target):
    """dL/dz of the mean cross-entropy: ``(softmax(z) - onehot(target)) / N``."""
    z, t = _check_logits_targets(input, target)
    grad = np.exp(log_softmax(z))
    grad[np.arange(len(t)), t] -= 1
    return (grad / len(t)).astype(z.dtype, copy=False)
