"""Pictures of what happens across channels: depthwise, pointwise (1×1) and channel shuffle.

Builders in the style of :mod:`convlab.frames`: they return :class:`~convlab.frames.Frame`
objects, so :func:`convlab.draw` draws them and :func:`convlab.animate` plays them.
Channels are coloured by the group roles ``"g0"``, ``"g1"``, ...

    >>> animate(depthwise_frames(channels=3, input_size=4, kernel_size=2))  # channel by channel
    >>> animate(pointwise_frames(in_channels=3, out_channels=2, size=3))    # pixel by pixel
    >>> shuffle_frame(channels=6, groups=2)                                 # one picture
"""

from __future__ import annotations

import numpy as np

from ._geometry import as_int
from .frames import Frame, Grid, _number

_GAP = 1.3  # rows between stacked channel grids: room for a label


def _depthwise_values(values, channels: int, n: int, k: int):
    if values is True:
        x = np.stack([(np.arange(n * n) + 3 * c) % 10 for c in range(channels)]).reshape(
            channels, n, n)
        w = np.stack([np.eye(k), np.eye(k)[::-1], np.triu(np.ones((k, k)))] * channels)
        return x.astype(float), w[:channels].astype(float)
    x, w = (np.asarray(v, dtype=float) for v in values)
    if x.shape != (channels, n, n) or w.shape != (channels, k, k):
        raise ValueError(f"values must be (input, kernels) of shapes {(channels, n, n)} and "
                         f"{(channels, k, k)}, got {x.shape} and {w.shape}")
    return x, w


def depthwise_frame(channels=3, input_size=4, kernel_size=2, channel=0, position=0,
                    values=True) -> Frame:
    """Depthwise convolution at output ``position`` of ``channel``: one kernel per channel.

    Every input channel (a colour) has its own kernel and its own output channel;
    the window sits on ``channel`` only. Outputs of earlier channels are filled in.
    ``values=(x, kernels)`` with shapes ``(C, n, n)`` and ``(C, k, k)`` uses your numbers.
    """
    c_count = as_int(channels, "channels", 1)
    n = as_int(input_size, "input_size", 1)
    k = as_int(kernel_size, "kernel_size", 1)
    if k > n:
        raise ValueError(f"kernel_size={k} is larger than input_size={n}: there is no output")
    channel = as_int(channel, "channel", 0)
    if channel >= c_count:
        raise ValueError(f"channel must be below channels={c_count}, got {channel}")
    o = n - k + 1
    r, c = divmod(as_int(position, "position", 0), o)
    if r >= o:
        raise ValueError(f"position {position} is outside the {o}×{o} output")
    x, w = _depthwise_values(values, c_count, n, k)

    kernel_x, out_x = n + 1.0, n + k + 2.5
    grids, out_y = [], 0.0
    for ch in range(c_count):
        y = ch * (n + _GAP)
        role = np.full((n, n), f"g{ch}", dtype=object)
        out_values = np.full((o, o), np.nan)
        out_kinds = np.full((o, o), "zero", dtype=object)
        for i, j in np.ndindex(o, o):
            if (ch, i, j) <= (channel, r, c):
                out_values[i, j] = float((x[ch, i:i + k, j:j + k] * w[ch]).sum())
                out_kinds[i, j] = f"g{ch}"
        if ch == channel:
            out_kinds[r, c], out_y = "current", y + (n - o) / 2
        grids += [Grid(0, y, role, x[ch], f"input channel {ch}"),
                  Grid(kernel_x, y + (n - k) / 2, np.full((k, k), f"g{ch}", dtype=object),
                       w[ch], f"kernel {ch}"),
                  Grid(out_x, y + (n - o) / 2, out_kinds, out_values, f"output {ch}")]
    y0 = channel * (n + _GAP)
    taps = tuple((float(c + b), float(y0 + r + a), float(w[channel, a, b]))
                 for a in range(k) for b in range(k))
    links = ((c + k, y0 + r, out_x + c, out_y + r), (c + k, y0 + r + k, out_x + c, out_y + r + 1))
    terms = " + ".join(f"{_number(x[channel, r + a, c + b])}×{_number(w[channel, a, b])}"
                       for a in range(k) for b in range(k))
    total = float((x[channel, r:r + k, c:c + k] * w[channel]).sum())
    return Frame(tuple(grids), taps, (float(c), float(y0 + r), float(k), float(k)), links,
                 title=f"depthwise {k}×{k}: channel {channel} meets only kernel {channel}",
                 caption=f"output[{channel}, {r}, {c}] = {terms} = {_number(total)}")


def depthwise_frames(channels=3, input_size=4, kernel_size=2, values=True) -> list[Frame]:
    """Every frame of a depthwise convolution: channel 0's outputs, then channel 1's, ..."""
    o = as_int(input_size, "input_size", 1) - as_int(kernel_size, "kernel_size", 1) + 1
    return [depthwise_frame(channels, input_size, kernel_size, ch, p, values)
            for ch in range(as_int(channels, "channels", 1)) for p in range(max(o, 0) ** 2)]


def _pointwise_values(values, c_in: int, c_out: int, n: int):
    if values is True:
        x = (np.arange(c_in * n * n) % 7).reshape(c_in, n, n)
        w = np.array([[1, 0, 2, 1], [1, -1, 0, 2], [0, 1, 1, -1], [2, 1, -1, 0]])
        if c_in > 4 or c_out > 4:
            w = np.resize(w, (c_out, c_in))
        return x.astype(float), w[:c_out, :c_in].astype(float)
    x, w = (np.asarray(v, dtype=float) for v in values)
    if x.shape != (c_in, n, n) or w.shape != (c_out, c_in):
        raise ValueError(f"values must be (input, weight) of shapes {(c_in, n, n)} and "
                         f"{(c_out, c_in)}, got {x.shape} and {w.shape}")
    return x, w


def pointwise_frame(in_channels=3, out_channels=2, size=3, position=0, values=True) -> Frame:
    """A 1×1 convolution at pixel ``position``: the weight matrix times the pixel's channel vector.

    Left, the input channels (one colour each) with the pixel marked in all of
    them; middle, that pixel's channel vector over the ``C_out × C_in`` weight
    (column c meets channel c) and the product; right, the output channels,
    filled pixel by pixel.
    """
    c_in = as_int(in_channels, "in_channels", 1)
    c_out = as_int(out_channels, "out_channels", 1)
    n = as_int(size, "size", 1)
    r, c = divmod(as_int(position, "position", 0), n)
    if r >= n:
        raise ValueError(f"position {position} is outside the {n}×{n} image")
    x, w = _pointwise_values(values, c_in, c_out, n)
    y = np.einsum("oc,chw->ohw", w, x)

    tall = max(c_in, c_out) * (n + _GAP) - _GAP
    in_top = (tall - (c_in * (n + _GAP) - _GAP)) / 2
    out_top = (tall - (c_out * (n + _GAP) - _GAP)) / 2
    # The pixel's channel vector as a row over the weight: entry c meets column c.
    mx, my = n + 2.5, max((tall - c_out) / 2, 2.4)
    rx, ox = mx + c_in + 1.2, mx + c_in + 4.0
    grids = [Grid(0, in_top + ch * (n + _GAP), np.full((n, n), f"g{ch}", dtype=object), x[ch],
                  f"input channel {ch}") for ch in range(c_in)]
    colours = np.array([[f"g{ch}" for ch in range(c_in)]], dtype=object)
    grids.append(Grid(mx, my - 2.3, colours, x[None, :, r, c], f"pixel ({r}, {c})"))
    grids.append(Grid(mx, my, np.repeat(colours, c_out, axis=0), w, f"weight {c_out}×{c_in}"))
    grids.append(Grid(rx, my, np.full((c_out, 1), "current", dtype=object), y[:, r, c, None],
                      "W·v"))
    flat, links = r * n + c, []
    for o in range(c_out):
        gy = out_top + o * (n + _GAP)
        kinds = np.full((n, n), "zero", dtype=object)
        vals = np.full((n, n), np.nan)
        done = np.arange(n * n).reshape(n, n) <= flat
        kinds[done], vals[done] = "output", y[o][done]
        kinds[r, c] = "current"
        grids.append(Grid(ox, gy, kinds, vals, f"output channel {o}"))
        links.append((rx + 1, my + o + 0.5, ox + c, gy + r + 0.5))
    taps = tuple((float(c), float(in_top + ch * (n + _GAP) + r), np.nan) for ch in range(c_in))
    vector = ", ".join(_number(v) for v in x[:, r, c])
    first = " + ".join(f"{_number(w[0, ch])}×{_number(x[ch, r, c])}" for ch in range(c_in))
    caption = (f"pixel ({r}, {c}): channel vector [{vector}]; output[0, {r}, {c}] = {first} = "
               f"{_number(y[0, r, c])}; all outputs: W @ vector = "
               f"[{', '.join(_number(v) for v in y[:, r, c])}]")
    return Frame(tuple(grids), taps, None, tuple(links),
                 title=f"1×1 convolution: the same {c_out}×{c_in} matrix at every pixel",
                 caption=caption)


def pointwise_frames(in_channels=3, out_channels=2, size=3, values=True) -> list[Frame]:
    """Every frame of a 1×1 convolution, one per pixel in row-major order."""
    n = as_int(size, "size", 1)
    return [pointwise_frame(in_channels, out_channels, n, p, values) for p in range(n * n)]


def shuffle_frame(channels=6, groups=2) -> Frame:
    """Channel shuffle: reshape to ``(g, C/g)``, transpose, flatten; where each channel goes.

    Top, the channels coloured by group; bottom, the shuffled order, each cell
    keeping its group's colour and its old index. Right, the two small matrices
    of the recipe: one row per group, then the transpose read row by row.
    """
    c = as_int(channels, "channels", 1)
    g = as_int(groups, "groups", 1)
    if c % g:
        raise ValueError(f"groups={g} must divide channels={c}")
    m = c // g
    order = np.arange(c).reshape(g, m).T.ravel()      # new position p holds channel order[p]
    group = np.arange(c) // m
    top = Grid(0, 0, np.array([[f"g{i}" for i in group]], dtype=object),
               np.arange(c, dtype=float)[None], "channels, coloured by group")
    bottom = Grid(0, 4, np.array([[f"g{group[i]}" for i in order]], dtype=object),
                  order.astype(float)[None], "shuffled")
    links = tuple((i + 0.5, 1.0, float(np.argmax(order == i)) + 0.5, 4.0) for i in range(c))
    mx = c + 2.0
    by_group = Grid(mx, 0, np.array([[f"g{i}"] * m for i in range(g)], dtype=object),
                    np.arange(c, dtype=float).reshape(g, m), f"reshape ({g}, {m})")
    transposed = Grid(mx + m + 1.5, 0, np.array([[f"g{i}" for i in range(g)]] * m,
                                                dtype=object),
                      np.arange(c, dtype=float).reshape(g, m).T, f"transpose ({m}, {g})")
    return Frame((top, bottom, by_group, transposed), links=links,
                 title=f"channel shuffle, {c} channels in {g} groups",
                 caption="read the transposed matrix row by row: "
                         f"[{', '.join(str(i) for i in order)}] — every run of {g} "
                         "channels now holds one channel of each group")
