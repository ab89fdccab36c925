"""Chapter 08's hidden checks against wrong answers written the way students write them.

Each exercise gets at least six plausible wrong variants (not only the catalogued mistakes);
every one must lose the exercise, and the check must name the likely mistake for those
marked ``named``. The tally at the end keeps the catalogue from silently shrinking.
"""

from __future__ import annotations

import math

import numpy as np
from mutants import Mutant, by_name, caught_test, tally_test

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


# --- exercise 3: pool_input_range (forward sizes, bisected) -------------------------------


def _span(kernel_size, dilation):
    return dilation * (kernel_size - 1) + 1


def size_dilation_ignored(n, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    s = stride or kernel_size
    size = -(-(n + 2 * padding - kernel_size) // s) + 1 if ceil_mode else \
        (n + 2 * padding - kernel_size) // s + 1
    if ceil_mode and (size - 1) * s >= n + padding:
        size -= 1
    return size


def size_span_d_times_k(n, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    s = stride or kernel_size
    room = n + 2 * padding - dilation * kernel_size
    size = math.ceil(room / s) + 1 if ceil_mode else room // s + 1
    if ceil_mode and (size - 1) * s >= n + padding:
        size -= 1
    return size


def size_floor_only(n, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    s = stride or kernel_size
    return (n + 2 * padding - _span(kernel_size, dilation)) // s + 1


def size_math_ceil(n, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    s = stride or kernel_size
    rnd = math.ceil if ceil_mode else math.floor
    return rnd((n + 2 * padding - _span(kernel_size, dilation)) / s) + 1


def size_stride_default_one(n, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    s = stride if stride is not None else 1
    room = n + 2 * padding - _span(kernel_size, dilation)
    size = math.ceil(room / s) + 1 if ceil_mode else room // s + 1
    if ceil_mode and (size - 1) * s >= n + padding:
        size -= 1
    return size


def size_floor_plus_one(n, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    s = stride or kernel_size
    size = (n + 2 * padding - _span(kernel_size, dilation)) // s + 1 + (1 if ceil_mode else 0)
    if ceil_mode and (size - 1) * s >= n + padding:
        size -= 1
    return size


def size_one_sided_padding(n, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    s = stride or kernel_size
    rnd = math.ceil if ceil_mode else math.floor
    size = rnd((n + padding - _span(kernel_size, dilation)) / s) + 1
    if ceil_mode and (size - 1) * s >= n + padding:
        size -= 1
    return size


def size_rule_with_both_paddings(n, kernel_size, stride=None, padding=0, dilation=1,
                                 ceil_mode=False):
    s = stride or kernel_size
    room = n + 2 * padding - _span(kernel_size, dilation)
    size = -(-room // s) + 1 if ceil_mode else room // s + 1
    if ceil_mode and (size - 1) * s >= n + 2 * padding:
        size -= 1
    return size


def size_rule_on_the_window_end(n, kernel_size, stride=None, padding=0, dilation=1,
                                ceil_mode=False):
    """Drops a last window that *ends* in the right padding, not one that starts there."""
    s = stride or kernel_size
    span = _span(kernel_size, dilation)
    room = n + 2 * padding - span
    size = -(-room // s) + 1 if ceil_mode else room // s + 1
    if ceil_mode and (size - 1) * s + span > n + padding:
        size -= 1
    return size


def size_no_default_stride(n, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    room = n + 2 * padding - _span(kernel_size, dilation)
    size = -(-room // stride) + 1 if ceil_mode else room // stride + 1
    if ceil_mode and (size - 1) * stride >= n + padding:
        size -= 1
    return size



def size_right(n, kernel_size, stride, padding, dilation, ceil_mode):
    room = n + 2 * padding - _span(kernel_size, dilation)
    size = -(-room // stride) + 1 if ceil_mode else room // stride + 1
    if ceil_mode and (size - 1) * stride >= n + padding:
        size -= 1
    return size


def bisected(size):
    """A student's pool_input_range: bisection over their forward size function."""
    def pool_input_range(out, kernel_size, stride, padding, dilation, ceil_mode):
        def size_of(n):
            return size(n, kernel_size, stride, padding, dilation, ceil_mode)

        def first(target):
            lo = hi = max(1, _span(kernel_size, dilation) - 2 * padding)
            while size_of(hi) < target:
                lo, hi = hi + 1, 2 * hi + 1
            while lo < hi:
                mid = (lo + hi) // 2
                lo, hi = (mid + 1, hi) if size_of(mid) < target else (lo, mid)
            return lo
        return first(out), first(out + 1) - 1
    return pool_input_range


def range_floor_closed_form(out, kernel_size, stride, padding, dilation, ceil_mode):
    n = (out - 1) * stride - 2 * padding + _span(kernel_size, dilation)
    return max(n, 1), n + stride - 1


def range_one_too_many(out, kernel_size, stride, padding, dilation, ceil_mode):
    low, high = bisected(size_right)(out, kernel_size, stride, padding, dilation, ceil_mode)
    return low, high + 1


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


# --- exercise 5: max_bottleneck_width ---------------------------------------------------------


def _largest(a, b, budget):
    w = (math.isqrt(b * b + 4 * a * budget) - b) // (2 * a)
    while a * (w + 1) ** 2 + b * (w + 1) <= budget:
        w += 1
    while w > 0 and a * w * w + b * w > budget:
        w -= 1
    return w


def width_stride_ignored(c_in, c_out, size, stride, budget):
    return _largest(9 * size * size, (c_in + c_out) * size * size, budget)


def width_stride_on_first(c_in, c_out, size, stride, budget):
    o = (size - 1) // stride + 1
    return _largest(9 * o * o, (c_in + c_out) * o * o, budget)


def width_three_taps(c_in, c_out, size, stride, budget):
    o = (size - 1) // stride + 1
    return _largest(3 * o * o, c_in * size * size + c_out * o * o, budget)


def width_size_floor_div(c_in, c_out, size, stride, budget):
    o = size // stride
    return _largest(9 * o * o, c_in * size * size + c_out * o * o, budget)


def width_last_on_input(c_in, c_out, size, stride, budget):
    o = (size - 1) // stride + 1
    return _largest(9 * o * o, (c_in + c_out) * size * size, budget)


def width_rounded_root(c_in, c_out, size, stride, budget):
    o = (size - 1) // stride + 1
    a, b = 9 * o * o, c_in * size * size + c_out * o * o
    return round((math.isqrt(b * b + 4 * a * budget) - b) / (2 * a))


def width_linear_term_only(c_in, c_out, size, stride, budget):
    o = (size - 1) // stride + 1
    return budget // (c_in * size * size + 9 * o * o + c_out * o * o)


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
    "ch08.pool_input_range": [
        Mutant("dilation ignored", bisected(size_dilation_ignored), True),
        Mutant("span d * k", bisected(size_span_d_times_k), True),
        Mutant("floor in ceil mode", bisected(size_floor_only), True),
        Mutant("floor plus one", bisected(size_floor_plus_one), True),
        Mutant("one-sided padding", bisected(size_one_sided_padding), True),
        Mutant("rule with both paddings", bisected(size_rule_with_both_paddings), False),
        Mutant("rule on the window's end", bisected(size_rule_on_the_window_end), False),
        Mutant("the floor range written out for every mode", range_floor_closed_form, True),
        Mutant("largest n one too many", range_one_too_many, True),
    ],
    "ch08.max_pool2d_backward": by_name(
        back_assigned, back_spread, back_zero_padding, back_stride_is_kernel,
        back_upsampled_mask, back_padded_shape, back_first_cell,
        unnamed=(back_stride_is_kernel, back_upsampled_mask, back_padded_shape)),
    "ch08.max_bottleneck_width": by_name(
        width_stride_ignored, width_stride_on_first, width_three_taps, width_size_floor_div,
        width_last_on_input, width_rounded_root, width_linear_term_only,
        unnamed=(width_rounded_root, width_linear_term_only)),
}


# The sandboxed grader draws each student's cases from their own seed: no student may be lucky
# enough to get cases that a wrong variant passes, or that hide its diagnosis.
test_wrong_variant_loses_the_exercise = caught_test(MUTANTS, seeds=(None, 1, 2, 3))


test_tally = tally_test(MUTANTS, {
    "ch08.lookahead": (7, 5), "ch08.input_window": (8, 6), "ch08.pool_input_range": (9, 7),
    "ch08.max_pool2d_backward": (7, 4), "ch08.max_bottleneck_width": (7, 5),
})
