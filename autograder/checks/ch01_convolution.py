"""Hidden checks of chapter 01 (convolution): how many input lengths leave at most a given number
of cells over in each layer of a stack, the weights a locally connected and a convolutional
layer can use, the outputs of a padded stack that a shifted input leaves as they were, and how
many input cells are read how often.

``ch01.output_size`` and ``ch01.layer_cost`` are the first version's exercises, and
``ch01.conv2d`` and ``ch01.im2col`` the second's; the chapter no longer asks them, but the
grader's fixture chapter and its unit tests (tests/) grade with them.
"""

from __future__ import annotations

import math

import numpy as np

import solutions

from .common_mistakes import flipped_kernel, ignored
from .core import Check, Mistake


def _fitting_sizes(rng, count):
    """(n, k, s, p) with the kernel inside the padded input."""
    out = []
    while len(out) < count:
        n, k, s, p = (int(rng.integers(1, 40)), int(rng.integers(1, 8)),
                      int(rng.integers(1, 5)), int(rng.integers(0, 4)))
        if k <= n + 2 * p:
            out.append((n, k, s, p))
    return out


# --- lengths_within: the input lengths that leave few cells over in every layer -------------

def _within(layers, over, limit, *, weights=None, smallest=True, partial=True, budget=None):
    """How many input lengths n = 1 .. limit let every kernel fit and leave at most over[j]
    cells over in layer j (cells over: the remainder r_j = (n_{j-1} + 2p - k) mod s that the
    floor drops).

    Run backwards, n_{j-1} = s_j n_j + k_j - 2p_j - s_j + r_j, so n = C + S n_L + sum_j P_j r_j
    with P_j = s_1 ... s_{j-1}, S the strides' product and C = sum_j P_j (k_j - 2p_j - s_j): the
    cells over are the digits of n - C in the mixed radix of the strides, layer 1 the lowest.
    The lengths whose digits stay within the bounds are counted per full period of S (each
    holds prod(over_j + 1) of them) and, in the last period, digit by digit from the top. The
    kernels fit from the smallest length n_min on (every size grows with n), so the answer is
    count(limit) - count(n_min - 1).

    The keywords make named mistakes: the digit weights (``weights``), the lengths below
    n_min kept (``smallest=False``), the last period left out (``partial=False``), and one
    bound for every layer (``budget``)."""
    strides = [s for _, s, _ in layers]
    bounds = [min(w, s - 1) + 1 for w, s in zip(budget or over, strides)]   # digits allowed
    place = weights(strides) if weights else [math.prod(strides[:j]) for j in range(len(layers))]
    period = math.prod(strides)
    offset = sum(q * (k - 2 * p - s) for q, (k, s, p) in zip(place, layers))
    need = 1                                        # n_min: the kernels fit from here on
    for k, s, p in reversed(layers):
        need = max(1, (need - 1) * s + k - 2 * p)

    def count(x):                                   # lengths n <= x with n - C >= 0 in bounds
        if x - offset < 0:
            return 0
        full, rest = divmod(x - offset, period)
        total = full * math.prod(bounds)
        inside = True
        for j in reversed(range(len(layers))):      # top digit first
            digit, rest = divmod(rest, place[j])
            lower = math.prod(bounds[:j])
            if partial:
                total += min(digit, bounds[j]) * lower
            if digit >= bounds[j]:
                inside = False
                break
        return total + (inside and partial)

    if limit < need:
        return 0
    return count(limit) - (count(need - 1) if smallest else count(0))



def _within_cases(rng):
    """(layers, over, limit): stacks of 1-4 layers (kernel, stride, padding), limits up to
    10^18. Every third stack has 4 strides of 1,000-5,000 (a period of 10^12 to 6 10^14
    lengths) and bounds of a quarter of the stride or more, which let over 3 10^9 patterns of
    cells over through: neither the lengths nor the patterns can be run one by one. A quarter
    of the layers pad 'full' (p = k - 1) or more, where the shortest lengths leave a kernel
    no window."""
    cases = [([(3, 2, 1)], [0], 10), ([(3, 2, 1)], [1], 10), ([(7, 2, 3), (3, 2, 1)], [0, 1], 1000),
             ([(3, 3, 0), (3, 3, 0)], [1, 0], 30), ([(3, 2, 2)], [0], 10), ([(5, 4, 0)], [2], 3)]
    while len(cases) < 40:
        big = len(cases) % 3 == 0
        layers, over = [], []
        for _ in range(4 if big else int(rng.integers(1, 5))):
            k = int(rng.integers(1, 3000 if big else 8))
            s = int(rng.integers(1000, 5000)) if big else int(rng.integers(1, 5))
            p = [0, (k - 1) // 2, k - 1, int(rng.integers(0, k + 1))][int(rng.integers(0, 4))]
            layers.append((k, s, p))
            over.append(int(rng.integers(s // 4, s)) if big else int(rng.integers(0, s + 1)))
        limit = int(rng.integers(1, 10**18)) if big else int(rng.integers(1, 10**5))
        cases.append((layers, over, limit))
    return cases

# --- conv2d: batched, rectangular kernels ---------------------------------------------------

def _conv2d(x, w, b, stride, padding):
    return solutions.conv2d(x.astype(float), w.astype(float), b.astype(float), stride=stride,
                            padding=padding)


def _conv2d_cases(rng):
    """Batches of 1-3 images, kernels kh != kw; every fifth case holds integers."""
    cases = []
    for i in range(30):
        n, c_in, c_out = (int(v) for v in rng.integers(1, 4, 3))
        kh, kw = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        s, p = int(rng.integers(1, 4)), int(rng.integers(0, 3))
        h, w = int(rng.integers(kh, 10)), int(rng.integers(kw, 10))
        shapes = ((n, c_in, h, w), (c_out, c_in, kh, kw), (c_out,))
        if i % 5 == 4:
            arrays = [rng.integers(-5, 6, shape) for shape in shapes]
        else:
            arrays = [rng.standard_normal(shape) for shape in shapes]
        cases.append((*arrays, s, p))
    return cases


def _windows_not_strided(x, w, b, s, p):
    """The strided output size, filled with the first stride-1 windows."""
    strided = _conv2d(x, w, b, s, p)
    return _conv2d(x, w, b, 1, p)[..., :strided.shape[2], :strided.shape[3]]


def _per_image(x, w, b, s, p):
    """Only the first image of the batch, kept 4-D."""
    return _conv2d(x[:1], w, b, s, p)


def _batch_summed(x, w, b, s, p):
    """One image's output from the whole batch, the bias added once (3-D, like one image)."""
    return _conv2d(x, w, b, s, p).sum(axis=0) - (len(x) - 1) * b[:, None, None]


# --- read_histogram: how many input cells are read how often ---------------------------------

def _reads(x, k, s, o):
    """Windows (0 .. o - 1, window t on padded cells ts .. ts + k - 1) containing padded cell x."""
    return max(0, min(o - 1, x // s) - max(0, -(-(x - k + 1) // s)) + 1)


def _read_histogram(n, k, s, p, *, cells=None, windows=None, borders=True):
    """h[c] = how many input cells c windows read, c = 0 .. k. Away from both ends the count
    of padded cell x only depends on x mod s, so the middle is counted one period at a time
    and only the two ends (fewer than k + s cells each) cell by cell.

    The keywords make named mistakes: another range of padded cells counted (``cells``),
    another number of windows (``windows``), the middle's periodic count used at the ends
    too (``borders=False``)."""
    o = (n + 2 * p - k) // s + 1 if windows is None else windows
    lo, hi = (p, p + n - 1) if cells is None else cells
    inner = (lambda x: x // s - -(-(x - k + 1) // s) + 1) if not borders else None
    h = [0] * (k + 1)
    a, b = (lo, hi) if inner else (max(lo, k - 1), min(hi, o * s - 1))
    count = inner or (lambda x: _reads(x, k, s, o))
    if a > b:
        for x in range(lo, hi + 1):
            h[count(x)] += 1
        return h
    for x in [*range(lo, a), *range(b + 1, hi + 1)]:
        h[count(x)] += 1
    q, r = divmod(b - a + 1, s)
    for j in range(min(s, b - a + 1)):
        h[count(a + j)] += q + (j < r)
    return h


def _histogram_cases(rng):
    """(n, k, s, p) with the kernel inside the padded input; two thirds with n from 10^9 to
    10^15 (no array of the cells fits in memory), many with s > k (unread cells)."""
    cases = [(5, 3, 1, 0), (5, 3, 2, 1), (6, 1, 2, 0), (10**12, 3, 2, 1), (7, 4, 3, 2)]
    while len(cases) < 40:
        k, s = int(rng.integers(1, 12)), int(rng.integers(1, 7))
        p = int(rng.integers(0, k + 2))
        n = int(rng.integers(10**9, 10**15)) if len(cases) % 3 else int(rng.integers(1, 40))
        if k <= n + 2 * p:
            cases.append((n, k, s, p))
    return cases

# --- im2col with channels, stride and padding -----------------------------------------------

def _im2col(x, kh, kw, s, p):
    return solutions.im2col(x.astype(float), (kh, kw), stride=s, padding=p)


def _im2col_cases(rng):
    cases = []
    for i in range(30):
        kh, kw, s, p = (int(rng.integers(1, 4)), int(rng.integers(1, 4)),
                        int(rng.integers(1, 4)), int(rng.integers(0, 3)))
        shape = (int(rng.integers(1, 4)), int(rng.integers(kh, 9)), int(rng.integers(kw, 9)))
        x = rng.integers(-9, 10, shape) if i % 5 == 4 else rng.standard_normal(shape)
        cases.append((x, kh, kw, s, p))
    return cases


def _taps_outside(x, kh, kw, s, p):
    """Rows ordered tap-major (all channels of tap 0 first) instead of channel-major."""
    m = _im2col(x, kh, kw, s, p)
    return m.reshape(x.shape[0], kh * kw, -1).transpose(1, 0, 2).reshape(m.shape)


def _windows_by_column(x, kh, kw, s, p):
    m = _im2col(x, kh, kw, s, p)
    oh = solutions.conv_output_size(x.shape[1], kh, s, p)
    ow = solutions.conv_output_size(x.shape[2], kw, s, p)
    return m.reshape(-1, oh, ow).transpose(0, 2, 1).reshape(m.shape)


# --- useful_weights: a locally connected layer and a convolution, 1-D -----------------------

def _output(n, k, s, p):
    return (n + 2 * p - k) // s + 1


def _overlap_sum(o, s, start, k, n):
    """sum over t < o of |[start + t s, start + t s + k) & [0, n)|, in closed form: the
    overlap is max(0, min(k, n, start + t s + k, n - start - t s)), linear in t between the
    points where two of those pieces cross, so each stretch between them is an arithmetic
    series. k, n, o may all be in the trillions."""
    def overlap(t):
        return max(0, min(k, n, start + t * s + k, n - start - t * s))

    crossings = (-(start + k), min(k, n) - start - k, n - start - min(k, n), n - start)
    cuts = {0, o} | {min(o, max(0, c // s + e)) for c in crossings for e in (0, 1)}
    middle = n - 2 * start - k                    # where the rising and falling pieces meet
    cuts |= {min(o, max(0, middle // (2 * s) + e)) for e in (0, 1)}
    cuts = sorted(cuts)
    return sum((overlap(a) + overlap(b - 1)) * (b - a) // 2 for a, b in zip(cuts, cuts[1:]))


def _cells(n, k, s, p, *, right=True):
    """Real cells summed over all windows (window t covers padded cells t s .. t s + k - 1,
    the real ones from p on). ``right=False`` (a named mistake) clips the windows at the
    left end only: the input taken as long as the last window needs."""
    o = _output(n, k, s, p)
    return _overlap_sum(o, s, -p, k, n if right else o * s + k + p)


def _taps(n, k, s, p):
    """Taps of the shared kernel that some window puts on a real cell. Window t's tap a lies
    on cell t s - p + a, so the taps window t can use are p - t s .. p - t s + n - 1: one
    run of n taps per window, s taps further left each time. When n >= s the runs touch
    and their union is one run; when n < s they are apart and no tap serves two windows,
    so the count is the locally connected layer's."""
    return _cells(n, k, s, p) if n < s else _tap_span(n, k, s, p)


def _tap_span(n, k, s, p):
    """The taps from the first window's last real one to the last window's first: the
    union of the windows' runs when they touch (n >= s)."""
    o = _output(n, k, s, p)
    return max(0, min(k - 1, p + n - 1) - max(0, p - (o - 1) * s) + 1)


def _int64(counts):
    """``counts`` if an int64 holds them; a mistaken formula that overflows explains nothing."""
    if max(counts) >= 2**63:
        raise OverflowError("beyond int64")
    return counts


def _useful_weights(c_in, c_out, n, k, s, p, cells=None, taps=None):
    """(locally connected, convolution) weights that can meet an input value, for a 1-D
    layer over n cells with a k-cell window: locality keeps only the window, sharing one
    kernel for every window."""
    return (c_out * c_in * (cells or _cells)(n, k, s, p),
            c_out * c_in * (taps or _taps)(n, k, s, p))


def _useful_cases(rng):
    """Layers over 1 to 40 cells; and in three quarters of the cases a window of 10^9 to
    2 10^9 cells with 10^9 to 2 10^9 outputs (the most an int64 count allows), so that
    neither the windows nor the taps can be visited one by one, not even as numpy arrays
    (8 GB each), over a padded input of 10^11 cells or more. Padding up to one and a half
    windows; some inputs are shorter than the stride (the windows' runs of taps apart) or
    than the padding (windows on padding alone)."""
    cases = [(1, 1, 8, 3, 1, 0), (1, 1, 4, 3, 1, 1), (3, 64, 224, 7, 2, 3), (4, 1, 2, 7, 1, 3),
             (1, 4, 6, 6, 3, 1), (2, 3, 10**12, 5, 2, 2), (1, 1, 10**12, 10**9, 10**3, 10**9)]
    while len(cases) < 40:
        if len(cases) % 4 == 0:
            ci, co = int(rng.integers(1, 5)), int(rng.integers(1, 5))
            k, s = int(rng.integers(1, 9)), int(rng.integers(1, 5))
            p, n = int(rng.integers(0, k + 2)), int(rng.integers(1, 40))
        else:
            ci, co = (1, 1) if len(cases) % 3 else (1, 2)
            k, o = (int(v) for v in rng.integers(10**9, 2 * 10**9, 2))
            s = int(rng.integers(100, 1000))
            p = int(k * rng.uniform(0, 1.5))
            n = (o - 1) * s + k - 2 * p + int(rng.integers(0, s))
            if len(cases) % 5 == 1:        # an input shorter than the stride
                o, k = (o, k) if len(cases) % 2 else (int(rng.integers(2, 10)), 1000 * k)
                s = int(rng.integers(10**3, 10**6))
                n = int(rng.integers(1, s))
                p = ((o - 1) * s + k - n + 1) // 2
        # a padded input of 10^11 cells or more: an attempt to build it fails at once
        # (hundreds of GB) rather than filling the grader's memory
        big_enough = n + 2 * p < 10**7 or n + 2 * p >= 10**11
        if n >= 1 and k <= n + 2 * p and ci * co * _output(n, k, s, p) * k < 2**63 and big_enough:
            cases.append((ci, co, n, k, s, p))
    return cases

# --- trusted_outputs: zero padding breaks translation equivariance at the border -----------

def _trusted_outputs(layers, n, t, *, grow=None, start=0, right=False):
    """Outputs of the stack on x[t:] equal to the outputs of the stack on x (moved by t over
    the strides' product, which divides t), for every x and every kernel. The right ends
    line up, so only the left border differs: the first g_l positions of layer l are wrong,
    and window i of layer l touches them or a padding zero that stands for a real cell
    unless i s - p >= g_l: g_{l+1} = ceil((g_l + p) / s) (p <= k - 1: no window lies in the
    padding alone). With no padding yet (g = 0, p = 0), nothing is wrong.

    The keywords make named mistakes: another step ``grow(g, k, s, p)``, a first wrong
    count ``start``, the right border trusted as little as the left (``right``)."""
    m, g = n - t, start
    for k, s, p in layers:
        m = (m + 2 * p - k) // s + 1
        if g or (p and t):
            g = grow(g, k, s, p) if grow else -(-(g + p) // s)
    return max(0, m - (2 * g if right else g))


def _trusted_cases(rng):
    """(layers, n, t): 1-4 layers (kernel, stride, padding <= kernel - 1), inputs of 10^9
    to 10^15 cells in two thirds of the cases (and shifts up to 10^12: no array of them
    fits), t a multiple of the product of the strides. In half of those large cases one
    layer has a kernel of 10^5 to 10^6 taps, whose padding makes the outputs that differ
    run into the hundreds of thousands: a probe of the stack on a small random input (how
    many outputs differ there) would need millions of cells and 10^11 multiplications or
    more with conv1d_strided."""
    cases = [([(3, 1, 1)], 10, 2), ([(3, 2, 1)], 12, 2), ([(3, 1, 0), (3, 1, 0)], 10, 3),
             ([(3, 1, 1), (3, 2, 1), (3, 1, 1)], 40, 4), ([(5, 2, 2), (3, 2, 1)], 10**12, 8)]
    while len(cases) < 40:
        layers = []
        for _ in range(int(rng.integers(1, 5))):
            k = int(rng.integers(1, 8))
            p = [0, (k - 1) // 2, k - 1, int(rng.integers(0, k))][int(rng.integers(0, 4))]
            layers.append((k, int(rng.choice([1, 1, 2, 2, 3])), p))
        step = math.prod(s for _, s, _ in layers)
        big = len(cases) % 3 != 0
        if big and len(cases) % 2:
            k = int(rng.integers(10**5, 10**6))
            p = [(k - 1) // 2, k - 1, int(rng.integers(k // 4, k))][int(rng.integers(0, 3))]
            j = int(rng.integers(0, len(layers)))
            layers[j] = (k, layers[j][1], p)
            step = math.prod(s for _, s, _ in layers)
        t = step * int(rng.integers(0, 10**12 // step if big else 6))
        n = t + (int(rng.integers(10**9, 10**15)) if big else int(rng.integers(1, 60)))
        m = n - t
        for k, s, p in layers:
            m = (m + 2 * p - k) // s + 1 if m + 2 * p >= k else 0
        if m >= 1:
            cases.append((layers, n, t))
    return cases


CHECKS = [
    Check(
        id="ch01.lengths_within", function="lengths_within",
        cases=_within_cases, reference=_within,
        mistakes=[
            Mistake("lengths that do not fit counted",
                    lambda layers, over, limit: _within(layers, over, limit, smallest=False),
                    "a length for which some layer's padded input is shorter than its kernel "
                    "is no input: count only the lengths every layer gives a window."),
            Mistake("only the exact lengths",
                    lambda layers, over, limit: _within(layers, [0] * len(layers), limit),
                    "layer j may leave up to over[j] cells over, not only none."),
            Mistake("at most read as fewer than",
                    lambda layers, over, limit: _within(layers, [w - 1 for w in over], limit),
                    "over[j] cells over are allowed in layer j: 0, 1, ..., over[j]."),
            Mistake("cells over of the later layers weighted as the earlier ones",
                    lambda layers, over, limit: _within(
                        layers, over, limit,
                        weights=lambda s: [math.prod(s[j + 1:]) for j in range(len(s))]),
                    "one more cell over in layer j changes n by how much? Follow it back "
                    "through the layers before j."),
            Mistake("the last period left out",
                    lambda layers, over, limit: _within(layers, over, limit, partial=False),
                    "your count is short for some limits: compare it with a count of every "
                    "length, one by one, for a small limit that is not a multiple of the strides'"
                    " product."),
            Mistake("limit left out",
                    lambda layers, over, limit: _within(layers, over, limit - 1),
                    "count the lengths 1 .. limit, limit included."),
        ]),
    Check(
        id="ch01.conv2d", function="conv2d", cases=_conv2d_cases, reference=_conv2d,
        mistakes=[
            Mistake("padding on one side only",
                    lambda x, w, b, s, p: _conv2d(np.pad(x, ((0, 0), (0, 0), (p, 0), (p, 0))),
                                                  w, b, s, 0),
                    "pad p rows/columns on every side: "
                    "np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))."),
            ignored("stride", _conv2d, 3,
                    "consecutive output positions start s cells apart: x[..., i*s:i*s+kh, ...]."),
            Mistake("windows not moved by the stride", _windows_not_strided,
                    "the output has the strided size, but window (i, j) must start at "
                    "(i*s, j*s), not (i, j)."),
            Mistake("bias missing", lambda x, w, b, s, p: _conv2d(x, w, 0 * b, s, p),
                    "add bias[o] to every value of output channel o."),
            flipped_kernel(_conv2d),
            Mistake("only the first image", _per_image,
                    "x holds a batch of N images: compute the layer for each, "
                    "output shape (N, C_out, o_h, o_w)."),
            Mistake("images summed like channels", _batch_summed,
                    "sum over the input channels (axis 1), never over the batch (axis 0): "
                    "the images are independent."),
        ]),
    Check(
        id="ch01.useful_weights", function="useful_weights", cases=_useful_cases,
        reference=_useful_weights,
        mistakes=[
            Mistake("padding cells given weights too",
                    lambda ci, co, n, k, s, p: _useful_weights(
                        ci, co, n, k, s, p, cells=lambda n, k, s, p: k * _output(n, k, s, p)),
                    "a locally connected weight that only ever meets a padding zero does "
                    "nothing: count, per window, the input cells it really covers."),
            Mistake("the right end's padding forgotten",
                    lambda ci, co, n, k, s, p: _useful_weights(
                        ci, co, n, k, s, p,
                        cells=lambda n, k, s, p: _cells(n, k, s, p, right=False)),
                    "the last windows reach into the padding after the input too: clip "
                    "every window at both ends of the input."),
            Mistake("every tap of the shared kernel counted",
                    lambda ci, co, n, k, s, p: _useful_weights(
                        ci, co, n, k, s, p, taps=lambda n, k, s, p: k),
                    "with wide padding some taps of the shared kernel sit on padding at every "
                    "position: count the taps that meet a real cell somewhere."),
            Mistake("weights shared but counted per position",
                    lambda ci, co, n, k, s, p: (_useful_weights(ci, co, n, k, s, p)[0],
                                                ci * co * k * _output(n, k, s, p)),
                    "weight sharing uses *one* kernel per (output, input) channel pair at "
                    "every position: C_out C_in k in all."),
            Mistake("stride ignored",
                    lambda ci, co, n, k, s, p: _int64(_useful_weights(ci, co, n, k, 1, p)),
                    "with stride s only every s-th window is an output: o = (n + 2p - k) // s "
                    "+ 1."),
            Mistake("channels left out",
                    lambda ci, co, n, k, s, p: _useful_weights(1, 1, n, k, s, p),
                    "each (output channel, input channel) pair has its own weights: "
                    "multiply by C_out C_in."),
            Mistake("taps between the windows' reach counted",
                    lambda ci, co, n, k, s, p: _useful_weights(
                        ci, co, n, k, s, p, taps=_tap_span),
                    "with an input shorter than the stride, which taps does window t put on "
                    "a real cell, and which does window t + 1? Some taps lie between them."),
        ]),
    Check(
        id="ch01.trusted_outputs", function="trusted_outputs", cases=_trusted_cases,
        reference=_trusted_outputs,
        mistakes=[
            Mistake("padding ignored",
                    lambda layers, n, t: _trusted_outputs(layers, n, t,
                                                          grow=lambda g, k, s, p: 0),
                    "your count says the crop changes no output. Try one same-padded layer, a "
                    "crop of t = 1 and a small x with conv1d_strided: does the first output of "
                    "x[t:] read the same values as the output of x it corresponds to?"),
            Mistake("only the first padded layer",
                    lambda layers, n, t: _trusted_outputs(
                        layers, n, t, grow=lambda g, k, s, p: -(-p // s) if g == 0 else g),
                    "your count is right for one padded layer but not for several: follow the "
                    "outputs that differ after one padded layer into the windows of the next "
                    "padded layer."),
            Mistake("strides ignored",
                    lambda layers, n, t: _trusted_outputs(
                        layers, n, t, grow=lambda g, k, s, p: g + p),
                    "your count is right at stride 1 but not with strides: try a padded stride-2 "
                    "layer on a small input and count by hand which of its outputs differ."),
            Mistake("rounded down",
                    lambda layers, n, t: _trusted_outputs(
                        layers, n, t, grow=lambda g, k, s, p: (g + p) // s),
                    "your count is one too high at some strided layers: look at the window whose "
                    "first cells are the last ones that differ."),
            Mistake("the right border distrusted too",
                    lambda layers, n, t: _trusted_outputs(layers, n, t, right=True),
                    "you distrust outputs at both ends: compare, layer by layer, the last windows"
                    " of the stack on x[t:] with the last windows on x."),
            Mistake("the shifted outputs dropped",
                    lambda layers, n, t: _trusted_outputs(layers, n, t)
                    - t // math.prod(s for _, s, _ in layers),
                    "your count is short by the same amount whenever the strides are the same: "
                    "output i of x[t:] need not correspond to output i of x. Which output of x is"
                    " its partner?"),
        ]),
    Check(
        id="ch01.read_histogram", function="read_histogram",
        cases=_histogram_cases, reference=_read_histogram,
        mistakes=[
            Mistake("padded cells counted too",
                    lambda n, k, s, p: _read_histogram(n, k, s, p, cells=(0, n + 2 * p - 1)),
                    "count the *input* cells only: padding zeros are not input cells."),
            Mistake("padding not shifted away",
                    lambda n, k, s, p: _read_histogram(n, k, s, p, cells=(0, n - 1)),
                    "window t covers padded cells t*s .. t*s + k - 1; input cell i is padded "
                    "cell i + p."),
            Mistake("stride ignored",
                    lambda n, k, s, p: _read_histogram(n, k, 1, p),
                    "windows start at 0, s, 2s, ...: with s > k some cells are read by none."),
            Mistake("windows past the end counted",
                    lambda n, k, s, p: _read_histogram(n, k, s, p,
                                                       windows=-(-(n + 2 * p) // s)),
                    "a window is computed only if it fits: t*s + k <= n + 2p."),
            Mistake("the ends counted like the middle",
                    lambda n, k, s, p: _read_histogram(n, k, s, p, borders=False),
                    "near both ends fewer windows reach a cell than in the middle: there "
                    "are no windows before the first or after the last."),
            Mistake("unread cells left out",
                    lambda n, k, s, p: [0, *_read_histogram(n, k, s, p)[1:]],
                    "h[0] counts the cells that no window reads (a stride larger than the "
                    "kernel skips some)."),
        ]),
    Check(
        id="ch01.im2col", function="im2col", cases=_im2col_cases, reference=_im2col,
        mistakes=[
            Mistake("rows and columns swapped", lambda x, kh, kw, s, p: _im2col(x, kh, kw, s, p).T,
                    "each *column* is one window (C kh kw values); there is one column per "
                    "output position, so the shape is (C*kh*kw, o_h*o_w)."),
            Mistake("channels inside the taps", _taps_outside,
                    "flatten each window channel by channel, each channel row by row "
                    "(window.ravel() of the (C, kh, kw) block), the order of "
                    "weight.reshape(C_out, -1)."),
            Mistake("windows listed column by column", _windows_by_column,
                    "output position (i, j) is column i*o_w + j: loop over i outside, j inside."),
            ignored("stride", _im2col, 3,
                    "windows start s cells apart: x[:, i*s:i*s+kh, j*s:j*s+kw]."),
            ignored("padding", _im2col, 4, neutral=0, advice=
                    "pad the input with p zeros on every side first: "
                    "np.pad(x, ((0, 0), (p, p), (p, p)))."),
        ]),
    # The first version's exercises, still graded in the fixture chapter.
    Check(
        id="ch01.output_size", function="output_size",
        cases=lambda rng: _fitting_sizes(rng, 60),
        reference=solutions.conv_output_size,
        mistakes=[
            Mistake("off by one", lambda n, k, s, p: (n + 2 * p - k) // s,
                    "count the first window too: there are floor((n + 2p - k) / s) steps "
                    "*after* it, so add 1."),
            Mistake("padding applied once", lambda n, k, s, p: (n + p - k) // s + 1,
                    "padding p adds p cells on *both* sides: the padded length is n + 2p."),
            Mistake("rounding up", lambda n, k, s, p: math.ceil((n + 2 * p - k) / s) + 1,
                    "a window that would stick out past the padded input is not computed: "
                    "round (n + 2p - k) / s down."),
            Mistake("stride ignored", lambda n, k, s, p: n + 2 * p - k + 1,
                    "the window moves s cells per step: divide the free room by s."),
        ]),
    Check(
        id="ch01.layer_cost", function="layer_cost",
        cases=lambda rng: [tuple(int(v) for v in (rng.integers(1, 257), rng.integers(1, 257),
                                                  rng.integers(1, 8), rng.integers(1, 113),
                                                  rng.integers(1, 113))) for _ in range(40)],
        reference=lambda ci, co, k, h, w: (solutions.conv_params(ci, co, k),
                                           solutions.conv_macs(ci, co, k, (h, w))),
        mistakes=[
            Mistake("bias forgotten",
                    lambda ci, co, k, h, w: (ci * co * k * k, ci * co * k * k * h * w),
                    "each output channel has one bias: add C_out to the parameters."),
            Mistake("MACs per position",
                    lambda ci, co, k, h, w: (ci * co * k * k + co, ci * co * k * k),
                    "every one of the H_out * W_out output positions repeats the work."),
            Mistake("MACs counted with the bias",
                    lambda ci, co, k, h, w: (ci * co * k * k + co, (ci * co * k * k + co) * h * w),
                    "bias additions are not multiply-accumulates: MACs = C_out*C_in*k*k*H*W."),
        ]),
]
