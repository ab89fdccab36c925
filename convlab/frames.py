"""What one picture of a convolution shows, as plain data: grids of cells, kernel taps, links.

A :class:`Frame` knows nothing about matplotlib. Builders turn convolution
arguments into frames; :mod:`convlab.grid` draws any frame, :mod:`convlab.animate`
plays a list of them, :mod:`convlab.widgets` redraws one on every slider move.
A new convolution type therefore only ADDS a builder here (any ``*_frame``
function returning a :class:`Frame`); the drawing, the player and the panels
work unchanged. Cell roles (``Grid.kinds``) are the strings styled in
:data:`convlab.grid.STYLES`; ``"g0"``, ``"g1"``, ... colour channel groups.

    >>> frame = conv_frame(input_size=5, kernel_size=3, stride=2, padding=1, position=4)
    >>> frame                       # a notebook shows it as a PNG (convlab.grid.install)
    >>> frames = conv_frames(5, 3, dilation=2, values=True)  # one per output cell

Coordinates are in cell units with ``y`` pointing down, like array indices.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ._geometry import as_int, as_pair, paddings, span, window_count


@dataclass(frozen=True, eq=False)
class Grid:
    """Cells at ``(x, y)``: ``kinds[r, c]`` is a cell's role, ``values[r, c]`` its number."""

    x: float
    y: float
    kinds: np.ndarray
    values: np.ndarray | None = None
    label: str = ""
    cell: float = 1.0

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """``(x0, y0, x1, y1)`` of the grid in diagram units."""
        rows, cols = self.kinds.shape
        return self.x, self.y, self.x + cols * self.cell, self.y + rows * self.cell


@dataclass(frozen=True, eq=False)
class Frame:
    """One picture: grids, the kernel taps on top of them, the window outline and link lines."""

    grids: tuple[Grid, ...]
    taps: tuple[tuple[float, float, float], ...] = ()
    window: tuple[float, float, float, float] | None = None
    links: tuple[tuple[float, float, float, float], ...] = ()
    title: str = ""
    caption: str = ""

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """Bounding box ``(x0, y0, x1, y1)`` of every grid."""
        boxes = np.array([grid.extent for grid in self.grids])
        return (boxes[:, 0].min(), boxes[:, 1].min(), boxes[:, 2].max(), boxes[:, 3].max())

    def describe(self) -> str:
        """Alt text: the frame's title and caption, in words."""
        words = [w.strip().rstrip(".") for w in (self.title, self.caption) if w and w.strip()]
        return ". ".join(words) or "Diagram"


@dataclass(frozen=True)
class _Axis:
    """One axis of a windowed picture: the drawn cells and where each window starts."""

    first: int                 # coordinate of the first drawn cell (negative inside padding)
    kinds: tuple[str, ...]     # role of every drawn cell
    sources: tuple[int, ...]   # index into the input for "input" cells, -1 for zeros
    starts: tuple[int, ...]    # coordinate of each window's first tap, one per output cell
    kernel_size: int
    dilation: int


def _conv_axis(n: int, kernel_size: int, stride: int, before: int, after: int,
               dilation: int) -> _Axis:
    count = window_count(n, kernel_size, stride, before, after, dilation)
    coords = range(-before, n + after)
    return _Axis(first=-before,
                 kinds=tuple("input" if 0 <= c < n else "padding" for c in coords),
                 sources=tuple(c if 0 <= c < n else -1 for c in coords),
                 starts=tuple(-before + o * stride for o in range(count)),
                 kernel_size=kernel_size, dilation=dilation)


def _transposed_axis(n: int, kernel_size: int, stride: int, padding: int, output_padding: int,
                     dilation: int) -> _Axis:
    # Zero-insertion view: s - 1 zeros between inputs, d(k-1) - p zeros around
    # (output_padding more at the end), then a stride-1 convolution. Negative
    # implicit padding crops the spread input instead; those cells stay visible, greyed.
    if output_padding >= stride and output_padding >= dilation:
        raise ValueError(f"output_padding must be smaller than stride or dilation, got "
                         f"output_padding={output_padding}, stride={stride}, dilation={dilation}")
    spread = (n - 1) * stride + 1
    implicit = dilation * (kernel_size - 1) - padding
    lo, hi = -implicit, spread + implicit + output_padding
    width = span(kernel_size, dilation)
    if hi - lo < width:
        raise ValueError(f"padding={padding} crops the whole output of this transposed "
                         f"convolution (its size would be {hi - lo - width + 1})")
    kinds, sources = [], []
    for c in range(min(0, lo), max(spread, hi)):
        inside = 0 <= c < spread
        if not lo <= c < hi:
            kinds.append("cropped")
        elif not inside:
            kinds.append("padding")
        else:
            kinds.append("inserted" if c % stride else "input")
        sources.append(c // stride if kinds[-1] == "input" else -1)
    return _Axis(first=min(0, lo), kinds=tuple(kinds), sources=tuple(sources),
                 starts=tuple(range(lo, hi - width + 1)), kernel_size=kernel_size,
                 dilation=dilation)


# A cell is only an input cell if it is one along both axes; otherwise the
# stronger "zero" role wins (padding beats an inserted zero, cropping beats both).
_PRIORITY = {"input": 0, "inserted": 1, "padding": 2, "cropped": 3}


def _number(value: float) -> str:
    value = float(value) + 0.0  # turns -0.0 (from 0 × a negative weight) into 0.0
    text = f"{value:g}"
    return f"({text})" if value < 0 else text


def _position(position, shape: tuple[int, int]) -> tuple[int, int]:
    rows, cols = shape
    if isinstance(position, (tuple, list)):
        r, c = position
    else:
        r, c = divmod(int(position), cols)
    if not (0 <= r < rows and 0 <= c < cols):
        raise ValueError(f"position {position!r} is outside the {rows}×{cols} output")
    return int(r), int(c)


def _default_values(input_shape, kernel_shape):
    # d2l's hand example: arange(9) as a 3x3 input, arange(4) as a 2x2 kernel -> 19
    x = (np.arange(np.prod(input_shape)) % 10).reshape(input_shape)
    w = (np.arange(np.prod(kernel_shape)) % 4).reshape(kernel_shape)
    return x.astype(float), w.astype(float)


def _checked_values(values, input_shape, kernel_shape):
    if values is True:
        return _default_values(input_shape, kernel_shape)
    x, w = (np.asarray(v, dtype=float) for v in values)
    if x.shape != tuple(input_shape) or w.shape != tuple(kernel_shape):
        raise ValueError(f"values must be (input, weight) arrays of shapes {tuple(input_shape)} "
                         f"and {tuple(kernel_shape)}, got {x.shape} and {w.shape}")
    return x, w


def _taps(axis: _Axis, index: int) -> list[int]:
    """Drawn-cell indices under the kernel for output ``index`` along one axis."""
    start = axis.starts[index] - axis.first
    return [start + a * axis.dilation for a in range(axis.kernel_size)]


def _window_frame(rows: _Axis, cols: _Axis, position, values, *, flip: bool, title: str,
                  input_label: str, output_label: str) -> Frame:
    """Shared picture of every windowed convolution: input, sliding window, output."""
    kinds = np.array([[max(kr, kc, key=_PRIORITY.get) for kc in cols.kinds]
                      for kr in rows.kinds], dtype=object)
    out_shape = (len(rows.starts), len(cols.starts))
    r, c = _position(position, out_shape)
    taps_r, taps_c = _taps(rows, r), _taps(cols, c)

    out_kinds = np.full(out_shape, "output", dtype=object)
    out_kinds[r, c] = "current"
    in_values = out_values = None
    weights = np.full((rows.kernel_size, cols.kernel_size), np.nan)
    caption = f"output[{r}, {c}]"
    if values is not False:
        x, weight = values
        weights = weight[::-1, ::-1] if flip else weight
        src_r, src_c = np.array(rows.sources), np.array(cols.sources)
        in_values = np.where((src_r[:, None] >= 0) & (src_c[None, :] >= 0),
                             x[src_r.clip(0)][:, src_c.clip(0)], np.nan)
        zeros = np.nan_to_num(in_values)
        out_values = np.full(out_shape, np.nan)
        for i, j in np.ndindex(out_shape):
            if (i, j) > (r, c):  # the output fills in as the window slides
                break
            out_values[i, j] = float((zeros[np.ix_(_taps(rows, i), _taps(cols, j))]
                                      * weights).sum())
        terms = [f"{_number(in_values[tr, tc])}×{_number(weights[a, b])}"
                 for a, tr in enumerate(taps_r) for b, tc in enumerate(taps_c)
                 if not np.isnan(in_values[tr, tc])]
        caption += " = " + (" + ".join(terms) + " = " if terms else "only zeros under the "
                            "kernel = ") + _number(out_values[r, c])

    height, width = kinds.shape
    out_x, out_y = width + 2.5, (height - out_shape[0]) / 2
    window = (taps_c[0], taps_r[0], span(cols.kernel_size, cols.dilation),
              span(rows.kernel_size, rows.dilation))
    wx, wy, ww, wh = window
    links = ((wx + ww, wy, out_x + c, out_y + r),
             (wx + ww, wy + wh, out_x + c, out_y + r + 1))
    taps = tuple((float(tc), float(tr), float(weights[a, b]))
                 for a, tr in enumerate(taps_r) for b, tc in enumerate(taps_c))
    grids = (Grid(0, 0, kinds, in_values, input_label),
             Grid(out_x, out_y, out_kinds, out_values, output_label))
    return Frame(grids, taps, window, links, title, caption)


def _fmt(pair: tuple[int, int]) -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"({pair[0]}, {pair[1]})"


def _conv_axes(input_size, kernel_size, stride, padding, dilation):
    size = as_pair(input_size, "input_size", 1)
    k = as_pair(kernel_size, "kernel_size", 1)
    s = as_pair(stride, "stride", 1)
    d = as_pair(dilation, "dilation", 1)
    before, after = paddings(padding, k, s, d)
    axes = [_conv_axis(size[i], k[i], s[i], before[i], after[i], d[i]) for i in (0, 1)]
    pad = _fmt(before) if before == after else (f"{_fmt(before)} top/left, {_fmt(after)} "
                                                 "bottom/right")
    if padding == "same":
        pad = f"'same' ({pad})"
    title = f"kernel {k[0]}×{k[1]} · stride {_fmt(s)} · padding {pad} · dilation {_fmt(d)}"
    return size, k, axes, title


def conv_frame(input_size=5, kernel_size=3, stride=1, padding=0, dilation=1, position=0,
               values=False) -> Frame:
    """The kernel window at one output ``position`` (flat index or ``(row, col)``) of a convolution.

    ``padding`` is an int, a pair, ``'valid'`` or ``'same'``. ``values=True``
    writes small integers in the cells (``values=(input, weight)`` uses yours)
    and the caption spells out the sum, e.g. ``0×0 + 1×1 + 3×2 + 4×3 = 19``.
    """
    size, k, (rows, cols), title = _conv_axes(input_size, kernel_size, stride, padding, dilation)
    values = values if values is False else _checked_values(values, size, k)
    out = (len(rows.starts), len(cols.starts))
    return _window_frame(rows, cols, position, values, flip=False, title=title,
                         input_label=f"input {size[0]}×{size[1]}",
                         output_label=f"output {out[0]}×{out[1]}")


def conv_frames(input_size=5, kernel_size=3, stride=1, padding=0, dilation=1,
                values=False) -> list[Frame]:
    """Every frame of a convolution, one per output cell in row-major order."""
    _, _, (rows, cols), _ = _conv_axes(input_size, kernel_size, stride, padding, dilation)
    return [conv_frame(input_size, kernel_size, stride, padding, dilation, p, values)
            for p in range(len(rows.starts) * len(cols.starts))]


def _transposed_axes(input_size, kernel_size, stride, padding, output_padding, dilation):
    size = as_pair(input_size, "input_size", 1)
    k = as_pair(kernel_size, "kernel_size", 1)
    s = as_pair(stride, "stride", 1)
    p = as_pair(padding, "padding", 0)
    op = as_pair(output_padding, "output_padding", 0)
    d = as_pair(dilation, "dilation", 1)
    axes = [_transposed_axis(size[i], k[i], s[i], p[i], op[i], d[i]) for i in (0, 1)]
    title = (f"transposed · kernel {k[0]}×{k[1]} · stride {_fmt(s)} · padding {_fmt(p)}"
             + (f" · output_padding {_fmt(op)}" if any(op) else "")
             + (f" · dilation {_fmt(d)}" if d != (1, 1) else ""))
    return size, k, axes, title


def transposed_frame(input_size=2, kernel_size=3, stride=1, padding=0, output_padding=0,
                     dilation=1, position=0, values=False) -> Frame:
    """Transposed convolution as zero insertion plus a stride-1 convolution, at one position.

    Stride ``s`` puts ``s - 1`` zeros between input cells; ``d(k - 1) - p``
    zeros go around (``output_padding`` more at the bottom/right). The window
    then slides one cell at a time with the kernel rotated 180°, which is why
    the weights under it appear flipped when ``values`` is on.
    """
    size, k, (rows, cols), title = _transposed_axes(input_size, kernel_size, stride, padding,
                                                    output_padding, dilation)
    values = values if values is False else _checked_values(values, size, k)
    out = (len(rows.starts), len(cols.starts))
    frame = _window_frame(rows, cols, position, values, flip=True, title=title,
                          input_label=f"input {size[0]}×{size[1]} spread: zeros between "
                                      "and around",
                          output_label=f"output {out[0]}×{out[1]}")
    if values is False:
        return frame
    return replace(frame, caption="kernel rotated 180°: " + frame.caption)


def transposed_frames(input_size=2, kernel_size=3, stride=1, padding=0, output_padding=0,
                      dilation=1, values=False) -> list[Frame]:
    """Every frame of a transposed convolution, one per output cell in row-major order."""
    _, _, (rows, cols), _ = _transposed_axes(input_size, kernel_size, stride, padding,
                                             output_padding, dilation)
    return [transposed_frame(input_size, kernel_size, stride, padding, output_padding, dilation,
                             p, values)
            for p in range(len(rows.starts) * len(cols.starts))]


def groups_frame(in_channels=4, out_channels=4, groups=2, highlight=None) -> Frame:
    """Channel groups: who feeds whom, and the block-diagonal weight that results.

    Left, the input and output channels as stacks coloured by group, linked
    where a filter connects them; right, the ``C_out × C_in`` weight with one
    cell per ``k×k`` filter, zero outside the diagonal blocks. ``highlight``
    (a group index) greys out the other groups. ``groups=in_channels`` is depthwise.
    """
    in_channels = as_int(in_channels, "in_channels", 1)
    out_channels = as_int(out_channels, "out_channels", 1)
    groups = as_int(groups, "groups", 1)
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"groups={groups} must divide in_channels={in_channels} and "
                         f"out_channels={out_channels}")
    if highlight is not None and not 0 <= highlight < groups:
        raise ValueError(f"highlight must be a group index below {groups}, got {highlight}")
    per_in, per_out = in_channels // groups, out_channels // groups

    def role(g: int) -> str:
        return f"g{g}" if highlight in (None, g) else "muted"

    tall = max(in_channels, out_channels)
    in_y, out_y = (tall - in_channels) / 2, (tall - out_channels) / 2
    in_kinds = np.array([[role(i // per_in)] for i in range(in_channels)], dtype=object)
    out_kinds = np.array([[role(o // per_out)] for o in range(out_channels)], dtype=object)
    weight = np.array([[role(o // per_out) if o // per_out == i // per_in else "zero"
                        for i in range(in_channels)] for o in range(out_channels)], dtype=object)
    links = tuple((1.0, in_y + i + 0.5, 5.0, out_y + o + 0.5)
                  for o in range(out_channels) for i in range(in_channels)
                  if o // per_out == i // per_in and highlight in (None, o // per_out))
    grids = (Grid(0, in_y, in_kinds, label="input channels"),
             Grid(5, out_y, out_kinds, label="output channels"),
             Grid(9.5, out_y, weight, label="weight (a cell = one k×k filter)"))
    kind = " (depthwise)" if groups == in_channels else ""
    title = (f"groups={groups}{kind}: each output channel reads {per_in} of "
             f"{in_channels} input channels")
    caption = (f"weight shape ({out_channels}, {per_in}, k, k): "
               f"1/{groups} of the dense ({out_channels}, {in_channels}, k, k)")
    return Frame(grids, links=links, title=title, caption=caption)
