"""TensorFlow's 'SAME' padding: the output keeps ceil(n / s) cells, for any stride.

PyTorch's ``padding='same'`` exists only at stride 1. TensorFlow (and Keras) accept
``'SAME'`` at every stride: they choose the output size first, ``ceil(n / s)``, then pad
just enough zeros for that many windows, putting the odd one at the bottom/right.
"""

from __future__ import annotations

from ._args import check_int


def tf_same_padding(n, kernel_size, stride=1, dilation=1) -> tuple[int, int]:
    """``(before, after)`` zeros TensorFlow's 'SAME' adds along one axis of length ``n``.

    Total ``max((ceil(n/s) - 1) s + d(k - 1) + 1 - n, 0)``; ``before`` gets the smaller half.
    """
    n = check_int(n, "n", 1)
    k = check_int(kernel_size, "kernel_size", 1)
    s = check_int(stride, "stride", 1)
    d = check_int(dilation, "dilation", 1)
    out = -(-n // s)
    total = max((out - 1) * s + d * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2
