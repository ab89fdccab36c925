"""Hidden checks of chapter 08 (beyond 2-D): how far a stack of causal and 'same' layers looks
ahead, the input window of a stack, for how many input lengths ceil_mode changes a pooled size,
the gradient of max pooling (chapter 07's question for chapter 08's layer), and the narrowest
linear bottleneck that computes a given layer exactly."""

from __future__ import annotations

import numpy as np

import solutions

from .core import Check, Mistake


def _lookahead(layers, *, right=lambda total: total - total // 2):
    """Future steps output t of a stride-1 stack sees: a 'same' layer pads d(k - 1) zeros in
    all, total // 2 on the left and the rest on the right (as torch does), so its output t
    reads up to t + right; a causal layer reads up to t. The stack adds them up."""
    return sum(right(d * (k - 1)) for k, d, mode in layers if mode == "same")


def _lookahead_cases(rng):
    cases = []
    for i in range(40):
        layers = tuple((int(rng.integers(1, 6)), int(rng.integers(1, 9)),
                        "same" if rng.random() < 0.5 else "causal")
                       for _ in range(int(rng.integers(1, 7))))
        if i % 4 == 0:  # an even kernel with an odd dilation: the odd total of 'same'
            layers += ((2, 1 + 2 * int(rng.integers(0, 4)), "same"),)
        cases.append((layers,))
    return cases


def _stack_cases(rng):
    cases = []
    for _ in range(40):
        layers = []
        for _ in range(int(rng.integers(1, 6))):
            k = int(rng.integers(1, 8))
            d = int(rng.choice([1, 1, 2, 3]))
            layers.append((k, int(rng.integers(1, 4)), int(rng.integers(0, k)), d))
        cases.append((tuple(layers), int(rng.integers(0, 6))))
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
    return cases


def _max_pool_cases(rng):
    cases = []
    while len(cases) < 30:
        k = int(rng.integers(1, 5))
        s = int(rng.integers(1, 4)) if len(cases) % 3 else int(rng.integers(1, k + 1))
        p = int(rng.integers(0, k // 2 + 1))
        shape = (int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(k, 11)),
                 int(rng.integers(k, 11)))
        # mostly negative values: zero padding then wins windows on the border
        x = rng.standard_normal(shape) - (1.5 if rng.random() < 0.5 else 0.0)
        oh = (shape[2] + 2 * p - k) // s + 1
        ow = (shape[3] + 2 * p - k) // s + 1
        cases.append((x, rng.standard_normal((*shape[:2], oh, ow)), k, s, p))
    x = -np.arange(1.0, 17.0).reshape(1, 1, 4, 4)
    cases.append((x, np.ones((1, 1, 3, 3)), 2, 2, 1))
    return cases


def _pool_backward(x, grad, k, s, p, *, fill=-np.inf, route="max", add=True):
    """The gradient of max pooling: each output's gradient goes to the cell of its window that
    won (the first, in row-major order), added up over overlapping windows."""
    x = np.asarray(x, dtype=np.float64)
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=fill)
    out = np.zeros_like(xp)
    n, c, oh, ow = grad.shape
    for i in range(oh):
        for j in range(ow):
            window = xp[:, :, i * s:i * s + k, j * s:j * s + k].reshape(n, c, -1)
            g = grad[:, :, i, j]
            if route == "spread":
                share = np.repeat((g / (k * k))[:, :, None], k * k, axis=2)
            elif route == "first":
                share = np.zeros_like(window)
                share[:, :, 0] = g
            else:
                share = np.zeros_like(window)
                np.put_along_axis(share, window.argmax(axis=2)[:, :, None], g[:, :, None], axis=2)
            block = out[:, :, i * s:i * s + k, j * s:j * s + k]
            if add:
                block += share.reshape(n, c, k, k)
            else:
                block[...] = np.where(share.reshape(n, c, k, k) != 0, share.reshape(n, c, k, k),
                                      block)
    return out[:, :, p:p + x.shape[2], p:p + x.shape[3]]


def _ranks(weight):
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
    return int(max(_ranks(weight)))


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
    return cases


CHECKS = [
    Check(
        id="ch08.lookahead", function="lookahead", cases=_lookahead_cases,
        reference=_lookahead,
        mistakes=[
            Mistake("half the span on each side, as a float",
                    lambda layers: _lookahead(layers, right=lambda total: total / 2),
                    "a layer pads whole cells: d(k - 1) zeros in all, and when that is odd "
                    "torch puts the extra one on the right."),
            Mistake("the extra zero of an odd span put on the left",
                    lambda layers: _lookahead(layers, right=lambda total: total // 2),
                    "torch pads total // 2 zeros on the left and the rest on the right: an odd "
                    "span looks one step further into the future than half of it."),
            Mistake("dilation ignored",
                    lambda layers: _lookahead(tuple((k, 1, m) for k, _, m in layers)),
                    "a dilated layer spans d(k - 1) + 1 input steps: its 'same' padding is "
                    "d(k - 1) zeros in all."),
            Mistake("causal layers counted too",
                    lambda layers: _lookahead(tuple((k, d, "same") for k, d, _ in layers)),
                    "a causal layer pads only on the left: it never looks ahead."),
            Mistake("only the widest look-ahead of one layer",
                    lambda layers: max([_lookahead((layer,)) for layer in layers]),
                    "look-aheads add up: layer 2's output t reads layer 1's outputs up to t + "
                    "r_2, and each of those reads r_1 further ahead."),
        ]),
    Check(
        id="ch08.input_window", function="input_window", cases=_stack_cases,
        reference=solutions.receptive_window,
        mistakes=[
            Mistake("strides of earlier layers ignored",
                    lambda layers, i: _window([(k, 1, p, d) for k, _, p, d in layers], i),
                    "one step of layer l's input is J = s_1 ... s_(l-1) input cells: its "
                    "d(k - 1) and its padding count J times, and output i starts at i·J_L."),
            Mistake("a layer's own stride counted in its jump",
                    lambda layers, i: _window(layers, i, jump_first=True),
                    "layer l's taps are one step of *its input* apart: multiply by the strides "
                    "before it, s_1 ... s_(l-1), not including s_l."),
            Mistake("dilation ignored", lambda layers, i: _window(layers, i, dilate=False),
                    "a dilated layer spans d(k - 1) + 1 cells of its input, not k."),
            Mistake("padding ignored", lambda layers, i: _window(layers, i, pad=False),
                    "padding shifts every window left: layer l's p_l zeros are p_l·J cells of "
                    "the input, so the window starts at i·J_L - sum p_l·J_(l-1)."),
            Mistake("padding not scaled by the jump",
                    lambda layers, i: _window(layers, i, pad_jump=False),
                    "layer l's padding is p_l cells of *its* input, p_l·(s_1 ... s_(l-1)) "
                    "cells of the network input."),
            Mistake("output index not scaled by the total stride",
                    lambda layers, i: _window(layers, i, index_jump=False),
                    "neighbouring outputs of the last layer are s_1 ... s_L input cells apart, "
                    "so output i starts i·J_L cells after output 0."),
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
            Mistake("gradient sent to the first cell of every window",
                    lambda x, g, k, s, p: _pool_backward(x, g, k, s, p, route="first"),
                    "the gradient goes to the cell that won the window (its maximum), not to "
                    "the window's first cell."),
        ]),
    Check(
        id="ch08.narrowest_bottleneck", function="narrowest_bottleneck", cases=_narrow_cases,
        reference=_narrowest,
        mistakes=[
            Mistake("the output side's rank only",
                    lambda w: int(_ranks(w)[0]),
                    "the first 1x1 layer must also carry every combination of input channels "
                    "the k x k taps read: what does that ask of m?"),
            Mistake("the input side's rank only",
                    lambda w: int(_ranks(w)[1]),
                    "the last 1x1 layer must also produce every combination of output "
                    "channels the k x k taps make: what does that ask of m?"),
            Mistake("the smaller of the two ranks, or the rank of a single tap",
                    lambda w: int(min(_ranks(w))),
                    "both 1x1 layers pass through the same m channels, and one tap's "
                    "C_out x C_in matrix does not show all that the taps together need."),
            Mistake("the spatial rank of chapter 04",
                    lambda w: int(np.linalg.matrix_rank(np.asarray(w, dtype=float).reshape(
                        w.shape[0] * w.shape[1], -1))),
                    "the bottleneck narrows channels, not the kernel's rows and columns: take "
                    "ranks across channels."),
        ]),
]
