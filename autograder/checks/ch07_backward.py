"""Hidden checks of chapter 07 (backward): the finite-difference step of least total error,
how many taps of a strided, padded, dilated layer can learn, per-example weight-gradient norms
without per-example gradients, the input gradient with stride, padding and dilation, and the
whole backward pass of a grouped convolution.

The gradients' references are ``solutions.conv2d_grad_input`` / ``conv2d_grad_weight``
(torch.nn.grad semantics); the named mistakes are computed with the input gradient written out
with its steps as parameters (:func:`_scatter`), or with the references on altered arguments.
"""

from __future__ import annotations

import numpy as np

import solutions

from .core import Check, Mistake

# --- exercise 1: richardson_step -------------------------------------------------------------
# Richardson's extrapolation of the central difference, R(eps) = (4 D(eps) - D(2 eps)) / 3,
# cancels D's eps^2 term; what is left is -eps^4 f5 / 30 (D's eps^4 term is eps^4 f5 / 120:
# (4 - 16) / 120 / 3 = -1/30). In the text's rounding model, each value of f off by up to
# u |f|, R = (8 (f1 - f-1) - (f2 - f-2)) / (12 eps) is off by up to 18 u |f| / (12 eps)
# = 3 u |f| / (2 eps). The step that minimises eps^4 |f5| / 30 + 3 u |f| / (2 eps) is
# (45 u |f| / (4 |f5|))^(1/5). None of these three steps is in the text.
UNIT_ROUNDOFF = 2.0 ** -53
# The step is compared to a relative 1e-13 (the closed form, spelt any sensible way, is within
# a few units of 1e-16). Near its minimum the total error is flat, E(eps* (1 + delta)) =
# E* (1 + 2 delta^2 + ...), so a search comparing float64 values of E (a grid, golden
# section, Brent) cannot locate eps* better than delta ~ sqrt(u / 2) ~ 1e-8, and a parabola
# polished in log eps not better than ~5e-11: such searches are refused. A degree-6 fit around
# the grid minimum or a long-double bisection gets as close as the closed form; both need R's
# error model and more than five lines (tests/fixtures/reader_pastes/README.md, round 6).
STEP_RTOL = 1e-13


def _richardson_step(f, f5, u=UNIT_ROUNDOFF, truncation=1 / 30, rounding=3 / 2):
    """The minimiser of truncation * eps^4 |f5| + rounding * u |f| / eps; the keywords are
    there for the mistaken coefficients students use."""
    return (rounding * u * abs(f) / (4 * truncation * abs(f5))) ** (1 / 5)


def _step_cases(rng):
    return [tuple(float(10 ** rng.uniform(-3, 3) * rng.choice([-1, 1])) for _ in range(2))
            for _ in range(40)]


# --- shared: arrays -------------------------------------------------------------------------

def _floats(a):
    return a.astype(float) if a.dtype.kind in "iu" else a


def _arrays(rng, integer: bool, *shapes):
    """Random arrays of these shapes: small integers (exact sums) or standard normal."""
    if integer:
        return tuple(rng.integers(-3, 4, shape) for shape in shapes)
    return tuple(rng.standard_normal(shape) for shape in shapes)


# --- exercise 2: trained_taps ----------------------------------------------------------------
# Tap a of a 1-D layer multiplies the cells v + s i of the input, v = d a - p, for the windows
# i = 0 .. o - 1; its weight gradient sum_i dY_i X_(v + s i) can be non-zero exactly when one
# of those cells is a real one, in [0, n). When s <= n, a run of cells s apart cannot jump over
# the n real ones, so only the two ends of the run decide: the first window's cell must not be
# past the input (v <= n - 1) and the last window's not before it (v + s (o - 1) >= 0), and the
# trained taps are one interval of a. When s > n, consecutive cells of one tap are further
# apart than the input is long, so each tap reaches it in one window at most: the trained taps
# are the union, without overlaps, of each window's taps that land in the input. (DeepLabv3,
# Sec. 3.3: at rates near the map size a 3x3 filter keeps only its centre weight.) None of
# this is in the text, which counts input cells, not taps.

def _fits(n, k, p, d):
    """Whether one window fits at all (solutions.conv_output_size refuses a layer where none
    does, as some mistaken layers and candidate cases are)."""
    return n + 2 * p >= d * (k - 1) + 1


def _ceil_div(a, b):
    return -(-a // b)


def _taps_in(lo_cell, hi_cell, start, k, d):
    """How many taps a < k of a window starting at ``start`` read a cell in [lo, hi]."""
    lo, hi = max(0, _ceil_div(lo_cell - start, d)), min(k - 1, (hi_cell - start) // d)
    return max(0, hi - lo + 1)


def _interval_taps(n, k, s, p, d, last=None):
    """The taps between the two ends' bounds; ``last`` replaces the last window's offset
    s (o - 1) (students' unfloored n + 2p - d(k - 1) - 1)."""
    last = s * (solutions.conv_output_size(n, k, s, p, d) - 1) if last is None else last
    lo, hi = max(0, _ceil_div(p - last, d)), min(k - 1, (n - 1 + p) // d)
    return max(0, hi - lo + 1)


def _trained_taps(n, k, s, p, d):
    """The number of taps whose weight gradient can be non-zero (see above)."""
    if s <= n:
        return _interval_taps(n, k, s, p, d)
    # s > n: only the windows whose span meets the input (few: the cases with s > n are small)
    windows = solutions.conv_output_size(n, k, s, p, d)
    first, last = max(0, _ceil_div(p - d * (k - 1), s)), min(windows - 1, (n - 1 + p) // s)
    return sum(_taps_in(0, n - 1, s * i - p, k, d) for i in range(first, last + 1))


def _inside_everywhere(n, k, s, p, d):
    """Taps that read a real cell in every window (the mistake: any padding read untrains)."""
    last = s * (solutions.conv_output_size(n, k, s, p, d) - 1)
    return _taps_in(0, n - 1 - last, -p, k, d)


def _layer(rng, n):
    """Kernel, dilation and padding on an n-cell input: a span d (k - 1) from the input's
    length to a hundred times it, and mostly a padding under span - n, where both ends of
    the kernel have taps that meet only zeros; the rest anywhere that keeps one window."""
    k = int(10 ** rng.uniform(0.3, 12))
    span = max(k - 1, int(n * 10 ** rng.uniform(0, 2)))
    d = max(1, span // max(1, k - 1))
    span = d * (k - 1)
    least = max(0, _ceil_div(span + 1 - n, 2))
    if rng.random() < 0.75 and span - n >= least:
        return k, d, int(rng.integers(least, span - n + 1))
    return k, d, least + int(rng.integers(0, span + 2))


def _taps_cases(rng):
    """Small layers (n up to 40), a quarter with a stride larger than the input (n, k, s, p,
    d <= 100), and layers with sizes, strides, paddings and dilations up to 10^12 (s <= n)."""
    cases = []
    while len(cases) < 40:
        kind = len(cases) % 4
        if kind == 0:
            n, s = int(rng.integers(1, 41)), int(rng.integers(1, 7))
            k, d = int(rng.integers(1, 9)), int(rng.integers(1, 7))
            p = int(rng.integers(0, d * (k - 1) + 4))
        elif kind == 1:
            n = int(rng.integers(1, 12))
            s = int(rng.integers(n + 1, min(100, 4 * n + 8) + 1))
            k, d = int(rng.integers(1, 30)), int(rng.integers(1, 8))
            p = int(rng.integers(0, min(100, d * (k - 1) + s) + 1))
        else:
            n = int(10 ** rng.uniform(3, 12))
            s = max(1, int(n * 10 ** rng.uniform(-12, 0))) if rng.random() < 0.8 else 1
            k, d, p = _layer(rng, n)
        if max(n, k, s, p, d) <= 10**12 and _fits(n, k, p, d):
            cases.append((n, k, s, p, d))
    return cases


TAPS_MISTAKES = [
    Mistake("a tap reading any padding taken as untrained", _inside_everywhere,
            "a weight's gradient sums over every window: one real input cell in one window "
            "is enough for it to learn."),
    Mistake("only the first window's cells checked",
            lambda n, k, s, p, d: max(0, min(k, (n - 1 + p) // d + 1)),
            "your count decides from the first window alone, but a tap that meets only "
            "padding there can meet it in the later windows too."),
    # (the same count as taking the two ends of the kernel as mirror images: as many taps lost
    # at the start as at the end)
    Mistake("the last window placed without the floor of the output size, or the two ends "
            "taken as mirror images",
            lambda n, k, s, p, d: _interval_taps(n, k, s, p, d, last=n + 2 * p - d * (k - 1) - 1),
            "the last window starts at a multiple of the stride, so the floor in the output "
            "size moves it back by the remainder: the two ends of a layer are mirror images "
            "only when that remainder is 0."),
    Mistake("a run of one tap's cells taken to meet the input when it starts before and ends "
            "after it", _interval_taps,
            "with a stride larger than the input, one tap's cells in consecutive windows lie "
            "further apart than the input is long: check whether any of them lands in it."),
    Mistake("dilation ignored", lambda n, k, s, p, d: _trained_taps(n, k, s, p, 1),
            "tap a sits d a cells into its window, not a."),
    Mistake("padding ignored",
            lambda n, k, s, p, d: _trained_taps(n, k, s, 0, d) if _fits(n, k, 0, d) else 0,
            "the windows start p cells before the input: the first taps read the padding."),
]


# --- exercise 3: per_example_grad_norms --------------------------------------------------------
# dW_n = sum_t g_t x_t^T over the output positions t, with g_t = dY[n, :, t] (C_out) and x_t the
# input patch window t multiplies (C_in kh kw). Its squared Frobenius norm is
# sum_(t, t') <g_t, g_t'> <x_t, x_t'>: the inner product of two T x T Gram matrices, one of dY's
# positions and one of the patches (the identity behind "ghost clipping", Li et al. 2022), at a
# cost of T^2 (C_out + C_in kh kw) instead of T C_out C_in kh kw. Not in the text, which forms dW.

def _patches(x, kernel_size, s, p, out_size):
    """(N, T, C_in kh kw): the input patch each of the T output positions multiplies."""
    (kh, kw), (oh, ow) = kernel_size, out_size
    xp = np.pad(_floats(x), ((0, 0), (0, 0), (p, p), (p, p)))
    taps = [xp[:, :, a:a + s * (oh - 1) + 1:s, b:b + s * (ow - 1) + 1:s]
            for a in range(kh) for b in range(kw)]
    return np.stack(taps, axis=2).reshape(len(x), -1, oh * ow).transpose(0, 2, 1)


def _rows(x, dy, kernel_size, s, p):
    """(N, T, C_in kh kw) patches and (N, T, C_out) output gradients, a row per position."""
    xs = _patches(x, kernel_size, s, p, dy.shape[2:])
    return xs, _floats(dy).reshape(*dy.shape[:2], -1).transpose(0, 2, 1)


def _gram_norms(xs, gs):
    """sqrt(<xs xs^T, gs gs^T>) per image: the norm of sum_t g_t x_t^T."""
    inner = np.einsum("ntu,ntu->n", xs @ xs.transpose(0, 2, 1), gs @ gs.transpose(0, 2, 1))
    return np.sqrt(np.maximum(0.0, inner))


def _per_example_norms(x, dy, kernel_size, s, p):
    return _gram_norms(*_rows(x, dy, tuple(kernel_size), s, p))


def _norm_cases(rng):
    """Batches of 1-4 (mostly 2 or more), 1-3 input and 1-4 output channels, non-square
    kernels, stride 1-3, padding 0-2, a quarter integer; and the wide layer of the prompt."""
    cases = []
    while len(cases) < 36:
        i = len(cases)
        n_img = int(rng.integers(2, 5)) if i % 4 else 1
        c_in, c_out = int(rng.integers(1, 4)), int(rng.integers(1, 5))
        kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 5))
        s, p = int(rng.integers(1, 4)), int(rng.integers(0, 3))
        h, w = int(rng.integers(1, 10)), int(rng.integers(1, 10))
        oh, ow = (h + 2 * p - kh) // s + 1, (w + 2 * p - kw) // s + 1
        if min(oh, ow) < 1 or oh * ow < 2:
            continue
        x, dy = _arrays(rng, i % 4 == 3, (n_img, c_in, h, w), (n_img, c_out, oh, ow))
        cases.append((x, dy, (kh, kw), s, p))
    cases.append(_wide_layer(rng, *WIDE_LAYER))
    return cases


# The deep end of a wide network: 15,000 input channels with 10 x 10 kernels (1.5 10^6 weights
# per output channel) and 4 10^5 output channels on an 11 x 11 input, stride 2, padding 1, so
# T = 2 x 2 positions. Each dW_n has 6 10^11 entries (4.8 TB): forming them, even a chunk of
# rows at a time, writes 1.2 10^12 numbers for the two images (minutes at the best memory
# bandwidth), while the Gram matrices cost T^2 (C_out + C_in kh kw) = 3 10^7 products. The
# case's arrays are 55 MB (x 29, dY 26), within the grader dir with the chapter's other cases.
# (batch, C_in, C_out, k, stride, padding, size)
WIDE_LAYER = (2, 15000, 4 * 10**5, 10, 2, 1, 11)


def _wide_layer(rng, n_img, c_in, c_out, k, s, p, size):
    o = (size + 2 * p - k) // s + 1
    x, dy = _arrays(rng, False, (n_img, c_in, size, size), (n_img, c_out, o, o))
    return (x, dy, (k, k), s, p)


def _positions_apart(x, dy, kernel_size, s, p):
    """Each position's contribution taken alone, their squared norms summed."""
    xs, gs = _rows(x, dy, kernel_size, s, p)
    return np.sqrt(np.sum((xs ** 2).sum(2) * (gs ** 2).sum(2), axis=1))


def _norms_product(x, dy, kernel_size, s, p):
    xs, gs = _rows(x, dy, kernel_size, s, p)
    return np.sqrt((xs ** 2).sum((1, 2)) * (gs ** 2).sum((1, 2)))


def _batch_norm_repeated(x, dy, kernel_size, s, p):
    """The batch's dW, sum_n sum_t g_t x_t^T: all images' positions as one image's."""
    xs, gs = _rows(x, dy, kernel_size, s, p)
    total = _gram_norms(xs.reshape(1, -1, xs.shape[2]), gs.reshape(1, -1, gs.shape[2]))
    return np.full(len(x), total[0])


def _padding_at_the_end(x, dy, kernel_size, s, p):
    """Windows read at s i + a, without the -p: the padding put after the input."""
    x = np.pad(_floats(x), ((0, 0), (0, 0), (0, 2 * p), (0, 2 * p)))
    return _per_example_norms(x, dy, kernel_size, s, 0)


def _stride_one(x, dy, kernel_size, s, p):
    """Windows read at i + a - p, one cell apart, for the o_h x o_w positions of dY."""
    (kh, kw), (oh, ow) = kernel_size, dy.shape[2:]
    xp = np.pad(_floats(x), ((0, 0), (0, 0), (p, p), (p, p)))
    xp = np.pad(xp, ((0, 0), (0, 0), (0, max(0, oh + kh - 1 - xp.shape[2])),
                     (0, max(0, ow + kw - 1 - xp.shape[3]))))
    return _per_example_norms(xp[:, :, :oh + kh - 1, :ow + kw - 1], dy, kernel_size, 1, 0)


NORM_MISTAKES = [
    Mistake("the batch's gradient norm for every image", _batch_norm_repeated,
            "dW_n is image n's own gradient, from x[n] and dY[n] alone: the batch's dW is "
            "their sum, and its norm is not any one of theirs."),
    Mistake("the positions' contributions taken as orthogonal", _positions_apart,
            "dW_n sums one outer product per output position before the norm is taken, and "
            "those are not orthogonal: the norm of a sum is not the root of the summed "
            "squared norms."),
    Mistake("the product of the norms of dY_n and of the patches", _norms_product,
            "that product only bounds the norm of the sum from above (Cauchy-Schwarz); the "
            "norm itself depends on how the positions' contributions line up."),
    Mistake("the squared norm",
            lambda x, dy, ks, s, p: _per_example_norms(x, dy, ks, s, p) ** 2,
            "return the Frobenius norm itself, the square root of the sum of squares."),
    Mistake("divided by the batch size",
            lambda x, dy, ks, s, p: _per_example_norms(x, dy, ks, s, p) / len(x),
            "grad_output is dL/dY for L = sum of the examples' losses, so dY[n] is already "
            "example n's own: nothing is divided by N."),
    Mistake("windows read without the padding's shift", _padding_at_the_end,
            "window (i, j) starts p cells before the input, at (s*i - p, s*j - p): pad x on "
            "every side."),
    Mistake("stride ignored", _stride_one,
            "output (i, j) multiplies the patch at (s*i - p, s*j - p): the windows are s "
            "cells apart."),
]


# --- exercise 4: grad_input -----------------------------------------------------------------

def _grad_input(dy, weight, input_shape, s, p, d):
    return solutions.conv2d_grad_input(tuple(input_shape), _floats(weight), _floats(dy),
                                       stride=s, padding=p, dilation=d)


def _remainders(input_shape, weight, s, p, d):
    return [(input_shape[2 + i] + 2 * p - d * (weight.shape[2 + i] - 1) - 1) % s for i in (0, 1)]


def _scatter(dy, weight, input_shape, s, p, d):
    """dY[n, o, i, j] * W[o, c, a, b] added at padded cell (s*i + d*a, s*j + d*b), then cropped
    to the input: the input gradient written out, with its steps as parameters."""
    n, c_in, h, w = input_shape
    (kh, kw), (oh, ow) = weight.shape[2:], dy.shape[2:]
    dxp = np.zeros((n, c_in, max(h + 2 * p, s * (oh - 1) + d * (kh - 1) + 1),
                    max(w + 2 * p, s * (ow - 1) + d * (kw - 1) + 1)))
    for a in range(kh):
        for b in range(kw):
            dxp[:, :, d * a:d * a + s * (oh - 1) + 1:s, d * b:d * b + s * (ow - 1) + 1:s] += \
                np.einsum("noij,oc->ncij", _floats(dy), _floats(weight[:, :, a, b]))
    return dxp[:, :, p:p + h, p:p + w]


def _zero_rows(dy, weight, input_shape, s, p, d):
    """conv_transpose2d without output_padding, padded with zeros to the input's size: the
    gradient with its last (remainder) rows and columns zeroed. Written on the gradient itself,
    because the transposed convolution alone refuses a layer whose short output has no rows."""
    rh, rw = _remainders(input_shape, weight, s, p, d)
    h, w = input_shape[2:]
    dx = _scatter(dy, weight, input_shape, s, p, d)
    dx[:, :, h - rh:, :] = 0
    dx[:, :, :, w - rw:] = 0
    return dx


def _short(dy, weight, input_shape, s, p, d):
    """conv_transpose2d without output_padding: the gradient less its last (remainder) rows
    and columns (on the gradient itself, so a short output with no rows is still named)."""
    rh, rw = _remainders(input_shape, weight, s, p, d)
    h, w = input_shape[2:]
    return _scatter(dy, weight, input_shape, s, p, d)[:, :, :h - rh, :w - rw]


def _channels_swapped(dy, weight, input_shape, s, p, d):
    # runs (numpy broadcasts a channel axis of 1) when C_in == C_out or one of them is 1
    return _scatter(dy, weight.transpose(1, 0, 2, 3), input_shape, s, p, d)


def _input_cases(rng):
    """Batches, non-square kernels, stride, padding, dilation; a third with C_in == C_out,
    a quarter integer, most with a remainder that output_padding must restore."""
    cases = []
    while len(cases) < 36:
        i = len(cases)
        n_img = int(rng.integers(1, 4))
        c_in = int(rng.integers(1, 4))
        c_out = c_in if i % 3 == 0 else int(rng.integers(1, 4))
        kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 5))
        s, p, d = int(rng.integers(1, 4)), int(rng.integers(0, 3)), int(rng.integers(1, 3))
        h, w = int(rng.integers(1, 11)), int(rng.integers(1, 11))
        oh = (h + 2 * p - d * (kh - 1) - 1) // s + 1
        ow = (w + 2 * p - d * (kw - 1) - 1) // s + 1
        if min(oh, ow) < 1 or max(kh, kw) == 1 or (s == 1 and i % 4 != 0):
            continue
        weight, dy = _arrays(rng, i % 4 == 2, (c_out, c_in, kh, kw), (n_img, c_out, oh, ow))
        cases.append((dy, weight, (n_img, c_in, h, w), s, p, d))
    # Dilation 3,000 on a layer of 2,000 filters: the kernel with its zeros filled in would be
    # 144 GB, so the dilation has to go into the indexing, as the prompt says. One real cell,
    # padded by 3,000 and read by the last tap of one window (stride 3,001): the answer stays
    # small enough to record (a 3,001 x 3,001 input's gradient was over the 64 MB output cap).
    cases.append((rng.standard_normal((1, 2000, 1, 1)), rng.standard_normal((2000, 1, 2, 2)),
                  (1, 1, 1, 1), 3001, 3000, 3000))
    return cases


INPUT_MISTAKES = [
    Mistake("kernel rotated",
            lambda dy, w, shape, s, p, d: _grad_input(dy, w[:, :, ::-1, ::-1], shape, s, p, d),
            "scattering needs the kernel as it is: dY[i, j] adds dY[i, j] * W[a, b] to input "
            "cell (s*i + d*a - p, s*j + d*b - p). Only the gather view (full correlation of "
            "the spread dY) rotates the kernel, and then you must not also scatter."),
    Mistake("output_padding left out",
            lambda dy, w, shape, s, p, d: _short(dy, w, shape, s, p, d),
            "the transposed convolution alone returns (o-1)s - 2p + d(k-1) + 1 rows, which "
            "is n minus the remainder r = (n + 2p - d(k-1) - 1) mod s the floor dropped; "
            "the gradient has the input's shape: output_padding = r."),
    Mistake("output_padding rows filled with zeros", _zero_rows,
            "the rows output_padding adds come from the uncropped result (with padding > 0 "
            "they hold scattered values), not appended zeros: scatter into a buffer of the "
            "padded input's size, then crop the padding."),
    Mistake("stride ignored",
            lambda dy, w, shape, s, p, d: _scatter(dy, w, shape, 1, p, d),
            "output (i, j) read the window at (s*i, s*j): scatter dY[i, j] there, s cells "
            "apart (or insert s - 1 zeros between the entries of dY)."),
    Mistake("dilation ignored",
            lambda dy, w, shape, s, p, d: _scatter(dy, w, shape, s, p, 1),
            "tap (a, b) sits d*a rows and d*b columns into the window: scatter the kernel "
            "with d - 1 holes between its taps."),
    Mistake("padding not cropped",
            lambda dy, w, shape, s, p, d: _scatter(
                dy, w, (*shape[:2], shape[2] + 2 * p, shape[3] + 2 * p), s, 0, d),
            "the forward pass read a zero-padded input; the gradient of the padding cells is "
            "thrown away: crop p rows and columns from every side."),
    Mistake("weight read as C_in, C_out", _channels_swapped,
            "the convolution's weight is (C_out, C_in, kh, kw): input channel c collects "
            "dY[o] scattered through W[o, c] for every output channel o."),
    Mistake("images mixed, gradient summed over the batch",
            lambda dy, w, shape, s, p, d: np.broadcast_to(
                _grad_input(dy, w, shape, s, p, d).sum(0, keepdims=True), shape).copy(),
            "each image's input gradient comes from its own dY[n] only; the batch is summed "
            "for the weight and bias, never for the input."),
]


# --- exercise 5: conv2d_backward with groups ------------------------------------------------

def _dense(weight, groups):
    return solutions.block_diagonal_weight(_floats(weight), groups)


def _backward(x, weight, dy, p, groups):
    x, weight, dy = _floats(x), _floats(weight), _floats(dy)
    return (solutions.conv2d_grad_input(x.shape, weight, dy, padding=p, groups=groups),
            solutions.conv2d_grad_weight(x, weight.shape, dy, padding=p, groups=groups),
            dy.sum(axis=(0, 2, 3)))


def _mixed_weight(weight, groups):
    """Every output channel connected to every input group through its own filters."""
    return np.concatenate([_floats(weight)] * groups, axis=1)


def _round_robin(weight, groups):
    """Output channel o put in group o % groups (input groups contiguous)."""
    c_out, c_in_g = weight.shape[:2]
    dense = np.zeros((c_out, c_in_g * groups, *weight.shape[2:]))
    for o in range(c_out):
        j = o % groups
        dense[o, j * c_in_g:(j + 1) * c_in_g] = weight[o]
    return dense


def _dense_dw(x, weight, dy, p):
    return solutions.conv2d_grad_weight(_floats(x), weight.shape, _floats(dy), padding=p)


def _blocks(dense_dw, groups):
    """The grouped weight gradient: the diagonal blocks of a dense one."""
    c_out, c_in = dense_dw.shape[:2]
    per_out, per_in = c_out // groups, c_in // groups
    return np.stack([dense_dw[o, (o // per_out) * per_in:(o // per_out + 1) * per_in]
                     for o in range(c_out)])


def _group_cases(rng):
    """Mostly groups 2-3 with several channels per group, batches, padding 0-1."""
    cases = []
    for i in range(32):
        g = 1 if i % 8 == 0 else int(rng.integers(2, 4))
        c_in_g, c_out_g = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        if i % 3 == 0:
            c_in_g = c_out_g = 2
        n_img, kh, kw, p = (int(rng.integers(1, 4)), int(rng.integers(1, 4)),
                            int(rng.integers(1, 4)), int(rng.integers(0, 2)))
        h, w = int(rng.integers(kh, 8)), int(rng.integers(kw, 8))
        x = rng.standard_normal((n_img, g * c_in_g, h, w))
        weight = rng.standard_normal((g * c_out_g, c_in_g, kh, kw))
        dy = rng.standard_normal((n_img, g * c_out_g, h + 2 * p - kh + 1, w + 2 * p - kw + 1))
        cases.append((x, weight, dy, p, g))
    return cases


def _part(index):
    return lambda x, weight, dy, p, g: _backward(x, weight, dy, p, g)[index]


DX_MISTAKES = [
    Mistake("padding not cropped",
            lambda x, w, dy, p, g: solutions.conv2d_grad_input(
                (*x.shape[:2], x.shape[2] + 2 * p, x.shape[3] + 2 * p), _floats(w), _floats(dy),
                groups=g),
            "the gradient of the padded input has p extra rows and columns on every side; "
            "they belong to the padding, not to x: crop them."),
    Mistake("groups mixed",
            lambda x, w, dy, p, g: solutions.conv2d_grad_input(
                x.shape, _mixed_weight(w, g), _floats(dy), padding=p),
            "output channel o of group j = o // (C_out/g) read only input channels "
            "j*C_in/g .. (j+1)*C_in/g - 1: send dY[o] back to those channels only."),
    Mistake("output channels assigned to groups round-robin",
            lambda x, w, dy, p, g: solutions.conv2d_grad_input(
                x.shape, _round_robin(w, g), _floats(dy), padding=p),
            "groups are contiguous blocks: output channel o is in group o // (C_out/g), "
            "not o % g."),
    Mistake("kernel rotated",
            lambda x, w, dy, p, g: _backward(x, w[:, :, ::-1, ::-1], dy, p, g)[0],
            "scatter W as it is (or gather with the rotated kernel — not both)."),
]

DW_MISTAKES = [
    Mistake("groups mixed, every input block summed",
            lambda x, w, dy, p, g: sum(
                _dense_dw(x, _mixed_weight(w, g), dy, p)[:, j * w.shape[1]:(j + 1) * w.shape[1]]
                for j in range(g)),
            "dW[o, c] correlates dY[o] with input channel (o // (C_out/g)) * C_in/g + c of "
            "its own group only."),
    Mistake("every group read the first input block",
            lambda x, w, dy, p, g: _dense_dw(x, _mixed_weight(w, g), dy, p)[:, :w.shape[1]],
            "output channel o of group j pairs with input channels j*C_in/g + c, not c: "
            "offset the input channel by the group."),
    Mistake("output channels assigned to groups round-robin",
            lambda x, w, dy, p, g: np.stack([
                _dense_dw(x, _round_robin(w, g), dy, p)[o, (o % g) * w.shape[1]:
                                                        (o % g + 1) * w.shape[1]]
                for o in range(w.shape[0])]),
            "groups are contiguous blocks: output channel o is in group o // (C_out/g)."),
    Mistake("batch not summed, first image only",
            lambda x, w, dy, p, g: _backward(x[:1], w, dy[:1], p, g)[1],
            "all images share the weight: sum their contributions over n."),
    Mistake("kernel flipped",
            lambda x, w, dy, p, g: _backward(x, w, dy, p, g)[1][:, :, ::-1, ::-1],
            "dW[o, c, a, b] = sum dY[n, o, i, j] x[n, c, i + a - p, j + b - p]: nothing is "
            "rotated."),
]

DB_MISTAKES = [
    Mistake("batch not summed, first image only",
            lambda x, w, dy, p, g: _floats(dy)[0].sum(axis=(1, 2)),
            "the bias is added to every position of every image: sum dY over n, i and j."),
    Mistake("mean instead of sum", lambda x, w, dy, p, g: _floats(dy).mean(axis=(0, 2, 3)),
            "dL/dB_o = sum of dY[n, o, i, j]: each output adds B_o once, with derivative 1."),
    Mistake("one bias gradient per image", lambda x, w, dy, p, g: _floats(dy).sum(axis=(2, 3)),
            "there is one bias per output channel, shared by the batch: the gradient has "
            "shape (C_out,), summed over n too."),
    Mistake("summed over the channels",
            lambda x, w, dy, p, g: _floats(dy).sum(axis=(0, 1)),
            "keep the channel axis: one bias per output channel, summed over n, i and j."),
]

CHECKS = [
    Check(id="ch07.richardson_step", function="richardson_step", cases=_step_cases,
          reference=_richardson_step, rtol=STEP_RTOL, atol=0.0,
          mistakes=[
              Mistake("the central difference's step",
                      lambda f, f5: (3 * UNIT_ROUNDOFF * abs(f) / abs(f5)) ** (1 / 3),
                      "(3 u |f| / |f3|)^(1/3) balances the central difference's eps^2 term; "
                      "R cancels that term, so its truncation error is of order eps^4."),
              Mistake("D's own fourth-order term, or the two errors set equal",
                      lambda f, f5: _richardson_step(f, f5, truncation=1 / 120),
                      "R's eps^4 term combines those of D(eps) and D(2 eps); and the best "
                      "step is where the derivative of the total error vanishes, not where "
                      "its two terms are equal."),
              Mistake("the rounding error of a single difference",
                      lambda f, f5: _richardson_step(f, f5, rounding=1),
                      "R uses four values of f, each with its own coefficient: add up their "
                      "errors in the worst case."),
              Mistake("the rounding error at step 2 eps taken as at step eps",
                      lambda f, f5: _richardson_step(f, f5, rounding=5 / 3),
                      "D(2 eps) divides its difference of two values by 4 eps, not 2 eps: "
                      "its worst-case rounding error is half that of D(eps)."),
              Mistake("u rounded to 1.11e-16",
                      lambda f, f5: _richardson_step(f, f5, u=1.11e-16),
                      "the step is checked to a relative 1e-13: write u exactly, 2.0 ** -53 "
                      "(1.1102230246251565e-16)."),
              Mistake("machine epsilon for u",
                      lambda f, f5: _richardson_step(f, f5, u=2.0 ** -52),
                      "the relative rounding error of float64 is u = 2^-53, half the machine "
                      "epsilon."),
          ]),
    # exact: a count of taps up to 10^12, where a relative 1e-6 would let 10^6 taps slip
    Check(id="ch07.trained_taps", function="trained_taps", cases=_taps_cases,
          reference=_trained_taps, rtol=0.0, atol=0.0, mistakes=TAPS_MISTAKES),
    Check(id="ch07.per_example_grad_norms", function="per_example_grad_norms",
          cases=_norm_cases, reference=_per_example_norms, mistakes=NORM_MISTAKES),
    Check(id="ch07.grad_input", function="grad_input", cases=_input_cases,
          reference=_grad_input, mistakes=INPUT_MISTAKES),
    Check(id="ch07.backward_dx", function="conv2d_backward (dx)", cases=_group_cases,
          reference=_part(0), mistakes=DX_MISTAKES),
    Check(id="ch07.backward_dw", function="conv2d_backward (dw)", cases=_group_cases,
          reference=_part(1), mistakes=DW_MISTAKES),
    Check(id="ch07.backward_db", function="conv2d_backward (db)", cases=_group_cases,
          reference=_part(2), mistakes=DB_MISTAKES),
]
