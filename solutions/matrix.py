"""Convolution as a matrix: ``conv2d(x).ravel() == C @ x.ravel()``.

A convolution is linear in its input, so it *is* a matrix. Column ``j`` of
that matrix is the response to the ``j``-th unit image, which is how
:func:`conv_matrix` builds it. The same matrix transposed is
``conv_transpose2d``: same connectivity, reversed direction, not the inverse.
"""

from __future__ import annotations

import numpy as np

from ._args import check_array, check_int
from .standard import conv2d


def conv_matrix(input_shape, weight, stride=1, padding=0, dilation=1, groups=1) -> np.ndarray:
    """The ``(C_out*H_out*W_out, C_in*H*W)`` matrix of ``conv2d`` on inputs of ``input_shape``.

    ``input_shape`` is ``(C_in, H, W)``; the matrix has the weight's dtype (float64 for
    integer weights). Rows and columns follow numpy's C order of the CHW arrays.
    """
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
        raise ValueError(f"input_shape must be (C_in, H, W), got {input_shape!r}")
    c, h, w = (check_int(v, f"input_shape[{i}]", 1) for i, v in enumerate(input_shape))
    weight = check_array(weight, "weight")
    dtype = weight.dtype if np.issubdtype(weight.dtype, np.floating) else np.float64
    basis = np.eye(c * h * w, dtype=dtype).reshape(c * h * w, c, h, w)
    responses = conv2d(basis, weight, stride=stride, padding=padding, dilation=dilation,
                       groups=groups)
    return responses.reshape(c * h * w, -1).T.copy()
