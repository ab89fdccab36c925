"""A stack of causal 1-D convolutions as WaveNet draws it: which past samples reach one output.

Builders in the style of :mod:`convlab.frames`: they return :class:`~convlab.frames.Frame`
objects, so :func:`convlab.draw` draws them and :func:`convlab.animate` plays them. Rows
are sequences, the input at the bottom and the output on top; every layer pads its own
input with ``(k - 1) d`` zeros on the left (dashed cells), which is what makes it causal.

    >>> animate(causal_stack_frames(length=16, kernel_size=2, dilations=(1, 2, 4, 8)))
"""

from __future__ import annotations

import numpy as np

from ._geometry import as_int
from .frames import Frame, Grid

_ROW_GAP = 2.2  # room between rows for the links and a row's label


def _dilations(dilations) -> tuple[int, ...]:
    if not isinstance(dilations, (tuple, list)) or not dilations:
        raise ValueError(f"dilations must be a non-empty tuple of ints, got {dilations!r}")
    return tuple(as_int(d, "dilations", 1) for d in dilations)


def causal_stack_frame(length=16, kernel_size=2, dilations=(1, 2, 4, 8), position=None) -> Frame:
    """The cells that output ``position`` (default: the last) depends on, layer by layer.

    Layer ``l`` computes ``h_l[t] = sum_a w[a] h_{l-1}[t - (k - 1 - a) d_l]``: taps at
    ``t, t - d_l, ..., t - (k - 1) d_l``, never in the future. The tree of those taps is
    drawn with links; taps left of time 0 fall on the layer's zero padding.
    """
    n = as_int(length, "length", 1)
    k = as_int(kernel_size, "kernel_size", 1)
    rates = _dilations(dilations)
    t = n - 1 if position is None else as_int(position, "position", 0)
    if t >= n:
        raise ValueError(f"position must be below length={n}, got {t}")
    depth = len(rates)
    left = (k - 1) * max(rates)  # widest padding: every row's time 0 lines up at this x

    # needed[l]: times of row l that output t depends on (row 0 is the input, row depth the
    # output); a negative time is a padding zero and depends on nothing.
    needed = [set() for _ in range(depth + 1)]
    needed[depth] = {t}
    links = []
    for layer in range(depth, 0, -1):
        d = rates[layer - 1]
        for u in sorted(needed[layer]):
            if u < 0:
                continue
            for a in range(k):
                v = u - (k - 1 - a) * d
                needed[layer - 1].add(v)
                links.append((left + v + 0.5, _row_y(layer - 1, depth),
                              left + u + 0.5, _row_y(layer, depth) + 1))

    grids, taps = [], []
    for row in range(depth + 1):
        pad = (k - 1) * rates[row] if row < depth else 0
        kinds = np.array([["padding"] * pad + ["input" if row == 0 else "output"] * n],
                         dtype=object)
        y = _row_y(row, depth)
        for v in needed[row]:
            if row == 0 or v < 0:
                taps.append((float(left + v), y, np.nan))
            else:
                kinds[0, pad + v] = "current"
        label = ("input" if row == 0 else "output" if row == depth else f"hidden layer {row}")
        if row < depth and pad:
            label += f" (padded with {pad} zero{'s' * (pad > 1)} for dilation {rates[row]})"
        grids.append(Grid(float(left - pad), y, kinds, label=label))

    field = 1 + (k - 1) * sum(rates)
    early = ("; the rest of its field lies before time 0, where the layers read padding zeros"
             if t + 1 < field else "")
    title = (f"causal convolutions · kernel {k} · dilations {', '.join(map(str, rates))} · "
             f"receptive field {field}")
    return Frame(tuple(grids), tuple(taps), None, tuple(links), title,
                 f"output[{t}] depends on input[{max(t - field + 1, 0)}..{t}], nothing after "
                 f"time {t}{early}")


def _row_y(row: int, depth: int) -> float:
    """Top edge of a row: the input (row 0) at the bottom, the output on top."""
    return (depth - row) * _ROW_GAP


def causal_stack_frames(length=16, kernel_size=2, dilations=(1, 2, 4, 8)) -> list[Frame]:
    """One frame per output time step, left to right."""
    n = as_int(length, "length", 1)
    return [causal_stack_frame(n, kernel_size, dilations, t) for t in range(n)]
