"""A separable kernel as two 1-D passes, as frames for :func:`convlab.animate`.

Filtering with ``outer(col, row)`` equals a ``k×1`` pass down the columns followed
by a ``1×k`` pass across the rows. :func:`separable_frames` draws both passes with
the numbers in the cells: first the column vector slides over the image, filling
the intermediate result, then the row vector slides over that intermediate.

    >>> frames = separable_frames(np.arange(16.0).reshape(4, 4), [1, 2, 1], [-1, 0, 1])
    >>> convlab.animate(frames)
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .filters import _filter_image
from .frames import Frame, conv_frame


def _vector(values, name: str) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    if v.ndim != 1 or v.size < 1:
        raise ValueError(f"{name} must be a non-empty 1-D sequence, got shape {v.shape}")
    return v


def _numbers(v: np.ndarray) -> str:
    return "[" + ", ".join(f"{x:g}" for x in v) + "]"


def separable_frames(image, col, row) -> list[Frame]:
    """Frames of filtering ``image`` with ``outer(col, row)`` (no padding) in two 1-D passes.

    One frame per cell of the intermediate ``Z`` (the ``len(col)×1`` pass), then one
    per cell of the output ``Y`` (the ``1×len(row)`` pass); titles say which pass is on show.
    """
    x = np.asarray(image, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"image must be 2-D, got shape {x.shape}")
    col, row = _vector(col, "col"), _vector(row, "row")
    if col.size > x.shape[0] or row.size > x.shape[1]:
        raise ValueError(f"the {col.size}×{row.size} kernel does not fit the {x.shape[0]}×"
                         f"{x.shape[1]} image: there is no output")
    middle = _filter_image(x, col[:, None])
    passes = ((f"pass 1 of 2: column {_numbers(col)} slides down", x, col[:, None], "image X",
               "after pass 1: Z"),
              (f"pass 2 of 2: row {_numbers(row)} slides across", middle, row[None, :],
               "after pass 1: Z", "output Y"))
    frames = []
    for title, source, kernel, source_name, result_name in passes:
        (h, w), (kh, kw) = source.shape, kernel.shape
        out = (h - kh + 1, w - kw + 1)
        for position in range(out[0] * out[1]):
            frame = conv_frame((h, w), (kh, kw), position=position, values=(source, kernel))
            grids = (replace(frame.grids[0], label=f"{source_name} {h}×{w}"),
                     replace(frame.grids[1], label=f"{result_name} {out[0]}×{out[1]}"))
            # The caption names the result of this pass: Z[i, j] = ..., then Y[i, j] = ...
            caption = result_name[-1] + frame.caption.removeprefix("output")
            frames.append(replace(frame, grids=grids, title=title, caption=caption))
    return frames
