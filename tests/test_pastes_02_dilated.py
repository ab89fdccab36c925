"""Chapter 02: the answers a student would paste together from the chapter's own cells and
displayed formulas (plus at most five lines of glue) lose every exercise (tests/pastes.py).

The round-1 reader's pastes of remove_strides and field_and_holes (their DeepLab loop, their
reachable with each rate times the strides before it) are here as they apply to the
exercises that replaced them, cheapest_removal and unread_cells. Searches are capped (10^5
sets, 10^3 outputs, 10^7 cells) so that the test ends: uncapped, they would lose to the
grader's 30 s limit instead, the hidden cases being 10^9 sets and 10^17 cells and more."""

# ruff: noqa: E501 - a paste is held to five lines of glue, so its lines are long
from __future__ import annotations

from pathlib import Path

from mutants import assert_right_but_out_of_time, first_refusal, verdict
from pastes import Paste, coverage_test, reader_answer, refused_test

from autograder.checks import cases_for

REACHABLE = (("02", "def reachable(dilations, k=3)"),)
TRANS_CONV = (("03", "X = np.array([[0.0, 1.0], [2.0, 3.0]])"), ("03", "def trans_conv(X, K, stride=1)"))
CORR2D = (("01", "X = np.arange(9.0).reshape(3, 3)"), ("01", "def corr2d(X, K)"))

PASTES = {
    "ch02.cheapest_removal": [
        Paste("the round-1 reader's DeepLab loop (strides set to 1 from the last layer back while the product is too large), then the text's cost: (removed strides up to the layer)^2 times its multiply-adds",
              (), """
def cheapest_removal(strides, macs, factor):
    s, left = list(strides), factor
    for i in [i for i in reversed(range(len(s))) if s[i] > 1]:
        if left % s[i] == 0: left //= s[i]; s[i] = 1
    return sum(m * (int(np.prod(strides[:i + 1], dtype=object)) // int(np.prod(s[:i + 1], dtype=object))) ** 2 for i, m in enumerate(macs))
""", "cheapest_removal"),
        Paste("DeepLab's rule in five lines: the removed product at each layer, from the last layer back", (), """
def cheapest_removal(strides, macs, factor):
    F = [factor := factor // s if s > 1 and factor % s == 0 else factor for s in [1, *strides[:0:-1]]]
    return sum(m * f * f for m, f in zip(macs[::-1], F))
""", "cheapest_removal"),
        Paste("every set of strides with the right product tried, cheapest kept (the first 10^5 sets: 30-60 layers have 10^9 and more)",
              (), """
import itertools
def cheapest_removal(strides, macs, factor):
    cost = lambda R: sum(m * int(np.prod([strides[j] for j in R if j <= i] or [1])) ** 2 for i, m in enumerate(macs))
    sets = [R for R in itertools.islice((R for r in range(len(strides) + 1) for R in itertools.combinations(range(len(strides)), r)), 10**5) if int(np.prod([strides[j] for j in R] or [1])) == factor]
    return min(map(cost, sets))
""", "cheapest_removal"),
        Paste("the largest strides first, the latest among equals (fewest layers made dearer)", (), """
def cheapest_removal(strides, macs, factor):
    for i in sorted(range(len(strides)), key=lambda i: (-strides[i], -i)):
        if strides[i] > 1 and factor % strides[i] == 0: factor //= strides[i]; macs = macs[:i] + [m * strides[i] ** 2 for m in macs[i:]]
    return sum(macs)
""", "cheapest_removal"),
    ],
    "ch02.unread_cells": [
        Paste("the round-1 reader's field_and_holes glue (the text's reachable, each layer's rate times the strides before it), the offsets of every output in one set (the first 10^3 outputs)",
              REACHABLE, """
def unread_cells(kernel_sizes, strides, dilations, n):
    offs = {0}
    for l, (k, d) in enumerate(zip(kernel_sizes, dilations)): offs = {o + x for o in offs for x in reachable([d * int(np.prod(strides[:l]))], k)}
    S, lo = int(np.prod(strides)), min(offs)
    return n - len({o - lo + j * S for o in offs for j in range(min((n - (max(offs) - lo) - 1) // S + 1, 10**3))})
""", "unread_cells"),
        Paste("one output's offsets by the text's product of taps, translated to every output (up to 10^3) and counted", REACHABLE + (("02", "from itertools import product"),), """
def unread_cells(K, T, D, n):
    S = np.cumprod([1, *T]).tolist()
    R = {sum(t) for t in product(*[range(0, k * d * s, d * s) for k, d, s in zip(K, D, S)])}
    return n - len({r + j * S[-1] for r in R for j in range(min((n - max(R) - 1) // S[-1] + 1, 10**3))})
""", "unread_cells"),
        Paste("per residue of the offsets mod the strides' product, one run from the first read cell to the last (runs taken to touch)", REACHABLE + (("02", "from itertools import product"),), """
def unread_cells(K, T, D, n):
    S = np.cumprod([1, *T]).tolist()
    R = {sum(t) for t in product(*[range(0, k * d * s, d * s) for k, d, s in zip(K, D, S)])}
    o = (n - max(R) - 1) // S[-1] + 1
    return n - sum(max(q) - min(q) + o for q in [[r // S[-1] for r in R if r % S[-1] == c] for c in {r % S[-1] for r in R}])
""", "unread_cells"),
        Paste("the cells each layer needs, marked back from the outputs on a boolean array of the input (up to 10^7 cells)", (), """
def unread_cells(kernel_sizes, strides, dilations, n):
    sizes = [min(n, 10**7)]
    for k, s, d in zip(kernel_sizes, strides, dilations): sizes.append((sizes[-1] - d * (k - 1) - 1) // s + 1)
    need = np.ones(sizes[-1], bool)
    for (k, s, d), m in zip(list(zip(kernel_sizes, strides, dilations))[::-1], sizes[-2::-1]): need = np.bincount((np.flatnonzero(need)[:, None] * s + d * np.arange(k)).ravel(), minlength=m) > 0
    return n - int(need.sum())
""", "unread_cells"),
        Paste("the union of the first outputs' reads found by search (up to 200 outputs), then grown by what one more output adds", REACHABLE + (("02", "from itertools import product"),), """
def unread_cells(K, T, D, n):
    S = np.cumprod([1, *T]).tolist()
    R = {sum(t) for t in product(*[range(0, k * d * s, d * s) for k, d, s in zip(K, D, S)])}
    o, f = (n - max(R) - 1) // S[-1] + 1, [len({r + j * S[-1] for r in R for j in range(m)}) for m in (1, 2, 200, 201)]
    return n - (f[2] + (o - 200) * (f[3] - f[2]) if o > 200 else len({r + j * S[-1] for r in R for j in range(o)}))
""", "unread_cells"),
    ],
    "ch02.equivalent_kernel": [
        Paste("chapter 03's trans_conv, the full convolution (ch03 cell 4), of the zero-filled "
              "dilated kernels in turn (rates of 10^5 and more: 10^10 entries and more)",
              TRANS_CONV, """
def equivalent_kernel(kernels, dilations, E=np.ones((1, 1))):
    for K, d in zip(kernels, dilations): E = trans_conv(E, np.kron(K, np.pad([[1.0]], ((0, d - 1), (0, d - 1))))[:d * (K.shape[0] - 1) + 1, :d * (K.shape[1] - 1) + 1])
    return np.array([(i, j, E[i, j]) for i, j in zip(*np.nonzero(E))]).reshape(-1, 3)
""", "equivalent_kernel"),
        Paste("zero-filled kernels (the PyTorch box) correlated in turn with chapter 01's corr2d, the nonzero entries listed",
              CORR2D, """
def equivalent_kernel(kernels, dilations, out=np.ones((1, 1))):
    for K, d in zip(kernels, dilations):
        Kd = np.kron(K, np.pad([[1.0]], ((0, d - 1), (0, d - 1))))[:d * (K.shape[0] - 1) + 1, :d * (K.shape[1] - 1) + 1]
        out = corr2d(np.pad(out, ((Kd.shape[0] - 1,) * 2, (Kd.shape[1] - 1,) * 2)), Kd[::-1, ::-1])
    return np.array([(i, j, out[i, j]) for i, j in zip(*np.nonzero(out))]).reshape(-1, 3)
""", "equivalent_kernel"),
        Paste("the chains of taps, one row each, in five lines (chains that end on one cell not added)", (), """
def equivalent_kernel(kernels, dilations):
    c = [(0, 0, 1.0)]
    for K, d in zip(kernels, dilations): c = [(u + d * a, v + d * b, w * x) for u, v, w in c for (a, b), x in np.ndenumerate(K)]
    return np.array(sorted(c)).reshape(-1, 3)
""", "equivalent_kernel"),
        Paste("the reader's probe: the stack of zero-filled kernels run on every unit impulse of the field", CORR2D, """
def equivalent_kernel(kernels, dilations):
    Hs = [np.kron(K, np.pad([[1.0]], ((0, d - 1), (0, d - 1))))[:(K.shape[0] - 1) * d + 1, :(K.shape[1] - 1) * d + 1] for K, d in zip(kernels, dilations)]
    f = (1 + sum(H.shape[0] - 1 for H in Hs), 1 + sum(H.shape[1] - 1 for H in Hs))
    E = np.array([[Z := np.eye(f[0] * f[1])[q].reshape(f), [Z := corr2d(Z, H) for H in Hs][-1][0, 0]][1] for q in range(f[0] * f[1])]).reshape(f)
    return np.array([(i, j, E[i, j]) for i, j in zip(*np.nonzero(E))]).reshape(-1, 3)
""", "equivalent_kernel"),
        Paste("the text's reachable offsets with their weights' products, one row per chain of taps", (), """
def equivalent_kernel(kernels, dilations):
    chains = [(0, 0, 1.0)]
    for K, d in zip(kernels, dilations): chains = [(u + d * a, v + d * b, w * K[a, b]) for u, v, w in chains for a, b in np.ndindex(K.shape)]
    return np.array(sorted(chains)).reshape(-1, 3)
""", "equivalent_kernel"),
    ],
    "ch02.fewest_dense_layers": [
        Paste("a greedy search over the text's reachable: each new layer gets the largest rate "
              "that leaves no hole, until the field is covered (sets of up to 10^5 offsets; "
              "the hidden fields reach 9^15)",
              REACHABLE, """
def fewest_dense_layers(field, kernel_size, rates=()):
    while len(R := reachable(list(rates), kernel_size)) < min(field, 10**5):
        rates += (next(d for d in range(len(R), 0, -1) if (lambda Q: max(Q) - min(Q) + 1 == len(Q))(reachable([*rates, d], kernel_size))),)
    return len(rates) + (field > 10**5)
""", "fewest_dense_layers"),
        Paste("the text's doubling stack, 2^(L+1) - 1 cells", (), """
def fewest_dense_layers(field, kernel_size):
    layers = 0
    while 2 ** (layers + 1) - 1 < field:
        layers += 1
    return layers
""", "fewest_dense_layers"),
        Paste("doubling rates with k taps: 1 + (k - 1)(2^L - 1) cells", (), """
def fewest_dense_layers(field, kernel_size):
    layers = 0
    while 1 + (kernel_size - 1) * (2 ** layers - 1) < field:
        layers += 1
    return layers
""", "fewest_dense_layers"),
    ],
}

DEEP = 6  # equivalent_kernel draws its deep stacks (10^7-10^15 chains of taps) last


def _verdict(check_id, fn, seed=None):
    """equivalent_kernel's pastes are refused on its shallow stacks; judged case by case, the
    chain enumerations among them never run on the deep ones (hours, chain by chain)."""
    return (first_refusal if check_id == "ch02.equivalent_kernel" else verdict)(
        check_id, fn, seed)


test_pasted_answer_loses_the_exercise = refused_test(PASTES, verdict=_verdict)
test_every_exercise_has_a_paste = coverage_test(PASTES)


def test_advice_states_no_rule():
    """Round 9: the reader copied fewest_dense_layers' k ** L and equivalent_kernel's full
    convolution out of the "Likely mistake" advice, which students see (the visible checks
    print it from convlab/likely_mistakes.json). The advice names the mistake, not the rule."""
    from autograder.checks.ch02_dilated import CHECKS
    told = {c.id: " ".join(m.name + " " + m.advice for m in c.mistakes) for c in CHECKS}
    for rule in ("**", "^", "power", "k taps can reach"):
        assert rule not in told["ch02.fewest_dense_layers"], rule
    for rule in ("convolution of", "sum over", "a + b", "products add"):
        assert rule not in told["ch02.equivalent_kernel"], rule


def test_round10_chain_enumeration_is_right_but_cannot_finish():
    """Round 10's reader, verbatim: every chain of one tap per layer (itertools.product), its
    offset sum t_l d_l (ch02's text) and its weight the product of the taps, added up in a
    dict. Right on every shallow stack; the deep ones have 10^7-10^15 chains, so no answer
    within the grader's cell limit."""
    path = Path(__file__).parent / "fixtures" / "reader_pastes" / "round10" / "02_dilated" / "equivalent_kernel.py"
    check_id = "ch02.equivalent_kernel"
    assert_right_but_out_of_time(check_id, reader_answer(path, "equivalent_kernel"),
                                 cases_for(check_id, 1)[:-DEEP])
