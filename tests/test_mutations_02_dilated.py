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


# --- equivalent_kernel(kernels, dilations) ---------------------------------------------------

def _dilate(k, d):
    out = np.zeros((d * (k.shape[0] - 1) + 1, d * (k.shape[1] - 1) + 1))
    out[::d, ::d] = k
    return out


def _full(a, b):
    out = np.zeros((a.shape[0] + b.shape[0] - 1, a.shape[1] + b.shape[1] - 1))
    for (u, v), w in np.ndenumerate(b):
        out[u:u + a.shape[0], v:v + a.shape[1]] += w * a
    return out


def kernel_undilated(kernels, dilations):
    out = np.ones((1, 1))
    for k in kernels:
        out = _full(out, k)
    return out


def kernel_flipped(kernels, dilations):
    out = np.ones((1, 1))
    for k, d in zip(kernels, dilations):
        out = _full(out, _dilate(k, d)[::-1, ::-1])
    return out


def kernel_summed(kernels, dilations):
    dk = [_dilate(k, d) for k, d in zip(kernels, dilations)]
    size = [1 + sum(k.shape[a] - 1 for k in dk) for a in (0, 1)]
    out = np.zeros(size)
    for k in dk:
        top, left = (size[0] - k.shape[0]) // 2, (size[1] - k.shape[1]) // 2
        out[top:top + k.shape[0], left:left + k.shape[1]] += k
    return out


def kernel_last_dilation(kernels, dilations):
    out = np.ones((1, 1))
    for k in kernels:
        out = _full(out, _dilate(k, dilations[-1]))
    return out


def kernel_dilate_after(kernels, dilations):
    out = np.ones((1, 1))
    for k in kernels:
        out = _full(out, k)
    return _dilate(out, dilations[0])


def kernel_elementwise(kernels, dilations):
    dk = [_dilate(k, d) for k, d in zip(kernels, dilations)]
    size = [1 + sum(k.shape[a] - 1 for k in dk) for a in (0, 1)]
    out = np.ones(size)
    for k in dk:
        out[:k.shape[0], :k.shape[1]] *= k
    return out


MUTANTS = {
    "ch02.remove_strides": by_name(strides_only, own_stride_too, doubled, latest_only,
                                   first_removed, rates_added, all_strides_removed,
                                   unnamed=(rates_added, all_strides_removed)),
    "ch02.field_and_holes": by_name(holes_no_strides, holes_own_stride, holes_strides_added,
                                    holes_text_formula, holes_zero, holes_centred_span,
                                    holes_reachable_count,
                                    unnamed=(holes_strides_added, holes_reachable_count)),
    "ch02.equivalent_kernel": by_name(kernel_undilated, kernel_flipped, kernel_summed,
                                      kernel_last_dilation, kernel_dilate_after,
                                      kernel_elementwise,
                                      unnamed=(kernel_elementwise,)),
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
