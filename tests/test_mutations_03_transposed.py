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


# --- subpixel_as_transposed(weight, upscale_factor) ---------------------------------------

def _subpixel(weight, r, row=lambda r, k, a, i: r * (k - 1 - a) + i,
              source=lambda c, i, j, r, n: c * r * r + i * r + j, layout_in_first=True):
    c_r2, c_in, k, _ = weight.shape
    c = c_r2 // (r * r)
    t = np.zeros((c_in, c, k * r, k * r))
    for ch in range(c):
        for i in range(r):
            for j in range(r):
                for a in range(k):
                    for b in range(k):
                        t[:, ch, row(r, k, a, i), row(r, k, b, j)] = \
                            weight[source(ch, i, j, r, c), :, a, b]
    return t if layout_in_first else t.transpose(1, 0, 2, 3)


def sub_not_reversed(weight, upscale_factor):
    return _subpixel(weight, upscale_factor, row=lambda r, k, a, i: r * a + i)


def sub_depth_to_space(weight, upscale_factor):
    return _subpixel(weight, upscale_factor, source=lambda c, i, j, r, n: (i * r + j) * n + c)


def sub_phases_swapped(weight, upscale_factor):
    return _subpixel(weight, upscale_factor, source=lambda c, i, j, r, n: c * r * r + j * r + i)


def sub_conv_layout(weight, upscale_factor):
    """The weight in conv2d's (C_out, C_in, kH, kW) layout, not the transposed one."""
    return _subpixel(weight, upscale_factor, layout_in_first=False)


def sub_phase_reversed_too(weight, upscale_factor):
    """The whole stamp rotated: the phase i reversed along with the tap."""
    return _subpixel(weight, upscale_factor, row=lambda r, k, a, i: r * (k - 1 - a) + r - 1 - i)


def sub_tiled(weight, upscale_factor):
    """Each sub-kernel stretched over an r x r block (np.kron), not interleaved."""
    r = upscale_factor
    c_r2, c_in, k, _ = weight.shape
    t = np.zeros((c_in, c_r2 // (r * r), k * r, k * r))
    for q in range(c_r2):
        ch, phase = divmod(q, r * r)
        t[:, ch] += np.kron(weight[q, :, ::-1, ::-1], np.ones((r, r))) / (r * r)
    return t


MUTANTS = {
    "ch03.transposed_padding": by_name(pad_op_subtracted, pad_negative, pad_no_output_padding,
                                       pad_n_strides, pad_kernel_minus_one,
                                       pad_convolution_formula, pad_search_below_kernel,
                                       pad_same_habit,
                                       unnamed=(pad_search_below_kernel, pad_same_habit)),
    "ch03.bilinear_kernel": by_name(bilinear_centre_f_minus_1, bilinear_normalised,
                                    bilinear_size_2f, bilinear_one_axis, bilinear_centre_int,
                                    bilinear_wide_tent, bilinear_linspace,
                                    unnamed=(bilinear_wide_tent, bilinear_linspace)),
    "ch03.constant_response": by_name(phases_no_padding, phases_wrong_shift, phases_counted,
                                      phases_transposed, phases_first_block, phases_one_axis,
                                      phases_border_value,
                                      unnamed=(phases_first_block, phases_one_axis,
                                               phases_border_value)),
    "ch03.subpixel_as_transposed": by_name(sub_not_reversed, sub_depth_to_space,
                                           sub_phases_swapped, sub_conv_layout,
                                           sub_phase_reversed_too, sub_tiled,
                                           unnamed=(sub_phase_reversed_too, sub_tiled)),
}


test_wrong_answer_loses_the_exercise = caught_test(MUTANTS)


test_tally = tally_test(MUTANTS, {
    "ch03.transposed_padding": (8, 6), "ch03.bilinear_kernel": (7, 5),
    "ch03.constant_response": (7, 4), "ch03.subpixel_as_transposed": (6, 4),
})
