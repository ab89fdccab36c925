"""Hidden checks of chapter 01 (convolution): input sizes from an output size, the weights
a dense, a locally connected and a convolutional layer can use, window counts per input cell,
and how far the output moves when the input shifts.

``ch01.output_size`` and ``ch01.layer_cost`` are the first version's exercises, and
``ch01.conv2d`` and ``ch01.im2col`` the second's; the chapter no longer asks them, but the
grader's fixture chapter and its unit tests (tests/) grade with them.
"""

from __future__ import annotations

import math

import numpy as np

import solutions

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


# --- input_sizes: invert the output-size formula -------------------------------------------

def _input_sizes(o, k, s, p):
    smallest = (o - 1) * s + k - 2 * p
    return smallest, smallest + s - 1


def _input_size_cases(rng):
    """(o, k, s, p) whose smallest input is at least 1; a quarter have stride 1, a third
    outputs in the millions and billions (too many sizes to try one by one)."""
    out = []
    while len(out) < 60:
        o, k, p = int(rng.integers(1, 30)), int(rng.integers(1, 8)), int(rng.integers(0, 4))
        if len(out) % 3 == 1:
            o = int(rng.integers(10**6, 10**9))
        s = 1 if len(out) % 4 == 0 else int(rng.integers(2, 6))
        if _input_sizes(o, k, s, p)[0] >= 1:
            out.append((o, k, s, p))
    return out


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


# --- window_counts: how many windows read each input cell -----------------------------------

def _window_counts(n, k, s, p):
    counts = np.zeros(n + 2 * p, dtype=int)
    for t in range(solutions.conv_output_size(n, k, s, p)):
        counts[t * s:t * s + k] += 1
    return counts[p:p + n]


def _window_count_cases(rng):
    """(n, k, s, p) with the kernel inside the padded input; many with s > k (unread cells)."""
    out = []
    while len(out) < 50:
        n, k, s, p = (int(rng.integers(1, 25)), int(rng.integers(1, 6)),
                      int(rng.integers(1, 5)), int(rng.integers(0, 3)))
        if k <= n + 2 * p:
            out.append((n, k, s, p))
    return out


def _counts_padded(n, k, s, p):
    counts = np.zeros(n + 2 * p, dtype=int)
    for t in range(solutions.conv_output_size(n, k, s, p)):
        counts[t * s:t * s + k] += 1
    return counts


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


# --- useful_weights: a dense layer, a locally connected one, a convolution --------------

def _output(n, k, s, p):
    return (n + 2 * p - k) // s + 1


def _cells(n, k, s, p):
    """Per axis: the real input cells (not padding) in each window."""
    return [max(0, min(n, i * s - p + k) - max(0, i * s - p)) for i in range(_output(n, k, s, p))]


def _taps(n, k, s, p):
    """Per axis: the kernel taps that meet a real cell in at least one window (a shared tap
    is useful if any position puts it on the input; wide padding leaves outer taps idle)."""
    o = _output(n, k, s, p)
    return sum(any(0 <= i * s - p + a < n for i in range(o)) for a in range(k))


def _useful_weights(c_in, c_out, n, k, s, p, cells=None, taps=None):
    """(dense, locally connected, convolution) weights that can meet an input value, for an
    n x n input and a k x k window: locality keeps only the window, sharing one kernel."""
    o = _output(n, k, s, p)
    per_axis = sum((cells or _cells)(n, k, s, p))
    shared = (taps or _taps)(n, k, s, p)
    return c_out * o * o * c_in * n * n, c_out * c_in * per_axis ** 2, c_out * c_in * shared ** 2


def _useful_cases(rng):
    cases = [(1, 1, 4, 3, 1, 1), (1, 1, 8, 3, 1, 0), (3, 64, 224, 7, 2, 3), (4, 1, 2, 7, 1, 3),
             (1, 4, 6, 6, 3, 1)]
    while len(cases) < 40:
        ci, co = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        n, k, s, p = (int(rng.integers(1, 30)), int(rng.integers(1, 8)),
                      int(rng.integers(1, 4)), int(rng.integers(0, 4)))
        if k <= n + 2 * p and (p > 0 or len(cases) % 6 == 0):
            cases.append((ci, co, n, k, s, p))
    return cases


# --- output_shift: translation equivariance and the strides that break it ------------------

def _shift_by(t, step):
    return t // step if t % step == 0 else -1


def _output_shift(layers, t):
    """Shifting the input by t cells shifts the output by t / (product of the strides) cells
    when that is a whole number; otherwise the outputs change (aliasing): -1."""
    return _shift_by(t, math.prod(s for _, s in layers))


def _shift_cases(rng):
    cases = [([(3, 1)], 1), ([(3, 2)], 1), ([(3, 2)], 2), ([(3, 1), (2, 2)], 2),
             ([(3, 2), (3, 2)], 2), ([(3, 2), (3, 3)], 6), ([(3, 2), (3, 3)], 5)]
    while len(cases) < 40:
        layers = [(int(rng.integers(1, 6)), int(rng.choice([1, 1, 2, 2, 3])))
                  for _ in range(int(rng.integers(1, 5)))]
        total = math.prod(s for _, s in layers)
        t = total * int(rng.integers(0, 4)) if len(cases) % 2 else int(rng.integers(0, 3 * total))
        cases.append((layers, t))
    return cases


CHECKS = [
    Check(
        id="ch01.input_sizes", function="input_sizes",
        cases=_input_size_cases, reference=_input_sizes,
        mistakes=[
            Mistake("only the smallest size", lambda o, k, s, p: (_input_sizes(o, k, s, p)[0],) * 2,
                    "the floor in o = floor((n + 2p - k)/s) + 1 drops a remainder of up to "
                    "s - 1 cells, so s consecutive input sizes give the same o."),
            Mistake("one size too many",
                    lambda o, k, s, p: (_input_sizes(o, k, s, p)[0],
                                        _input_sizes(o, k, s, p)[0] + s),
                    "with s more cells the kernel fits once more: the largest n is "
                    "smallest + s - 1."),
            Mistake("padding added instead of subtracted",
                    lambda o, k, s, p: tuple(v + 4 * p for v in _input_sizes(o, k, s, p)),
                    "padding makes the input look 2p longer, so the real input needs 2p cells "
                    "*fewer*: n = (o - 1)s + k - 2p."),
            Mistake("one stride too many",
                    lambda o, k, s, p: tuple(v + s for v in _input_sizes(o, k, s, p)),
                    "o windows need o - 1 steps of s after the first window, not o steps."),
            Mistake("padding counted on one side",
                    lambda o, k, s, p: tuple(v + p for v in _input_sizes(o, k, s, p)),
                    "p zeros go on *both* sides: subtract 2p."),
            Mistake("pair in the wrong order",
                    lambda o, k, s, p: _input_sizes(o, k, s, p)[::-1],
                    "return (smallest, largest): the smallest input first."),
            Mistake("kernel width forgotten",
                    lambda o, k, s, p: tuple(v - k + 1 for v in _input_sizes(o, k, s, p)),
                    "the last window starts at (o - 1)s and is k cells long: "
                    "n + 2p >= (o - 1)s + k."),
        ]),
    Check(
        id="ch01.conv2d", function="conv2d", cases=_conv2d_cases, reference=_conv2d,
        mistakes=[
            Mistake("padding on one side only",
                    lambda x, w, b, s, p: _conv2d(np.pad(x, ((0, 0), (0, 0), (p, 0), (p, 0))),
                                                  w, b, s, 0),
                    "pad p rows/columns on every side: "
                    "np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))."),
            Mistake("stride ignored", lambda x, w, b, s, p: _conv2d(x, w, b, 1, p),
                    "consecutive output positions start s cells apart: x[..., i*s:i*s+kh, ...]."),
            Mistake("windows not moved by the stride", _windows_not_strided,
                    "the output has the strided size, but window (i, j) must start at "
                    "(i*s, j*s), not (i, j)."),
            Mistake("bias missing", lambda x, w, b, s, p: _conv2d(x, w, 0 * b, s, p),
                    "add bias[o] to every value of output channel o."),
            Mistake("flipped kernel",
                    lambda x, w, b, s, p: _conv2d(x, w[:, :, ::-1, ::-1], b, s, p),
                    "do not flip the kernel: this is cross-correlation."),
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
                        ci, co, n, k, s, p, cells=lambda n, k, s, p: [k] * _output(n, k, s, p)),
                    "a locally connected weight that only ever meets a padding zero does "
                    "nothing: count, per window, the input cells it really covers."),
            Mistake("the dense layer over the padded input",
                    lambda ci, co, n, k, s, p: (
                        _useful_weights(ci, co, n + 2 * p, k, s, 0)[0],
                        *_useful_weights(ci, co, n, k, s, p)[1:]),
                    "padding zeros are not inputs: a dense layer has one weight per (output "
                    "value, real input value)."),
            Mistake("one axis counted",
                    lambda ci, co, n, k, s, p: (
                        _useful_weights(ci, co, n, k, s, p)[0],
                        ci * co * _output(n, k, s, p) * sum(_cells(n, k, s, p)) * k,
                        _useful_weights(ci, co, n, k, s, p)[2]),
                    "a 2-D window covers (cells down) x (cells across): sum over all pairs "
                    "of windows of both axes, which is the product of the two sums."),
            Mistake("every tap of the shared kernel counted",
                    lambda ci, co, n, k, s, p: _useful_weights(
                        ci, co, n, k, s, p, taps=lambda n, k, s, p: k),
                    "with wide padding some taps of the shared kernel sit on padding at every "
                    "position: count, per axis, the taps that meet a real cell somewhere."),
            Mistake("weights shared but counted per position",
                    lambda ci, co, n, k, s, p: (
                        *_useful_weights(ci, co, n, k, s, p)[:2],
                        ci * co * k * k * _output(n, k, s, p) ** 2),
                    "weight sharing uses *one* kernel per (output, input) channel pair at "
                    "every position: C_out C_in k^2 in all."),
            Mistake("stride ignored",
                    lambda ci, co, n, k, s, p: _useful_weights(ci, co, n, k, 1, p),
                    "with stride s only every s-th window is an output: o = (n + 2p - k) // s "
                    "+ 1 per axis."),
        ]),
    Check(
        id="ch01.output_shift", function="output_shift", cases=_shift_cases,
        reference=_output_shift,
        mistakes=[
            Mistake("only the last stride", lambda layers, t: _shift_by(t, layers[-1][1]),
                    "every stride of the stack thins the grid: the output moves in steps of "
                    "the *product* of all strides."),
            Mistake("only the first stride", lambda layers, t: _shift_by(t, layers[0][1]),
                    "every stride of the stack thins the grid: the output moves in steps of "
                    "the *product* of all strides."),
            Mistake("strides added", lambda layers, t: _shift_by(t, sum(s for _, s in layers)),
                    "strides compound: after strides 2 and 2 neighbours are 4 input cells "
                    "apart, not 4 by chance of 2 + 2 (try 2 and 3)."),
            Mistake("divided, rounded down",
                    lambda layers, t: t // math.prod(s for _, s in layers),
                    "a shift that is not a multiple of the total stride lands between output "
                    "cells: the outputs change (aliasing), they do not shift."),
            Mistake("kernel sizes subtracted",
                    lambda layers, t: _shift_by(t - sum(k - 1 for k, _ in layers),
                                                math.prod(s for _, s in layers)),
                    "the kernel sizes set how many outputs there are, not how far they move."),
        ]),
    Check(
        id="ch01.window_counts", function="window_counts",
        cases=_window_count_cases, reference=_window_counts,
        mistakes=[
            Mistake("padded cells returned too", _counts_padded,
                    "return one count per *input* cell: drop the p padding cells at each end."),
            Mistake("padding not shifted away",
                    lambda n, k, s, p: _counts_padded(n, k, s, p)[:n],
                    "window t covers padded cells t*s .. t*s + k - 1; input cell i is padded "
                    "cell i + p, so keep counts[p:p + n]."),
            Mistake("stride ignored", lambda n, k, s, p: _window_counts(n, k, 1, p),
                    "windows start at 0, s, 2s, ...: with s > k some cells are read by none."),
            Mistake("windows past the end counted",
                    lambda n, k, s, p: np.array([sum(1 for t in range(math.ceil((n + 2 * p) / s))
                                                     if t * s <= i + p < t * s + k)
                                                 for i in range(n)]),
                    "a window is computed only if it fits: t*s + k <= n + 2p."),
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
            Mistake("stride ignored", lambda x, kh, kw, s, p: _im2col(x, kh, kw, 1, p),
                    "windows start s cells apart: x[:, i*s:i*s+kh, j*s:j*s+kw]."),
            Mistake("padding ignored", lambda x, kh, kw, s, p: _im2col(x, kh, kw, s, 0),
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
