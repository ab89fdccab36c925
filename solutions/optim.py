"""Stochastic gradient descent with momentum, in ``torch.optim.SGD``'s form.

torch keeps a buffer ``b`` per parameter and steps ``p ← p - lr·b`` with
``b ← μ b + (1 - dampening) g`` (``b = g`` on the first step), after adding weight decay
``λ p`` to the gradient. This is not the form of Sutskever et al. (2013),
``v ← μ v - lr g; p ← p + v``: the two agree for a constant learning rate, and differ
when it changes, since torch's buffer holds gradients, not steps.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._args import check_array


def _check_rate(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be at least 0, got {value}")
    return float(value)


def sgd_step(param, grad, buffer, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
             nesterov=False):
    """One ``torch.optim.SGD`` step for one parameter: ``(new_param, new_buffer)``.

    ``buffer`` is the momentum buffer of the previous step, or ``None`` on the first step
    (then the buffer starts as the gradient). The arrays passed in are not modified. With
    ``momentum=0`` there is no buffer and ``None`` is returned for it.
    """
    p, g = check_array(param, "param"), check_array(grad, "grad")
    if g.shape != p.shape:
        raise ValueError(f"grad must have param's shape {p.shape}, got {g.shape}")
    lr, momentum = _check_rate(lr, "lr"), _check_rate(momentum, "momentum")
    dampening = _check_rate(dampening, "dampening")
    weight_decay = _check_rate(weight_decay, "weight_decay")
    if not isinstance(nesterov, (bool, np.bool_)):
        raise TypeError(f"nesterov must be True or False, got {nesterov!r}")
    if nesterov and (momentum <= 0 or dampening != 0):
        raise ValueError("nesterov momentum needs momentum > 0 and dampening = 0")
    if buffer is not None:
        buffer = check_array(buffer, "buffer")
        if buffer.shape != p.shape:
            raise ValueError(f"buffer must have param's shape {p.shape}, got {buffer.shape}")
    if weight_decay:
        g = g + weight_decay * p
    new_buffer = None
    if momentum:
        new_buffer = g.copy() if buffer is None else momentum * buffer + (1 - dampening) * g
        g = g + momentum * new_buffer if nesterov else new_buffer
    # np.asarray: arithmetic on 0-d arrays gives numpy scalars; the result stays an array
    new_param = np.asarray(p - lr * g, dtype=p.dtype)
    return new_param, None if new_buffer is None else np.asarray(new_buffer)
