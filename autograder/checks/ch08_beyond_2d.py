"""Hidden checks of chapter 08 (beyond 2-D): the widest stack of 'same' layers within a
look-ahead budget, which outputs of a stack see an input cell (its window inverted), for how
many input lengths ceil_mode changes a pooled size, the gradient of max pooling with ties
and windows too large to read one by one (chapter 07's question for chapter 08's layer),
and the narrowest linear bottleneck that computes a given layer exactly."""

from __future__ import annotations

import numpy as np

from .core import Check, Mistake


def _ahead(d, m):
    """The look-ahead of one stride-1 'same' layer of span d m: torch pads d m zeros, the
    floor of half on the left and the rest on the right, so output t reads up to t + this."""
    return d * m - d * m // 2


def _largest_total(depth, m, budget):
    """The largest D = d_1 + ... + d_L (all d >= 1) with sum ceil(d_l m / 2) <= budget, for a
    stack that fits with all dilations 1.

    With m even the cost is exactly D m / 2. With m odd each odd d wastes half a step: the
    cost is (D m + O) / 2 with O the number of odd dilations; O = D mod 2 (mod 2), and
    O >= 2L - D, since the L - O even dilations are at least 2. So a total D >= 2L costs
    D m + D mod 2 <= 2F, and L <= D < 2L costs D m + 2L - D <= 2F."""
    if m % 2 == 0:
        return 2 * budget // m
    top = 2 * budget // m
    if top % 2 and top * m + 1 > 2 * budget:
        top -= 1
    if top >= 2 * depth:       # (always so for m = 1: the stack fits, so F >= L)
        return top
    return min(2 * depth - 1, (2 * budget - 2 * depth) // (m - 1))


def _widest(depth, k, budget):
    """The largest receptive field 1 + m (d_1 + ... + d_L), m = k - 1, of L stride-1 'same'
    layers of kernel k whose look-ahead stays within ``budget``; 0 when none does."""
    m = k - 1
    if m == 0:
        return 1                        # a 1-tap layer neither grows nor looks ahead
    if depth * _ahead(1, m) > budget:
        return 0
    return 1 + m * _largest_total(depth, m, budget)


def _widest_uniform(depth, k, budget):
    """A student's answer: one dilation d for every layer, the largest that fits."""
    m = k - 1
    if m == 0:
        return 1
    if depth * _ahead(1, m) > budget:
        return 0
    d = 2 * (budget // depth) // m + 1            # ceil(d m / 2) <= F // L, searched down
    while depth * _ahead(d, m) > budget:
        d -= 1
    return 1 + m * depth * d


def _widest_lumped(depth, k, budget):
    """A student's answer: dilation 1 everywhere, the rest of the budget on one layer."""
    m = k - 1
    if m == 0:
        return 1
    left = budget - (depth - 1) * _ahead(1, m)
    if left < _ahead(1, m):
        return 0
    d = 2 * left // m + 1
    while _ahead(d, m) > left:
        d -= 1
    return 1 + m * (depth - 1 + d)


def _widest_halves(depth, k, budget):
    """A student's answer: a layer looks d m / 2 ahead, halves allowed."""
    m = k - 1
    if m == 0:
        return 1
    if depth * m / 2 > budget:
        return 0
    return 1 + m * max(depth, 2 * budget // m)


def _widest_cases(rng):
    """Depths up to 10^6 and budgets up to 10^15 (no search over dilations), odd and even
    spans, budgets at and just past the edge of the 'D < 2L' region, some that do not fit."""
    cases = []
    for i in range(40):
        k = int(rng.choice([2, 2, 3, 4, 4, 5, 6, 8])) if i % 10 else 1
        depth = int(rng.integers(1, 8)) if i % 2 else int(10 ** rng.uniform(1, 6))
        half = depth * (k - 1 - (k - 1) // 2)       # the cost of all dilations 1
        if i % 8 == 4:     # too deep for the budget: no stack fits
            budget = half - 1 - int(rng.integers(0, depth))
        elif i % 4 == 0:   # near the cost of all dilations 1 or 2: where parity matters
            budget = half + int(rng.integers(-1, depth + 3))
        elif i % 4 == 1:
            budget = half + int(rng.integers(0, 4 * depth + 4))
        else:
            budget = half + int(10 ** rng.uniform(0, 15))
        cases.append((depth, k, max(0, budget)))
    # the text's WaveNet-like stack with 'same' 2-tap layers, a 3-tap one, and a tight budget
    cases += [(10, 2, 10), (10, 2, 11), (3, 3, 3), (4, 2, 5), (2, 4, 3)]
    return cases


def _stack_cases(rng):
    """Stacks along one axis: small ones (cells near the start, where output 0's window begins
    in the padding), huge ones (kernels up to 10^6 with dilations up to 100: windows of up to
    10^12 cells, cells up to 10^15, no enumeration of cells or outputs), and sparse ones
    (1- and 2-tap layers with large strides: some cells are read by no output)."""
    cases = []
    for i in range(45):
        layers = []
        for _ in range(int(rng.integers(1, 6))):
            if i % 3 == 0:                                   # small
                k = int(rng.integers(1, 8))
                layer = (k, int(rng.integers(1, 4)), int(rng.integers(0, k)),
                         int(rng.choice([1, 1, 2, 3])))
            elif i % 3 == 1:                                 # huge
                k = int(10 ** rng.uniform(1, 6))
                layer = (k, int(rng.integers(1, 11)), int(rng.integers(0, k)),
                         int(rng.integers(1, 101)))
            else:                                            # sparse
                k = int(rng.integers(1, 3))
                layer = (k, int(rng.integers(2, 6)), int(rng.integers(0, k)), 1)
            layers.append(layer)
        cell = int(rng.integers(0, 40)) if i % 3 != 1 else int(10 ** rng.uniform(0, 15))
        cases.append((tuple(layers), cell))
    # the text's stacks: ResNet's stem, a VGG block
    cases += [(((7, 2, 3, 1), (3, 2, 1, 1)), 10), (((3, 1, 1, 1), (3, 1, 1, 1), (2, 2, 0, 1)), 7)]
    return cases


def _window(layers, index, *, jump_first=False, dilate=True, pad=True, pad_jump=True,
            index_jump=True):
    """The input window under one model of the stack (the flags switch off the right parts)."""
    first, field, jump = 0, 1, 1
    for k, s, p, d in layers:
        if jump_first:
            jump *= s
        field += (d if dilate else 1) * (k - 1) * jump
        first -= p * (jump if pad_jump else 1) if pad else 0
        if not jump_first:
            jump *= s
    first += index * (jump if index_jump else 1)
    return first, first + field - 1


def _seeing(layers, cell, *, clip=True, round_first=lambda x, j: -(-x // j), wide=0,
            strides=True, **window):
    """The outputs i >= 0 of the last layer whose window [first_i, last_i] holds ``cell``:
    first_i = first_0 + i J and last_i = last_0 + i J with J = s_1 ... s_L, so
    ceil((cell - last_0) / J) <= i <= floor((cell - first_0) / J). When the window is
    narrower than J some cells lie between windows: then first = last + 1, an empty range.
    The keywords and ``window`` (see :func:`_window`) are students' versions of a step."""
    first, last = _window(layers if strides else [(k, 1, p, d) for k, _, p, d in layers], 0,
                          **window)
    jump = int(np.prod([s for _, s, _, _ in layers], dtype=object))
    lo = round_first(cell - last - wide, jump)
    return (max(0, lo) if clip else lo), (cell - first) // jump


def _changes(lo, hi, s, c, last):
    """How many n in [lo, hi] have (c - n) mod s in 1 .. last: counted per period of s, as
    H(c - lo) - H(c - hi - 1) with H(X) = #{0 < x <= X: x mod s in 1 .. last} (negative X too)."""
    def below(x):
        return (x // s) * last + min(x % s, last)
    return below(c - lo) - below(c - hi - 1)


def _ceil_changes(lo, hi, k, s, p, d, *, span=lambda k, d: d * (k - 1) + 1, sides=2,
                  rule=lambda span, p: span - p):
    """How many lengths n in [lo, hi] max pooling maps to another size with ceil_mode.

    With room = n + 2p - span = q s - t (0 <= t < s), ceil mode adds a window when t > 0, and
    torch drops it again when it would start in the right padding, (o - 1) s = q s >= n + p,
    that is t >= span - p. So the sizes differ exactly when t = (span - 2p - n) mod s lies in
    1 .. min(s, span - p) - 1: a run of residues per period of s, none at all when
    span - p <= 1. The keywords swap in a student's version of a step (``rule`` is the t from
    which the extra window is dropped)."""
    width = span(k, d)
    return _changes(lo, hi, s, width - sides * p, min(s, rule(width, p)) - 1)


def _ceil_cases(rng):
    """Ranges of up to 10^18 lengths and strides up to 10^12: neither one length at a time nor
    one period of the stride at a time is possible; a third of the layers never change size."""
    cases = []
    for i in range(60):
        k = int(rng.integers(2, 6)) if i % 10 else 1
        d = 1 if rng.random() < 0.4 else int(rng.integers(2, 4))
        p = int(rng.integers(0, k // 2 + 1))
        span = d * (k - 1) + 1
        if i % 3 == 0:  # a stride the window reaches past: the rule never fires
            s = int(rng.integers(1, max(2, span - p + 1)))
        else:
            s = int(rng.integers(2, 6)) if i % 3 == 1 else int(10 ** rng.uniform(1, 12))
        lo = max(1, span - 2 * p) + (int(10 ** rng.uniform(0, 18)) if i % 2 else
                                     int(rng.integers(0, 40)))
        hi = lo + (int(10 ** rng.uniform(0, 18)) if i % 4 else int(rng.integers(0, 3 * s)))
        cases.append((lo, hi, k, s, p, d))
    # the text's layers: 2x2 windows of stride 2, ResNet's 3x3 stride-2 pooling, k=2 s=3 p=1
    cases += [(2, 10, 2, 2, 0, 1), (100, 120, 3, 2, 1, 1), (1, 1000, 2, 3, 1, 1),
              (5, 5, 3, 4, 1, 1)]
    return cases + _huge_span_cases(rng)


def _huge_span_cases(rng):
    """Windows spanning 10^11 to 4 10^12 cells (a huge dilation, a huge kernel, or both) with
    strides of 10^11 to 5 10^12 in the same layer: the lengths that behave alike repeat every
    stride and the window is as long, so no enumeration of short lengths (round 8's paste
    ran over range(-p, d k)), of one stride period, or of one span can finish; ranges of
    10^17-10^18 lengths hold 10^5-10^7 output sizes, too many to bisect one at a time. Half
    the strides exceed span - p (a run of residues changes), half do not (all but one do)."""
    cases = []
    for i in range(16):
        if i % 3 == 0:     # a few taps, far apart
            k, d = int(rng.integers(2, 6)), int(10 ** rng.uniform(11, 12))
        elif i % 3 == 1:   # a huge kernel, undilated
            k, d = int(10 ** rng.uniform(11.35, 12.3)), 1
        else:              # both
            k, d = int(10 ** rng.uniform(5.5, 6.15)), int(10 ** rng.uniform(5.5, 6.15))
        p = int(rng.integers(0, k // 2 + 1))
        span = d * (k - 1) + 1
        reach = span - p                          # the rule fires for strides above this
        s = (reach + int(10 ** rng.uniform(9, 11.5)) if i % 2 else
             max(10 ** 11, reach - int(reach * rng.uniform(0.001, 0.9))))
        lo = max(1, span - 2 * p) + (int(10 ** rng.uniform(0, 18)) if i % 4 < 2 else
                                     int(rng.integers(0, 40)))
        hi = lo + (int(10 ** rng.uniform(17, 18)) if i % 4 != 3 else int(rng.integers(0, 3 * s)))
        cases.append((lo, hi, k, s, p, d))
    return cases


# Channel scales of the tie cases: small integers times these are exact, so ties are real.
# One case mixes 2^50 and 2^-40, so no single tie-breaking nudge fits all its channels.
_SCALES = (1.0, 2.0 ** 50, 2.0 ** -40)


def _pool_values(rng, shape, kind):
    """Inputs a central difference cannot handle: ties (small integers at very different
    scales, channel by channel), or neighbours one float apart (one ulp: no step resolves
    them). A third are plain random floats, mostly negative so the padding matters."""
    if kind == 0:
        return rng.standard_normal(shape) - (1.5 if rng.random() < 0.5 else 0.0)
    if kind == 1:
        scales = rng.choice(_SCALES, size=shape[:2])[:, :, None, None]
        return rng.integers(-3, 3, shape) * scales
    base = rng.choice([1.0, -3.0, 2.0 ** 40])
    steps = rng.integers(-2, 3, shape)
    return base + steps * np.spacing(abs(base))


def _small_pool_cases(rng):
    """30 random batches of windows up to 4 x 4 (overlapping, padded, tied), and two by hand."""
    cases = []
    while len(cases) < 30:
        k = int(rng.integers(1, 5)) if len(cases) % 5 else int(rng.integers(2, 5))
        s = int(rng.integers(1, 4)) if len(cases) % 3 else int(rng.integers(1, k + 1))
        p = int(rng.integers(0, k // 2 + 1))
        shape = (int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(k, 11)),
                 int(rng.integers(k, 11)))
        x = _pool_values(rng, shape, len(cases) % 3)
        oh = (shape[2] + 2 * p - k) // s + 1
        ow = (shape[3] + 2 * p - k) // s + 1
        cases.append((x, rng.standard_normal((*shape[:2], oh, ow)), k, s, p))
    x = -np.arange(1.0, 17.0).reshape(1, 1, 4, 4)
    cases.append((x, np.ones((1, 1, 3, 3)), 2, 2, 1))
    # ties in one channel at 2^50 and one-ulp neighbours in the other: no nudge breaks both
    x = np.stack([np.array([[3.0, 3, 1], [3, 2, 3], [1, 3, 3]]) * 2.0 ** 50,
                  1.0 + np.array([[0.0, 1, 0], [1, 1, 0], [0, 0, 1]]) * np.spacing(1.0)])
    cases.append((x[None], np.arange(1.0, 9.0).reshape(1, 2, 2, 2), 2, 1, 0))
    return cases


# The large case: rows and columns of this many cells, windows of this many a side.
LARGE_SIDES, LARGE_WINDOWS = (1100, 1301), (350, 451)


def _large_pool_case(rng, sides=LARGE_SIDES, windows=LARGE_WINDOWS):
    """One image of 1,100-1,300 cells a side pooled at stride 1 with windows of 350-450 cells
    a side, padded by a quarter to a half of the window: 8.5 10^5 to 1.7 10^6 outputs of
    1.2 10^5 to 2 10^5 cells each, at least 10^11 comparisons read window by window (far
    beyond a check cell's 30 s), while a k-wide minimum along the rows and then along the
    columns costs at most 2 10^9 (k passes over the image), or 6 10^7 (log2 k passes).
    The image is made of plateaus of 20-40 cells a side holding small integers: ties inside
    every window, between plateaus too (where row-major and column-major order disagree), at
    one of the tie scales or one ulp apart."""
    h, w = (int(v) for v in rng.integers(*sides, 2))
    k = int(rng.integers(*windows))
    p = int(rng.integers(k // 4, k // 2 + 1))
    side = int(rng.integers(20, 41)) * max(h, w) // 1200 or 1   # scaled with the image
    plateaus = rng.integers(-60, 60, (h // side + 2, w // side + 2))
    top, left = (int(v) for v in rng.integers(0, side, 2))
    steps = plateaus.repeat(side, 0).repeat(side, 1)[top:top + h, left:left + w]
    if rng.random() < 0.5:
        x = steps * rng.choice(_SCALES)
    else:
        base = rng.choice([1.0, -3.0, 2.0 ** 40])
        x = base + steps * np.spacing(abs(base))
    oh, ow = h + 2 * p - k + 1, w + 2 * p - k + 1
    return x[None, None], rng.standard_normal((1, 1, oh, ow)), k, 1, p


def _max_pool_cases(rng):
    """The small cases, then the large one (last, so that a wrong answer is named on a small
    case first and a refused one need not be run on the large case to be refused)."""
    return _small_pool_cases(rng) + [_large_pool_case(rng)]


def _slide_min(a, k, axis):
    """The minimum of every k consecutive entries along ``axis`` (stride 1): windows of
    width 1, 2, 4, ... by the minimum of two halves, then the last, overlapping step."""
    a = np.moveaxis(a, axis, -1)
    width = 1
    while 2 * width <= k:
        a = np.minimum(a[..., :-width], a[..., width:])
        width *= 2
    a = np.minimum(a[..., :a.shape[-1] - (k - width)], a[..., k - width:])
    return np.moveaxis(a, -1, axis)


def _ranks(xp, ties):
    """Every cell's place in the order in which it wins: larger values first; among equal
    values, the first in row-major order (``ties="row"``, torch's), the last, or the first
    in column-major order. A window's winner is its cell of smallest rank."""
    flat = -xp.ravel()
    if ties == "row":
        order = np.argsort(flat, kind="stable")
    elif ties == "last":
        order = np.lexsort((-np.arange(flat.size), flat))
    else:
        rows, cols = np.indices(xp.shape[2:])
        order = np.lexsort((np.broadcast_to(rows, xp.shape).ravel(),
                            np.broadcast_to(cols, xp.shape).ravel(), flat))
    rank = np.empty(flat.size, dtype=np.int64)
    rank[order] = np.arange(flat.size)
    return rank.reshape(xp.shape), order


def _winners(xp, k, s, out, ties="row"):
    """Flat indices into the padded ``xp`` of each window's winner, shape (N, C, oh, ow): the
    smallest rank of a k x k window is the smallest of its k rows' smallest."""
    rank, order = _ranks(xp, ties)
    (oh, ow) = out
    best = _slide_min(_slide_min(rank, k, 3)[..., ::s][..., :ow], k, 2)[:, :, ::s][:, :, :oh]
    return order[best]


def _spread_back(grad, k, s, shape):
    """Each window's gradient spread evenly on its k x k cells (padded shape): the gradient
    at every window's corner, summed over the k cells before each cell along each axis."""
    corners = np.zeros(shape)
    n, c, oh, ow = grad.shape
    corners[:, :, :s * (oh - 1) + 1:s, :s * (ow - 1) + 1:s] = grad / (k * k)
    for axis in (2, 3):
        total = np.cumsum(corners, axis=axis)
        ahead = np.zeros_like(total)
        cut = [slice(None)] * 4
        cut[axis] = slice(k, None)
        keep = [slice(None)] * 4
        keep[axis] = slice(None, -k) if k < shape[axis] else slice(0, 0)
        ahead[tuple(cut)] = total[tuple(keep)]
        corners = total - ahead
    return corners


def _pool_backward(x, grad, k, s, p, *, fill=-np.inf, route="max", add=True):
    """The gradient of max pooling: each output's gradient goes to the cell of its window that
    won (the first maximum in row-major order, as torch's kernel scans it: a later cell must
    be strictly larger to take over), added up over overlapping windows. The keywords give
    a student's version of a step (the padding's value, where the gradient goes, overwrite
    instead of add); every version runs in a few passes over the image, the large case too."""
    x = np.asarray(x, dtype=np.float64)
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=fill)
    n, c, oh, ow = grad.shape
    if route == "spread":
        out = _spread_back(grad, k, s, xp.shape)
    elif route == "ties":  # every cell equal to its window's maximum
        top = xp.ravel()[_winners(xp, k, s, (oh, ow))]
        out = np.zeros(xp.shape)
        for value in np.unique(top):
            share = _spread_back(np.where(top == value, grad, 0.0) * (k * k), k, s, xp.shape)
            out += np.where(xp == value, share, 0.0)
    else:
        if route == "first":    # the window's first cell, padded or not
            rows, cols = np.ogrid[:oh, :ow]
            where = np.ravel_multi_index(np.broadcast_arrays(
                np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None],
                rows * s, cols * s), xp.shape)
        else:
            where = _winners(xp, k, s, (oh, ow),
                             {"max": "row", "last": "last", "columns": "columns"}[route])
        if add:
            out = np.bincount(where.ravel(), grad.ravel(), xp.size).reshape(xp.shape)
        else:                    # assigned in the windows' order: the last window stays
            last = where.size - 1 - np.unique(where.ravel()[::-1], return_index=True)[1]
            out = np.zeros(xp.size)
            out[where.ravel()[last]] = grad.ravel()[last]
            out = out.reshape(xp.shape)
    return out[:, :, p:p + x.shape[2], p:p + x.shape[3]]


def _channel_ranks(weight):
    """(rank on the output side, rank on the input side) of a conv weight (C_out, C_in, kh, kw):
    the taps' C_out x C_in matrices side by side, and stacked."""
    w = np.asarray(weight, dtype=float)
    return (np.linalg.matrix_rank(w.reshape(w.shape[0], -1)),
            np.linalg.matrix_rank(w.swapaxes(0, 1).reshape(w.shape[1], -1)))


def _narrowest(weight):
    """The narrowest linear bottleneck (1x1 C_in -> m, kh x kw m -> m, 1x1 m -> C_out) equal to
    the layer. Every tap is B K_ab A, so the taps side by side have rank <= m (columns in B's
    span) and stacked rank <= m (rows in A's span); conversely with B a basis of the taps'
    column space and A of their row space, K_ab = B^+ W_ab A^+ fits in max of the two ranks."""
    return int(max(_channel_ranks(weight)))


def _low_rank_weight(rng, c_out, c_in, r_out, r_in, kh, kw):
    """B K_ab A with small integer factors: exact in float64, ranks r_out and r_in (generic)."""
    b = rng.integers(-3, 4, (c_out, r_out))
    a = rng.integers(-3, 4, (r_in, c_in))
    k = rng.integers(-2, 3, (kh, kw, r_out, r_in))
    return np.einsum("om,abmn,nc->ocab", b, k, a).astype(float)


def _narrow_cases(rng):
    """Layers of 2-12 channels whose two ranks differ either way, are equal, or are full;
    1x1 to 3x3 kernels, some not square; one all-zero layer."""
    cases = []
    for i in range(40):
        c_out, c_in = int(rng.integers(2, 13)), int(rng.integers(2, 13))
        r_out, r_in = int(rng.integers(1, c_out + 1)), int(rng.integers(1, c_in + 1))
        if i % 4 == 0:
            r_out, r_in = r_out, min(c_in, r_out)
        kh, kw = (3, 3) if i % 2 else (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        if i % 5 == 0:
            cases.append((rng.integers(-3, 4, (c_out, c_in, kh, kw)).astype(float),))
        else:
            cases.append((_low_rank_weight(rng, c_out, c_in, r_out, r_in, kh, kw),))
    cases.append((np.zeros((4, 3, 3, 3)),))
    # a refusal shows its first wrong case: low-rank layers first, so that the example's
    # expected width is not simply a channel count to guess from the shape
    return sorted(cases, key=lambda case: _narrowest(case[0]) == max(case[0].shape[:2]))


CHECKS = [
    Check(
        id="ch08.widest_same_stack", function="widest_same_stack", cases=_widest_cases,
        reference=_widest,
        mistakes=[
            Mistake("a look-ahead of half the span, halves allowed",
                    _widest_halves,
                    "a layer pads whole cells: when d(k - 1) is odd the extra zero goes on "
                    "the right, and the layer looks a whole step further ahead."),
            Mistake("one dilation for every layer",
                    _widest_uniform,
                    "the layers may have different dilations: the budget need not be split "
                    "evenly."),
            Mistake("dilation 1 everywhere and the rest of the budget on one layer",
                    _widest_lumped,
                    "that is a stack within the budget, but not always the widest: count "
                    "what each layer's look-ahead costs against what it adds to the field."),
            Mistake("a stack that does not fit the budget",
                    lambda depth, k, budget: _widest(depth, k, budget) or 1 + (k - 1) * depth,
                    "with every dilation 1 a 'same' layer of k taps still looks "
                    "ceil((k - 1)/2) steps ahead: a stack too deep for the budget has no answer "
                    "but 0."),
            Mistake("the sum of the spans, without the 1",
                    lambda depth, k, budget: _widest(depth, k, budget) - (depth * _ahead(
                        1, k - 1) <= budget),
                    "a receptive field counts cells: 1 + the sum of the spans d(k - 1)."),
        ]),
    Check(
        id="ch08.outputs_seeing", function="outputs_seeing", cases=_stack_cases,
        reference=_seeing,
        mistakes=[
            Mistake("outputs before output 0 counted",
                    lambda layers, c: _seeing(layers, c, clip=False),
                    "the outputs are numbered from 0: a cell near the start is seen by fewer "
                    "outputs than one in the middle."),
            Mistake("the first output rounded down",
                    lambda layers, c: _seeing(layers, c, round_first=lambda x, j: x // j),
                    "the first output that sees the cell is one whose window ends at or after "
                    "it: an output one before yours still ends before the cell."),
            Mistake("strides of earlier layers ignored",
                    lambda layers, c: _seeing(layers, c, strides=False),
                    "one step of layer l's input is s_1 ... s_(l-1) input cells: a layer's "
                    "span and padding count that many times."),
            Mistake("a layer's own stride counted in its jump",
                    lambda layers, c: _seeing(layers, c, jump_first=True),
                    "layer l's taps are one step of *its input* apart: multiply by the strides "
                    "before it, not including its own."),
            Mistake("dilation ignored", lambda layers, c: _seeing(layers, c, dilate=False),
                    "a dilated layer's window spans d(k - 1) + 1 cells of its input, not k."),
            Mistake("padding ignored", lambda layers, c: _seeing(layers, c, pad=False),
                    "padding shifts every window left: output 0's window starts in it."),
            Mistake("padding not scaled by the jump",
                    lambda layers, c: _seeing(layers, c, pad_jump=False),
                    "layer l's padding is p_l cells of *its* input: how many cells of the "
                    "network's input is that?"),
            Mistake("the window one cell too wide",
                    lambda layers, c: _seeing(layers, c, wide=1),
                    "a window of r cells starting at first ends at first + r - 1."),
        ]),
    Check(
        id="ch08.ceil_mode_changes", function="ceil_mode_changes", cases=_ceil_cases,
        reference=_ceil_changes,
        mistakes=[
            Mistake("torch's rule for the last window left out",
                    lambda lo, hi, k, s, p, d: _ceil_changes(lo, hi, k, s, p, d,
                                                             rule=lambda span, p: s),
                    "rounding up adds a window whenever s does not divide n + 2p - span, but "
                    "torch drops it again when it would start in the right padding: then the "
                    "size does not change."),
            Mistake("the rule measured from the end of the padded input",
                    lambda lo, hi, k, s, p, d: _ceil_changes(lo, hi, k, s, p, d,
                                                             rule=lambda span, p: span),
                    "a window is dropped when it would start in the right padding, at or after "
                    "cell n + p of the padded input, not only past its end n + 2p."),
            Mistake("the rule measured from the end of the input, left padding left out",
                    lambda lo, hi, k, s, p, d: _ceil_changes(lo, hi, k, s, p, d,
                                                             rule=lambda span, p: span - 2 * p),
                    "window o - 1 starts at padded cell (o - 1) s, which is input cell "
                    "(o - 1) s - p: it lies in the right padding when (o - 1) s >= n + p."),
            Mistake("dilation ignored",
                    lambda lo, hi, k, s, p, d: _ceil_changes(lo, hi, k, s, p, d,
                                                             span=lambda k, d: k),
                    "a dilated window covers d(k - 1) + 1 cells, not k."),
            Mistake("padding on one side only",
                    lambda lo, hi, k, s, p, d: _ceil_changes(lo, hi, k, s, p, d, sides=1),
                    "padding p adds p cells on *each* side: room = n + 2p - span."),
            Mistake("hi left out of the range",
                    lambda lo, hi, k, s, p, d: _ceil_changes(lo, hi - 1, k, s, p, d),
                    "count the lengths lo, lo + 1, ..., hi: both ends included."),
            Mistake("the lengths where the two modes agree",
                    lambda lo, hi, k, s, p, d: hi - lo + 1 - _ceil_changes(lo, hi, k, s, p, d),
                    "count the lengths whose output size ceil_mode changes, not the others."),
        ]),
    Check(
        id="ch08.max_pool2d_backward", function="max_pool2d_backward", cases=_max_pool_cases,
        reference=_pool_backward,
        mistakes=[
            Mistake("gradient assigned, not added, where windows overlap",
                    lambda x, g, k, s, p: _pool_backward(x, g, k, s, p, add=False),
                    "a cell that wins several overlapping windows receives the gradient of "
                    "each of them: add, do not overwrite."),
            Mistake("gradient spread over the window, as average pooling does",
                    lambda x, g, k, s, p: _pool_backward(x, g, k, s, p, route="spread"),
                    "max pooling passes each output's gradient to the one cell that won the "
                    "window; the others did not change the output."),
            Mistake("zero padding in the forward pass",
                    lambda x, g, k, s, p: _pool_backward(x, g, k, s, p, fill=0.0),
                    "padded cells never win (they hold -inf): in an all-negative border window "
                    "the gradient goes to the largest real cell."),
            Mistake("every tied maximum given the gradient",
                    lambda x, g, k, s, p: _pool_backward(x, g, k, s, p, route="ties"),
                    "the output is one cell's value, so one cell gets its gradient: when "
                    "several cells tie for the maximum, the first in row-major order."),
            Mistake("ties broken in column-major order",
                    lambda x, g, k, s, p: _pool_backward(x, g, k, s, p, route="columns"),
                    "of two tied cells in different rows, the one in the upper row comes first "
                    "in row-major order, whichever column it is in."),
            Mistake("ties given to the last maximum",
                    lambda x, g, k, s, p: _pool_backward(x, g, k, s, p, route="last"),
                    "scanning the window row by row, a later cell takes over only when it is "
                    "strictly larger: a tie stays with the first."),
            Mistake("gradient sent to the first cell of every window",
                    lambda x, g, k, s, p: _pool_backward(x, g, k, s, p, route="first"),
                    "the gradient goes to the cell that won the window (its maximum), not to "
                    "the window's first cell."),
        ]),
    Check(
        id="ch08.narrowest_bottleneck", function="narrowest_bottleneck", cases=_narrow_cases,
        reference=_narrowest,
        mistakes=[
            # The advice says what is wrong, never which rank to take instead: a refusal that
            # named the other side let a student reach the answer by elimination (round 6).
            Mistake("a width too narrow for this layer",
                    lambda w: int(_channel_ranks(w)[0]),
                    "no bottleneck of that width computes this layer exactly. Write one tap of "
                    "the stack as a product of three matrices and ask what m bounds."),
            Mistake("a width too narrow for some taps",
                    lambda w: int(_channel_ranks(w)[1]),
                    "no bottleneck of that width computes this layer exactly. Write one tap of "
                    "the stack as a product of three matrices and ask what m bounds."),
            Mistake("a width too narrow for the taps together",
                    lambda w: int(min(_channel_ranks(w))),
                    "no bottleneck of that width computes this layer exactly. Write one tap of "
                    "the stack as a product of three matrices and ask what m bounds."),
            Mistake("the spatial rank of chapter 04",
                    lambda w: int(np.linalg.matrix_rank(np.asarray(w, dtype=float).reshape(
                        w.shape[0] * w.shape[1], -1))),
                    "the bottleneck narrows channels, not the kernel's rows and columns: take "
                    "ranks across channels."),
        ]),
]
