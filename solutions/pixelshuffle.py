"""Sub-pixel convolution's rearrangement (Shi et al., 2016): PixelShuffle and its inverse.

``pixel_shuffle`` moves channel ``c r^2 + i r + j`` of each low-resolution cell ``(h, w)``
to output cell ``(h r + i, w r + j)`` of channel ``c``: (*, C r^2, H, W) -> (*, C, H r, W r),
as ``torch.nn.functional.pixel_shuffle``. ``pixel_unshuffle`` is its inverse. Both only
move values: any number of leading batch axes, any dtype.
"""

from __future__ import annotations

import numpy as np

from ._args import check_array, check_int


def _image(input, name="input") -> np.ndarray:
    x = check_array(input, name)
    if x.ndim < 3:
        raise ValueError(f"{name} must have at least 3 dimensions (*, C, H, W), got shape "
                         f"{x.shape}")
    return x


def pixel_shuffle(input, upscale_factor) -> np.ndarray:
    """(*, C r^2, H, W) -> (*, C, H r, W r): out[..., c, h r + i, w r + j] =
    input[..., c r^2 + i r + j, h, w], as ``torch.nn.functional.pixel_shuffle``."""
    x = _image(input)
    r = check_int(upscale_factor, "upscale_factor", 1)
    *batch, channels, h, w = x.shape
    if channels % (r * r):
        raise ValueError(f"upscale_factor={r}: the {channels} channels must be divisible by "
                         f"upscale_factor**2 = {r * r}")
    c = channels // (r * r)
    y = x.reshape(*batch, c, r, r, h, w)
    n = len(batch)
    # axes (c, i, j, h, w) -> (c, h, i, w, j): rows h r + i, columns w r + j
    y = y.transpose(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return np.ascontiguousarray(y).reshape(*batch, c, h * r, w * r)


def pixel_unshuffle(input, downscale_factor) -> np.ndarray:
    """(*, C, H r, W r) -> (*, C r^2, H, W), the inverse of ``pixel_shuffle``, as
    ``torch.nn.functional.pixel_unshuffle``."""
    x = _image(input)
    r = check_int(downscale_factor, "downscale_factor", 1)
    *batch, c, hr, wr = x.shape
    if hr % r or wr % r:
        raise ValueError(f"downscale_factor={r} must divide the height {hr} and the width "
                         f"{wr}")
    h, w = hr // r, wr // r
    n = len(batch)
    y = x.reshape(*batch, c, h, r, w, r)
    # axes (c, h, i, w, j) -> (c, i, j, h, w)
    y = y.transpose(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return np.ascontiguousarray(y).reshape(*batch, c * r * r, h, w)
