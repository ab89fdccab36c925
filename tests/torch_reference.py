"""torch as the tests' oracle: numpy arrays in, numpy arrays out, with torch's own names
and keywords, so that a test reads ``conv2d(x, w, stride=2)`` against ``solutions``'.

Arrays keep their dtype (the tests draw float64, where torch and the solutions agree to
rounding). ``one_channel``: a single 2-D image and kernel, one batch and one channel.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def conv2d(x: np.ndarray, w: np.ndarray, **kwargs) -> np.ndarray:
    return F.conv2d(torch.from_numpy(x), torch.from_numpy(w), **kwargs).numpy()


def conv_transpose2d(x: np.ndarray, w: np.ndarray, **kwargs) -> np.ndarray:
    return F.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(w), **kwargs).numpy()


def one_channel(op, x: np.ndarray, w: np.ndarray, **kwargs) -> np.ndarray:
    """``op`` (conv2d, conv_transpose2d) of a 2-D image ``x`` with a 2-D kernel ``w``."""
    return op(x[None, None], w[None, None], **kwargs)[0, 0]
