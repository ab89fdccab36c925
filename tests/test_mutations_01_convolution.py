"""Chapter 01's exercises: wrong answers written as students write them, each rejected by the
hidden check, most of them named. The tally per exercise is asserted exactly."""

from __future__ import annotations

import math

import numpy as np
from mutants import by_name, caught_test, tally_test

# --- lengths_within(layers, over, limit) ---------------------------------------------------------
# Written as a student who has found the digits would: n = offset + period n_L + sum place_j r_j,
# the lengths of each whole period counted as the product of the allowed digits, the last
# period digit by digit from the top.

def _digits(layers, over, limit, *, fit=True, place=None, allowed=None, last=True, offset=True):
    strides = [s for _, s, _ in layers]
    allowed = allowed or [min(w, s - 1) + 1 for w, s in zip(over, strides)]
    place = place or [math.prod(strides[:j]) for j in range(len(strides))]
    period = math.prod(strides)
    c = sum(q * (k - 2 * p - s) for q, (k, s, p) in zip(place, layers)) if offset else 0
    need = 1
    for k, s, p in reversed(layers):
        need = max(1, (need - 1) * s + k - 2 * p)

    def count(x):
        if x < c:
            return 0
        full, rest = divmod(x - c, period)
        total = full * math.prod(allowed)
        if not last:
            return total
        for j in reversed(range(len(strides))):
            digit, rest = divmod(rest, place[j])
            total += min(digit, allowed[j]) * math.prod(allowed[:j])
            if digit >= allowed[j]:
                return total
        return total + 1

    if limit < need:
        return 0
    return count(limit) - count(need - 1 if fit else 0)


def within_unfit_counted(layers, over, limit):
    """Lengths whose padded input is shorter than a kernel counted too."""
    return _digits(layers, over, limit, fit=False)


def within_exact_only(layers, over, limit):
    """The bounds ignored: only the lengths no layer leaves a cell over."""
    return _digits(layers, [0] * len(layers), limit)


def within_strict(layers, over, limit):
    """Fewer than over[j] cells over, not at most."""
    return _digits(layers, over, limit, allowed=[min(w, s) for w, (_, s, _) in zip(over, layers)])


def within_weights_reversed(layers, over, limit):
    """The first layer taken as the top digit: weights the strides after it."""
    strides = [s for _, s, _ in layers]
    return _digits(layers, over, limit,
                   place=[math.prod(strides[j + 1:]) for j in range(len(strides))])


def within_whole_periods(layers, over, limit):
    """Only the whole periods below limit counted."""
    return _digits(layers, over, limit, last=False)


def within_limit_excluded(layers, over, limit):
    return _digits(layers, over, limit - 1)


def within_share(layers, over, limit):
    """limit times the share of digit patterns allowed, rounded."""
    share = 1
    for (_, s, _), w in zip(layers, over):
        share *= min(w + 1, s) / s
    return round(limit * share)


def within_digits_of_n(layers, over, limit):
    """The digits of n itself, not of n less the offset the kernels and paddings add."""
    return _digits(layers, over, limit, offset=False)


def within_counted_up(layers, over, limit):
    """Every length run forward, stopped after 10^4 lengths."""
    total = 0
    for n in range(1, min(limit, 10**4) + 1):
        ok = True
        for (k, s, p), w in zip(layers, over):
            if n + 2 * p < k or (n + 2 * p - k) % s > w:
                ok = False
                break
            n = (n + 2 * p - k) // s + 1
        total += ok
    return total


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
    "ch01.lengths_within": by_name(within_unfit_counted, within_exact_only, within_strict,
                                   within_weights_reversed, within_whole_periods,
                                   within_limit_excluded, within_share, within_digits_of_n,
                                   within_counted_up,
                                   unnamed=(within_share, within_digits_of_n, within_counted_up)),
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
    "ch01.lengths_within": (9, 6), "ch01.useful_weights": (10, 6),
    "ch01.read_histogram": (7, 6), "ch01.trusted_outputs": (8, 6),
})
