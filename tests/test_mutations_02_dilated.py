"""Chapter 02's exercises: wrong answers written as students write them, each rejected by the
hidden check, most of them named. The tally per exercise is asserted exactly."""

from __future__ import annotations

import math

import numpy as np
from mutants import by_name, caught_test, tally_test

# --- remove_strides(strides, dilations, output_stride) -------------------------------------


def _kept(strides, output_stride):
    kept = list(strides)
    i = len(kept) - 1
    while math.prod(kept) != output_stride:
        kept[i] = 1
        i -= 1
    return kept


def strides_only(strides, dilations, output_stride):
    return _kept(strides, output_stride), list(dilations)


def own_stride_too(strides, dilations, output_stride):
    kept, factor, new = _kept(strides, output_stride), 1, []
    for s, k, d in zip(strides, kept, dilations):
        factor *= s // k
        new.append(d * factor)
    return kept, new


def doubled(strides, dilations, output_stride):
    kept, factor, new = _kept(strides, output_stride), 1, []
    for s, k, d in zip(strides, kept, dilations):
        new.append(d * factor)
        if k != s:
            factor *= 2
    return kept, new


def latest_only(strides, dilations, output_stride):
    kept, factor, new = _kept(strides, output_stride), 1, []
    for s, k, d in zip(strides, kept, dilations):
        new.append(d * factor)
        if k != s:
            factor = s
    return kept, new


def first_removed(strides, dilations, output_stride):
    kept = _kept(strides[::-1], output_stride)[::-1]
    factor, new = 1, []
    for s, k, d in zip(strides, kept, dilations):
        new.append(d * factor)
        factor *= s // k
    return kept, new


def rates_added(strides, dilations, output_stride):
    kept, factor, new = _kept(strides, output_stride), 1, []
    for s, k, d in zip(strides, kept, dilations):
        new.append(d + factor - 1)
        factor *= s // k
    return kept, new


def all_strides_removed(strides, dilations, output_stride):
    """Every stride removed, whatever the output stride."""
    factor, new = 1, []
    for s, d in zip(strides, dilations):
        new.append(d * factor)
        factor *= s
    return [1] * len(strides), new


# --- field_and_holes(kernel_sizes, strides, dilations) -------------------------------------

def _reach(ks, ss, ds, spacing_of):
    offsets = {0}
    for layer, (k, d) in enumerate(zip(ks, ds)):
        offsets = {o + t * d * spacing_of(ss, layer) for o in offsets for t in range(k)}
    field = max(offsets) - min(offsets) + 1
    return field, field - len(offsets)


def holes_no_strides(ks, ss, ds):
    return _reach(ks, ss, ds, lambda ss, layer: 1)


def holes_own_stride(ks, ss, ds):
    return _reach(ks, ss, ds, lambda ss, layer: math.prod(ss[:layer + 1]))


def holes_strides_added(ks, ss, ds):
    return _reach(ks, ss, ds, lambda ss, layer: 1 + sum(s - 1 for s in ss[:layer]))


def holes_text_formula(ks, ss, ds):
    """The strided field right, holes from the text's stride-1 reachable."""
    field = 1 + sum(d * (k - 1) * math.prod(ss[:i]) for i, (k, d) in enumerate(zip(ks, ds)))
    return field, holes_no_strides(ks, ss, ds)[1]


def holes_zero(ks, ss, ds):
    return _reach(ks, ss, ds, lambda ss, layer: math.prod(ss[:layer]))[0], 0


def holes_centred_span(ks, ss, ds):
    """Taps centred with (k - 1) // 2, then the span counted without the + 1."""
    field, holes = _reach(ks, ss, ds, lambda ss, layer: math.prod(ss[:layer]))
    return field - 1, holes


def holes_reachable_count(ks, ss, ds):
    """The number of reachable cells returned instead of the unreachable ones."""
    field, holes = _reach(ks, ss, ds, lambda ss, layer: math.prod(ss[:layer]))
    return field, field - holes


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
    "ch02.remove_strides": by_name(strides_only, own_stride_too, doubled, latest_only,
                                   first_removed, rates_added, all_strides_removed,
                                   unnamed=(rates_added, all_strides_removed)),
    "ch02.field_and_holes": by_name(holes_no_strides, holes_own_stride, holes_strides_added,
                                    holes_text_formula, holes_zero, holes_centred_span,
                                    holes_reachable_count,
                                    unnamed=(holes_strides_added, holes_reachable_count)),
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
    "ch02.remove_strides": (7, 5), "ch02.field_and_holes": (7, 5),
    "ch02.equivalent_kernel": (6, 5), "ch02.fewest_dense_layers": (6, 5),
})
