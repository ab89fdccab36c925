"""Sample images for filtering demos: grayscale float arrays in [0, 1], made offline.

    >>> test_card(128)        # edges at every angle, stripes, a gradient, a disc
    >>> checkerboard(64, 8)   # 8×8 squares: the simplest picture with edges both ways
    >>> photo(128)            # Grace Hopper, from matplotlib's bundled sample data
    >>> sample_image("photo") # by name; SAMPLE_IMAGES lists the names

Nothing is downloaded: two images are drawn by numpy, the photo ships inside
matplotlib (``mpl-data/sample_data``).
"""

from __future__ import annotations

from functools import cache

import numpy as np
from matplotlib import cbook
from PIL import Image


def test_card(size: int = 128) -> np.ndarray:
    """A synthetic test card: a disc, a square, a diagonal edge, stripes and a gradient."""
    y, x = np.mgrid[0:size, 0:size] / size
    image = np.full((size, size), 0.5)
    image[y < 0.5] = 0.25 + 0.5 * x[y < 0.5]                 # smooth ramp: blur leaves it alone
    image[(np.hypot(x - 0.27, y - 0.27) < 0.17)] = 1.0       # curved edge: every orientation
    square = (abs(x - 0.73) < 0.15) & (abs(y - 0.27) < 0.15)
    image[square] = 0.0                                       # straight edges: Sobel x vs y
    stripes = (y >= 0.56) & (y < 0.78)
    image[stripes] = np.where(np.sin(2 * np.pi * x[stripes] * (4 + 28 * x[stripes])) > 0,
                              0.9, 0.1)                       # rising frequency: aliasing, stride
    image[(y >= 0.82) & (x + y > 1.25)] = 0.85                # diagonal edge
    image[(y >= 0.82) & (x + y <= 1.25)] = 0.15
    return image


def checkerboard(size: int = 64, squares: int = 8) -> np.ndarray:
    """A ``size × size`` checkerboard with ``squares`` squares per side (0 and 1)."""
    index = np.arange(size) * squares // size
    return ((index[:, None] + index[None, :]) % 2).astype(float)


@cache
def _hopper() -> np.ndarray:
    with cbook.get_sample_data("grace_hopper.jpg") as file:
        image = Image.open(file).convert("L")
    side = min(image.size)
    left = (image.width - side) // 2
    return np.asarray(image.crop((left, 0, left + side, side)))


def photo(size: int = 128) -> np.ndarray:
    """A real photograph (Grace Hopper, public domain), square-cropped and resized."""
    image = Image.fromarray(_hopper()).resize((size, size), Image.Resampling.LANCZOS)
    return np.asarray(image, dtype=float) / 255


SAMPLE_IMAGES = {"test card": test_card, "checkerboard": checkerboard, "photo": photo}


def sample_image(name: str = "test card", size: int = 128) -> np.ndarray:
    """The sample image called ``name`` (one of ``SAMPLE_IMAGES``) at ``size × size``."""
    if name not in SAMPLE_IMAGES:
        raise ValueError(f"name must be one of {sorted(SAMPLE_IMAGES)}, got {name!r}")
    return SAMPLE_IMAGES[name](size)
