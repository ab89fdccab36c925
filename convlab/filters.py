"""Classic image kernels by name, and the image demo that applies one with scipy.

    >>> named_kernel("sobel x")            # the 3×3 Sobel kernel for x-gradients
    >>> named_kernel("gaussian blur", 5)   # binomial approximation of a Gaussian
    >>> KERNEL_NAMES                        # every name accepted

Kernels are written for cross-correlation (what deep-learning layers compute),
so ``sobel x`` responds positively where brightness rises to the right.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from ._geometry import as_pair, paddings


def _binomial(n: int) -> np.ndarray:
    """Row ``n - 1`` of Pascal's triangle: a Gaussian in miniature (1 2 1, 1 4 6 4 1, ...)."""
    row = np.ones(1)
    for _ in range(n - 1):
        row = np.convolve(row, [1.0, 1.0])
    return row


def _identity(size: int) -> np.ndarray:
    kernel = np.zeros((size, size))
    kernel[(size - 1) // 2, (size - 1) // 2] = 1.0
    return kernel


def _sobel(size: int) -> np.ndarray:
    # smooth along y, difference along x; size 3 gives [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
    if size < 2:
        raise ValueError("a Sobel kernel needs kernel_size of at least 2")
    return np.outer(_binomial(size), np.convolve(_binomial(size - 1), [1.0, -1.0])[::-1])


_KERNELS = {
    "identity": _identity,
    "box blur": lambda k: np.full((k, k), 1.0 / k**2),
    "gaussian blur": lambda k: np.outer(_binomial(k), _binomial(k)) / 4.0 ** (k - 1),
    "sharpen": lambda k: 3 * _identity(k) - np.full((k, k), 2.0 / k**2),  # δ + 2(δ - box)
    "sobel x": _sobel,
    "sobel y": lambda k: _sobel(k).T,
    "laplacian (edges)": lambda k: np.ones((k, k)) - k**2 * _identity(k),
}
#: Names accepted by :func:`named_kernel`.
KERNEL_NAMES = tuple(_KERNELS)


def named_kernel(name: str, kernel_size: int = 3) -> np.ndarray:
    """The ``kernel_size × kernel_size`` kernel called ``name`` (one of ``KERNEL_NAMES``)."""
    if name not in _KERNELS:
        raise ValueError(f"name must be one of {list(KERNEL_NAMES)}, got {name!r}")
    as_pair(kernel_size, "kernel_size", 1)
    return _KERNELS[name](int(kernel_size))


def _filter_image(image: np.ndarray, kernel: np.ndarray, stride=1, padding=0,
                  dilation=1) -> np.ndarray:
    """Cross-correlate a 2-D image with ``kernel`` using scipy, with torch's argument meanings."""
    stride = as_pair(stride, "stride", 1)
    dilation = as_pair(dilation, "dilation", 1)
    before, after = paddings(padding, kernel.shape, stride, dilation)
    padded = np.pad(image, ((before[0], after[0]), (before[1], after[1])))
    spread = np.zeros(tuple(d * (k - 1) + 1 for k, d in zip(kernel.shape, dilation)))
    spread[::dilation[0], ::dilation[1]] = kernel
    if any(s > p for s, p in zip(spread.shape, padded.shape)):
        raise ValueError(f"the dilated kernel {spread.shape} is larger than the padded image "
                         f"{padded.shape}: there is no output")
    # scipy computes every stride-1 position; slicing keeps the strided ones.
    full = signal.correlate2d(padded, spread, mode="valid")
    return full[::stride[0], ::stride[1]]
