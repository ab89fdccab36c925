"""ReLU, ``max(x, 0)``, and its gradient: the upstream gradient where the input was positive.

At ``x = 0`` the derivative is taken as 0, as torch does (``threshold_backward``).
"""

from __future__ import annotations

import numpy as np

from ._args import check_array


def relu(input):
    """``torch.nn.functional.relu``; dtype follows ``input``."""
    x = check_array(input, "input")
    return np.maximum(x, 0).astype(x.dtype, copy=False)


def relu_backward(grad_output, input):
    """dL/dx of ``relu``: ``grad_output`` where ``input > 0``, else 0."""
    x = check_array(input, "input")
    g = check_array(grad_output, "grad_output")
    if g.shape != x.shape:
        raise ValueError(f"grad_output must have the input's shape {x.shape}, got {g.shape}")
    return np.where(x > 0, g, 0).astype(g.dtype, copy=False)
