"""Chapter 01's exercises: wrong answers written as students write them, each rejected by the
hidden check, most of them named. The tally per exercise is asserted exactly."""

from __future__ import annotations

import math

import numpy as np
from mutants import by_name, caught_test, tally_test

# --- exact_inputs(layers, limit) ---------------------------------------------------------------

def _backwards(layers, pad=2):
    """The input length an output of 1 needs exactly, and the strides' product."""
    n, step = 1, 1
    for k, s, p in reversed(layers):
        n, step = (n - 1) * s + k - pad * p, step * s
    return n, step


def exact_from_output_one(layers, limit):
    """The progression started at the length an output of 1 needs, even when it is below 1."""
    n, step = _backwards(layers)
    return max(0, (limit - n) // step + 1)


def exact_from_one(layers, limit):
    """Every multiple of the strides' product counted, from 1."""
    return limit // math.prod(s for _, s, _ in layers)


def exact_first_layer(layers, limit):
    return _correct_exact(layers[:1], limit)


def exact_padding_once(layers, limit):
    n, step = _backwards(layers, pad=1)
    n += step * -(-(1 - n) // step) if n < 1 else 0
    return max(0, (limit - n) // step + 1)


def exact_limit_excluded(layers, limit):
    return _correct_exact(layers, limit - 1)


def exact_last_stride(layers, limit):
    """Spaced by the last layer's stride only."""
    n, _ = _backwards(layers)
    s = layers[-1][1]
    n += s * -(-(1 - n) // s) if n < 1 else 0
    return max(0, (limit - n) // s + 1)


def exact_clamped_at_one(layers, limit):
    """A length below 1 replaced by 1 (not by the next exact length)."""
    n, step = _backwards(layers)
    return max(0, (limit - max(n, 1)) // step + 1)


def _correct_exact(layers, limit):
    n, step = _backwards(layers)
    smallest = 1
    length, prod = 1, 1
    for k, s, p in reversed(layers):
        length, prod = (length - 1) * s + k - 2 * p, prod * s
        if length < 1:
            smallest = max(smallest, 1 + -(-(1 - length) // prod))
    first = (smallest - 1) * step + n
    return 0 if first > limit else (limit - first) // step + 1


# --- useful_weights(c_in, c_out, n, kernel_size, stride, padding), 1-D ---------------------------
# Written as a student who counts the zeros each window reads would: o k cells in all, less
# the padding zeros at the left (window t reads min(k, p - t s) of them) and at the right.
# Sizes reach 10^9 windows of 10^9 cells, so every sum over windows is a closed form.

def _out(n, k, s, p):
    return (n + 2 * p - k) // s + 1


def _ramp(o, s, c, k):
    """sum over t < o of min(k, max(0, c - s t)): k while c - s t >= k, then a falling run."""
    full = min(o, max(0, (c - k) // s + 1)) if c >= k else 0
    positive = min(o, max(0, (c - 1) // s + 1)) if c > 0 else 0
    m = positive - full
    return k * full + m * c - s * ((full + positive - 1) * m // 2)


def _zeros(n, k, s, p, right=True):
    o = _out(n, k, s, p)
    left = _ramp(o, s, p, k)
    # at the right end, window o - 1 - t overhangs the input by (o - 1 - t) s - p + k - n
    return left + (_ramp(o, s, (o - 1) * s - p + k - n, k) if right else 0)


def _local(n, k, s, p, **kw):
    return _out(n, k, s, p) * k - _zeros(n, k, s, p, **kw)


def _span(n, k, s, p):
    o = _out(n, k, s, p)
    return max(0, min(k - 1, p + n - 1) - max(0, p - (o - 1) * s) + 1)


def _taps(n, k, s, p):
    return _local(n, k, s, p) if n < s else _span(n, k, s, p)


def useful_padding_counted(c_in, c_out, n, kernel_size, stride=1, padding=0):
    o = _out(n, kernel_size, stride, padding)
    return c_out * c_in * o * kernel_size, c_out * c_in * _taps(n, kernel_size, stride, padding)


def useful_left_clipped(c_in, c_out, n, kernel_size, stride=1, padding=0):
    """The zeros before the input subtracted, those after it forgotten."""
    local = _local(n, kernel_size, stride, padding, right=False)
    return c_out * c_in * local, c_out * c_in * _taps(n, kernel_size, stride, padding)


def useful_every_tap(c_in, c_out, n, kernel_size, stride=1, padding=0):
    return (c_out * c_in * _local(n, kernel_size, stride, padding), c_out * c_in * kernel_size)


def useful_shared_per_position(c_in, c_out, n, kernel_size, stride=1, padding=0):
    o = _out(n, kernel_size, stride, padding)
    return (c_out * c_in * _local(n, kernel_size, stride, padding), c_out * c_in * kernel_size * o)


def useful_no_stride(c_in, c_out, n, kernel_size, stride=1, padding=0):
    """Stride 1 (its counts overflow int64 on the large cases, which no mistake reproduces)."""
    return (c_out * c_in * _local(n, kernel_size, 1, padding),
            c_out * c_in * _taps(n, kernel_size, 1, padding))


def useful_no_channels(c_in, c_out, n, kernel_size, stride=1, padding=0):
    return _local(n, kernel_size, stride, padding), _taps(n, kernel_size, stride, padding)


def useful_one_run_of_taps(c_in, c_out, n, kernel_size, stride=1, padding=0):
    """The taps from the last window's first real one to the first window's last, always."""
    return (c_out * c_in * _local(n, kernel_size, stride, padding),
            c_out * c_in * _span(n, kernel_size, stride, padding))


def useful_zeros_unclipped(c_in, c_out, n, kernel_size, stride=1, padding=0):
    """Each window's overhang subtracted whole, even beyond its k cells (windows on padding
    alone take away more than they have)."""
    k, s, p = kernel_size, stride, padding
    o = _out(n, k, s, p)
    local = o * k - _ramp(o, s, p, 10**30) - _ramp(o, s, (o - 1) * s - p + k - n, 10**30)
    return c_out * c_in * local, c_out * c_in * _taps(n, k, s, p)


def useful_taps_without_padding(c_in, c_out, n, kernel_size, stride=1, padding=0):
    """Taps counted as min(k, n): the input's length, not where the windows sit."""
    return (c_out * c_in * _local(n, kernel_size, stride, padding),
            c_out * c_in * min(kernel_size, n))


def useful_float_count(c_in, c_out, n, kernel_size, stride=1, padding=0):
    """The count taken through a float (o * k / 1.0): 10^18 cells lose their last digits."""
    k, s, p = kernel_size, stride, padding
    local = int(_out(n, k, s, p) * k / 1.0 - _zeros(n, k, s, p))
    return c_out * c_in * local, c_out * c_in * _taps(n, k, s, p)


# --- read_histogram(n, kernel_size, stride, padding) ---------------------------------------------

def _reads(x, k, s, o):
    return max(0, min(o - 1, x // s) - max(0, -(-(x - k + 1) // s)) + 1)


def _histogram(n, k, s, p, lo, hi, o=None, reads=_reads):
    o = (n + 2 * p - k) // s + 1 if o is None else o
    h = np.zeros(k + 1, dtype=np.int64)
    a, b = max(lo, k - 1), min(hi, o * s - 1)
    if a > b:
        a, b = hi + 1, hi
    for x in [*range(lo, a), *range(b + 1, hi + 1)]:
        h[reads(x, k, s, o)] += 1
    q, r = divmod(b - a + 1, s)
    for j in range(min(s, b - a + 1)):
        h[reads(a + j, k, s, o)] += q + (j < r)
    return h


def histogram_padded(n, kernel_size, stride=1, padding=0):
    return _histogram(n, kernel_size, stride, padding, 0, n + 2 * padding - 1)


def histogram_not_shifted(n, kernel_size, stride=1, padding=0):
    return _histogram(n, kernel_size, stride, padding, 0, n - 1)


def histogram_no_stride(n, kernel_size, stride=1, padding=0):
    return _histogram(n, kernel_size, 1, padding, padding, padding + n - 1)


def histogram_past_end(n, kernel_size, stride=1, padding=0):
    return _histogram(n, kernel_size, stride, padding, padding, padding + n - 1,
                      o=-(-(n + 2 * padding) // stride))


def histogram_no_zero(n, kernel_size, stride=1, padding=0):
    h = _histogram(n, kernel_size, stride, padding, padding, padding + n - 1)
    h[0] = 0
    return h


def histogram_middle_only(n, kernel_size, stride=1, padding=0):
    """The middle's count for every cell: the taps a with a = i + p (mod s)."""
    h = np.zeros(kernel_size + 1, dtype=np.int64)
    for j in range(stride):
        h[len(range((j + padding) % stride, kernel_size, stride))] += len(range(j, n, stride))
    return h


def histogram_windows_from_one(n, kernel_size, stride=1, padding=0):
    """The first window skipped: windows t = 1 .. o - 1."""
    return _histogram(n, kernel_size, stride, padding, padding, padding + n - 1,
                      reads=lambda x, k, s, o: max(0, min(o - 1, x // s)
                                                   - max(1, -(-(x - k + 1) // s)) + 1))


# --- trusted_outputs(layers, n, t) -------------------------------------------------------------

def _trusted(layers, n, t, grow, right=1):
    m, wrong = n - t, 0
    for k, s, p in layers:
        m = (m + 2 * p - k) // s + 1
        if wrong or (p and t):
            wrong = grow(wrong, k, s, p)
    return max(0, m - right * wrong)


def trusted_all(layers, n, t):
    """Convolution is translation equivariant: every output just moves."""
    return _trusted(layers, n, t, lambda g, k, s, p: 0)


def trusted_first_padding(layers, n, t):
    return _trusted(layers, n, t, lambda g, k, s, p: g or -(-p // s))


def trusted_no_stride(layers, n, t):
    return _trusted(layers, n, t, lambda g, k, s, p: g + p)


def trusted_floor(layers, n, t):
    return _trusted(layers, n, t, lambda g, k, s, p: (g + p) // s)


def trusted_both_ends(layers, n, t):
    return _trusted(layers, n, t, lambda g, k, s, p: -(-(g + p) // s), right=2)


def trusted_shift_dropped(layers, n, t):
    step = math.prod(s for _, s, _ in layers)
    return _trusted(layers, n, t, lambda g, k, s, p: -(-(g + p) // s)) - t // step


def trusted_kernel_width(layers, n, t):
    """The damage taken as the kernel's width less one, not the padding."""
    return _trusted(layers, n, t, lambda g, k, s, p: -(-(g + k - 1) // s))


def trusted_last_padding(layers, n, t):
    """Only the last layer's zeros counted: its padding over its stride."""
    return _trusted(layers, n, t, lambda g, k, s, p: -(-p // s))


MUTANTS = {
    "ch01.exact_inputs": by_name(exact_from_output_one, exact_from_one, exact_first_layer,
                                 exact_padding_once, exact_limit_excluded, exact_last_stride,
                                 exact_clamped_at_one,
                                 unnamed=(exact_last_stride, exact_clamped_at_one)),
    "ch01.useful_weights": by_name(useful_padding_counted, useful_left_clipped, useful_every_tap,
                                   useful_shared_per_position, useful_no_stride,
                                   useful_no_channels, useful_one_run_of_taps,
                                   useful_zeros_unclipped, useful_taps_without_padding,
                                   useful_float_count,
                                   unnamed=(useful_no_stride, useful_zeros_unclipped,
                                            useful_taps_without_padding, useful_float_count)),
    "ch01.read_histogram": by_name(histogram_padded, histogram_not_shifted, histogram_no_stride,
                                   histogram_past_end, histogram_no_zero, histogram_middle_only,
                                   histogram_windows_from_one,
                                   unnamed=(histogram_windows_from_one,)),
    "ch01.trusted_outputs": by_name(trusted_all, trusted_first_padding, trusted_no_stride,
                                    trusted_floor, trusted_both_ends, trusted_shift_dropped,
                                    trusted_kernel_width, trusted_last_padding,
                                    unnamed=(trusted_kernel_width, trusted_last_padding)),
}


test_wrong_answer_loses_the_exercise = caught_test(MUTANTS)


test_tally = tally_test(MUTANTS, {
    "ch01.exact_inputs": (7, 5), "ch01.useful_weights": (10, 6),
    "ch01.read_histogram": (7, 6), "ch01.trusted_outputs": (8, 6),
})
