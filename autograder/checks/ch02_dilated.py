"""Hidden checks of chapter 02 (dilated): the dilations that replace removed strides, the
receptive field and holes of a strided, dilated stack, the nonzero taps of the one kernel
equal to a stack of dilated ones, and the fewest layers a dense field of a given size needs.

``ch02.effective_kernel_size`` is the first version's exercise; the chapter no longer asks
it, but the grader's fixture chapter (tests/fixtures) does.
"""

from __future__ import annotations

import itertools

import numpy as np

import solutions

from .core import Check, Mistake

# --- remove_strides: dilation instead of stride (DeepLab) ----------------------------------


def _kept_strides(strides, output_stride):
    """Strides set to 1 from the last layer back until their product is ``output_stride``."""
    kept = list(strides)
    for i in reversed(range(len(kept))):
        if int(np.prod(kept)) == output_stride:
            break
        kept[i] = 1
    return kept


def _remove_strides(strides, dilations, output_stride, *, removed_factor=None,
                    own=False, compound=True):
    """The kept strides, and every layer's dilation multiplied by the strides removed before
    it, so that its taps stay as many input cells apart as they were.

    The keywords make named mistakes: each removed stride counted as ``removed_factor``, a
    layer's own removed stride counted too (``own``), only the latest one (``compound``)."""
    kept = _kept_strides(strides, output_stride)
    factor, new = 1, []
    for s, k, d in zip(strides, kept, dilations):
        gone = (removed_factor or s) if k != s else 1
        if own:
            factor = factor * gone if compound else (gone if gone > 1 else factor)
        new.append(d * factor)
        if not own:
            factor = factor * gone if compound else (gone if gone > 1 else factor)
    return kept, new


def _remove_first_strides(strides, dilations, output_stride):
    """Strides removed from the first layer on (the dilations then grown as they should)."""
    kept = list(strides[::-1])
    kept = _kept_strides(kept, output_stride)[::-1]
    factor, new = 1, []
    for s, k, d in zip(strides, kept, dilations):
        new.append(d * factor)
        factor *= s // k
    return kept, new


def _remove_cases(rng):
    cases = [([2, 1, 2, 2, 2, 1], [1, 1, 1, 1, 1, 1], 8), ([2, 2, 2, 2, 2], [1] * 5, 8),
             ([2, 3, 1, 3], [1, 2, 1, 1], 2), ([2, 2], [1, 1], 4)]
    while len(cases) < 40:
        n = int(rng.integers(2, 9))
        strides = [int(v) for v in rng.choice([1, 1, 2, 2, 3], n)]
        dilations = [int(v) for v in rng.choice([1, 1, 1, 2, 3], n)]
        cut = int(rng.integers(0, n))
        output_stride = int(np.prod(strides[:cut]))
        if int(np.prod(strides)) > output_stride:  # something to remove
            cases.append((strides, dilations, output_stride))
    return cases


# --- field_and_holes: a strided, dilated stack ---------------------------------------------

def _offsets(kernel_sizes, strides, dilations, *, own_stride=False, no_strides=False):
    """Input offsets one output of the stack reads: tap t of layer l lies t d_l cells apart in
    its input, whose cells lie (product of the strides before l) input cells apart."""
    offsets, spacing = {0}, 1
    for k, s, d in zip(kernel_sizes, strides, dilations):
        if own_stride and not no_strides:
            spacing *= s
        offsets = {o + t * d * spacing for o in offsets for t in range(k)}
        if not own_stride and not no_strides:
            spacing *= s
    return offsets


def _field_and_holes(kernel_sizes, strides, dilations, **kw):
    reach = _offsets(kernel_sizes, strides, dilations, **kw)
    field = max(reach) - min(reach) + 1
    return field, field - len(reach)


def _stack_cases(rng):
    cases = [([3, 3, 3], [1, 1, 1], [1, 2, 4]), ([3, 3, 3], [1, 1, 1], [2, 2, 2]),
             ([3, 3], [2, 1], [1, 1]), ([1, 3], [2, 1], [1, 1]), ([2, 2], [3, 1], [1, 1])]
    while len(cases) < 40:
        n = int(rng.integers(1, 5))
        ks = [int(v) for v in rng.integers(1, 6, n)]
        ss = [int(v) for v in rng.choice([1, 1, 2, 3], n)]
        ds = [int(v) for v in rng.choice([1, 1, 2, 3], n)]
        if any(s > 1 for s in ss[:-1]):  # a stride that matters: not only in the last layer
            cases.append((ks, ss, ds))
        elif len(cases) % 5 == 0:
            cases.append((ks, ss, ds))
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

def _compose(kernels, dilations, *, flip=False, rate=None, dilate_after=False):
    """The nonzero entries of the one kernel E of a stack of single-channel correlations:
    tap (a, b) of layer l lies d_l a, d_l b cells from its window's corner, and a chain of
    taps adds its offsets and multiplies its weights (E is the full convolution of the
    dilated kernels). E may be terabytes of zeros, so only its taps are kept.

    The keywords make named mistakes: each kernel flipped (``flip``), one rate for every
    layer (``rate``), the undilated stack dilated by the first rate (``dilate_after``)."""
    taps = {(0, 0): 1.0}
    for kernel, d in zip(kernels, dilations):
        d = 1 if dilate_after else (rate or d)
        k = kernel[::-1, ::-1] if flip else kernel
        grown = {}
        for (u, v), w in taps.items():
            for (a, b), x in np.ndenumerate(k):
                grown[u + d * a, v + d * b] = grown.get((u + d * a, v + d * b), 0.0) + w * x
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
    (E would hold up to 10^13 entries), the others small rates whose taps overlap."""
    cases = []
    for i in range(30):
        layers = int(rng.integers(1, 4))
        kernels = [rng.standard_normal((int(rng.integers(1, 4)), int(rng.integers(1, 4))))
                   for _ in range(layers)]
        top = 10**6 if i % 2 else 4
        low = 10**5 if i % 2 else 1
        cases.append((kernels, [int(v) for v in rng.integers(low, top, layers)]))
    return cases


def _first_weights(kernels, dilations):
    """Every chain of taps with its offset and product; a later chain ending on the same
    cell replaces the earlier one instead of adding to it."""
    chains = [(0, 0, 1.0)]
    for k, d in zip(kernels, dilations):
        chains = [(u + d * a, v + d * b, w * x) for u, v, w in chains
                  for (a, b), x in np.ndenumerate(k)]
    return chains


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
        id="ch02.remove_strides", function="remove_strides", cases=_remove_cases,
        reference=_remove_strides,
        mistakes=[
            Mistake("dilations left as they were",
                    lambda ss, ds, os: (_remove_strides(ss, ds, os)[0], list(ds)),
                    "a removed stride packs every later layer's input twice (s times) as "
                    "densely: its taps must spread s times as far to read the same cells."),
            Mistake("a layer's own removed stride counted",
                    lambda ss, ds, os: _remove_strides(ss, ds, os, own=True),
                    "a layer's stride spaces its outputs, not its own taps: its dilation "
                    "grows by the strides removed *before* it."),
            Mistake("every removed stride counted as 2",
                    lambda ss, ds, os: _remove_strides(ss, ds, os, removed_factor=2),
                    "DeepLab's strides are 2, so its rates double; a removed stride of s "
                    "multiplies the later rates by s."),
            Mistake("only the latest removed stride counted",
                    lambda ss, ds, os: _remove_strides(ss, ds, os, compound=False),
                    "removed strides compound: after two removed strides of 2, the later "
                    "taps must be 4 times as far apart."),
            Mistake("the first strides removed",
                    _remove_first_strides,
                    "keep the early strides (they make the cheap, small maps) and remove the "
                    "last ones, from the last layer back, until the product is output_stride."),
        ]),
    Check(
        id="ch02.field_and_holes", function="field_and_holes", cases=_stack_cases,
        reference=_field_and_holes,
        mistakes=[
            Mistake("strides ignored",
                    lambda ks, ss, ds: _field_and_holes(ks, ss, ds, no_strides=True),
                    "after a stride-s layer, neighbouring cells of its output are s input "
                    "cells apart: every later tap offset is s times as large."),
            Mistake("a layer's own stride counted",
                    lambda ks, ss, ds: _field_and_holes(ks, ss, ds, own_stride=True),
                    "a layer's stride spaces its *outputs*, not its own taps: layer l's taps "
                    "are multiplied by the strides of the layers *before* it."),
            Mistake("holes of the stack without strides",
                    lambda ks, ss, ds: (_field_and_holes(ks, ss, ds)[0],
                                        _field_and_holes(ks, ss, ds, no_strides=True)[1]),
                    "a stride can leave holes of its own (a stride larger than the next "
                    "layer's span skips cells): count the holes of the strided offsets."),
            Mistake("holes not counted",
                    lambda ks, ss, ds: (_field_and_holes(ks, ss, ds)[0], 0),
                    "the field is the span of the reachable offsets; holes are the cells "
                    "inside it that no combination of taps reaches."),
            Mistake("field one cell short",
                    lambda ks, ss, ds: (lambda f, h: (f - 1, h))(*_field_and_holes(ks, ss, ds)),
                    "offsets 0 .. m are m + 1 cells."),
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
                    "stacked correlations add their offsets: tap a of one and b of the next "
                    "give offset a + b, the full *convolution* of the two kernels, unflipped."),
            Mistake("one dilation for every layer",
                    lambda ks, ds: _equivalent_kernel(ks, ds, rate=ds[-1]),
                    "each layer has its own dilation: spread kernel l by dilations[l]."),
            Mistake("combined kernel dilated afterwards",
                    lambda ks, ds: _equivalent_kernel(ks, ds, dilate_after=True),
                    "dilate each kernel by its own rate *before* combining; dilating the "
                    "combined kernel spreads the taps of the first layer too far."),
            Mistake("kernels added, not combined", _summed,
                    "layers in a stack compose: the kernel is the full convolution of the "
                    "dilated kernels, sum over a + b = t of K1[a] K2[b]."),
            Mistake("taps that meet not added",
                    lambda ks, ds: _tap_rows(dict(
                        ((u, v), w) for u, v, w in _first_weights(ks, ds))),
                    "two chains of taps can end on the same cell (small rates): their "
                    "products add up to one entry of E."),
        ]),
    Check(
        id="ch02.fewest_dense_layers", function="fewest_dense_layers",
        cases=lambda rng: _fewest_cases(rng), reference=_fewest,
        mistakes=[
            Mistake("the doubling stack", lambda f, k: _smallest(lambda L: 2 ** (L + 1) - 1, f),
                    "doubling rates are dense but not the densest design: count how many "
                    "different offsets L layers of k taps can make at most."),
            Mistake("undilated layers",
                    lambda f, k: -(-(f - 1) // (k - 1)),
                    "dilation may grow the field much faster than k - 1 per layer, and still "
                    "without holes."),
            Mistake("two taps counted per layer",
                    lambda f, k: _smallest(lambda L: 2 ** L, f),
                    "each layer has k taps, so it can multiply the number of different "
                    "offsets by k, not 2."),
            Mistake("one too many",
                    lambda f, k: _smallest(lambda L: k ** L - 1, f),
                    "L layers of k taps can reach k ** L offsets: field == k ** L needs no "
                    "extra layer."),
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
