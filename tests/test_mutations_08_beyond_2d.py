"""Chapter 08's hidden checks against wrong answers written the way students write them.

Each exercise gets at least six plausible wrong variants (not only the catalogued mistakes);
every one must lose the exercise, and the check must name the likely mistake for those
marked ``named``. The tally at the end keeps the catalogue from silently shrinking.
"""

from __future__ import annotations

import numpy as np
from mutants import by_name, caught_test, tally_test

# --- exercise 1: lookahead -------------------------------------------------------------------


def ahead_half_float(layers):
    return sum(d * (k - 1) / 2 for k, d, mode in layers if mode == "same")


def ahead_half_floor(layers):
    return sum(d * (k - 1) // 2 for k, d, mode in layers if mode == "same")


def ahead_no_dilation(layers):
    return sum((k - 1) - (k - 1) // 2 for k, d, mode in layers if mode == "same")


def ahead_every_layer(layers):
    return sum(d * (k - 1) - d * (k - 1) // 2 for k, d, mode in layers)


def ahead_widest_layer(layers):
    return max(d * (k - 1) - d * (k - 1) // 2 if mode == "same" else 0 for k, d, mode in layers)


def ahead_full_span(layers):
    return sum(d * (k - 1) for k, d, mode in layers if mode == "same")


def ahead_receptive_field(layers):
    return 1 + sum(d * (k - 1) for k, d, mode in layers)


# --- exercise 2: input_window ------------------------------------------------------------------


def window_strides_ignored(layers, index):
    first = index - sum(p for _, _, p, _ in layers)
    return first, first + sum(d * (k - 1) for k, _, _, d in layers)


def window_jump_updated_first(layers, index):
    first, field, jump = 0, 1, 1
    for k, s, p, d in layers:
        jump *= s
        field += d * (k - 1) * jump
        first -= p * jump
    return first + index * jump, first + index * jump + field - 1


def window_backward_no_padding(layers, index):
    first = last = index
    for k, s, _, d in reversed(layers):
        first, last = first * s, last * s + d * (k - 1)
    return first, last


def window_backward_no_dilation(layers, index):
    first = last = index
    for k, s, p, _ in reversed(layers):
        first, last = first * s - p, last * s - p + (k - 1)
    return first, last


def window_forward_order(layers, index):
    first = last = index
    for k, s, p, d in layers:
        first, last = first * s - p, last * s - p + d * (k - 1)
    return first, last


def window_padding_unscaled(layers, index):
    first, field, jump = 0, 1, 1
    for k, s, p, d in layers:
        field += d * (k - 1) * jump
        first -= p
        jump *= s
    return first + index * jump, first + index * jump + field - 1


def window_one_past_the_end(layers, index):
    first = last = index
    for k, s, p, d in reversed(layers):
        first, last = first * s - p, last * s - p + d * (k - 1)
    return first, last + 1


def window_index_unscaled(layers, index):
    first, field, jump = index, 1, 1
    for k, s, p, d in layers:
        field += d * (k - 1) * jump
        first -= p * jump
        jump *= s
    return first, first + field - 1


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
    "ch08.lookahead": by_name(
        ahead_half_float, ahead_half_floor, ahead_no_dilation, ahead_every_layer,
        ahead_widest_layer, ahead_full_span, ahead_receptive_field,
        unnamed=(ahead_full_span, ahead_receptive_field)),
    "ch08.input_window": by_name(
        window_strides_ignored, window_jump_updated_first, window_backward_no_padding,
        window_backward_no_dilation, window_forward_order, window_padding_unscaled,
        window_one_past_the_end, window_index_unscaled,
        unnamed=(window_forward_order, window_one_past_the_end)),
    "ch08.ceil_mode_changes": by_name(
        ceil_no_rule, ceil_rule_past_padded_end, ceil_rule_past_input_end, ceil_no_dilation,
        ceil_one_sided_padding, ceil_hi_excluded, ceil_lengths_that_agree,
        ceil_whole_periods_only, ceil_sampled,
        unnamed=(ceil_whole_periods_only, ceil_sampled)),
    "ch08.max_pool2d_backward": by_name(
        back_assigned, back_spread, back_zero_padding, back_stride_is_kernel,
        back_upsampled_mask, back_padded_shape, back_first_cell,
        unnamed=(back_stride_is_kernel, back_upsampled_mask, back_padded_shape)),
    "ch08.narrowest_bottleneck": by_name(
        narrow_output_rank, narrow_input_rank, narrow_smaller_rank, narrow_sum_of_ranks,
        narrow_widest_tap, narrow_spatial_rank, narrow_fewer_channels, narrow_more_channels,
        unnamed=(narrow_sum_of_ranks, narrow_fewer_channels, narrow_more_channels)),
}


# The sandboxed grader draws each student's cases from their own seed: no student may be lucky
# enough to get cases that a wrong variant passes, or that hide its diagnosis.
test_wrong_variant_loses_the_exercise = caught_test(MUTANTS, seeds=(None, 1, 2, 3))


test_tally = tally_test(MUTANTS, {
    "ch08.lookahead": (7, 5), "ch08.input_window": (8, 6), "ch08.ceil_mode_changes": (9, 7),
    "ch08.max_pool2d_backward": (7, 4), "ch08.narrowest_bottleneck": (8, 5),
})
