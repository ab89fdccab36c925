"""Chapter 01's exercises: wrong answers written as students write them, each rejected by the
hidden check, most of them named. The tally per exercise is asserted exactly."""

from __future__ import annotations

import math

import numpy as np
from mutants import by_name, caught_test, tally_test

# --- input_sizes(o, kernel_size, stride, padding) ---------------------------------------------


def sizes_only_smallest(o, kernel_size, stride=1, padding=0):
    n = (o - 1) * stride + kernel_size - 2 * padding
    return n, n


def sizes_one_too_many(o, kernel_size, stride=1, padding=0):
    n = (o - 1) * stride + kernel_size - 2 * padding
    return n, n + stride


def sizes_padding_added(o, kernel_size, stride=1, padding=0):
    n = (o - 1) * stride + kernel_size + 2 * padding
    return n, n + stride - 1


def sizes_o_strides(o, kernel_size, stride=1, padding=0):
    n = o * stride + kernel_size - 2 * padding
    return n, n + stride - 1


def sizes_padding_once(o, kernel_size, stride=1, padding=0):
    n = (o - 1) * stride + kernel_size - padding
    return n, n + stride - 1


def sizes_no_kernel(o, kernel_size, stride=1, padding=0):
    n = (o - 1) * stride + 1 - 2 * padding
    return n, n + stride - 1


def sizes_search_with_ceil(o, kernel_size, stride=1, padding=0):
    found = [n for n in range(1, 300) if kernel_size <= n + 2 * padding
             and math.ceil((n + 2 * padding - kernel_size) / stride) + 1 == o]
    return min(found), max(found)


def sizes_swapped(o, kernel_size, stride=1, padding=0):
    n = (o - 1) * stride + kernel_size - 2 * padding
    return n + stride - 1, n


# --- useful_weights(c_in, c_out, n, kernel_size, stride, padding) ---------------------------

def _out(n, k, s, p):
    return (n + 2 * p - k) // s + 1


def _taps(n, k, s, p):
    o = _out(n, k, s, p)
    return sum(any(0 <= i * s - p + a < n for i in range(o)) for a in range(k))


def _real_cells(n, k, s, p):
    return [max(0, min(n, i * s - p + k) - max(0, i * s - p)) for i in range(_out(n, k, s, p))]


def useful_padding_counted(c_in, c_out, n, kernel_size, stride=1, padding=0):
    o = _out(n, kernel_size, stride, padding)
    k2 = kernel_size ** 2
    return c_out * o * o * c_in * n * n, c_out * o * o * c_in * k2, \
        c_out * c_in * _taps(n, kernel_size, stride, padding) ** 2


def useful_dense_padded(c_in, c_out, n, kernel_size, stride=1, padding=0):
    o, m = _out(n, kernel_size, stride, padding), n + 2 * padding
    cells = sum(_real_cells(n, kernel_size, stride, padding))
    return (c_out * o * o * c_in * m * m, c_out * c_in * cells ** 2,
            c_out * c_in * _taps(n, kernel_size, stride, padding) ** 2)


def useful_one_axis(c_in, c_out, n, kernel_size, stride=1, padding=0):
    o = _out(n, kernel_size, stride, padding)
    cells = sum(_real_cells(n, kernel_size, stride, padding))
    return (c_out * o * o * c_in * n * n, c_out * c_in * cells * o * kernel_size,
            c_out * c_in * _taps(n, kernel_size, stride, padding) ** 2)


def useful_shared_per_position(c_in, c_out, n, kernel_size, stride=1, padding=0):
    o = _out(n, kernel_size, stride, padding)
    cells = sum(_real_cells(n, kernel_size, stride, padding))
    return (c_out * o * o * c_in * n * n, c_out * c_in * cells ** 2,
            c_out * c_in * kernel_size ** 2 * o * o)


def useful_no_stride(c_in, c_out, n, kernel_size, stride=1, padding=0):
    return _correct_useful(c_in, c_out, n, kernel_size, 1, padding)


def _correct_useful(c_in, c_out, n, k, s, p):
    o = _out(n, k, s, p)
    return c_out * o * o * c_in * n * n, c_out * c_in * sum(_real_cells(n, k, s, p)) ** 2, \
        c_out * c_in * _taps(n, k, s, p) ** 2


def useful_every_tap(c_in, c_out, n, kernel_size, stride=1, padding=0):
    """The shared kernel's k x k taps all counted, also those that only ever meet padding."""
    return (*_correct_useful(c_in, c_out, n, kernel_size, stride, padding)[:2],
            c_out * c_in * kernel_size ** 2)


def useful_squares_summed(c_in, c_out, n, kernel_size, stride=1, padding=0):
    """Each window's cells squared, then summed: only the diagonal pairs of windows."""
    o = _out(n, kernel_size, stride, padding)
    cells = _real_cells(n, kernel_size, stride, padding)
    return (c_out * o * o * c_in * n * n, c_out * c_in * sum(c * c for c in cells),
            c_out * c_in * _taps(n, kernel_size, stride, padding) ** 2)


def useful_cells_unclipped(c_in, c_out, n, kernel_size, stride=1, padding=0):
    """Cells per window from the window's ends without clipping at the input's ends."""
    o = _out(n, kernel_size, stride, padding)
    cells = sum(min(n, i * stride - padding + kernel_size) - (i * stride - padding)
                for i in range(o))
    return (c_out * o * o * c_in * n * n, c_out * c_in * cells ** 2,
            c_out * c_in * _taps(n, kernel_size, stride, padding) ** 2)


# --- window_counts(n, kernel_size, stride, padding) ----------------------------------------------

def _counts(n, k, s, p, keep, limit=None):
    counts = np.zeros(n + 2 * p, dtype=int)
    windows = (n + 2 * p - k) // s + 1 if limit is None else limit
    for t in range(windows):
        counts[t * s:t * s + k] += 1
    return keep(counts)


def counts_padded(n, kernel_size, stride=1, padding=0):
    return _counts(n, kernel_size, stride, padding, lambda c: c)


def counts_not_shifted(n, kernel_size, stride=1, padding=0):
    return _counts(n, kernel_size, stride, padding, lambda c: c[:n])


def counts_no_stride(n, kernel_size, stride=1, padding=0):
    return _counts(n, kernel_size, 1, padding, lambda c: c[padding:padding + n])


def counts_past_end(n, kernel_size, stride=1, padding=0):
    windows = math.ceil((n + 2 * padding) / stride)
    counts = np.zeros(n + 2 * padding + kernel_size * windows, dtype=int)
    for t in range(windows):
        counts[t * stride:t * stride + kernel_size] += 1
    return counts[padding:padding + n]


def counts_starts(n, kernel_size, stride=1, padding=0):
    starts = np.zeros(n + 2 * padding, dtype=int)
    starts[:(n + 2 * padding - kernel_size) + 1:stride] = 1
    return starts[padding:padding + n]


def counts_closed_form(n, kernel_size, stride=1, padding=0):
    return np.array([min(i + 1, kernel_size, n - i, n - kernel_size + 1) for i in range(n)])


# --- output_shift(layers, t) -----------------------------------------------------------------

def _moved(t, step):
    return t // step if t % step == 0 else -1


def shift_last_stride(layers, t):
    return _moved(t, layers[-1][1])


def shift_first_stride(layers, t):
    return _moved(t, layers[0][1])


def shift_strides_added(layers, t):
    return _moved(t, sum(s for _, s in layers))


def shift_floor(layers, t):
    return t // math.prod(s for _, s in layers)


def shift_kernels_subtracted(layers, t):
    return _moved(t - sum(k - 1 for k, _ in layers), math.prod(s for _, s in layers))


def shift_always(layers, t):
    """Convolution is translation equivariant, so the output always moves by t."""
    return t


def shift_max_stride(layers, t):
    return _moved(t, max(s for _, s in layers))


MUTANTS = {
    "ch01.input_sizes": by_name(sizes_only_smallest, sizes_one_too_many, sizes_padding_added,
                                sizes_o_strides, sizes_padding_once, sizes_no_kernel,
                                sizes_search_with_ceil, sizes_swapped,
                                unnamed=(sizes_search_with_ceil,)),
    "ch01.useful_weights": by_name(useful_padding_counted, useful_dense_padded, useful_one_axis,
                                   useful_shared_per_position, useful_no_stride,
                                   useful_squares_summed, useful_cells_unclipped,
                                   useful_every_tap,
                                   unnamed=(useful_squares_summed, useful_cells_unclipped)),
    "ch01.window_counts": by_name(counts_padded, counts_not_shifted, counts_no_stride,
                                  counts_past_end, counts_starts, counts_closed_form,
                                  unnamed=(counts_starts, counts_closed_form)),
    "ch01.output_shift": by_name(shift_last_stride, shift_first_stride, shift_strides_added,
                                 shift_floor, shift_kernels_subtracted, shift_always,
                                 shift_max_stride, unnamed=(shift_always, shift_max_stride)),
}


test_wrong_answer_loses_the_exercise = caught_test(MUTANTS)


test_tally = tally_test(MUTANTS, {
    "ch01.input_sizes": (8, 7), "ch01.useful_weights": (8, 6),
    "ch01.window_counts": (6, 4), "ch01.output_shift": (7, 5),
})
