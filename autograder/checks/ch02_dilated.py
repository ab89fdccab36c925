"""Hidden checks of chapter 02 (dilated): the cheapest strides to replace by dilation for a
finer output stride, the input cells no output of a strided, dilated stack reads, the
nonzero taps of the one kernel equal to a stack of dilated ones, and the fewest layers a
dense field of a given size needs.

``ch02.effective_kernel_size`` is the first version's exercise; the chapter no longer asks
it, but the grader's fixture chapter (tests/fixtures) does.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

import solutions

from .core import Check, Mistake

# --- cheapest_removal: a finer output stride at the lowest cost (DeepLab) -------------------

def _cheapest_removal(strides, macs, factor, *, power=2, own=True, last_first=False):
    """The fewest multiply-adds of the stack once strides of product ``factor`` are removed
    (each replaced by dilating the layers after it, which costs nothing): layer l then
    computes F_l^2 times as many outputs, F_l the product of the removed strides up to it,
    its own included. Removing a stride makes every
    later layer dearer, so the cheapest set is not always the last strides (DeepLab's
    choice): a stride of 4 early can be cheaper than two 2s later. Dynamic programming over
    the product removed so far (a divisor of the factor to remove).

    The keywords make named mistakes: cost grown by F_l, not F_l^2 (``power=1``); a layer's
    own removed stride left out of its cost (``own=False``); DeepLab's rule, the strides
    removed from the last layer back as long as they divide what is left (``last_first``)."""
    if last_first:
        removed, left = set(), factor
        for i in reversed(range(len(strides))):
            if strides[i] > 1 and left % strides[i] == 0:
                removed.add(i)
                left //= strides[i]
        return _cost(strides, macs, removed, power, own)
    best = {1: 0}                                   # product removed so far -> least cost
    for s, m in zip(strides, macs):
        grown = {}
        for f, cost in best.items():
            choices = [(f, f)] + ([(f * s, f * s if own else f)]
                                  if s > 1 and factor % (f * s) == 0 else [])
            for g, scale in choices:
                grown[g] = min(grown.get(g, cost + m * scale**power), cost + m * scale**power)
        best = grown
    return best[factor]


def _cost(strides, macs, removed, power=2, own=True):
    """The multiply-adds of the stack with the strides of the layers in ``removed`` gone."""
    total, f = 0, 1
    for i, (s, m) in enumerate(zip(strides, macs)):
        gone = s if i in removed else 1
        total += m * (f * gone if own else f) ** power
        f *= gone
    return total


def _removal_cases(rng):
    """(strides, macs, factor): stacks of 3-8 layers like the text's, and in two
    thirds of the cases 30-60 layers with strides 1-4 (a thousand million ways or more to
    remove the factor, which is 2^6 to 2^12 times a power of 3), the multiply-adds of each
    layer log-uniform in 1 .. 10^6 (a few layers dominate, as real ones do); every case has
    some set of strides to remove."""
    cases = [([2, 4, 2], [160, 10, 10], 4), ([2, 2, 2, 2, 2], [64, 16, 4, 1, 1], 4),
             ([2, 2], [5, 5], 1), ([4, 1, 2, 2], [100, 50, 30, 20], 4)]
    while len(cases) < 40:
        big = len(cases) % 3 != 0
        n = int(rng.integers(30, 61)) if big else int(rng.integers(3, 9))
        strides = [int(v) for v in rng.choice([1, 1, 2, 2, 2, 3, 4, 4], n)]
        macs = [int(v) for v in np.exp(rng.uniform(0, np.log(10**6), n)).round()]
        strided = [i for i, s in enumerate(strides) if s > 1]
        if not strided:
            continue
        removed = [i for i in strided if rng.random() < (0.25 if big else 0.5)]
        factor = math.prod(strides[i] for i in removed)
        if big and not 2**6 <= factor <= 2**12 * 9:
            continue
        cases.append((strides, macs, factor))
    return cases


# --- unread_cells: the input cells no output of a strided, dilated stack reads -------------

def _offsets(kernel_sizes, strides, dilations, *, spacing_of=None):
    """Input offsets one output of the stack reads: tap t of layer l lies t d_l cells apart
    in its input, whose cells lie S_l input cells apart (S_l the product of the strides
    before l). ``spacing_of(strides, l)`` replaces S_l in named mistakes."""
    offsets = {0}
    for layer, (k, d) in enumerate(zip(kernel_sizes, dilations)):
        spacing = spacing_of(strides, layer) if spacing_of else math.prod(strides[:layer])
        offsets = {o + t * d * spacing for o in offsets for t in range(k)}
    return offsets


def _outputs(kernel_sizes, strides, dilations, n):
    """The stack's output length (no padding): the dilated output-size formula, layer by
    layer; 0 when some layer's kernel does not fit."""
    for k, s, d in zip(kernel_sizes, strides, dilations):
        if n < d * (k - 1) + 1:
            return 0
        n = (n - d * (k - 1) - 1) // s + 1
    return n


def _read(offsets, spacing, outputs, *, touching=False):
    """How many cells the outputs j < ``outputs`` read, output j reading j * spacing +
    offsets: per residue class of the offsets mod spacing, the quotients q each start a run
    q .. q + outputs - 1 of read cells; runs that overlap are counted once."""
    by_residue = {}
    for r in offsets:
        by_residue.setdefault(r % spacing, []).append(r // spacing)
    read = 0
    for qs in by_residue.values():
        qs.sort()
        if touching:                       # a named mistake: the runs taken to touch
            read += qs[-1] - qs[0] + outputs
        else:
            read += sum(min(outputs, b - a) for a, b in zip(qs, qs[1:])) + outputs
    return read


def _unread_cells(kernel_sizes, strides, dilations, n, *, spacing_of=None, outputs=None,
                  touching=False):
    """The cells of an n-cell input that no output of the stack reads (no padding): output
    j reads j S + R, R the offsets one output reads and S the product of all strides, for
    j below the stack's output length. Both S and n may be in the billions and beyond, so
    the union is counted per residue class of R mod S, not cell by cell."""
    offsets = _offsets(kernel_sizes, strides, dilations, spacing_of=spacing_of)
    o = _outputs(kernel_sizes, strides, dilations, n) if outputs is None else outputs
    return n - _read(offsets, math.prod(strides), o, touching=touching)


def _int64(mistake):
    """``mistake`` where its count fits an int64; beyond, it explains nothing (a mistaken
    formula can go far below zero on 10^18 cells)."""
    def answer(*args):
        value = mistake(*args)
        if not -2**63 <= value < 2**63:
            raise OverflowError("beyond int64")
        return value
    return answer


def _unread_cases(rng):
    """(kernel_sizes, strides, dilations, n): small stacks over up to 300 cells (a third,
    some with one rate for every layer and a few outputs, the text's gridding);
    stacks whose strides multiply to 10^8 - 10^10 (a third), and stacks whose last layer's
    dilation of 10^6 - 10^8 makes one output's field span millions of output strides (a
    third), over inputs of 10^17 - 10^18 and 10^14 - 10^16 cells: no array of the input, no
    set of the cells read, and no simulation of one period of them fits in memory."""
    cases = [([3, 3, 3], [1, 1, 1], [2, 2, 2], 20), ([3, 3, 3], [1, 1, 1], [2, 2, 2], 13),
             ([1, 3], [2, 1], [1, 1], 12),
             ([3, 3], [2, 1], [1, 1], 10), ([2, 2], [3, 1], [1, 1], 11),
             ([1, 1], [2, 2], [1, 1], 9)]
    while len(cases) < 40:
        kind = len(cases) % 3
        layers = int(rng.integers(2, 5))
        ks = [int(v) for v in rng.integers(1, 7, layers)]
        ss = [int(v) for v in rng.choice([1, 1, 2, 3], layers)]
        ds = [int(v) for v in rng.choice([1, 1, 2, 3], layers)]
        few = kind == 0 and len(cases) % 2 == 0  # a few outputs: runs that may not meet
        if kind == 0 and len(cases) % 4 == 3:  # the text's gridding: one rate, a few outputs
            ds, ss, few = [int(rng.integers(2, 5))] * layers, [1] * layers, True
        if kind == 1:
            for i in rng.choice(layers, 2, replace=False):
                ss[int(i)] = int(rng.integers(10**4, 10**5))
        elif kind == 2:
            ss[-1], ds[-1], ks[-1] = 1, int(rng.integers(10**6, 10**8)), int(rng.integers(2, 5))
            ss[0] = int(rng.choice([2, 3, 4]))
        field = 1 + sum(d * (k - 1) * math.prod(ss[:i]) for i, (k, d) in enumerate(zip(ks, ds)))
        spare = int(rng.integers(0, 3 * math.prod(ss))) if few else int(rng.integers(0, 200))
        n = field + (spare, int(rng.integers(10**17, 10**18)),
                     int(rng.integers(10**14, 10**16)))[kind]
        if kind == 1 and math.prod(ss) < 10**8 or kind == 0 and n > 300:
            continue
        if _outputs(ks, ss, ds, n) * len(_offsets(ks, ss, ds)) >= 2**62:
            continue                       # mistaken counts stay within an int64 too
        cases.append((ks, ss, ds, n))
    return cases


# --- fewest_dense_layers -------------------------------------------------------------------

def _smallest(reach, field):
    """The smallest L >= 0 with reach(L) >= field."""
    return next(L for L in itertools.count() if reach(L) >= field)


def _fewest(field, kernel_size):
    """L layers of k taps make at most k ** L different offsets, and the rates 1, k, k**2, ...
    make exactly the offsets 0 .. k**L - 1 (the digits of base k): no holes."""
    return _smallest(lambda L: kernel_size ** L, field)


def _fewest_cases(rng):
    cases = [(15, 3), (27, 3), (28, 3), (1024, 2), (1025, 2), (1, 5), (7, 7), (243, 3),
             (3 ** 13, 3), (5 ** 7, 5)]
    while len(cases) < 40:
        k = int(rng.integers(2, 10))
        power = k ** int(rng.integers(1, 16))
        cases.append((int(max(1, power + int(rng.integers(-1, 2)))), k))
    return cases


# --- equivalent_kernel: the one kernel of a dilated stack, as its nonzero taps ---------------

def _compose(kernels, dilations, *, flip=False, rate=None, dilate_after=False, add=True):
    """The nonzero entries of the one kernel E of a stack of single-channel correlations:
    tap (a, b) of layer l lies d_l a, d_l b cells from its window's corner, and a chain of
    taps adds its offsets and multiplies its weights (E is the full convolution of the
    dilated kernels). E may be terabytes of zeros, so only its taps are kept.

    The keywords make named mistakes: each kernel flipped (``flip``), one rate for every
    layer (``rate``), the undilated stack dilated by the first rate (``dilate_after``), a
    layer's products that meet on one cell overwriting each other (``add=False``, a dict
    filled with '=' instead of '+=')."""
    taps = {(0, 0): 1.0}
    for kernel, d in zip(kernels, dilations):
        d = 1 if dilate_after else (rate or d)
        k = kernel[::-1, ::-1] if flip else kernel
        grown = {}
        for (u, v), w in taps.items():
            for (a, b), x in np.ndenumerate(k):
                key = (u + d * a, v + d * b)
                grown[key] = grown.get(key, 0.0) * add + w * x
        taps = grown
    if dilate_after:
        taps = {(u * dilations[0], v * dilations[0]): w for (u, v), w in taps.items()}
    return taps


def _tap_rows(taps):
    """(row, column, weight) per nonzero entry, in row-major order."""
    rows = [(u, v, w) for (u, v), w in sorted(taps.items()) if w != 0]
    return np.array(rows, dtype=float).reshape(-1, 3)


def _equivalent_kernel(kernels, dilations, **kw):
    return _tap_rows(_compose(kernels, dilations, **kw))


def _kernel_cases(rng):
    """Stacks of 1-3 kernels up to 3 x 3; half the stacks have dilations from 10^5 to 10^6
    (E would hold up to 10^13 entries), the others small rates whose taps overlap. Then
    deep stacks: 12-16 layers of 4-9 taps at rates 1-3, one layer at a rate up to 10^6,
    whose 1.7 * 10^7 to 2 * 10^15 chains of one tap per layer no enumeration visits, while
    E keeps at most about 9 * 97^2 entries. Their kernels hold small integers, so every answer,
    summed in any order, is exact."""
    cases = []
    for i in range(30):
        layers = int(rng.integers(1, 4))
        kernels = [rng.standard_normal((int(rng.integers(1, 4)), int(rng.integers(1, 4))))
                   for _ in range(layers)]
        top = 10**6 if i % 2 else 4
        low = 10**5 if i % 2 else 1
        cases.append((kernels, [int(v) for v in rng.integers(low, top, layers)]))
    for _ in range(6):
        layers = int(rng.integers(12, 17))
        kernels = [rng.integers(-2, 3, (int(rng.integers(2, 4)), int(rng.integers(2, 4))))
                   .astype(float) for _ in range(layers)]
        rates = [int(v) for v in rng.integers(1, 4, layers)]
        rates[int(rng.integers(layers))] = int(rng.integers(10**5, 10**6))
        cases.append((kernels, rates))
    return cases


def _summed(kernels, dilations):
    """The dilated kernels added on the field, centred, as if the layers ran side by side."""
    size = [1 + sum(d * (k.shape[a] - 1) for k, d in zip(kernels, dilations)) for a in (0, 1)]
    taps = {}
    for k, d in zip(kernels, dilations):
        top = (size[0] - 1 - d * (k.shape[0] - 1)) // 2
        left = (size[1] - 1 - d * (k.shape[1] - 1)) // 2
        for (a, b), x in np.ndenumerate(k):
            taps[top + d * a, left + d * b] = taps.get((top + d * a, left + d * b), 0.0) + x
    return _tap_rows(taps)


CHECKS = [
    Check(
        id="ch02.cheapest_removal", function="cheapest_removal", cases=_removal_cases,
        reference=_cheapest_removal,
        mistakes=[
            Mistake("the last strides removed, DeepLab's rule",
                    lambda ss, ms, f: _cheapest_removal(ss, ms, f, last_first=True),
                    "the latest strides make the fewest layers dearer, but with strides of "
                    "different sizes another set with the same product can cost less: "
                    "compare the sets, not the positions."),
            Mistake("cost grown by F, not F squared",
                    lambda ss, ms, f: _cheapest_removal(ss, ms, f, power=1),
                    "a removed stride of s makes the map s times larger along *both* axes: "
                    "s^2 times the positions."),
            Mistake("a layer's own removed stride left out of its cost",
                    lambda ss, ms, f: _cheapest_removal(ss, ms, f, own=False),
                    "a layer whose stride is removed computes all its outputs itself: its "
                    "own cost grows too, not only the later layers'."),
            Mistake("nothing removed",
                    lambda ss, ms, f: sum(ms),
                    "strides of product factor must go, and the layers from each one on "
                    "cost more."),
            Mistake("every layer charged the whole factor",
                    lambda ss, ms, f: sum(ms) * f**2,
                    "a removed stride changes only the layers from it on; the layers before "
                    "it keep their maps."),
        ]),
    Check(
        id="ch02.unread_cells", function="unread_cells", cases=_unread_cases,
        reference=_unread_cells,
        mistakes=[
            Mistake("strides ignored in the taps' spacing",
                    _int64(lambda ks, ss, ds, n: _unread_cells(
                        ks, ss, ds, n, spacing_of=lambda ss, layer: 1)),
                    "your offsets are right for stride-1 stacks only: how far apart, in input "
                    "cells, are two neighbouring cells of a strided layer's output?"),
            Mistake("a layer's own stride counted in its taps",
                    _int64(lambda ks, ss, ds, n: _unread_cells(
                        ks, ss, ds, n, spacing_of=lambda ss, layer: math.prod(ss[:layer + 1]))),
                    "your taps are spread too far: does a layer's own stride change where its "
                    "taps fall within one of its windows?"),
            Mistake("one output's holes counted",
                    lambda ks, ss, ds, n: (lambda r: max(r) + 1 - len(r))(_offsets(ks, ss, ds)),
                    "the question is about the whole input and every output: neighbouring "
                    "outputs can read the cells one output skips."),
            Mistake("the runs of one residue taken to touch",
                    lambda ks, ss, ds, n: _unread_cells(ks, ss, ds, n, touching=True),
                    "with few outputs your count of unread cells is too low: the cells that "
                    "different outputs read need not join up. Try a stack with a large stride and"
                    " two outputs by hand."),
            Mistake("only the cells after the last window",
                    _int64(lambda ks, ss, ds, n: n - (_outputs(ks, ss, ds, n) - 1) * math.prod(ss)
                           - max(_offsets(ks, ss, ds)) - 1),
                    "within the span of the windows a stride can still skip cells: a 1x1 "
                    "layer of stride 2 reads every other cell."),
            Mistake("outputs' reads never overlap",
                    _int64(lambda ks, ss, ds, n: n - _outputs(ks, ss, ds, n)
                           * len(_offsets(ks, ss, ds))),
                    "neighbouring outputs read many of the same cells when the field is wider "
                    "than the product of the strides: count a cell once."),
            Mistake("one output too few",
                    lambda ks, ss, ds, n: _unread_cells(
                        ks, ss, ds, n, outputs=_outputs(ks, ss, ds, n) - 1),
                    "the output-size formula counts the first window too."),
        ]),
    Check(
        id="ch02.equivalent_kernel", function="equivalent_kernel", cases=_kernel_cases,
        reference=_equivalent_kernel,
        mistakes=[
            Mistake("dilations ignored",
                    lambda ks, ds: _equivalent_kernel(ks, [1] * len(ks)),
                    "dilate each kernel first: tap (a, b) of a layer with rate d lies d a, "
                    "d b cells from its window's corner."),
            Mistake("kernels flipped",
                    lambda ks, ds: _equivalent_kernel(ks, ds, flip=True),
                    "your E is flipped: with two different 1 x 2 kernels, check by hand which "
                    "entry of E multiplies the first cell of the window."),
            Mistake("one dilation for every layer",
                    lambda ks, ds: _equivalent_kernel(ks, ds, rate=ds[-1]),
                    "each layer has its own dilation: spread kernel l by dilations[l]."),
            Mistake("combined kernel dilated afterwards",
                    lambda ks, ds: _equivalent_kernel(ks, ds, dilate_after=True),
                    "dilate each kernel by its own rate *before* combining; dilating the "
                    "combined kernel spreads the taps of the first layer too far."),
            Mistake("kernels added, not combined", _summed,
                    "the layers of a stack run one after another, not side by side: the second "
                    "layer reads the first one's outputs, not the input."),
            Mistake("taps that meet not added",
                    lambda ks, ds: _equivalent_kernel(ks, ds, add=False),
                    "with small rates some of your entries are too small: in the first visible "
                    "case offset 1 is reached in two ways. Where does your answer lose one of "
                    "them?"),
        ]),
    Check(
        id="ch02.fewest_dense_layers", function="fewest_dense_layers",
        cases=lambda rng: _fewest_cases(rng), reference=_fewest,
        mistakes=[
            Mistake("the doubling stack", lambda f, k: _smallest(lambda L: 2 ** (L + 1) - 1, f),
                    "doubling rates are dense but not the densest design: count how many "
                    "different offsets a layer of k taps can multiply the stack's count by."),
            Mistake("undilated layers",
                    lambda f, k: -(-(f - 1) // (k - 1)),
                    "dilation may grow the field much faster than k - 1 per layer, and still "
                    "without holes."),
            Mistake("two taps counted per layer",
                    lambda f, k: _smallest(lambda L: 2 ** L, f),
                    "your count is right for 2 taps per layer only: what does a layer with "
                    "kernel_size taps do to the number of different offsets?"),
            Mistake("one too many",
                    lambda f, k: _smallest(lambda L: k ** L - 1, f),
                    "one layer too many on the boundary: check the case where the field is "
                    "exactly the largest one your layers can reach without holes."),
        ]),
    # The first version's exercise, still graded in the fixture chapter.
    Check(
        id="ch02.effective_kernel_size", function="effective_kernel_size",
        cases=lambda rng: [(int(rng.integers(1, 10)), int(rng.integers(1, 10)))
                           for _ in range(40)],
        reference=solutions.effective_kernel_size,
        mistakes=[
            Mistake("k times d", lambda k, d: k * d,
                    "the gaps lie only *between* taps: k taps leave k - 1 gaps of d - 1 zeros."),
            Mistake("one gap widened only", lambda k, d: k + d - 1,
                    "each of the k - 1 gaps between taps gets d - 1 zeros, not just one gap."),
        ]),
]
