"""Chapter 02's exercises: wrong answers written as students write them, each rejected by the
hidden check, most of them named. The tally per exercise is asserted exactly."""

from __future__ import annotations

import numpy as np
from mutants import by_name, caught_test, tally_test

# --- dilate_kernel(kernel, dilation) ------------------------------------------------------------


def _rates(dilation):
    return dilation if isinstance(dilation, tuple) else (dilation, dilation)


def dilate_d_zeros(kernel, dilation):
    dh, dw = _rates(dilation)
    kh, kw = kernel.shape
    out = np.zeros(((dh + 1) * (kh - 1) + 1, (dw + 1) * (kw - 1) + 1))
    out[::dh + 1, ::dw + 1] = kernel
    return out


def dilate_trailing_zeros(kernel, dilation):
    dh, dw = _rates(dilation)
    out = np.zeros((dh * kernel.shape[0], dw * kernel.shape[1]))
    out[::dh, ::dw] = kernel
    return out


def dilate_kron(kernel, dilation):
    dh, dw = _rates(dilation)
    corner = np.zeros((dh, dw))
    corner[0, 0] = 1
    return np.kron(kernel, corner)


def dilate_first_rate(kernel, dilation):
    d = dilation[0] if isinstance(dilation, tuple) else dilation
    out = np.zeros((d * (kernel.shape[0] - 1) + 1, d * (kernel.shape[1] - 1) + 1))
    out[::d, ::d] = kernel
    return out


def dilate_swapped(kernel, dilation):
    dw, dh = _rates(dilation)
    out = np.zeros((dh * (kernel.shape[0] - 1) + 1, dw * (kernel.shape[1] - 1) + 1))
    out[::dh, ::dw] = kernel
    return out


def dilate_largest_rate(kernel, dilation):
    d = max(_rates(dilation))
    out = np.zeros((d * (kernel.shape[0] - 1) + 1, d * (kernel.shape[1] - 1) + 1))
    out[::d, ::d] = kernel
    return out


# --- dilated_conv2d(x, weight, dilation, padding) -----------------------------------------------

def _dconv(x, weight, dilation, padding, step=1, tap=None, pad=None, channels=None, flip=False):
    """A student's loop, with one choice made wrongly when asked."""
    d = dilation if tap is None else tap
    c_out, c_in, kh, kw = weight.shape
    xp = np.pad(x, pad or ((0, 0), (padding, padding), (padding, padding)))
    w = weight[:, :, ::-1, ::-1] if flip else weight
    oh = (xp.shape[1] - d * (kh - 1) - 1) // step + 1
    ow = (xp.shape[2] - d * (kw - 1) - 1) // step + 1
    used = range(c_in) if channels is None else channels
    y = np.zeros((c_out, oh, ow))
    for o in range(c_out):
        for i in range(oh):
            for j in range(ow):
                for c in used:
                    taps = xp[c, i * step:i * step + d * (kh - 1) + 1:d,
                              j * step:j * step + d * (kw - 1) + 1:d]
                    y[o, i, j] += np.sum(taps * w[o, c])
    return y


def dconv_as_stride(x, weight, dilation, padding):
    return _dconv(x, weight, dilation, padding, step=dilation, tap=1)


def dconv_not_dilated(x, weight, dilation, padding):
    return _dconv(x, weight, dilation, padding, tap=1)


def dconv_undilated_size(x, weight, dilation, padding):
    c_out, c_in, kh, kw = weight.shape
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    oh, ow = xp.shape[1] - kh + 1, xp.shape[2] - kw + 1
    y = np.zeros((c_out, oh, ow))
    for o in range(c_out):
        for i in range(oh):
            for j in range(ow):
                for a in range(kh):
                    for b in range(kw):
                        r, q = i + a * dilation, j + b * dilation
                        if r < xp.shape[1] and q < xp.shape[2]:
                            y[o, i, j] += np.dot(xp[:, r, q], weight[o, :, a, b])
    return y


def dconv_no_padding(x, weight, dilation, padding):
    return _dconv(x, weight, dilation, 0)


def dconv_first_channel(x, weight, dilation, padding):
    return _dconv(x, weight, dilation, padding, channels=[0])


def dconv_flipped(x, weight, dilation, padding):
    return _dconv(x, weight, dilation, padding, flip=True)


def dconv_padding_one_side(x, weight, dilation, padding):
    return _dconv(x, weight, dilation, padding, pad=((0, 0), (padding, 0), (padding, 0)))


def dconv_first_filter(x, weight, dilation, padding):
    y = _dconv(x, weight[:1], dilation, padding)
    return np.repeat(y, weight.shape[0], axis=0)


# --- receptive_field(kernel_sizes, strides, dilations) -------------------------------------------

def field_no_strides(kernel_sizes, strides, dilations):
    return 1 + sum(d * (k - 1) for k, d in zip(kernel_sizes, dilations))


def field_own_stride(kernel_sizes, strides, dilations):
    field, spacing = 1, 1
    for k, s, d in zip(kernel_sizes, strides, dilations):
        spacing *= s
        field += d * (k - 1) * spacing
    return field


def field_strides_added(kernel_sizes, strides, dilations):
    field, spacing = 1, 1
    for k, s, d in zip(kernel_sizes, strides, dilations):
        field += d * (k - 1) * spacing
        spacing += s - 1
    return field


def field_spans_summed(kernel_sizes, strides, dilations):
    return sum(d * (k - 1) + 1 for k, d in zip(kernel_sizes, dilations))


def field_no_dilation(kernel_sizes, strides, dilations):
    field, spacing = 1, 1
    for k, s in zip(kernel_sizes, strides):
        field += (k - 1) * spacing
        spacing *= s
    return field


def field_spacing_times_dilation(kernel_sizes, strides, dilations):
    field, spacing = 1, 1
    for k, s, d in zip(kernel_sizes, strides, dilations):
        field += d * (k - 1) * spacing
        spacing *= s * d
    return field


def field_multiplied(kernel_sizes, strides, dilations):
    field = 1
    for k, s, d in zip(kernel_sizes, strides, dilations):
        field = field * s + d * (k - 1)
    return field


# --- largest_dense_rate(rates) --------------------------------------------------------------

def _offsets(rates):
    offsets = {0}
    for d in rates:
        offsets = {o + d * t for o in offsets for t in (-1, 0, 1)}
    return offsets


def _dense(offsets):
    return len(offsets) == max(offsets) - min(offsets) + 1


def rate_assume_dense(rates):
    return 2 * sum(rates) + 1


def rate_give_up(rates):
    return 2 * sum(rates) + 1 if _dense(_offsets(rates)) else 0


def rate_no_centre_tap(rates):
    for r in range(2 * sum(rates) + 1, 0, -1):
        offsets = {0}
        for d in [*rates, r]:
            offsets = {o + d * t for o in offsets for t in (-1, 1)}
        if _dense(offsets):
            return r
    return 0


def rate_smallest(rates):
    for r in range(1, 2 * sum(rates) + 2):
        if _dense(_offsets([*rates, r])):
            return r
    return 0


def rate_hdc_test(rates):
    for r in range(2 * sum(rates) + 1, 0, -1):
        stack = sorted([*rates, r])
        m = stack[-1]
        for rate in reversed(stack[1:-1]):
            m = max(m - 2 * rate, m - 2 * (m - rate), rate)
        if len(stack) == 1 or m <= 3:
            return r
    return 0


def rate_small_bound(rates):
    for r in range(sum(rates) + 1, 0, -1):
        if _dense(_offsets([*rates, r])):
            return r
    return 0


def rate_old_stack_only(rates):
    for r in range(2 * sum(rates) + 1, 0, -1):
        if _dense(_offsets(rates)) and r <= 2 * sum(rates) + 1:
            return r
    return 0


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
    "ch02.dilate_kernel": by_name(dilate_d_zeros, dilate_trailing_zeros, dilate_kron,
                                  dilate_first_rate, dilate_swapped, dilate_largest_rate,
                                  unnamed=(dilate_largest_rate,)),
    "ch02.dilated_conv2d": by_name(dconv_as_stride, dconv_not_dilated, dconv_undilated_size,
                                   dconv_no_padding, dconv_first_channel, dconv_flipped,
                                   dconv_padding_one_side, dconv_first_filter,
                                   unnamed=(dconv_first_filter,)),
    "ch02.receptive_field": by_name(field_no_strides, field_own_stride, field_strides_added,
                                    field_spans_summed, field_no_dilation,
                                    field_spacing_times_dilation, field_multiplied,
                                    unnamed=(field_multiplied,)),
    "ch02.largest_dense_rate": by_name(rate_assume_dense, rate_give_up, rate_no_centre_tap,
                                       rate_smallest, rate_hdc_test, rate_small_bound,
                                       rate_old_stack_only,
                                       unnamed=(rate_no_centre_tap, rate_hdc_test)),
    "ch02.equivalent_kernel": by_name(kernel_undilated, kernel_flipped, kernel_summed,
                                      kernel_last_dilation, kernel_dilate_after,
                                      kernel_elementwise,
                                      unnamed=(kernel_elementwise,)),
}


test_wrong_answer_loses_the_exercise = caught_test(MUTANTS)


test_tally = tally_test(MUTANTS, {
    "ch02.dilate_kernel": (6, 5), "ch02.dilated_conv2d": (8, 7), "ch02.receptive_field": (7, 6),
    "ch02.largest_dense_rate": (7, 5), "ch02.equivalent_kernel": (6, 5),
})
