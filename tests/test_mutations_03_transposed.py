"""Chapter 03's exercises: wrong answers written as students write them, each rejected by the
hidden check, most of them named. The tally per exercise is asserted exactly."""

from __future__ import annotations

import numpy as np
from mutants import by_name, caught_test, tally_test

# --- transposed_padding(n_in, n_out, kernel_size, stride) --------------------------------------


def _solve(excess):
    padding = max(0, (excess + 1) // 2)
    return padding, 2 * padding - excess


def pad_op_subtracted(n_in, n_out, kernel_size, stride):
    excess = (n_in - 1) * stride + kernel_size - n_out
    padding = max(0, excess // 2)
    return padding, excess - 2 * padding


def pad_negative(n_in, n_out, kernel_size, stride):
    excess = (n_in - 1) * stride + kernel_size - n_out
    padding = (excess + 1) // 2
    return padding, 2 * padding - excess


def pad_no_output_padding(n_in, n_out, kernel_size, stride):
    return max(0, ((n_in - 1) * stride + kernel_size - n_out) // 2), 0


def pad_n_strides(n_in, n_out, kernel_size, stride):
    return _solve(n_in * stride + kernel_size - n_out)


def pad_kernel_minus_one(n_in, n_out, kernel_size, stride):
    return _solve((n_in - 1) * stride + kernel_size - 1 - n_out)


def pad_convolution_formula(n_in, n_out, kernel_size, stride):
    return _solve((n_out - 1) * stride + kernel_size - n_in)


def pad_search_below_kernel(n_in, n_out, kernel_size, stride):
    for padding in range(kernel_size):
        for output_padding in range(stride):
            if (n_in - 1) * stride - 2 * padding + kernel_size + output_padding == n_out:
                return padding, output_padding
    return None


def pad_same_habit(n_in, n_out, kernel_size, stride):
    padding = (kernel_size - 1) // 2
    return padding, n_out - ((n_in - 1) * stride - 2 * padding + kernel_size)


# --- conv_transpose2d(x, weight, stride, padding, output_padding, dilation), batched -----------

def _tconv(x, weight, stride, padding, output_padding, dilation, layout="io", rotate=False,
           crop=True, extra=True, step=None, images=None):
    """A student's scatter loop, with one choice made wrongly when asked."""
    w = weight if layout == "io" else weight.transpose(1, 0, 2, 3)
    w = w[:, :, ::-1, ::-1] if rotate else w
    c_in, c_out, kh, kw = w.shape
    d = dilation if step is None else step
    xs = x if images is None else x[images]
    n, _, h, wd = xs.shape
    op = output_padding if extra else 0
    span_h, span_w = d * (kh - 1) + 1, d * (kw - 1) + 1
    full = np.zeros((n, c_out, (h - 1) * stride + span_h + op, (wd - 1) * stride + span_w + op))
    for i in range(h):
        for j in range(wd):
            stamp = np.tensordot(xs[:, :, i, j], w, axes=(1, 0))
            full[:, :, i * stride:i * stride + span_h:d, j * stride:j * stride + span_w:d] += stamp
    p = padding if crop else 0
    return full[:, :, p:full.shape[2] - p, p:full.shape[3] - p]


def tconv_conv_layout(x, weight, stride=1, padding=0, output_padding=0, dilation=1):
    return _tconv(x, weight, stride, padding, output_padding, dilation, layout="oi")


def tconv_rotated(x, weight, stride=1, padding=0, output_padding=0, dilation=1):
    return _tconv(x, weight, stride, padding, output_padding, dilation, rotate=True)


def tconv_not_cropped(x, weight, stride=1, padding=0, output_padding=0, dilation=1):
    return _tconv(x, weight, stride, padding, output_padding, dilation, crop=False)


def tconv_no_output_padding(x, weight, stride=1, padding=0, output_padding=0, dilation=1):
    return _tconv(x, weight, stride, padding, output_padding, dilation, extra=False)


def tconv_zero_output_padding(x, weight, stride=1, padding=0, output_padding=0, dilation=1):
    y = _tconv(x, weight, stride, padding, output_padding, dilation, extra=False)
    return np.pad(y, ((0, 0), (0, 0), (0, output_padding), (0, output_padding)))


def tconv_no_dilation(x, weight, stride=1, padding=0, output_padding=0, dilation=1):
    return _tconv(x, weight, stride, padding, output_padding, 1)


def tconv_first_image(x, weight, stride=1, padding=0, output_padding=0, dilation=1):
    return _tconv(x, weight, stride, padding, output_padding, dilation, images=[0])


def tconv_dilation_plus_one(x, weight, stride=1, padding=0, output_padding=0, dilation=1):
    return _tconv(x, weight, stride, padding, output_padding, dilation, step=dilation + 1)


def tconv_crop_then_pad(x, weight, stride=1, padding=0, output_padding=0, dilation=1):
    y = _tconv(x, weight, stride, padding, 0, dilation)
    return np.concatenate([y, y[:, :, -output_padding:]], axis=2)[..., :y.shape[3] + 0] \
        if output_padding else y


# --- zero_insertion(x, stride, kernel_size, padding, output_padding, dilation) ------------------

def _spread(x, gap):
    out = np.zeros(((x.shape[0] - 1) * (gap + 1) + 1, (x.shape[1] - 1) * (gap + 1) + 1))
    out[::gap + 1, ::gap + 1] = x
    return out


def zeros_s_gap(x, stride, kernel_size, padding, output_padding=0, dilation=1):
    q = dilation * (kernel_size - 1) - padding
    return np.pad(_spread(x, stride), ((q, q + output_padding),) * 2)


def zeros_undilated_pad(x, stride, kernel_size, padding, output_padding=0, dilation=1):
    q = max(kernel_size - 1 - padding, 0)
    return np.pad(_spread(x, stride - 1), ((q, q + output_padding),) * 2)


def zeros_no_padding(x, stride, kernel_size, padding, output_padding=0, dilation=1):
    q = dilation * (kernel_size - 1)
    return np.pad(_spread(x, stride - 1), ((q, q + output_padding),) * 2)


def zeros_no_output_padding(x, stride, kernel_size, padding, output_padding=0, dilation=1):
    return np.pad(_spread(x, stride - 1), dilation * (kernel_size - 1) - padding)


def zeros_output_padding_both_sides(x, stride, kernel_size, padding, output_padding=0,
                                    dilation=1):
    q = dilation * (kernel_size - 1) - padding + output_padding
    return np.pad(_spread(x, stride - 1), q)


def zeros_padding_around(x, stride, kernel_size, padding, output_padding=0, dilation=1):
    return np.pad(_spread(x, stride - 1), ((padding, padding + output_padding),) * 2)


def zeros_output_padding_first(x, stride, kernel_size, padding, output_padding=0, dilation=1):
    q = dilation * (kernel_size - 1) - padding
    return np.pad(_spread(x, stride - 1), ((q + output_padding, q),) * 2)


def zeros_dilation_as_stride(x, stride, kernel_size, padding, output_padding=0, dilation=1):
    q = kernel_size - 1 - padding if kernel_size - 1 >= padding else 0
    return np.pad(_spread(x, stride * dilation - 1), ((q, q + output_padding),) * 2)


# --- bilinear_kernel(factor) --------------------------------------------------------------

def _outer(tent):
    return np.outer(tent, tent)


def bilinear_centre_f_minus_1(factor):
    k = 2 * factor - factor % 2
    return _outer(1 - np.abs(np.arange(k) - (factor - 1)) / factor)


def bilinear_normalised(factor):
    k = 2 * factor - factor % 2
    kernel = _outer(1 - np.abs(np.arange(k) - (k - 1) / 2) / factor)
    return kernel / kernel.sum()


def bilinear_size_2f(factor):
    return _outer(1 - np.abs(np.arange(2 * factor) - (2 * factor - 1) / 2) / factor)


def bilinear_one_axis(factor):
    k = 2 * factor - factor % 2
    return 1 - np.abs(np.arange(k) - (k - 1) / 2) / factor


def bilinear_centre_int(factor):
    k = 2 * factor - factor % 2
    return _outer(1 - np.abs(np.arange(k) - k // 2) / factor)


def bilinear_wide_tent(factor):
    k = 2 * factor - factor % 2
    return _outer(1 - np.abs(np.arange(k) - (k - 1) / 2) / (factor + 1))


def bilinear_linspace(factor):
    k = 2 * factor - factor % 2
    half = np.linspace(1 / factor, 1, (k + 1) // 2)
    tent = np.concatenate([half, half[::-1][k % 2:]])
    return _outer(tent)


# --- constant_response(kernel, stride, padding) ---------------------------------------------

def _phases(kernel, stride, shift, weights=True):
    out = np.zeros((stride, stride))
    for a in range(kernel.shape[0]):
        for b in range(kernel.shape[1]):
            out[(a + shift) % stride, (b + shift) % stride] += kernel[a, b] if weights else 1
    return out


def phases_no_padding(kernel, stride, padding):
    return _phases(kernel, stride, 0)


def phases_wrong_shift(kernel, stride, padding):
    return _phases(kernel, stride, padding)


def phases_counted(kernel, stride, padding):
    return _phases(kernel, stride, -padding, weights=False)


def phases_transposed(kernel, stride, padding):
    return _phases(kernel, stride, -padding).T


def phases_first_block(kernel, stride, padding):
    block = np.zeros((stride, stride))
    part = kernel[:stride, :stride]
    block[:part.shape[0], :part.shape[1]] = part
    return np.roll(block, (-padding, -padding), axis=(0, 1))


def phases_one_axis(kernel, stride, padding):
    rows = np.array([kernel[(q + padding) % stride::stride].sum() for q in range(stride)])
    return np.outer(rows, np.ones(stride)) / stride


def phases_border_value(kernel, stride, padding):
    n = 4
    y = np.zeros(((n - 1) * stride + kernel.shape[0], (n - 1) * stride + kernel.shape[1]))
    for i in range(n):
        for j in range(n):
            y[i * stride:i * stride + kernel.shape[0], j * stride:j * stride + kernel.shape[1]] \
                += kernel
    y = y[padding:, padding:]
    return np.pad(y, ((0, stride), (0, stride)))[:stride, :stride]


MUTANTS = {
    "ch03.transposed_padding": by_name(pad_op_subtracted, pad_negative, pad_no_output_padding,
                                       pad_n_strides, pad_kernel_minus_one,
                                       pad_convolution_formula, pad_search_below_kernel,
                                       pad_same_habit,
                                       unnamed=(pad_search_below_kernel, pad_same_habit)),
    "ch03.conv_transpose2d": by_name(tconv_conv_layout, tconv_rotated, tconv_not_cropped,
                                     tconv_no_output_padding, tconv_zero_output_padding,
                                     tconv_no_dilation, tconv_first_image,
                                     tconv_dilation_plus_one, tconv_crop_then_pad,
                                     unnamed=(tconv_dilation_plus_one, tconv_crop_then_pad)),
    "ch03.zero_insertion": by_name(zeros_s_gap, zeros_undilated_pad, zeros_no_padding,
                                   zeros_no_output_padding, zeros_output_padding_both_sides,
                                   zeros_padding_around, zeros_output_padding_first,
                                   zeros_dilation_as_stride,
                                   unnamed=(zeros_dilation_as_stride,)),
    "ch03.bilinear_kernel": by_name(bilinear_centre_f_minus_1, bilinear_normalised,
                                    bilinear_size_2f, bilinear_one_axis, bilinear_centre_int,
                                    bilinear_wide_tent, bilinear_linspace,
                                    unnamed=(bilinear_wide_tent, bilinear_linspace)),
    "ch03.constant_response": by_name(phases_no_padding, phases_wrong_shift, phases_counted,
                                      phases_transposed, phases_first_block, phases_one_axis,
                                      phases_border_value,
                                      unnamed=(phases_first_block, phases_one_axis,
                                               phases_border_value)),
}


test_wrong_answer_loses_the_exercise = caught_test(MUTANTS)


test_tally = tally_test(MUTANTS, {
    "ch03.transposed_padding": (8, 6), "ch03.conv_transpose2d": (9, 7),
    "ch03.zero_insertion": (8, 7), "ch03.bilinear_kernel": (7, 5),
    "ch03.constant_response": (7, 4),
})
