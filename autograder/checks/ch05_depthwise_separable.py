"""Hidden checks of chapter 05 (depthwise separable): depthwise conv with stride and multiplier
(at a size where the repeated input cannot be built), the least error of a separable pair
approximating a standard weight within a weight budget the channels share, the pad values
that make a batch norm fold exactly into the zero-padded convolution after it, and the
fewest channel slices that run an inverted residual block within a memory budget."""

from __future__ import annotations

import numpy as np

import solutions

from .common_mistakes import flipped_kernel, ignored, integer_cast
from .core import Check, Mistake


def _depthwise(x, w, b, stride, padding):
    return solutions.depthwise_conv2d(np.asarray(x, dtype=np.float64), w, b, stride=stride,
                                      padding=padding)


def _depthwise_cases(rng):
    cases = []
    while len(cases) < 40:
        c, m, k = int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
        p, s = int(rng.integers(0, 3)), int(rng.integers(1, 4))
        h, w = int(rng.integers(1, 10)), int(rng.integers(1, 10))
        if k > min(h, w) + 2 * p:
            continue
        x = rng.integers(-9, 10, (c, h, w)) if len(cases) % 4 == 0 else \
            rng.standard_normal((c, h, w))
        cases.append((x, rng.standard_normal((c * m, 1, k, k)), rng.standard_normal(c * m), s, p))
    # Multiplier 50,000 on a 1000 x 1000 image, one output position: the input repeated m times
    # (or the stride-1 output) would be 800 GB, so the stride and the multiplier have to go
    # into the indexing, as the prompt says.
    n = int(rng.integers(990, 1010))
    cases.append((rng.standard_normal((2, n, n)), rng.standard_normal((100_000, 1, 3, 3)),
                  rng.standard_normal(100_000), n, 1))
    return cases


def _dense(x, w, b, stride, padding, source):
    """Each output o reads input channel ``source(o, C, m)`` only, through a dense weight."""
    c = np.shape(x)[0]
    dense = np.zeros((w.shape[0], c, *w.shape[2:]))
    for o in range(w.shape[0]):
        dense[o, source(o, c, w.shape[0] // c)] = w[o, 0]
    return solutions.conv2d(np.asarray(x, dtype=np.float64), dense, b, stride=stride,
                            padding=padding)


def _every_channel(x, w, b, s, p):
    """Each kernel slid over every input channel and the results summed (a dense conv)."""
    return solutions.conv2d(np.asarray(x, dtype=np.float64), np.repeat(w, np.shape(x)[0], axis=1),
                            b, stride=s, padding=p)


def _stride_after(x, w, b, s, p):
    """Stride taken from the stride-1 output starting one step late (an off-by-one window)."""
    full = _depthwise(x, w, b, 1, p)
    return full[:, s - 1::s, s - 1::s]


def _slices(weight):
    """Per input channel c, the (C_out, k*k) matrix W[:, c]: a separable pair with multiplier
    m gives it rank <= m (the sum over c's m filters of P[:, q] K[q])."""
    w = np.asarray(weight, dtype=np.float64)
    return [w[:, c].reshape(w.shape[0], -1) for c in range(w.shape[1])]


def _energies(weight):
    """Per input channel c, the squared singular values of W[:, c] (largest first)."""
    return [np.linalg.svd(s, compute_uv=False) ** 2 for s in _slices(weight)]


def _filters(weight, budget, per_filter=None):
    """How many depthwise filters the budget pays for: each costs its kh*kw weights and the
    C_out weights of the pointwise column that reads it."""
    c_out, _c, kh, kw = np.shape(weight)
    return budget // (kh * kw + c_out if per_filter is None else per_filter(c_out, kh * kw))


def _separable_error(weight, budget):
    """Least squared error of a depthwise + pointwise pair within ``budget`` weights, each
    channel with as many depthwise filters as it is given. Channel c's slice W[:, c] with m_c
    filters keeps its m_c largest squared singular values (Eckart-Young), and those gains
    shrink along each channel: the best allocation keeps the largest ones over all channels."""
    gains = np.sort(np.concatenate(_energies(weight)))[::-1]
    return float(gains[_filters(weight, budget):].sum())


def _separable_error_with(weight, budget, per_filter=None):
    gains = np.sort(np.concatenate(_energies(weight)))[::-1]
    return float(gains[_filters(weight, budget, per_filter):].sum())


def _uniform(weight, budget):
    """The same multiplier m = filters // C for every channel: the old exercise's answer."""
    m = _filters(weight, budget) // np.shape(weight)[1]
    return float(sum(e[m:].sum() for e in _energies(weight)))


def _round_robin(weight, budget):
    """Filters handed out one per channel in turn, channel 0 first, while any are left."""
    energies, left = _energies(weight), _filters(weight, budget)
    kept = [0] * len(energies)
    while left > 0 and any(k < len(e) for k, e in zip(kept, energies)):
        for c, e in enumerate(energies):
            if left > 0 and kept[c] < len(e):
                kept[c], left = kept[c] + 1, left - 1
    return float(sum(e[k:].sum() for k, e in zip(kept, energies)))


def _one_matrix(weight, budget):
    """The whole weight as one (C_out, C k k) matrix, its best rank-M approximation."""
    w = np.asarray(weight, dtype=np.float64)
    sigma = np.linalg.svd(w.reshape(w.shape[0], -1), compute_uv=False)
    return float((sigma[_filters(weight, budget):] ** 2).sum())


def _error_cases(rng):
    """Weights of 1-12 channels whose slices differ in energy by up to 10^3 (so a uniform
    multiplier wastes filters), kernels 2x2, 3x3 and 1x3; budgets a whole number of filters
    plus up to one filter's cost less one; a fifth are exact pairs with a different multiplier
    per channel, which reach error 0 only when every filter goes where it is needed."""
    cases = []
    for i in range(30):
        c_out, c = int(rng.integers(2, 9)), int(rng.integers(1, 13))
        kh, kw = [(2, 2), (3, 3), (1, 3)][i % 3]
        rank = min(c_out, kh * kw)
        if i % 5 == 0:
            ms = rng.integers(0, rank + 1, c)
            w = np.zeros((c_out, c, kh, kw))
            for ch, m in enumerate(ms):
                w[:, ch] = (rng.standard_normal((c_out, m)) @ rng.standard_normal((m, kh * kw))
                            ).reshape(c_out, kh, kw)
            filters = int(ms.sum())
        else:
            w = rng.standard_normal((c_out, c, kh, kw)) * 10 ** rng.uniform(-1.5, 1.5, (1, c, 1, 1))
            filters = int(rng.integers(0, c * rank + 2))
        cases.append((w, filters * (kh * kw + c_out) + int(rng.integers(0, kh * kw + c_out))))
    # 64 channels of 3 x 3 kernels for 8 outputs, 150 filters: 9^64 ways to share them, so
    # the sharing has to be reasoned out, not searched
    w = rng.standard_normal((8, 64, 3, 3)) * 10 ** rng.uniform(-1.5, 1.5, (1, 64, 1, 1))
    cases.append((w, 150 * 17 + int(rng.integers(0, 17))))
    return cases


def _one_side(x, w, b, s, p):
    """Depthwise with p zeros before each row and column only. The loop students write then
    yields an empty output where the kernel no longer fits, which the reference refuses."""
    xp = np.pad(x, [(0, 0)] * (np.ndim(x) - 2) + [(p, 0), (p, 0)])
    oh, ow = ((n - k) // s + 1 for n, k in zip(xp.shape[-2:], w.shape[-2:]))
    if min(oh, ow) < 1:
        return np.zeros(xp.shape[:-3] + (w.shape[0], max(oh, 0), max(ow, 0)))
    return _depthwise(xp, w, b, s, 0)


def _fold_padding(gamma, beta, mean, var, eps=1e-5):
    """The constant u_c each input channel must be padded with when batch norm (eval) before a
    zero-padded k x k convolution is folded into it (W' = W s, b' = b + sum W shift).

    The original layer pads BN's *output* with zeros; the folded one pads the raw input with
    u_c, which the folded weight sees as BN(u_c). So BN(u_c) = 0: u_c = mean_c - beta_c / s_c.
    With gamma_c = 0 the folded weight of channel c is 0, so u_c does not matter; the channel
    then adds beta_c times the taps that land inside the image, which changes at the border
    unless beta_c = 0: no pad value makes the fold exact (inf)."""
    gamma, beta = np.asarray(gamma, dtype=np.float64), np.asarray(beta, dtype=np.float64)
    sd = np.sqrt(np.asarray(var, dtype=np.float64) + eps)
    live = gamma != 0
    pad = np.asarray(mean, dtype=np.float64) - beta * sd / np.where(live, gamma, 1.0)
    return np.where(live, pad, np.where(beta == 0, 0.0, np.inf))


def _fold_cases(rng):
    cases = []
    for i in range(30):
        c = int(rng.integers(1, 7))
        gamma, beta = rng.standard_normal(c) * 2, rng.standard_normal(c)
        if i % 2:  # channels switched off by training (gamma = 0), some with a shift left
            off = rng.random(c) < 0.5
            off[int(rng.integers(c))] = True
            gamma[off] = 0.0
            beta[off & (rng.random(c) < 0.4)] = 0.0
        if i % 5 == 0:
            beta[rng.random(c) < 0.5] = 0.0
        case = (gamma, beta, rng.standard_normal(c), rng.uniform(0.01, 4, c))
        # the default eps must matter in some cases, so leave it out there
        cases.append(case if i % 3 == 0 else case + (float(rng.choice([0.0, 1e-3, 0.1])),))
    return cases


def _pad_with(live, off=lambda beta: np.where(beta == 0, 0.0, np.inf)):
    """A wrong pad: ``live(gamma, beta, mean, sd)`` where gamma != 0, ``off(beta)`` elsewhere."""
    def pad(gamma, beta, mean, var, eps=1e-5):
        sd = np.sqrt(var + eps)
        with np.errstate(divide="ignore", invalid="ignore"):
            values = live(gamma, beta, mean, sd)
        return np.where(gamma != 0, values, off(beta))
    return pad


# --- exercise 4: fewest_slices --------------------------------------------------------------
# MobileNetV2 (Sec. 5.1) computes the block's wide tensor a slice of channels at a time. With
# the input A (c_in h w values) and the output B (c_out h' w') held throughout, a slice of q
# wide channels holds its expanded channels (q h w) until its depthwise outputs (q h' w') are
# computed: the peak is A + B + q (h w + h' w'), q the largest slice. T = t c_in channels split
# into n slices as evenly as possible have a largest slice of ceil(T / n), so the fewest n is
# ceil(T / q_max) with q_max = (memory - A - B) // (h w + h' w'); the continuous bound
# T (h w + h' w') / (memory - A - B) can be one slice short.


def _maps(h, w, s):
    """Values per channel of the full map and of the strided (3x3, padding 1) map."""
    return h * w, solutions.conv_output_size(h, 3, s, 1) * solutions.conv_output_size(w, 3, s, 1)


def _fewest_from_slice(wide, q_max):
    """The fewest even slices of ``wide`` channels whose largest holds at most q_max."""
    return 0 if q_max < 1 else -(-wide // q_max)


def _fewest_slices(c_in, c_out, t, h, w, s, memory, *, held=None, per_channel=None):
    """The fewest slices whose peak is within ``memory`` values (0: not even one channel).
    ``held`` and ``per_channel`` replace the always-held values and the values per wide
    channel of a slice, as students get them wrong."""
    full, inner = _maps(h, w, s)
    base = c_in * full + c_out * inner if held is None else held(c_in, c_out, full, inner)
    per = full + inner if per_channel is None else per_channel(full, inner)
    return _fewest_from_slice(t * c_in, (memory - base) // per if memory >= base else 0)


def _slices_continuous(c_in, c_out, t, h, w, s, memory):
    """The continuous bound: wide channels times their values over the room left, rounded up."""
    full, inner = _maps(h, w, s)
    room = memory - c_in * full - c_out * inner
    return 0 if room < full + inner else -(-(t * c_in * (full + inner)) // room)


def _slices_with_weights(c_in, c_out, t, h, w, s, memory):
    """Ma et al.'s memory count (cell 42) per layer of a slice, weights included, the largest
    of the three layers within the budget: a search over n, as a student runs it."""
    full, inner = _maps(h, w, s)
    wide = t * c_in

    def peak(q):
        return max(c_in * full + q * full + q * c_in, q * full + q * inner + 9 * q,
                   q * inner + c_out * inner + c_out * q)

    lo, hi = 1, wide
    if peak(1) > memory:
        return 0
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if peak(-(-wide // mid)) <= memory else (mid + 1, hi)
    return lo


def _slices_cases(rng):
    """Blocks of MobileNetV2's sizes (channels 8-320, maps 7-112, t 1-10, stride 1 or 2,
    odd maps where (h - 1) // 2 + 1 and h // 2 differ) and blocks with up to 10^6 channels
    and t up to 10^3, whose up to 10^9 slice counts a loop over n cannot try. Budgets fall
    just on, just below and between the peaks of two slice counts, and below one channel."""
    cases = []
    for i in range(40):
        s = 2 if i % 3 else 1
        if i % 2:
            c_in, c_out = int(rng.integers(10**4, 10**6)), int(rng.integers(10**4, 10**6))
            t, h = int(rng.integers(100, 1000)), int(rng.integers(1, 8))
        else:
            c_in, c_out = 8 * int(rng.integers(1, 41)), 8 * int(rng.integers(1, 41))
            t, h = int(rng.integers(1, 11)), int(rng.integers(3, 113))
        w = h if i % 4 == 0 else h + int(rng.integers(0, 5))
        if i % 4 == 1:
            h, w = 2 * (h // 2) + 1, 2 * (w // 2) + 1
        full, inner = _maps(h, w, s)
        base, per = c_in * full + c_out * inner, full + inner
        q = int(10 ** rng.uniform(0, np.log10(t * c_in)))   # slices of 1 to T channels
        if i % 4 == 2:  # n slices, the last nearly empty, and room for almost one more
            # channel per slice: there the continuous bound says n - 1
            q = (t * c_in - 1) // (int(rng.integers(2, 20)) - 1)
        extra = [0, -1, per - 1, -per * q][i % 4]  # -per * q: under one channel
        cases.append((c_in, c_out, t, h, w, s, max(0, base + per * q + extra)))
    # the text's 96 -> 576 -> 96 block at 14 x 14 in 100,000 values: four slices of 144
    cases.append((96, 96, 6, 14, 14, 1, 100_000))
    # 512,000 -> 511,488,000 -> 640,000 channels on 7 x 7 (stride 2: 4 x 4), room for 3 wide
    # channels and 64 values: 170,496,000 slices
    cases.append((512_000, 640_000, 999, 7, 7, 2, 512_000 * 49 + 640_000 * 16 + 3 * 65 + 64))
    return cases


CHECKS = [
    Check(
        id="ch05.depthwise_conv2d", function="depthwise_conv2d", cases=_depthwise_cases,
        reference=_depthwise,
        mistakes=[
            Mistake("kernel applied to every channel", _every_channel,
                    "a depthwise kernel sees one channel only: output channel o is input "
                    "channel o // m correlated with weight[o, 0] — nothing is summed over "
                    "channels."),
            Mistake("channel multiplier interleaved",
                    lambda x, w, b, s, p: _dense(x, w, b, s, p, lambda o, c, m: o % c),
                    "with m filters per channel, output channels 0..m-1 all come from input "
                    "channel 0, the next m from channel 1, ...: input channel o // m, not o % C."),
            ignored("stride", _depthwise, 3,
                    "keep every stride-th position: output (i, j) starts at input "
                    "(stride*i, stride*j) of the padded image."),
            Mistake("stride windows start one step late", _stride_after,
                    "the first output window starts at row 0 and column 0 of the padded input: "
                    "slice a : a + stride*(oh - 1) + 1 : stride."),
            Mistake("bias missing", lambda x, w, b, s, p: _depthwise(x, w, None, s, p),
                    "add bias[o] to every value of output channel o."),
            flipped_kernel(_depthwise),
            Mistake("padding on one side only",
                    lambda x, w, b, s, p: _one_side(x, w, b, s, p),
                    "pad p rows/columns on every side: np.pad(x, ((0, 0), (p, p), (p, p)))."),
            integer_cast(_depthwise),
        ]),
    Check(
        id="ch05.separable_error", function="separable_error", cases=_error_cases,
        reference=_separable_error,
        mistakes=[
            Mistake("the same multiplier for every channel", _uniform,
                    "your channels all get the same number of filters, which nothing in the "
                    "question asks for: does every channel gain as much from one more filter?"),
            Mistake("filters handed out one per channel in turn", _round_robin,
                    "a fair share is not the best share: the filters may go to any channels, as "
                    "many to one channel as helps."),
            Mistake("a filter costs its k x k weights only",
                    lambda w, budget: _separable_error_with(w, budget, lambda co, kk: kk),
                    "each depthwise filter also needs its column of the pointwise layer: "
                    "C_out more weights."),
            Mistake("a filter the budget cannot pay for",
                    lambda w, budget: _separable_error_with(
                        w, budget + np.shape(w)[2] * np.shape(w)[3] + np.shape(w)[0] - 1),
                    "your pair uses more filters than the budget pays for: a part of a filter is "
                    "no filter."),
            Mistake("singular values summed, not squared",
                    lambda w, budget: float(np.sort(np.concatenate(
                        [np.sqrt(e) for e in _energies(w)]))[::-1][_filters(w, budget):].sum()),
                    "your error sums singular values: the question asks for a squared error. What"
                    " is the squared error of a truncated SVD a sum of?"),
            Mistake("the whole weight as one matrix", _one_matrix,
                    "a depthwise filter reads one channel only: your pair's filters read several "
                    "channels."),
        ]),
    Check(
        id="ch05.fold_padding", function="fold_padding", cases=_fold_cases,
        reference=_fold_padding,
        mistakes=[
            Mistake("zero padding kept",
                    lambda gamma, beta, mean, var, eps=1e-5: np.zeros(len(mean)),
                    "the original layer pads batch norm's output with zeros; your folded layer "
                    "pads the raw input with zeros too. What does the folded layer make of a pad "
                    "value, compared with the original layer's zero?"),
            Mistake("padded with the running mean",
                    _pad_with(lambda gamma, beta, mean, sd: mean),
                    "your pad values are right only where beta = 0: try a channel with beta != 0 "
                    "through both layers."),
            Mistake("shift taken with the wrong sign",
                    _pad_with(lambda gamma, beta, mean, sd: mean + beta * sd / gamma),
                    "your pad values have their shift the wrong way round: check one channel with"
                    " beta != 0 by running batch norm, then the padded convolution, on a small "
                    "input."),
            Mistake("scale inverted",
                    _pad_with(lambda gamma, beta, mean, sd: mean - beta * gamma / sd),
                    "your pad values multiply where they should divide, or the other way round: "
                    "check one channel with gamma = 2 and beta != 0."),
            Mistake("eps ignored",
                    lambda gamma, beta, mean, var, eps=1e-5: _fold_padding(gamma, beta, mean,
                                                                           var, 0.0),
                    "batch norm divides by sqrt(var + eps); eps defaults to 1e-5."),
            Mistake("gamma = 0 channels given the formula's signed infinity",
                    _pad_with(lambda gamma, beta, mean, sd: mean - beta * sd / gamma,
                              lambda beta: np.where(beta == 0, 0.0, -np.inf * np.sign(beta))),
                    "a channel with gamma = 0 has no finite value from your formula: the prompt's"
                    " answers for such a channel are 0 and np.inf. Which one applies, and when?"),
            Mistake("every gamma = 0 channel said to fold exactly",
                    _pad_with(lambda gamma, beta, mean, sd: mean - beta * sd / gamma,
                              lambda beta: 0 * beta),
                    "you answer 0 (any value works) for every channel with gamma = 0: what does "
                    "such a channel of the original layer output inside the image, and in the "
                    "padding?"),
            Mistake("every gamma = 0 channel said to be impossible",
                    _pad_with(lambda gamma, beta, mean, sd: mean - beta * sd / gamma,
                              lambda beta: np.inf + 0 * beta),
                    "you answer np.inf (no value works) for every channel with gamma = 0: look at"
                    " one whose beta is 0 too."),
        ]),
    Check(
        id="ch05.fewest_slices", function="fewest_slices", cases=_slices_cases,
        reference=_fewest_slices,
        mistakes=[
            Mistake("the continuous bound: channels times values over the room, rounded up",
                    _slices_continuous,
                    "your n comes from dividing the room by what the channels cost: slices hold "
                    "whole channels, and their sizes differ by at most one. Which slice sets the "
                    "peak?"),
            Mistake("weights counted, per layer, as in Ma et al.'s memory access cost",
                    _slices_with_weights,
                    "the budget holds feature maps only, and they live across the layers: the "
                    "input and the output are held throughout, a slice's expanded channels "
                    "until its depthwise outputs exist."),
            Mistake("the slice's expanded channels freed before its depthwise outputs",
                    lambda ci, co, t, h, w, s, m: _fewest_slices(
                        ci, co, t, h, w, s, m, per_channel=lambda full, inner: full),
                    "the depthwise layer reads the slice's expanded channels while it writes "
                    "its outputs: both are held at the peak."),
            Mistake("the block's input and output not counted",
                    lambda ci, co, t, h, w, s, m: _fewest_slices(
                        ci, co, t, h, w, s, m, held=lambda ci, co, full, inner: 0),
                    "the input is read by every slice's expansion and the output collects "
                    "every slice's projection: both are held all the time."),
            Mistake("stride ignored: the depthwise outputs on the full map",
                    lambda ci, co, t, h, w, s, m: _fewest_slices(ci, co, t, h, w, 1, m),
                    "with stride 2 the depthwise outputs and the block's output have "
                    "((h - 1) // 2 + 1) x ((w - 1) // 2 + 1) values per channel."),
            Mistake("slices of c_in channels, t of them at most",
                    lambda ci, co, t, h, w, s, m: _fewest_slices(ci, co, t, h, w, s, m) and min(
                        t, -(-_fewest_slices(ci, co, t, h, w, s, m) // ci) * ci),
                    "a slice may hold any number of wide channels, not only a multiple of "
                    "c_in: split the t c_in channels as evenly as the budget needs."),
        ]),
]
