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


# --- conv2d(x, weight, bias, stride, padding), batched ------------------------------------------

def _conv(x, weight, bias, stride, padding, pad=None, flip=False, slide=None, batch=None):
    """A student's loop, with one choice made wrongly when asked."""
    c_out, c_in, kh, kw = weight.shape
    xp = np.pad(x, pad or ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    w = weight[:, :, ::-1, ::-1] if flip else weight
    oh, ow = (xp.shape[2] - kh) // stride + 1, (xp.shape[3] - kw) // stride + 1
    step = stride if slide is None else slide
    images = range(x.shape[0]) if batch is None else batch
    y = np.zeros((len(images), c_out, oh, ow))
    for n_out, n in enumerate(images):
        for i in range(oh):
            for j in range(ow):
                window = xp[n, :, i * step:i * step + kh, j * step:j * step + kw]
                y[n_out, :, i, j] = np.tensordot(w, window, axes=3) + bias
    return y


def conv_pad_one_side(x, weight, bias, stride=1, padding=0):
    return _conv(x, weight, bias, stride, padding,
                 pad=((0, 0), (0, 0), (padding, 0), (padding, 0)))


def conv_flipped(x, weight, bias, stride=1, padding=0):
    return _conv(x, weight, bias, stride, padding, flip=True)


def conv_no_bias(x, weight, bias, stride=1, padding=0):
    return _conv(x, weight, 0 * bias, stride, padding)


def conv_windows_not_strided(x, weight, bias, stride=1, padding=0):
    return _conv(x, weight, bias, stride, padding, slide=1)


def conv_first_image(x, weight, bias, stride=1, padding=0):
    return _conv(x, weight, bias, stride, padding, batch=[0])


def conv_batch_summed(x, weight, bias, stride=1, padding=0):
    c_out, c_in, kh, kw = weight.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    oh, ow = (xp.shape[2] - kh) // stride + 1, (xp.shape[3] - kw) // stride + 1
    y = np.zeros((c_out, oh, ow))
    for o in range(c_out):
        for i in range(oh):
            for j in range(ow):
                window = xp[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
                y[o, i, j] = np.sum(window * weight[o]) + bias[o]
    return y


def conv_square_kernel(x, weight, bias, stride=1, padding=0):
    k = weight.shape[2]
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    o_h, o_w = (xp.shape[2] - k) // stride + 1, (xp.shape[3] - k) // stride + 1
    y = np.zeros((x.shape[0], weight.shape[0], o_h, o_w))
    for i in range(o_h):
        for j in range(o_w):
            window = xp[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
            y[:, :, i, j] = np.tensordot(window, weight, axes=([1, 2, 3], [1, 2, 3])) + bias
    return y


# --- conv_layer_cost(c_in, c_out, kernel_size, n, stride, padding, bias) -----------------------

def _cost(c_in, c_out, k, o, bias, extra_macs=0):
    weights = c_out * c_in * k * k
    return weights + (c_out if bias else 0), weights * o * o + extra_macs


def cost_ceil(c_in, c_out, kernel_size, n, stride=1, padding=0, bias=True):
    o = math.ceil((n + 2 * padding - kernel_size) / stride) + 1
    return _cost(c_in, c_out, kernel_size, o, bias)


def cost_no_stride(c_in, c_out, kernel_size, n, stride=1, padding=0, bias=True):
    return _cost(c_in, c_out, kernel_size, n + 2 * padding - kernel_size + 1, bias)


def cost_input_size(c_in, c_out, kernel_size, n, stride=1, padding=0, bias=True):
    return _cost(c_in, c_out, kernel_size, n, bias)


def cost_no_padding(c_in, c_out, kernel_size, n, stride=1, padding=0, bias=True):
    return _cost(c_in, c_out, kernel_size, (n - kernel_size) // stride + 1, bias)


def cost_always_bias(c_in, c_out, kernel_size, n, stride=1, padding=0, bias=True):
    return _cost(c_in, c_out, kernel_size, (n + 2 * padding - kernel_size) // stride + 1, True)


def cost_bias_macs(c_in, c_out, kernel_size, n, stride=1, padding=0, bias=True):
    o = (n + 2 * padding - kernel_size) // stride + 1
    return _cost(c_in, c_out, kernel_size, o, bias, extra_macs=c_out * o * o if bias else 0)


def cost_padding_once(c_in, c_out, kernel_size, n, stride=1, padding=0, bias=True):
    return _cost(c_in, c_out, kernel_size, (n + padding - kernel_size) // stride + 1, bias)


def cost_true_division(c_in, c_out, kernel_size, n, stride=1, padding=0, bias=True):
    return _cost(c_in, c_out, kernel_size, (n + 2 * padding - kernel_size) / stride + 1, bias)


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


# --- im2col(x, kh, kw, stride, padding) ------------------------------------------------------

def _cols(x, kh, kw, stride, padding, order="crow", step=None, pad=True):
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding))) if pad else x
    s = stride if step is None else step
    oh, ow = (xp.shape[1] - kh) // s + 1, (xp.shape[2] - kw) // s + 1
    windows = [[xp[:, i * s:i * s + kh, j * s:j * s + kw] for j in range(ow)] for i in range(oh)]
    if order == "tap":
        flat = [w.transpose(1, 2, 0).ravel() for row in windows for w in row]
    elif order == "colmajor":
        flat = [windows[i][j].ravel() for j in range(ow) for i in range(oh)]
    else:
        flat = [w.ravel() for row in windows for w in row]
    return np.stack(flat, axis=1)


def cols_transposed(x, kh, kw, stride=1, padding=0):
    return _cols(x, kh, kw, stride, padding).T


def cols_tap_major(x, kh, kw, stride=1, padding=0):
    return _cols(x, kh, kw, stride, padding, order="tap")


def cols_column_major(x, kh, kw, stride=1, padding=0):
    return _cols(x, kh, kw, stride, padding, order="colmajor")


def cols_no_stride(x, kh, kw, stride=1, padding=0):
    return _cols(x, kh, kw, stride, padding, step=1)


def cols_no_padding(x, kh, kw, stride=1, padding=0):
    return _cols(x, kh, kw, stride, padding, pad=False)


def cols_first_channel(x, kh, kw, stride=1, padding=0):
    return _cols(x[:1], kh, kw, stride, padding)


def cols_unpadded_size(x, kh, kw, stride=1, padding=0):
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    oh, ow = (x.shape[1] - kh) // stride + 1, (x.shape[2] - kw) // stride + 1
    cols = np.empty((x.shape[0] * kh * kw, oh * ow))
    for i in range(oh):
        for j in range(ow):
            cols[:, i * ow + j] = xp[:, i * stride:i * stride + kh,
                                     j * stride:j * stride + kw].ravel()
    return cols


MUTANTS = {
    "ch01.input_sizes": by_name(sizes_only_smallest, sizes_one_too_many, sizes_padding_added,
                                sizes_o_strides, sizes_padding_once, sizes_no_kernel,
                                sizes_search_with_ceil, sizes_swapped,
                                unnamed=(sizes_search_with_ceil,)),
    "ch01.conv2d": by_name(conv_pad_one_side, conv_flipped, conv_no_bias,
                           conv_windows_not_strided, conv_first_image, conv_batch_summed,
                           conv_square_kernel,
                           unnamed=(conv_square_kernel,)),
    "ch01.conv_layer_cost": by_name(cost_ceil, cost_no_stride, cost_input_size, cost_no_padding,
                                    cost_always_bias, cost_bias_macs, cost_padding_once,
                                    cost_true_division,
                                    unnamed=(cost_padding_once, cost_true_division)),
    "ch01.window_counts": by_name(counts_padded, counts_not_shifted, counts_no_stride,
                                  counts_past_end, counts_starts, counts_closed_form,
                                  unnamed=(counts_starts, counts_closed_form)),
    "ch01.im2col": by_name(cols_transposed, cols_tap_major, cols_column_major, cols_no_stride,
                           cols_no_padding, cols_first_channel, cols_unpadded_size,
                           unnamed=(cols_first_channel, cols_unpadded_size)),
}


test_wrong_answer_loses_the_exercise = caught_test(MUTANTS)


test_tally = tally_test(MUTANTS, {
    "ch01.input_sizes": (8, 7), "ch01.conv2d": (7, 6), "ch01.conv_layer_cost": (8, 6),
    "ch01.window_counts": (6, 4), "ch01.im2col": (7, 5),
})
