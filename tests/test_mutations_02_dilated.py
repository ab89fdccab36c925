"""Chapter 02's exercises: wrong answers written as students write them, each rejected by the
hidden check, most of them named. The tally per exercise is asserted exactly."""

from __future__ import annotations

import collections
import functools
import itertools
import math

import numpy as np
from mutants import by_name, caught_test, tally_test

# --- cheapest_removal(strides, macs, factor) ----------------------------------------------

def _cost(strides, macs, removed, power=2, own=True):
    total, f = 0, 1
    for i, (s, m) in enumerate(zip(strides, macs)):
        g = f * s if i in removed else f
        total += m * (g if own else f) ** power
        f = g
    return total


def _best(strides, macs, factor, power=2, own=True):
    """A memoised search over the layers: keep or remove each stride, the product so far."""
    @functools.cache
    def cost(i, f):
        if i == len(strides):
            return 0 if f == factor else math.inf
        s, m = strides[i], macs[i]
        keep = m * f ** power + cost(i + 1, f)
        if s == 1 or factor % (f * s):
            return keep
        return min(keep, m * (f * s if own else f) ** power + cost(i + 1, f * s))
    return cost(0, 1)


def removal_last_first(strides, macs, factor):
    """DeepLab's rule: from the last layer back, every stride that divides what is left."""
    removed, left = set(), factor
    for i in reversed(range(len(strides))):
        if strides[i] > 1 and left % strides[i] == 0:
            removed.add(i)
            left //= strides[i]
    return _cost(strides, macs, removed)


def removal_linear(strides, macs, factor):
    return _best(strides, macs, factor, power=1)


def removal_own_left_out(strides, macs, factor):
    return _best(strides, macs, factor, own=False)


def removal_nothing(strides, macs, factor):
    return sum(macs)


def removal_everything_scaled(strides, macs, factor):
    return sum(macs) * factor * factor


def removal_first_first(strides, macs, factor):
    """From the first layer on, every stride that divides what is left."""
    removed, left = set(), factor
    for i, s in enumerate(strides):
        if s > 1 and left % s == 0:
            removed.add(i)
            left //= s
    return _cost(strides, macs, removed)


def removal_largest_first(strides, macs, factor):
    """The largest strides first (fewest layers changed), the latest among equals."""
    removed, left = set(), factor
    for i in sorted(range(len(strides)), key=lambda i: (-strides[i], -i)):
        if strides[i] > 1 and left % strides[i] == 0:
            removed.add(i)
            left //= strides[i]
    return _cost(strides, macs, removed)


def removal_greedy_step(strides, macs, factor):
    """One stride at a time, the one whose removal adds least to the cost now."""
    removed, left = set(), factor
    while left > 1:
        options = [i for i, s in enumerate(strides)
                   if i not in removed and s > 1 and left % s == 0]
        i = min(options, key=lambda i: _cost(strides, macs, removed | {i}))
        removed.add(i)
        left //= strides[i]
    return _cost(strides, macs, removed)


# --- unread_cells(kernel_sizes, strides, dilations, n) -------------------------------------

def _reach(ks, ss, ds, spacing_of):
    offsets = {0}
    for layer, (k, d) in enumerate(zip(ks, ds)):
        offsets = {o + t * d * spacing_of(ss, layer) for o in offsets for t in range(k)}
    return offsets


def _strided(ss, layer):
    return math.prod(ss[:layer])


def _outs(ks, ss, ds, n):
    for k, s, d in zip(ks, ss, ds):
        n = (n - d * (k - 1) - 1) // s + 1
    return n


def _union(offsets, spacing, outputs):
    """Cells j * spacing + r, j < outputs: per residue, runs of outputs cells from each q."""
    runs = collections.defaultdict(list)
    for r in sorted(offsets):
        runs[r % spacing].append(r // spacing)
    return sum(sum(min(outputs, b - a) for a, b in itertools.pairwise(qs)) + outputs
               for qs in runs.values())


def _unread(ks, ss, ds, n, spacing_of=_strided, outputs=None):
    o = _outs(ks, ss, ds, n) if outputs is None else outputs
    return n - _union(_reach(ks, ss, ds, spacing_of), math.prod(ss), o)


def unread_no_strides(ks, ss, ds, n):
    return _unread(ks, ss, ds, n, spacing_of=lambda ss, layer: 1)


def unread_own_stride(ks, ss, ds, n):
    return _unread(ks, ss, ds, n, spacing_of=lambda ss, layer: math.prod(ss[:layer + 1]))


def unread_one_output(ks, ss, ds, n):
    """The holes inside one output's field (the text's gridding), not the whole input's."""
    reach = _reach(ks, ss, ds, _strided)
    return max(reach) - min(reach) + 1 - len(reach)


def unread_tail_only(ks, ss, ds, n):
    """Only the cells after the last output's field."""
    return n - (_outs(ks, ss, ds, n) - 1) * math.prod(ss) - max(_reach(ks, ss, ds, _strided)) - 1


def unread_disjoint(ks, ss, ds, n):
    return n - _outs(ks, ss, ds, n) * len(_reach(ks, ss, ds, _strided))


def unread_runs_touching(ks, ss, ds, n):
    """Per residue, one run from the first quotient to the last plus the outputs."""
    reach, spacing, o = _reach(ks, ss, ds, _strided), math.prod(ss), _outs(ks, ss, ds, n)
    qs = collections.defaultdict(list)
    for r in reach:
        qs[r % spacing].append(r // spacing)
    return n - sum(max(q) - min(q) + o for q in qs.values())


def unread_outputs_short(ks, ss, ds, n):
    return _unread(ks, ss, ds, n, outputs=_outs(ks, ss, ds, n) - 1)


def unread_periodic(ks, ss, ds, n):
    """The residues mod the strides' product that no offset has, counted over the input,
    the ends taken like the middle."""
    spacing = math.prod(ss)
    residues = {r % spacing for r in _reach(ks, ss, ds, _strided)}
    return sum(len(range(c, n, spacing)) for c in range(min(spacing, n)) if c not in residues) \
        if spacing <= 10**6 else n - len(residues) * (n // spacing)


def unread_neighbours_only(ks, ss, ds, n):
    """Overlaps counted between neighbouring outputs only: |R| + (o - 1) |R + S minus R|."""
    reach, spacing = _reach(ks, ss, ds, _strided), math.prod(ss)
    new = len({r + spacing for r in reach} - reach)
    return n - len(reach) - (_outs(ks, ss, ds, n) - 1) * new


# --- fewest_dense_layers(field, kernel_size) -----------------------------------------------

def _smallest(reach, field):
    layers = 0
    while reach(layers) < field:
        layers += 1
    return layers


def layers_doubling(field, kernel_size):
    return _smallest(lambda L: 2 ** (L + 1) - 1, field)


def layers_undilated(field, kernel_size):
    return math.ceil((field - 1) / (kernel_size - 1))


def layers_two_taps(field, kernel_size):
    return _smallest(lambda L: 2 ** L, field)


def layers_strictly_more(field, kernel_size):
    return _smallest(lambda L: kernel_size ** L - 1, field)


def layers_float_log(field, kernel_size):
    """A float logarithm rounded down: one layer short whenever field is not a power."""
    return int(np.log(field) / np.log(kernel_size))


def layers_at_least_one(field, kernel_size):
    return max(1, _smallest(lambda L: kernel_size ** L, field))


# --- equivalent_kernel(kernels, dilations): rows (i, j, E[i, j]) -----------------------------

def _taps(kernels, rates, flip=False, add=True):
    taps = {(0, 0): 1.0}
    for k, d in zip(kernels, rates):
        k = k[::-1, ::-1] if flip else k
        grown = {}
        for (u, v), w in taps.items():
            for (a, b), x in np.ndenumerate(k):
                key = (u + d * a, v + d * b)
                grown[key] = grown.get(key, 0.0) * add + w * x
        taps = grown
    return taps


def _rows(taps):
    return np.array([(u, v, w) for (u, v), w in sorted(taps.items()) if w != 0]).reshape(-1, 3)


def kernel_undilated(kernels, dilations):
    return _rows(_taps(kernels, [1] * len(kernels)))


def kernel_flipped(kernels, dilations):
    return _rows(_taps(kernels, dilations, flip=True))


def kernel_last_dilation(kernels, dilations):
    return _rows(_taps(kernels, [dilations[-1]] * len(kernels)))


def kernel_dilate_after(kernels, dilations):
    taps = _taps(kernels, [1] * len(kernels))
    return _rows({(u * dilations[0], v * dilations[0]): w for (u, v), w in taps.items()})


def kernel_overwritten(kernels, dilations):
    """A dict filled with '=' instead of '+=': chains ending on one cell keep the last one."""
    return _rows(_taps(kernels, dilations, add=False))


def kernel_weights_one(kernels, dilations):
    """The reachable offsets of the text, every weight taken as 1."""
    return _rows({key: 1.0 for key in _taps(kernels, dilations)})


MUTANTS = {
    "ch02.cheapest_removal": by_name(removal_last_first, removal_linear, removal_own_left_out,
                                     removal_nothing, removal_everything_scaled,
                                     removal_first_first, removal_largest_first,
                                     removal_greedy_step,
                                     unnamed=(removal_first_first, removal_largest_first,
                                              removal_greedy_step)),
    "ch02.unread_cells": by_name(unread_no_strides, unread_own_stride, unread_one_output,
                                 unread_tail_only, unread_disjoint, unread_outputs_short,
                                 unread_periodic, unread_neighbours_only, unread_runs_touching,
                                 unnamed=(unread_periodic, unread_neighbours_only)),
    "ch02.equivalent_kernel": by_name(kernel_undilated, kernel_flipped, kernel_last_dilation,
                                      kernel_dilate_after, kernel_overwritten,
                                      kernel_weights_one, unnamed=(kernel_weights_one,)),
    "ch02.fewest_dense_layers": by_name(layers_doubling, layers_undilated, layers_two_taps,
                                        layers_strictly_more, layers_float_log,
                                        layers_at_least_one,
                                        unnamed=(layers_float_log,)),
}


test_wrong_answer_loses_the_exercise = caught_test(MUTANTS)


test_tally = tally_test(MUTANTS, {
    "ch02.cheapest_removal": (8, 5), "ch02.unread_cells": (9, 7),
    "ch02.equivalent_kernel": (6, 5), "ch02.fewest_dense_layers": (6, 5),
})
