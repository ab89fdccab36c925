"""Chapter 08's hidden checks against wrong answers written the way students write them.

Each exercise gets at least six plausible wrong variants (not only the catalogued mistakes);
every one must lose the exercise, and the check must name the likely mistake for those
marked ``named``. The tally at the end keeps the catalogue from silently shrinking.
"""

from __future__ import annotations

import numpy as np
from mutants import by_name, caught_test, tally_test, verdict, verdict_small_first

# --- exercise 1: widest_same_stack (a look-ahead budget) ------------------------------------


def _fits_all_ones(depth, k, budget):
    m = k - 1
    return depth * (m - m // 2) <= budget


def widest_halves(depth, kernel_size, budget):
    """A 'same' layer looks d(k - 1)/2 ahead: the budget buys a total span of 2F."""
    m = kernel_size - 1
    if m == 0:
        return 1
    return 1 + m * (2 * budget // m) if depth * m / 2 <= budget else 0


def widest_one_dilation(depth, kernel_size, budget):
    """One dilation for every layer, the largest that fits (bisected)."""
    m = kernel_size - 1
    if m == 0:
        return 1
    lo, hi = 0, 2 * budget + 2
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if depth * (mid * m - mid * m // 2) <= budget else (lo, mid - 1)
    return 1 + m * depth * lo if lo >= 1 else 0


def widest_all_on_one(depth, kernel_size, budget):
    """Dilation 1 on every layer but the last, the rest of the budget on it."""
    m = kernel_size - 1
    if m == 0:
        return 1
    left = budget - (depth - 1) * (m - m // 2)
    d = 2 * left // m                                   # ceil(d m / 2) <= left
    return 1 + m * (depth - 1 + d) if d >= 1 else 0


def widest_without_the_one(depth, kernel_size, budget):
    m = kernel_size - 1
    if m == 0:
        return 0
    if not _fits_all_ones(depth, kernel_size, budget):
        return 0
    top = 2 * budget // m
    if m % 2 and top % 2 and top * m + 1 > 2 * budget:
        top -= 1
    if m % 2 == 0 or top >= 2 * depth:
        return m * top
    return m * min(2 * depth - 1, (2 * budget - 2 * depth) // (m - 1))


def widest_even_dilations(depth, kernel_size, budget):
    """Every dilation even, so that no layer wastes half a step."""
    m = kernel_size - 1
    if m == 0:
        return 1
    pairs = budget // (depth * m)                     # d = 2q costs q m per layer
    if pairs == 0:
        return 0
    return 1 + m * 2 * (budget // m)


def widest_no_refusal(depth, kernel_size, budget):
    """Never 0: a stack too deep for the budget gets the field of all dilations 1."""
    m = kernel_size - 1
    if m == 0:
        return 1
    if not _fits_all_ones(depth, kernel_size, budget):
        return 1 + m * depth
    top = 2 * budget // m
    if m % 2 and top % 2 and top * m + 1 > 2 * budget:
        top -= 1
    if m % 2 == 0 or top >= 2 * depth:
        return 1 + m * top
    return 1 + m * min(2 * depth - 1, (2 * budget - 2 * depth) // (m - 1))


# --- exercise 2: outputs_seeing (the window of a stack, inverted) ------------------------------


def _start_span_jump(layers, *, pad=True, pad_jump=True, dilate=True, jump_first=False):
    start, span, jump = 0, 1, 1
    for k, s, p, d in layers:
        if jump_first:
            jump *= s
        start -= (p * (jump if pad_jump else 1)) if pad else 0
        span += (d if dilate else 1) * (k - 1) * jump
        if not jump_first:
            jump *= s
    return start, span, int(np.prod([s for _, s, _, _ in layers]))


def _invert(start, span, jump, cell, clip=True, ceil=True):
    first = -(-(cell - start - span + 1) // jump) if ceil else (cell - start - span + 1) // jump
    return (max(0, first) if clip else first), (cell - start) // jump


def seeing_no_clip(layers, cell):
    return _invert(*_start_span_jump(layers), cell, clip=False)


def seeing_floor_first(layers, cell):
    return _invert(*_start_span_jump(layers), cell, ceil=False)


def seeing_strides_ignored(layers, cell):
    start, span, _ = _start_span_jump([(k, 1, p, d) for k, _, p, d in layers])
    return _invert(start, span, int(np.prod([s for _, s, _, _ in layers])), cell)


def seeing_own_stride(layers, cell):
    return _invert(*_start_span_jump(layers, jump_first=True), cell)


def seeing_no_dilation(layers, cell):
    return _invert(*_start_span_jump(layers, dilate=False), cell)


def seeing_no_padding(layers, cell):
    return _invert(*_start_span_jump(layers, pad=False), cell)


def seeing_padding_unscaled(layers, cell):
    return _invert(*_start_span_jump(layers, pad_jump=False), cell)


def seeing_one_too_wide(layers, cell):
    start, span, jump = _start_span_jump(layers)
    return _invert(start, span + 1, jump, cell)


def seeing_scan_first_outputs(layers, cell):
    """The right windows, but only the first 10^4 outputs scanned for the cell."""
    start, span, jump = _start_span_jump(layers)
    seen = [i for i in range(10**4) if start + i * jump <= cell <= start + i * jump + span - 1]
    return (seen[0], seen[-1]) if seen else (0, -1)


# --- exercise 3: ceil_mode_changes (a count per stride period) ---------------------------

def _per_period(lo, hi, s, c, last):
    """#{n in [lo, hi]: (c - n) mod s in 1 .. last}, a student's count of a residue run."""
    def upto(x):
        return (x // s) * last + min(x % s, last)
    return upto(c - lo) - upto(c - hi - 1)


def _changes(lo, hi, k, s, p, d, *, span=None, c=None, last=None):
    span = d * (k - 1) + 1 if span is None else span
    c = span - 2 * p if c is None else c
    last = min(s, span - p) - 1 if last is None else last
    return _per_period(lo, hi, s, c, last)


def ceil_no_rule(lo, hi, kernel_size, stride, padding, dilation):
    return _changes(lo, hi, kernel_size, stride, padding, dilation, last=stride - 1)


def ceil_rule_past_padded_end(lo, hi, kernel_size, stride, padding, dilation):
    span = dilation * (kernel_size - 1) + 1
    return _changes(lo, hi, kernel_size, stride, padding, dilation, last=min(stride, span) - 1)


def ceil_rule_past_input_end(lo, hi, kernel_size, stride, padding, dilation):
    span = dilation * (kernel_size - 1) + 1
    return _changes(lo, hi, kernel_size, stride, padding, dilation,
                    last=min(stride, span - 2 * padding) - 1)


def ceil_no_dilation(lo, hi, kernel_size, stride, padding, dilation):
    return _changes(lo, hi, kernel_size, stride, padding, 1)


def ceil_one_sided_padding(lo, hi, kernel_size, stride, padding, dilation):
    span = dilation * (kernel_size - 1) + 1
    return _changes(lo, hi, kernel_size, stride, padding, dilation, c=span - padding)


def ceil_hi_excluded(lo, hi, kernel_size, stride, padding, dilation):
    return _changes(lo, hi - 1, kernel_size, stride, padding, dilation)


def ceil_lengths_that_agree(lo, hi, kernel_size, stride, padding, dilation):
    return hi - lo + 1 - _changes(lo, hi, kernel_size, stride, padding, dilation)


def ceil_whole_periods_only(lo, hi, kernel_size, stride, padding, dilation):
    """The per-period count times the number of whole periods; the partial one forgotten."""
    span = dilation * (kernel_size - 1) + 1
    return (hi - lo + 1) // stride * (min(stride, span - padding) - 1)


def ceil_sampled(lo, hi, kernel_size, stride, padding, dilation):
    """Brute force on the first 10^5 lengths, scaled up to the range."""
    n = np.arange(lo, min(hi, lo + 10**5 - 1) + 1, dtype=object)
    room = n + 2 * padding - dilation * (kernel_size - 1) - 1
    ceil = -(-room // stride) + 1
    ceil = ceil - ((ceil - 1) * stride >= n + padding)
    share = np.mean(ceil != room // stride + 1)
    return int(round(share * (hi - lo + 1)))


def ceil_span_d_times_k(lo, hi, kernel_size, stride, padding, dilation):
    """A dilated window taken as d k cells wide (one gap too many)."""
    return _changes(lo, hi, kernel_size, stride, padding, dilation,
                    span=dilation * kernel_size)


def ceil_in_floats(lo, hi, kernel_size, stride, padding, dilation):
    """The right count, with the divisions in floating point (true division, then int):
    exact on small lengths, off once lengths reach 2^53."""
    span = dilation * (kernel_size - 1) + 1
    s, c, last = stride, span - 2 * padding, min(stride, span - padding) - 1

    def upto(x):
        whole = int(np.floor(x / s))
        return whole * last + min(int(x - whole * float(s)), last)
    return upto(c - lo) - upto(c - hi - 1)


# --- exercise 4: max_pool2d_backward -----------------------------------------------------------


def _backward(x, grad, k, s, p, fill=-np.inf, share="max", add=True):
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=fill)
    out = np.zeros(xp.shape)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i in range(grad.shape[2]):
                for j in range(grad.shape[3]):
                    window = xp[n, c, i * s:i * s + k, j * s:j * s + k]
                    g = grad[n, c, i, j]
                    if share == "spread":
                        out[n, c, i * s:i * s + k, j * s:j * s + k] += g / (k * k)
                        continue
                    a, b = np.unravel_index(window.argmax(), window.shape)
                    if add:
                        out[n, c, i * s + a, j * s + b] += g
                    else:
                        out[n, c, i * s + a, j * s + b] = g
    return out[:, :, p:p + x.shape[2], p:p + x.shape[3]]


def back_assigned(x, grad, kernel_size, stride, padding):
    return _backward(x, grad, kernel_size, stride, padding, add=False)


def back_spread(x, grad, kernel_size, stride, padding):
    return _backward(x, grad, kernel_size, stride, padding, share="spread")


def back_zero_padding(x, grad, kernel_size, stride, padding):
    return _backward(x, grad, kernel_size, stride, padding, fill=0.0)


def back_stride_is_kernel(x, grad, kernel_size, stride, padding):
    return _backward(x, grad, kernel_size, kernel_size, padding)


def back_upsampled_mask(x, grad, kernel_size, stride, padding):
    """The non-overlapping trick: repeat the output and its gradient, mask where x equals it."""
    y = np.repeat(np.repeat(grad * 0 + x.max(), stride, axis=2), stride, axis=3)
    g = np.repeat(np.repeat(grad, stride, axis=2), stride, axis=3)
    h, w = min(y.shape[2], x.shape[2]), min(y.shape[3], x.shape[3])
    out = np.zeros(x.shape)
    out[:, :, :h, :w] = g[:, :, :h, :w] * (x[:, :, :h, :w] == y[:, :, :h, :w])
    return out


def back_first_cell(x, grad, k, s, p):
    """Every window's gradient on its first (top-left) cell."""
    out = np.zeros((x.shape[0], x.shape[1], x.shape[2] + 2 * p, x.shape[3] + 2 * p))
    for i in range(grad.shape[2]):
        for j in range(grad.shape[3]):
            out[:, :, i * s, j * s] += grad[:, :, i, j]
    return out[:, :, p:p + x.shape[2], p:p + x.shape[3]]


def back_every_tie(x, grad, k, s, p):
    """Every cell equal to its window's maximum gets the window's gradient."""
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
    out = np.zeros(xp.shape)
    for i in range(grad.shape[2]):
        for j in range(grad.shape[3]):
            window = xp[:, :, i * s:i * s + k, j * s:j * s + k]
            top = window.max(axis=(2, 3), keepdims=True)
            out[:, :, i * s:i * s + k, j * s:j * s + k] += (window == top) * grad[:, :, i, j,
                                                                                   None, None]
    return out[:, :, p:p + x.shape[2], p:p + x.shape[3]]


def back_last_tie(x, grad, k, s, p):
    """The last maximum in row-major order (a scan with >= instead of >)."""
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
    out = np.zeros(xp.shape)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i in range(grad.shape[2]):
                for j in range(grad.shape[3]):
                    best, where = -np.inf, None
                    for a in range(k):
                        for b in range(k):
                            if xp[n, c, i * s + a, j * s + b] >= best:
                                best, where = xp[n, c, i * s + a, j * s + b], (a, b)
                    out[n, c, i * s + where[0], j * s + where[1]] += grad[n, c, i, j]
    return out[:, :, p:p + x.shape[2], p:p + x.shape[3]]


def back_central_differences(x, grad, k, s, p):
    """Chapter 07's central differences on L = sum(grad * maxpool(x)): exact between kinks."""
    from numpy.lib.stride_tricks import sliding_window_view

    def loss(z):
        zp = np.pad(z, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
        y = sliding_window_view(zp, (k, k), axis=(2, 3))[:, :, ::s, ::s].max(axis=(4, 5))
        return np.sum(grad * y[:, :, :grad.shape[2], :grad.shape[3]])
    out, z = np.zeros(x.shape), x.copy()
    for i in np.ndindex(x.shape):
        old = z[i]
        z[i] = old + 1e-6
        above = loss(z)
        z[i] = old - 1e-6
        below = loss(z)
        z[i] = old
        out[i] = (above - below) / 2e-6
    return out


def _separable(x, grad, k, s, p, key):
    """The separable answer students write: a complex key -value + i * key (numpy orders
    complex numbers by real part, then imaginary part), its k-wide minimum along the rows
    and then the columns, and the gradient added onto the cell the key names."""
    from numpy.lib.stride_tricks import sliding_window_view

    z = np.pad(1j * key - x, ((0, 0), (0, 0), (p, p), (p, p)), "edge")
    m = sliding_window_view(z, k, axis=3)[..., ::s, :].min(-1)
    m = sliding_window_view(m, k, axis=2)[:, :, ::s].min(-1)
    cell = np.empty(x.size, dtype=int)
    cell[key.ravel()] = np.arange(x.size)              # the cell each key number names
    return np.bincount(cell[m.imag.astype(int).ravel()], grad.ravel(), x.size).reshape(x.shape)


def back_columns_first(x, grad, k, s, p):
    """Separable, but the key numbers the cells column by column: ties go to the left."""
    n, c, h, w = x.shape
    plane = np.arange(h * w).reshape(w, h).T            # column-major order within a plane
    key = np.arange(n * c)[:, None, None] * (h * w) + plane
    return _separable(x, grad, k, s, p, key.reshape(x.shape))


def back_nudged(x, grad, k, s, p):
    """Ties broken by a nudge, x - 1e-9 * (row-major index), before a separable maximum:
    too small to matter at 2^50, larger than the gaps at 2^-40 and between ulps."""
    index = np.arange(x.size).reshape(x.shape)
    return _separable(x - 1e-9 * index, grad, k, s, p, index)


def back_powers_of_two(x, grad, k, s, p):
    """Windows doubled 1, 2, 4, ... as far as they fit in k, the last overlapping step
    forgotten: right for k = 1, 2, 4 only."""
    from numpy.lib.stride_tricks import sliding_window_view

    width = 1 << (k.bit_length() - 1)
    index = np.arange(x.size).reshape(x.shape)
    z = np.pad(1j * index - x, ((0, 0), (0, 0), (p, p), (p, p)), "edge")
    m = sliding_window_view(z, width, axis=3)[..., ::s, :].min(-1)[..., :grad.shape[3]]
    m = sliding_window_view(m, width, axis=2)[:, :, ::s].min(-1)[:, :, :grad.shape[2]]
    return np.bincount(m.imag.astype(int).ravel(), grad.ravel(), x.size).reshape(x.shape)


def back_padded_shape(x, grad, kernel_size, stride, padding):
    p = padding
    return np.pad(_backward(x, grad, kernel_size, stride, p), ((0, 0), (0, 0), (p, p), (p, p)))


# --- exercise 5: narrowest_bottleneck (ranks across channels) -------------------------------

def _rank(m):
    return int(np.linalg.matrix_rank(np.asarray(m, dtype=float)))


def narrow_output_rank(weight):
    return _rank(weight.reshape(weight.shape[0], -1))


def narrow_input_rank(weight):
    return _rank(weight.swapaxes(0, 1).reshape(weight.shape[1], -1))


def narrow_smaller_rank(weight):
    return min(narrow_output_rank(weight), narrow_input_rank(weight))


def narrow_sum_of_ranks(weight):
    """One channel per rank on each side, as if the two 1x1 layers could not share them."""
    return narrow_output_rank(weight) + narrow_input_rank(weight)


def narrow_widest_tap(weight):
    return max(_rank(weight[:, :, a, b]) for a in range(weight.shape[2])
               for b in range(weight.shape[3]))


def narrow_spatial_rank(weight):
    return _rank(weight.reshape(weight.shape[0] * weight.shape[1], -1))


def narrow_fewer_channels(weight):
    return min(weight.shape[:2])


def narrow_more_channels(weight):
    return max(weight.shape[:2])


MUTANTS = {
    "ch08.widest_same_stack": by_name(
        widest_halves, widest_one_dilation, widest_all_on_one, widest_without_the_one,
        widest_even_dilations, widest_no_refusal,
        unnamed=(widest_even_dilations,)),
    "ch08.outputs_seeing": by_name(
        seeing_no_clip, seeing_floor_first, seeing_strides_ignored, seeing_own_stride,
        seeing_no_dilation, seeing_no_padding, seeing_padding_unscaled, seeing_one_too_wide,
        seeing_scan_first_outputs, unnamed=(seeing_scan_first_outputs,)),
    "ch08.ceil_mode_changes": by_name(
        ceil_no_rule, ceil_rule_past_padded_end, ceil_rule_past_input_end, ceil_no_dilation,
        ceil_one_sided_padding, ceil_hi_excluded, ceil_lengths_that_agree,
        ceil_whole_periods_only, ceil_sampled, ceil_span_d_times_k, ceil_in_floats,
        unnamed=(ceil_whole_periods_only, ceil_sampled, ceil_span_d_times_k, ceil_in_floats)),
    "ch08.max_pool2d_backward": by_name(
        back_assigned, back_spread, back_zero_padding, back_stride_is_kernel,
        back_upsampled_mask, back_padded_shape, back_first_cell, back_every_tie, back_last_tie,
        back_central_differences, back_columns_first, back_nudged, back_powers_of_two,
        unnamed=(back_stride_is_kernel, back_upsampled_mask, back_padded_shape,
                 back_central_differences, back_nudged, back_powers_of_two)),
    "ch08.narrowest_bottleneck": by_name(
        narrow_output_rank, narrow_input_rank, narrow_smaller_rank, narrow_sum_of_ranks,
        narrow_widest_tap, narrow_spatial_rank, narrow_fewer_channels, narrow_more_channels,
        unnamed=(narrow_sum_of_ranks, narrow_fewer_channels, narrow_more_channels)),
}


# The sandboxed grader draws each student's cases from their own seed: no student may be lucky
# enough to get cases that a wrong variant passes, or that hide its diagnosis.
def _verdict(check_id, fn, seed=None):
    """max_pool2d_backward's wrong variants are judged on the small cases first (the check
    draws its large image last): most read every window and would take minutes there."""
    return (verdict_small_first if check_id == "ch08.max_pool2d_backward" else verdict)(
        check_id, fn, seed)


test_wrong_variant_loses_the_exercise = caught_test(MUTANTS, verdict=_verdict,
                                                    seeds=(None, 1, 2, 3))


test_tally = tally_test(MUTANTS, {
    "ch08.widest_same_stack": (6, 5), "ch08.outputs_seeing": (9, 8),
    "ch08.ceil_mode_changes": (11, 7), "ch08.max_pool2d_backward": (13, 7),
    "ch08.narrowest_bottleneck": (8, 5),
})
