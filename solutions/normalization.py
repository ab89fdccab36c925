"""Batch normalisation: each channel standardised by its batch statistics, then scaled and shifted.

For a channel ``c`` the statistics run over every axis but the channel axis (the batch and,
for images, height and width: *spatial* batch norm):

    mean_c = E[x_c],  var_c = E[(x_c - mean_c)²] (biased),
    y = w_c (x - mean_c) / sqrt(var_c + eps) + b_c

In training mode the batch's statistics are used and the running ones move towards them,
``running = (1 - momentum) running + momentum * batch``, with the *unbiased* variance
(``m/(m-1)`` times the biased one, ``m`` values per channel), in place, as torch does.
In evaluation mode the running statistics are used instead. ``batch_norm_backward`` is the
training-mode gradient: the batch statistics depend on every input, so the gradient is not
just ``w_c / sqrt(var_c + eps)`` times the upstream gradient.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._args import check_array


def _check_number(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    return float(value)


def _check_x(input, name: str = "input") -> np.ndarray:
    x = check_array(input, name)
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"{name} must have a floating dtype (float32 or float64), got {x.dtype}")
    if x.ndim < 2:
        raise ValueError(f"{name} must be at least 2-D (N, C, ...), got shape {x.shape}")
    if x.shape[1] < 1 or x.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {x.shape}")
    return x


def _check_channel_vector(value, name: str, channels: int, dtype, required: bool = False):
    if value is None:
        if required:
            raise ValueError(f"{name} is needed in evaluation mode (training=False)")
        return None
    value = check_array(value, name)
    if value.shape != (channels,):
        raise ValueError(f"{name} must have shape ({channels},), one value per channel of the "
                         f"input, got shape {value.shape}")
    return value


def _axes(x: np.ndarray) -> tuple[int, ...]:
    """Every axis but the channel axis (1)."""
    return (0, *range(2, x.ndim))


def _per_channel(v: np.ndarray, ndim: int) -> np.ndarray:
    """A (C,) vector shaped to broadcast against (N, C, ...)."""
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """``torch.nn.functional.batch_norm``; dtype follows ``input``.

    ``input`` is (N, C, ...). In training mode ``running_mean``/``running_var`` (may be
    ``None``) are updated in place with the batch mean and the unbiased batch variance.
    """
    x = _check_x(input)
    c = x.shape[1]
    if not isinstance(training, (bool, np.bool_)):
        raise TypeError(f"training must be True or False, got {training!r}")
    momentum, eps = _check_number(momentum, "momentum"), _check_number(eps, "eps")
    if eps < 0:
        raise ValueError(f"eps must be at least 0, got {eps}")
    running_mean = _check_channel_vector(running_mean, "running_mean", c, x.dtype,
                                         required=not training)
    running_var = _check_channel_vector(running_var, "running_var", c, x.dtype,
                                        required=not training)
    weight = _check_channel_vector(weight, "weight", c, x.dtype)
    bias = _check_channel_vector(bias, "bias", c, x.dtype)
    axes = _axes(x)
    if training:
        count = x.size // c
        if count < 2:
            raise ValueError(f"input needs more than 1 value per channel in training mode "
                             f"(the variance of one value is undefined), got shape {x.shape}")
        mean = x.mean(axis=axes)
        var = x.var(axis=axes)
        for running, batch in ((running_mean, mean), (running_var, var * count / (count - 1))):
            if running is not None:
                running *= 1 - momentum
                running += momentum * batch
    else:
        mean, var = running_mean.astype(x.dtype), running_var.astype(x.dtype)
    y = (x - _per_channel(mean, x.ndim)) / np.sqrt(_per_channel(var, x.ndim) + eps)
    if weight is not None:
        y = y * _per_channel(weight.astype(x.dtype), x.ndim)
    if bias is not None:
        y = y + _per_channel(bias.astype(x.dtype), x.ndim)
    return y.astype(x.dtype, copy=False)


def batch_norm_backward(grad_output, input, weight=None, eps=1e-5):
    """Gradients of training-mode ``batch_norm`` w.r.t. ``(input, weight, bias)``.

    With ``x̂ = (x - mean)/sqrt(var + eps)``, ``m`` values per channel and ``ĝ = w · g``:
    ``dx = (ĝ - mean(ĝ) - x̂ · mean(ĝ x̂)) / sqrt(var + eps)``, ``dw = Σ g x̂``, ``db = Σ g``
    (means and sums per channel). ``weight=None`` stands for ones.
    """
    x = _check_x(input)
    g = _check_x(grad_output, "grad_output")
    if g.shape != x.shape:
        raise ValueError(f"grad_output must have the input's shape {x.shape}, got {g.shape}")
    eps = _check_number(eps, "eps")
    c = x.shape[1]
    weight = _check_channel_vector(weight, "weight", c, x.dtype)
    axes = _axes(x)
    if x.size // c < 2:
        raise ValueError(f"input needs more than 1 value per channel in training mode, "
                         f"got shape {x.shape}")
    mean = x.mean(axis=axes, keepdims=True)
    inv_std = 1.0 / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    x_hat = (x - mean) * inv_std
    grad_weight = (g * x_hat).sum(axis=axes)
    grad_bias = g.sum(axis=axes)
    g_hat = g if weight is None else g * _per_channel(weight.astype(x.dtype), x.ndim)
    grad_input = (g_hat - g_hat.mean(axis=axes, keepdims=True)
                  - x_hat * (g_hat * x_hat).mean(axis=axes, keepdims=True)) * inv_std
    return (grad_input.astype(x.dtype, copy=False), grad_weight.astype(x.dtype, copy=False),
            grad_bias.astype(x.dtype, copy=False))


def _check_groups(groups, channels: int) -> int:
    if isinstance(groups, bool) or not isinstance(groups, numbers.Integral):
        raise TypeError(f"num_groups must be an int, got {groups!r}")
    if groups < 1 or channels % groups:
        raise ValueError(f"num_groups={groups} must be positive and divide the {channels} "
                         f"channels")
    return int(groups)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """``torch.nn.functional.group_norm``: statistics per sample over each group of channels."""
    x = _check_x(input)
    n, c = x.shape[:2]
    groups = _check_groups(num_groups, c)
    weight = _check_channel_vector(weight, "weight", c, x.dtype)
    bias = _check_channel_vector(bias, "bias", c, x.dtype)
    eps = _check_number(eps, "eps")
    # each (sample, group) is one row; its statistics are that row's
    rows = x.reshape(n * groups, -1)
    y = ((rows - rows.mean(axis=1, keepdims=True))
         / np.sqrt(rows.var(axis=1, keepdims=True) + eps)).reshape(x.shape)
    if weight is not None:
        y = y * _per_channel(weight.astype(x.dtype), x.ndim)
    if bias is not None:
        y = y + _per_channel(bias.astype(x.dtype), x.ndim)
    return y.astype(x.dtype, copy=False)


def group_norm_backward(grad_output, input, num_groups, weight=None, eps=1e-5):
    """Gradients of ``group_norm`` w.r.t. ``(input, weight, bias)``.

    The batch-norm formula with each (sample, group) in the role of a channel: the
    per-channel weight scales the upstream gradient first, the means run over a group's
    channels and positions of one sample, and ``dw``, ``db`` still sum per channel.
    """
    x = _check_x(input)
    g = _check_x(grad_output, "grad_output")
    if g.shape != x.shape:
        raise ValueError(f"grad_output must have the input's shape {x.shape}, got {g.shape}")
    n, c = x.shape[:2]
    groups = _check_groups(num_groups, c)
    weight = _check_channel_vector(weight, "weight", c, x.dtype)
    eps = _check_number(eps, "eps")
    rows = x.reshape(n * groups, -1)
    inv_std = 1.0 / np.sqrt(rows.var(axis=1, keepdims=True) + eps)
    x_hat = ((rows - rows.mean(axis=1, keepdims=True)) * inv_std).reshape(x.shape)
    axes = _axes(x)
    grad_weight, grad_bias = (g * x_hat).sum(axis=axes), g.sum(axis=axes)
    g_hat = g if weight is None else g * _per_channel(weight.astype(x.dtype), x.ndim)
    g_rows, x_rows = g_hat.reshape(n * groups, -1), x_hat.reshape(n * groups, -1)
    grad_input = (g_rows - g_rows.mean(axis=1, keepdims=True)
                  - x_rows * (g_rows * x_rows).mean(axis=1, keepdims=True)) * inv_std
    return (grad_input.reshape(x.shape).astype(x.dtype, copy=False),
            grad_weight.astype(x.dtype, copy=False), grad_bias.astype(x.dtype, copy=False))
