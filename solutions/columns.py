"""im2col: lay every kernel window out as a column, so a convolution becomes one matrix product.

Sliding windows are read with stride tricks (a view, no copy); only the final
column matrix is materialised. ``batch_chunks`` bounds that matrix's size so a
large batch never needs more than one chunk's worth of columns at a time.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ._args import Geometry, check_input, check_pair, conv_geometry

# Columns of at most this many bytes are built at once; one sample is the minimum.
# 8 MiB keeps a chunk close to the CPU caches while leaving BLAS large products.
CHUNK_BYTES = 8 * 2**20


def pad_input(x: np.ndarray, geometry: Geometry, value: float = 0.0) -> np.ndarray:
    """Pad the two spatial axes of an NCHW array with ``value`` (no copy without padding)."""
    (top, left), (bottom, right) = geometry.pad_before, geometry.pad_after
    if top == left == bottom == right == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=value)


def windows(x_padded: np.ndarray, geometry: Geometry,
            out_size: tuple[int, int]) -> np.ndarray:
    """Read-only view ``(N, C, kH, kW, H_out, W_out)`` of every dilated, strided window."""
    n, c, _, _ = x_padded.shape
    s_n, s_c, s_h, s_w = x_padded.strides
    (kh, kw), (sh, sw), (dh, dw) = geometry.kernel, geometry.stride, geometry.dilation
    return as_strided(x_padded, shape=(n, c, kh, kw, *out_size),
                      strides=(s_n, s_c, s_h * dh, s_w * dw, s_h * sh, s_w * sw),
                      writeable=False)


def columns(x: np.ndarray, geometry: Geometry, out_size: tuple[int, int]) -> np.ndarray:
    """The im2col matrix ``(N, C * kH * kW, H_out * W_out)`` of an unpadded NCHW batch."""
    view = windows(pad_input(x, geometry), geometry, out_size)
    n, c = x.shape[:2]
    return np.ascontiguousarray(view).reshape(n, c * geometry.kernel[0] * geometry.kernel[1],
                                               out_size[0] * out_size[1])


def channel_columns(x_padded: np.ndarray, geometry: Geometry,
                    out_size: tuple[int, int]) -> np.ndarray:
    """Columns grouped by channel, ``(C, kH * kW, N * H_out * W_out)``, of a padded batch.

    The whole batch becomes each channel's long dimension: the layout for many small
    per-channel products (depthwise convolution, weight gradients).
    """
    n, c = x_padded.shape[:2]
    view = windows(x_padded, geometry, out_size).transpose(1, 2, 3, 0, 4, 5)
    return np.ascontiguousarray(view).reshape(c, geometry.kernel[0] * geometry.kernel[1], -1)


def batch_chunks(batch: int, bytes_per_sample: int):
    """Yield ``slice``s over the batch so each chunk's columns fit in ``CHUNK_BYTES``."""
    step = max(1, CHUNK_BYTES // max(1, bytes_per_sample))
    for start in range(0, batch, step):
        yield slice(start, min(start + step, batch))


def im2col(input, kernel_size, stride=1, padding=0, dilation=1) -> np.ndarray:
    """Public im2col: ``(N, C*kH*kW, H_out*W_out)`` (no N for an unbatched CHW input).

    Row ``c*kH*kW + i*kW + j`` holds input channel ``c`` seen through kernel tap
    ``(i, j)``; column ``r*W_out + q`` is output position ``(r, q)``. A weight
    reshaped to ``(C_out, C*kH*kW)`` times this matrix is the convolution.
    """
    x, unbatched = check_input(input)
    geometry = conv_geometry(check_pair(kernel_size, "kernel_size", 1), stride, padding,
                             dilation)
    cols = columns(x, geometry, geometry.output_size(x.shape[2:]))
    return cols[0] if unbatched else cols
