"""Chapter 08's exercises against answers pasted from the book's own cells (see pastes.py)."""

# The glue is held to five lines, so a paste packs into one line what a student would: E501 off.
# ruff: noqa: E501

from __future__ import annotations

import pytest
from mutants import assert_right_but_out_of_time, first_refusal, verdict
from pastes import Paste, coverage_test, pasted, refused_test

from autograder.checks import cases_for

POOL = (("08", "def pool2d"),)

NUMERIC = (("09", "def conv_forward"), ("09", "def numerical_gradient"))  # the cell checks conv_backward

PASTES = {
    "ch08.widest_same_stack": [
        # round 6's lookahead paste (each layer looks d(k - 1) - floor(d(k - 1)/2) ahead, and
        # stacked offsets add), turned to the new question in the ways it invites
        Paste("the look-ahead sum solved for the total span: 2F of it, as if halves counted",
              (("08", "def causal_corr1d"),),
              """def widest_same_stack(depth, kernel_size, budget):
    return 1 + (kernel_size - 1) * (2 * budget // max(1, kernel_size - 1))
""", "widest_same_stack"),
        Paste("one dilation for all layers, the largest whose summed look-ahead fits (bisected)",
              (("08", "def causal_corr1d"),),
              """def widest_same_stack(depth, kernel_size, budget):
    ahead = lambda d: depth * (d * (kernel_size - 1) - d * (kernel_size - 1) // 2)
    d = __import__("bisect").bisect_right(range(2 * budget + 2), budget, key=ahead) - 1
    return 0 if d < 1 else 1 + (kernel_size - 1) * depth * d
""", "widest_same_stack"),
        Paste("dilation 1 everywhere and the rest of the budget on the last layer",
              (("08", "def causal_corr1d"),),
              """def widest_same_stack(depth, kernel_size, budget):
    m = kernel_size - 1
    left = budget - (depth - 1) * (m - m // 2)
    return 1 if m == 0 else (0 if left < m - m // 2 else 1 + m * (depth - 1 + 2 * left // m))
""", "widest_same_stack"),
        Paste("the total span bisected, spread as evenly as possible over the layers",
              (("08", "def causal_corr1d"),),
              """def widest_same_stack(depth, kernel_size, budget):
    m = max(1, kernel_size - 1)
    cost = lambda D: (D % depth) * (-(-(D // depth + 1) * m // 2)) + (depth - D % depth) * (-(-(D // depth) * m // 2))
    D = __import__("bisect").bisect_right(range(depth, 2 * budget + 2 * depth), budget, key=cost) - 1 + depth
    return 1 if kernel_size == 1 else (0 if D < depth else 1 + m * D)
""", "widest_same_stack"),
    ],
    "ch08.outputs_seeing": [
        # round 6's input_window paste (ch02's reachable() edited with u = s i + d a - p) cannot
        # enumerate windows of 10^12 cells; its endpoints and the text's receptive field are
        # what five lines can carry, with the padding as the text leaves it (unscaled)
        Paste("the text's receptive_fields, shifted by the paddings, inverted",
              (("08", "def receptive_fields"),),
              """def outputs_seeing(layers, cell):
    r = receptive_fields([(k, s, d) for k, s, p, d in layers])[-1]
    J, start = int(np.prod([s for _, s, _, _ in layers])), -sum(p for _, _, p, _ in layers)
    return max(0, -(-(cell - start - r + 1) // J)), (cell - start) // J
""", "outputs_seeing"),
        Paste("ch02's reachable() on endpoints only, the first 2,000 outputs scanned",
              (("02", "def reachable"),),
              """def outputs_seeing(layers, cell):
    w = lambda i: __import__("functools").reduce(lambda o, L: (L[1] * o[0] - L[2], L[1] * o[1] - L[2] + L[3] * (L[0] - 1)), reversed(layers), (i, i))
    seen = [i for i in range(2000) if w(i)[0] <= cell <= w(i)[1]]
    return (seen[0], seen[-1]) if seen else (0, -1)
""", "outputs_seeing"),
        Paste("output 0's window (no padding: the text's receptive field), then round both ends down",
              (("08", "def receptive_fields"),),
              """def outputs_seeing(layers, cell):
    r = receptive_fields([(k, s, d) for k, s, p, d in layers])[-1]
    J = int(np.prod([s for _, s, _, _ in layers]))
    return max(0, (cell - r + 1) // J), cell // J
""", "outputs_seeing"),
    ],
    "ch08.ceil_mode_changes": [
        # the independent reader's pool_input_range paste (bisection on the text's size rule),
        # turned to the new question: count over the ranges of n the bisection finds per size
        Paste("the text's size rule in both modes, bisected per output size and the ranges compared", POOL,
              """def ceil_mode_changes(lo, hi, kernel_size, stride, padding, dilation):
    f = lambda n, c: (lambda o: o - 1 if c and (o - 1) * stride >= n + padding else o)((n + 2 * padding - dilation * (kernel_size - 1) - 1 + (stride - 1 if c else 0)) // stride + 1)
    first = lambda o, c: __import__("bisect").bisect_left(range(lo, hi + 1), o, key=lambda n: f(n, c)) + lo
    sizes = range(f(lo, False), min(f(hi, False), f(lo, False) + 300) + 1)
    return sum(abs(first(o, True) - first(o, False)) for o in sizes if o > f(lo, True) or o == f(lo, False))
""", "ceil_mode_changes"),
        Paste("brute force over the first 10^6 lengths with the text's rule, scaled to the range", POOL,
              """def ceil_mode_changes(lo, hi, kernel_size, stride, padding, dilation):
    n = np.arange(lo, min(hi, lo + 10**6 - 1) + 1, dtype=object)
    room = n + 2 * padding - dilation * (kernel_size - 1) - 1
    ceil = -(-room // stride) + 1 - ((-(-room // stride)) * stride >= n + padding)
    return int(round(np.mean(ceil != room // stride + 1) * (hi - lo + 1)))
""", "ceil_mode_changes"),
        Paste("one stride period of lengths in numpy with the text's rule, times the periods, plus the rest", POOL,
              """def ceil_mode_changes(lo, hi, k, s, p, d):
    n = np.arange(lo, lo + min(s, hi - lo + 1), dtype=np.int64)
    ch = -(-(n + 2 * p - d * (k - 1) - 1) // s) + 1 - (-(-(n + 2 * p - d * (k - 1) - 1) // s) * s >= n + p) != (n + 2 * p - d * (k - 1) - 1) // s + 1
    return int(ch.sum()) * ((hi - lo + 1) // s) + int(ch[:(hi - lo + 1) % s].sum())
""", "ceil_mode_changes"),
        Paste("the naive reading of the text: ceil mode adds a window unless the stride divides", POOL,
              """def ceil_mode_changes(lo, hi, kernel_size, stride, padding, dilation):
    c = dilation * (kernel_size - 1) + 1 - 2 * padding
    return (hi - lo + 1) - ((c - lo) // stride - (c - hi - 1) // stride)
""", "ceil_mode_changes"),
    ],
    "ch08.max_pool2d_backward": [
        # round 6's paste, verbatim: ch09's central differences on L = sum(dY * maxpool(x)),
        # maxpool from the displayed max formula with a -inf pad; ties and one-ulp neighbours
        # put the kink at x itself, where a central difference halves the gradient
        Paste("ch09's numerical_gradient on sum(dY * maxpool(x)), the displayed max formula",
              NUMERIC,
              """def max_pool2d_backward(x, grad_output, kernel_size, stride, padding):
    return numerical_gradient(lambda: np.sum(grad_output * sliding_window_view(np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)), constant_values=-np.inf), (kernel_size, kernel_size), axis=(2, 3))[:, :, ::stride, ::stride].max(axis=(4, 5))), x)
""", "max_pool2d_backward"),
        Paste("the same with a forward difference (eps 1e-9), so a tie is not halved", NUMERIC,
              """def max_pool2d_backward(x, grad_output, kernel_size, stride, padding):
    f = lambda z: np.sum(grad_output * sliding_window_view(np.pad(z, ((0, 0), (0, 0), (padding, padding), (padding, padding)), constant_values=-np.inf), (kernel_size, kernel_size), axis=(2, 3))[:, :, ::stride, ::stride].max(axis=(4, 5)))
    return np.array([(f(x + 1e-9 * (np.arange(x.size) == i).reshape(x.shape)) - f(x)) / 1e-9 for i in range(x.size)]).reshape(x.shape)
""", "max_pool2d_backward"),
        Paste("central differences after a nudge that breaks ties toward the first cell", NUMERIC,
              """def max_pool2d_backward(x, grad_output, kernel_size, stride, padding):
    z = x - 1e-7 * np.arange(x.size).reshape(x.shape)
    return numerical_gradient(lambda: np.sum(grad_output * sliding_window_view(np.pad(z, ((0, 0), (0, 0), (padding, padding), (padding, padding)), constant_values=-np.inf), (kernel_size, kernel_size), axis=(2, 3))[:, :, ::stride, ::stride].max(axis=(4, 5))), z)
""", "max_pool2d_backward"),
        Paste("ch09's pool_backward (2x2, the first maximum) as it stands", (("09", "def pool_forward"), ("09", "def pool_backward(dy, x)")),
              """def max_pool2d_backward(x, grad_output, kernel_size, stride, padding):
    return pool_backward(grad_output, x)
""", "max_pool2d_backward"),
        Paste("the text's reshape trick: the gradient where x equals its window's maximum", POOL,
              """def max_pool2d_backward(x, grad_output, kernel_size, stride, padding):
    y = x[:, :, :x.shape[2] // stride * stride, :x.shape[3] // stride * stride].reshape(*x.shape[:2], x.shape[2] // stride, stride, x.shape[3] // stride, stride).max(axis=(3, 5))
    up = lambda a: np.repeat(np.repeat(a, stride, axis=2), stride, axis=3)
    return np.pad(up(grad_output[:, :, :y.shape[2], :y.shape[3]]) * (up(y) == x[:, :, :up(y).shape[2], :up(y).shape[3]]), ((0, 0), (0, 0), (0, x.shape[2] - up(y).shape[2]), (0, x.shape[3] - up(y).shape[3])))
""", "max_pool2d_backward"),
        Paste("ch09's mask (every cell equal to its window's maximum) over sliding windows (9 lines)",
              NUMERIC,
              """def max_pool2d_backward(x, g, k, s, p):
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
    win = sliding_window_view(xp, (k, k), axis=(2, 3))[:, :, ::s, ::s][:, :, :g.shape[2], :g.shape[3]]
    out = np.zeros(xp.shape)
    for a, b in np.ndindex(k, k):
        out[:, :, a:a + s * g.shape[2]:s, b:b + s * g.shape[3]:s] += (win[..., a, b] == win.max(axis=(4, 5))) * g
    return out[:, :, p:p + x.shape[2], p:p + x.shape[3]]
""", "max_pool2d_backward"),
    ],
    "ch08.narrowest_bottleneck": [
        # the reader's max_bottleneck_width pastes bisected the text's MAC count; the exercise
        # now asks for a width no cost formula gives. The strongest mechanical tries:
        Paste("the 1x1 layer as a matrix (cell 21): the rank of the weight as C_out x (C_in k k)",
              POOL,
              """def narrowest_bottleneck(weight):
    return int(np.linalg.matrix_rank(weight.reshape(weight.shape[0], -1)))
""", "narrowest_bottleneck"),
        Paste("the rank of each tap's channel matrix, the largest", POOL,
              """def narrowest_bottleneck(weight):
    return max(int(np.linalg.matrix_rank(weight[:, :, a, b])) for a in range(weight.shape[2]) for b in range(weight.shape[3]))
""", "narrowest_bottleneck"),
        # round 6's first two tries, verbatim: their refusals must not point at the answer
        Paste("the rank of the weight as C_out x (C_in k k) (round 6, try 1)", POOL,
              """def narrowest_bottleneck(weight):
    return np.linalg.matrix_rank(weight.reshape(weight.shape[0], -1))
""", "narrowest_bottleneck"),
        Paste("the smaller of the two unfolded ranks (round 6, try 2)", POOL,
              """def narrowest_bottleneck(weight):
    return min(np.linalg.matrix_rank(weight.reshape(weight.shape[0], -1)), np.linalg.matrix_rank(weight.transpose(1, 0, 2, 3).reshape(weight.shape[1], -1)))
""", "narrowest_bottleneck"),
        Paste("the text's bottleneck shrinks to a quarter: the fewer channels, divided by 4",
              (("08", "bottleneck = 256 * 64"),),
              """def narrowest_bottleneck(weight):
    return min(weight.shape[:2]) // 4
""", "narrowest_bottleneck"),
    ],
}

# Answers that are right wherever they finish, refused only because they cannot finish: each
# runs in a child killed at the grader's cell limit (mutants.verdict_in_time), with the
# notebook's cases (every student's cases are as large: one run each is enough, at 30 s).
IN_TIME = {
    "ch08.max_pool2d_backward": [
        # round 8, verbatim: cell 27's pool2d on -x + i (row-major index) (numpy orders complex
        # numbers by real part, then imaginary part, so the min is each window's first
        # winner), edge-padded, then bincount. Right on every small case; the hidden image
        # has 10^6 windows of 1.2-2 10^5 cells, one Python call each
        Paste("cell 27's pool2d on -x + i index (complex min: the first winner), then bincount (round 8)", POOL,
              """def max_pool2d_backward(x, g, k, s, p):
    Z = np.pad(1j * np.r_[:x.size].reshape(x.shape) - x, [[0], [0], [p], [p]], "edge")
    m = pool2d(Z.T, k, s, lambda w: w.min(axis=(0, 1)))
    return np.bincount(m.imag.astype(int).ravel(), g.T.ravel(), x.size).reshape(x.shape)
""", "max_pool2d_backward"),
        Paste("the same key over chapter 09's sliding_window_view, every window at once", NUMERIC,
              """def max_pool2d_backward(x, g, k, s, p):
    Z = np.pad(1j * np.r_[:x.size].reshape(x.shape) - x, [[0], [0], [p], [p]], "edge")
    m = sliding_window_view(Z, (k, k), axis=(2, 3))[:, :, ::s, ::s].min(axis=(4, 5))
    return np.bincount(m.imag.astype(int).ravel(), g.ravel(), x.size).reshape(x.shape)
""", "max_pool2d_backward"),
        Paste("the same key, one np.minimum over all windows per tap (chapter 09's loop over taps)", POOL,
              """def max_pool2d_backward(x, g, k, s, p):
    Z = np.pad(1j * np.r_[:x.size].reshape(x.shape) - x, [[0], [0], [p], [p]], "edge")
    m = __import__("functools").reduce(np.minimum, (Z[:, :, a:a + s * g.shape[2]:s, b:b + s * g.shape[3]:s] for a in range(k) for b in range(k)))
    return np.bincount(m.imag.astype(int).ravel(), g.ravel(), x.size).reshape(x.shape)
""", "max_pool2d_backward"),
    ],
    "ch08.ceil_mode_changes": [
        # round 8, verbatim (comments dropped): the short lengths e in range(-p, d k) with the
        # transcribed torch rule, then each counted every stride with len(range()); the hidden
        # spans of 10^11-10^13 cells make that range as long
        Paste("brute force over the short lengths e in range(-p, d k), then len(range(e, ., s)) (round 8)", (),
              """def ceil_mode_changes(lo, hi, k, s, p, d):
    return sum(len(range(e, hi + 1, s)) - len(range(e, lo, s)) for e in range(-p, d * k) if (e + 2 * p - d * (k - 1) - 1) // s + 1 <= 0 <= -(-(e + 2 * p - d * (k - 1) - 1) // s) and -p < e)
""", "ceil_mode_changes"),
    ],
}

def _verdict(check_id, fn, seed=None):
    """The pastes of max_pool2d_backward are refused on a small case; judged case by case,
    they are never run on the large image (minutes, window by window)."""
    return (first_refusal if check_id == "ch08.max_pool2d_backward" else verdict)(
        check_id, fn, seed)


test_pasted_answer_loses_the_exercise = refused_test(PASTES, verdict=_verdict)
@pytest.mark.parametrize(("check_id", "paste"), [
    pytest.param(c, p, id=f"{c}:{p.what}") for c, ps in IN_TIME.items() for p in ps])
def test_answer_that_cannot_finish_loses_the_exercise(check_id, paste):
    """Right on the cases it can finish (all but the large ones the check draws last, for a
    student holding seed 1), and no answer within the cell limit on the notebook's cases."""
    cases = cases_for(check_id, 1)
    small = [c for c in cases if not _large(check_id, c)]
    assert len(small) < len(cases)
    assert_right_but_out_of_time(check_id, pasted(paste, chapter=check_id[2:4]), small)


def _large(check_id, case):
    """The cases drawn to be too large to enumerate: the image of 10^6 windows, the layers
    whose stride and span both reach 10^11 cells."""
    if check_id == "ch08.max_pool2d_backward":
        return case[0].size >= 10 ** 6
    lo, hi, k, s, p, d = case
    return min(s, d * (k - 1) + 1) >= 10 ** 11
test_every_exercise_has_a_paste = coverage_test({**PASTES, **{
    c: PASTES.get(c, []) + ps for c, ps in IN_TIME.items()}})


def test_bottleneck_refusals_do_not_name_the_answer():
    """Round 6 reached max(rank side by side, rank stacked) by elimination: the refusal of the
    output side's rank named the input side, and the refusal of the smaller rank named it as
    the smaller. Every refusal of a single rank or of the smaller one now only says the width
    is too narrow."""
    import numpy as np
    from mutants import verdict

    for paste in PASTES["ch08.narrowest_bottleneck"][:3]:
        for seed in (None, 1, 2):
            message = verdict("ch08.narrowest_bottleneck", pasted(paste, "08"), seed)
            assert message is not None
            hint = message.split("Likely mistake:")[-1].lower()
            for word in ("input", "output", "larger", "smaller", "both", "side", "stack",
                         "max", "rank"):
                assert word not in hint.replace("the stack as", ""), (word, message)
    assert np  # the pastes' namespace imports numpy itself
