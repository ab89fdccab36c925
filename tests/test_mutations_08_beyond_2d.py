"""Chapter 08's hidden checks against wrong answers written the way students write them.

Each exercise gets at least six plausible wrong variants (not only the catalogued mistakes);
every one must lose the exercise, and the check must name the likely mistake for those
marked ``named``. The tally at the end keeps the catalogue from silently shrinking.
"""

from __future__ import annotations

import math

import numpy as np
from mutants import by_name, caught_test, tally_test

# --- exercise 1: causal_conv1d ---------------------------------------------------------------


def _conv1d_loop(xp, weight, bias, d, length, flip=False, channels=None):
    """The student's usual double loop over the padded input, with switches for slips."""
    c_out, c_in, k = weight.shape
    y = np.zeros((xp.shape[0], c_out, length))
    w = weight[:, :, ::-1] if flip else weight
    for o in range(c_out):
        for t in range(length):
            window = xp[:, :channels, t:t + d * (k - 1) + 1:d]
            y[:, o, t] = (window * w[o, :channels]).sum(axis=(1, 2))
    return y if bias is None else y + bias[None, :, None]


def causal_centred(x, weight, bias, dilation):
    k = weight.shape[2]
    half = (k - 1) * dilation // 2
    xp = np.pad(x, ((0, 0), (0, 0), (half, (k - 1) * dilation - half)))
    return _conv1d_loop(xp, weight, bias, dilation, x.shape[2])


def causal_pad_k_minus_1(x, weight, bias, dilation):
    k = weight.shape[2]
    xp = np.pad(x, ((0, 0), (0, 0), (k - 1, 0)))
    return _conv1d_loop(xp, weight, bias, dilation, xp.shape[2] - dilation * (k - 1))


def causal_pad_right(x, weight, bias, dilation):
    k = weight.shape[2]
    xp = np.pad(x, ((0, 0), (0, 0), (0, (k - 1) * dilation)))
    return _conv1d_loop(xp, weight, bias, dilation, x.shape[2])


def causal_flipped(x, weight, bias, dilation):
    k = weight.shape[2]
    xp = np.pad(x, ((0, 0), (0, 0), ((k - 1) * dilation, 0)))
    return _conv1d_loop(xp, weight, bias, dilation, x.shape[2], flip=True)


def causal_no_bias(x, weight, bias, dilation):
    k = weight.shape[2]
    xp = np.pad(x, ((0, 0), (0, 0), ((k - 1) * dilation, 0)))
    return _conv1d_loop(xp, weight, None, dilation, x.shape[2])


def causal_valid(x, weight, bias, dilation):
    k = weight.shape[2]
    return _conv1d_loop(x, weight, bias, dilation, x.shape[2] - (k - 1) * dilation)


def causal_tap_a_looks_back_a_steps(x, weight, bias, dilation):
    # y[t] = sum_a w[a] x[t - a d]: w[0] on the present, i.e. the kernel reversed in time
    n, _, length = x.shape
    k = weight.shape[2]
    y = np.zeros((n, weight.shape[0], length))
    for t in range(length):
        for a in range(k):
            if t - a * dilation >= 0:
                y[:, :, t] += np.einsum("oc,nc->no", weight[:, :, a], x[:, :, t - a * dilation])
    return y + bias[None, :, None]


def causal_first_channel_only(x, weight, bias, dilation):
    k = weight.shape[2]
    xp = np.pad(x, ((0, 0), (0, 0), ((k - 1) * dilation, 0)))
    return _conv1d_loop(xp, weight, bias, dilation, x.shape[2], channels=1)


def causal_bias_per_input_channel(x, weight, bias, dilation):
    k = weight.shape[2]
    xp = np.pad(x, ((0, 0), (0, 0), ((k - 1) * dilation, 0)))
    return _conv1d_loop(xp, weight, bias * x.shape[1], dilation, x.shape[2])


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


# --- exercise 3: pool_output_size -------------------------------------------------------------


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


# --- exercise 4: max_pool2d --------------------------------------------------------------------


def _pool_loop(x, k, s, p, fill=-np.inf, reduce=np.max, size=None, pad_after_only=False):
    widths = (0, 2 * p) if pad_after_only else (p, p)
    xp = np.pad(x, ((0, 0), (0, 0), widths, widths), constant_values=fill)
    oh, ow = size or ((xp.shape[2] - k) // s + 1, (xp.shape[3] - k) // s + 1)
    y = np.zeros(x.shape[:2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            y[:, :, i, j] = reduce(xp[:, :, i * s:i * s + k, j * s:j * s + k], axis=(2, 3))
    return y


def pool_zero_padding(x, kernel_size, stride, padding):
    return _pool_loop(x, kernel_size, stride, padding, fill=0.0)


def pool_stride_is_kernel(x, kernel_size, stride, padding):
    return _pool_loop(x, kernel_size, kernel_size, padding)


def pool_no_padding(x, kernel_size, stride, padding):
    return _pool_loop(x, kernel_size, stride, 0)


def pool_mean(x, kernel_size, stride, padding):
    return _pool_loop(x, kernel_size, stride, padding, fill=0.0, reduce=np.mean)


def pool_stride_one(x, kernel_size, stride, padding):
    return _pool_loop(x, kernel_size, 1, padding)


def pool_ceil_size(x, kernel_size, stride, padding):
    k, s, p = kernel_size, stride, padding
    size = tuple(math.ceil((n + 2 * p - k) / s) + 1 for n in x.shape[2:])
    return _pool_loop(x, k, s, p, size=size)


def pool_padding_bottom_right(x, kernel_size, stride, padding):
    return _pool_loop(x, kernel_size, stride, padding, pad_after_only=True)


def pool_over_channels_too(x, kernel_size, stride, padding):
    y = _pool_loop(x, kernel_size, stride, padding)
    return np.broadcast_to(y.max(axis=1, keepdims=True), y.shape).copy()


# --- exercise 5: conv3d ----------------------------------------------------------------------


def _conv3d_loop(x, weight, bias, strides, flip=False, channels=None, size=None):
    c_out, _, *kernel = weight.shape
    w = weight[..., ::-1, ::-1, ::-1] if flip else weight
    out = size or tuple((n - k) // s + 1 for n, k, s in zip(x.shape[1:], kernel, strides))
    y = np.zeros((c_out, *out))
    (sd, sh, sw), (kd, kh, kw) = strides, kernel
    for t, i, j in np.ndindex(*out):
        window = x[:channels, t * sd:t * sd + kd, i * sh:i * sh + kh, j * sw:j * sw + kw]
        y[:, t, i, j] = (window[None] * w[:, :channels]).sum(axis=(1, 2, 3, 4))
    return y if bias is None else y + bias[:, None, None, None]


def conv3d_flipped(x, weight, bias, stride):
    return _conv3d_loop(x, weight, bias, (stride,) * 3, flip=True)


def conv3d_no_bias(x, weight, bias, stride):
    return _conv3d_loop(x, weight, None, (stride,) * 3)


def conv3d_depth_not_strided(x, weight, bias, stride):
    return _conv3d_loop(x, weight, bias, (1, stride, stride))


def conv3d_first_kernel_slice(x, weight, bias, stride):
    kd = weight.shape[2]
    return _conv3d_loop(x[:, :x.shape[1] - kd + 1], weight[:, :, :1], bias, (stride,) * 3)


def conv3d_first_channel_only(x, weight, bias, stride):
    return _conv3d_loop(x, weight, bias, (stride,) * 3, channels=1)


def conv3d_size_without_plus_one(x, weight, bias, stride):
    size = tuple((n - k) // stride for n, k in zip(x.shape[1:], weight.shape[2:]))
    return _conv3d_loop(x, weight, bias, (stride,) * 3, size=size)


def conv3d_flipped_in_space(x, weight, bias, stride):
    # scipy.signal.convolve2d per depth slice: flips height and width, not depth
    return _conv3d_loop(x, weight[..., ::-1, ::-1], bias, (stride,) * 3)


def conv3d_only_depth_strided(x, weight, bias, stride):
    return _conv3d_loop(x, weight, bias, (stride, 1, 1))


def conv3d_as_2d_per_frame(x, weight, bias, stride):
    # treats depth like a batch: only the kernel's middle slice, every frame kept
    mid = weight[:, :, weight.shape[2] // 2:weight.shape[2] // 2 + 1]
    return _conv3d_loop(x, mid, bias, (1, stride, stride))


# --- exercise 6: bottleneck_macs ---------------------------------------------------------------


def cost_stride_ignored(c_in, width, c_out, size, stride):
    return c_in * width * size**2 + 9 * width**2 * size**2 + width * c_out * size**2


def cost_stride_on_first(c_in, width, c_out, size, stride):
    o = (size - 1) // stride + 1
    return c_in * width * o**2 + 9 * width**2 * o**2 + width * c_out * o**2


def cost_three_taps(c_in, width, c_out, size, stride):
    o = (size - 1) // stride + 1
    return c_in * width * size**2 + 3 * width**2 * o**2 + width * c_out * o**2


def cost_last_on_input(c_in, width, c_out, size, stride):
    o = (size - 1) // stride + 1
    return c_in * width * size**2 + 9 * width**2 * o**2 + width * c_out * size**2


def cost_halved(c_in, width, c_out, size, stride):
    o = size // stride
    return c_in * width * size**2 + 9 * width**2 * o**2 + width * c_out * o**2


def cost_params(c_in, width, c_out, size, stride):
    return c_in * width + 9 * width * width + width * c_out


def cost_with_bias_adds(c_in, width, c_out, size, stride):
    o = (size - 1) // stride + 1
    return ((c_in + 1) * width * size**2 + (9 * width + 1) * width * o**2
            + (width + 1) * c_out * o**2)


def cost_unpadded_3x3(c_in, width, c_out, size, stride):
    o = (size - 3) // stride + 1
    return c_in * width * size**2 + 9 * width**2 * o**2 + width * c_out * o**2


MUTANTS = {
    "ch08.causal_conv1d": by_name(
        causal_centred, causal_pad_k_minus_1, causal_pad_right, causal_flipped, causal_no_bias,
        causal_valid, causal_tap_a_looks_back_a_steps, causal_first_channel_only,
        causal_bias_per_input_channel,
        unnamed=(causal_first_channel_only, causal_bias_per_input_channel)),
    "ch08.input_window": by_name(
        window_strides_ignored, window_jump_updated_first, window_backward_no_padding,
        window_backward_no_dilation, window_forward_order, window_padding_unscaled,
        window_one_past_the_end, window_index_unscaled,
        unnamed=(window_forward_order, window_one_past_the_end)),
    "ch08.pool_output_size": by_name(
        size_dilation_ignored, size_span_d_times_k, size_floor_only, size_math_ceil,
        size_stride_default_one, size_floor_plus_one, size_one_sided_padding,
        size_rule_with_both_paddings, size_rule_on_the_window_end, size_no_default_stride,
        unnamed=(size_rule_on_the_window_end, size_no_default_stride)),
    "ch08.max_pool2d": by_name(
        pool_zero_padding, pool_stride_is_kernel, pool_no_padding, pool_mean, pool_stride_one,
        pool_ceil_size, pool_padding_bottom_right, pool_over_channels_too,
        unnamed=(pool_ceil_size, pool_padding_bottom_right, pool_over_channels_too)),
    "ch08.conv3d": by_name(
        conv3d_flipped, conv3d_no_bias, conv3d_depth_not_strided, conv3d_first_kernel_slice,
        conv3d_first_channel_only, conv3d_size_without_plus_one, conv3d_only_depth_strided,
        conv3d_as_2d_per_frame, conv3d_flipped_in_space),
    "ch08.bottleneck_macs": by_name(
        cost_stride_ignored, cost_stride_on_first, cost_three_taps, cost_last_on_input,
        cost_halved, cost_params, cost_with_bias_adds, cost_unpadded_3x3,
        unnamed=(cost_with_bias_adds, cost_unpadded_3x3)),
}


# The sandboxed grader draws each student's cases from their own seed: no student may be lucky
# enough to get cases that a wrong variant passes, or that hide its diagnosis.
test_wrong_variant_loses_the_exercise = caught_test(MUTANTS, seeds=(None, 1, 2, 3))


test_tally = tally_test(MUTANTS, {
    "ch08.causal_conv1d": (9, 7), "ch08.input_window": (8, 6), "ch08.pool_output_size": (10, 8),
    "ch08.max_pool2d": (8, 5), "ch08.conv3d": (9, 9), "ch08.bottleneck_macs": (8, 6),
})
