"""Hidden checks of chapter 03 (transposed): output size, output_padding, zero insertion,
conv_transpose2d with PyTorch's weight layout, the convolution matrix."""

from __future__ import annotations

import numpy as np

import solutions

from .core import Check, Mistake


def _size_cases(rng):
    """(n, k, s, p, output_padding) with output_padding < s and a non-empty output."""
    out = []
    while len(out) < 60:
        n, k, s, p = (int(rng.integers(1, 21)), int(rng.integers(1, 8)),
                      int(rng.integers(1, 5)), int(rng.integers(0, 4)))
        op = int(rng.integers(0, s))
        if (n - 1) * s - 2 * p + k + op >= 1:
            out.append((n, k, s, p, op))
    return out


def _padding_cases(rng):
    """(n, k, s, p) with the kernel inside the padded input."""
    out = []
    while len(out) < 60:
        n, k, s, p = (int(rng.integers(4, 41)), int(rng.integers(1, 8)),
                      int(rng.integers(1, 5)), int(rng.integers(0, 4)))
        if k <= n:
            out.append((n, k, s, p))
    return out


def _output_padding(n, k, s, p):
    o = solutions.conv_output_size(n, k, s, p)
    return n - solutions.conv_transpose_output_size(o, k, s, p)


def _zero_insertion(x, s, k, p):
    return np.pad(solutions.insert_zeros(x, s - 1), k - 1 - p)


def _zero_cases(rng):
    cases = []
    for _ in range(30):
        k = int(rng.integers(1, 5))
        cases.append((rng.standard_normal((int(rng.integers(1, 5)), int(rng.integers(1, 5)))),
                      int(rng.integers(1, 4)), k, int(rng.integers(0, k))))
    return cases


def _conv_transpose2d(x, w, s, p, op):
    return solutions.conv_transpose2d(x, w, stride=s, padding=p, output_padding=op)


def _layer_cases(rng):
    """Random layers; a third have C_in == C_out >= 2, where a swapped layout still runs."""
    cases = []
    while len(cases) < 30:
        if len(cases) % 3 == 0:
            c_in = c_out = int(rng.integers(2, 4))
        else:
            c_in, c_out = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        k, s = int(rng.integers(1, 5)), int(rng.integers(1, 4))
        p, op = int(rng.integers(0, k)), int(rng.integers(0, s))
        h, w = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        if min((n - 1) * s - 2 * p + k + op for n in (h, w)) < 1:
            continue
        cases.append((rng.standard_normal((c_in, h, w)), rng.standard_normal((c_in, c_out, k, k)),
                      s, p, op))
    return cases


def _swapped_layout(x, w, s, p, op):
    if w.shape[0] != w.shape[1]:
        raise ValueError("a (C_out, C_in, k, k) reading only runs when C_in == C_out")
    return _conv_transpose2d(x, w.transpose(1, 0, 2, 3).copy(), s, p, op)


def _zeros_for_output_padding(x, w, s, p, op):
    return np.pad(_conv_transpose2d(x, w, s, p, 0), ((0, 0), (0, op), (0, op)))


def _conv_matrix(h, w, kernel, stride):
    return solutions.conv_matrix((1, h, w), kernel[None, None], stride=stride)


def _matrix_cases(rng):
    cases = []
    for _ in range(30):
        kernel = rng.standard_normal((int(rng.integers(1, 4)), int(rng.integers(1, 4))))
        h, w = (int(rng.integers(kernel.shape[0] + 1, 8)),
                int(rng.integers(kernel.shape[1] + 1, 8)))
        cases.append((h, w, kernel, int(rng.integers(1, 4))))
    return cases


def _column_major(h, w, kernel, stride):
    matrix = _conv_matrix(h, w, kernel, stride)
    return matrix.reshape(-1, h, w).transpose(0, 2, 1).reshape(matrix.shape[0], h * w)


CHECKS = [
    Check(
        id="ch03.transposed_output_size", function="transposed_output_size",
        cases=_size_cases, reference=solutions.conv_transpose_output_size,
        mistakes=[
            Mistake("output_padding ignored", lambda n, k, s, p, op: (n - 1) * s - 2 * p + k,
                    "output_padding adds that many cells at the end: "
                    "(n - 1)s - 2p + k + output_padding."),
            Mistake("one stride too many", lambda n, k, s, p, op: n * s - 2 * p + k + op,
                    "the last stamp starts at (n - 1)s, not ns, and is k cells long."),
            Mistake("padding added instead of cropped",
                    lambda n, k, s, p, op: (n - 1) * s + 2 * p + k + op,
                    "in a transposed convolution padding p *removes* p cells from each side."),
            Mistake("padding cropped on one side only",
                    lambda n, k, s, p, op: (n - 1) * s - p + k + op,
                    "padding p crops p cells from *both* ends: subtract 2p."),
            Mistake("the convolution's formula",
                    lambda n, k, s, p, op: (n + 2 * p - k) // s + 1,
                    "that is the size of a convolution, which shrinks; the transposed one "
                    "grows: (n - 1)s - 2p + k + output_padding."),
        ]),
    Check(
        id="ch03.output_padding_for", function="output_padding_for",
        cases=_padding_cases, reference=_output_padding,
        mistakes=[
            Mistake("always stride - 1", lambda n, k, s, p: s - 1,
                    "s - 1 is right only for some sizes (e.g. even n with k=3, s=2, p=1); "
                    "in general it is the remainder the convolution's floor dropped: "
                    "(n + 2p - k) mod s."),
            Mistake("always zero", lambda n, k, s, p: 0,
                    "the convolution rounded (n + 2p - k)/s down; output_padding gives back "
                    "the remainder (n + 2p - k) mod s."),
            Mistake("padding left out", lambda n, k, s, p: (n - k) % s,
                    "the convolution divided n + 2p - k by s: include the padding."),
            Mistake("difference taken the wrong way round",
                    lambda n, k, s, p: -_output_padding(n, k, s, p),
                    "output_padding = n minus what the transposed convolution gives without "
                    "it; it is never negative."),
        ]),
    Check(
        id="ch03.zero_insertion", function="zero_insertion", cases=_zero_cases,
        reference=_zero_insertion,
        mistakes=[
            Mistake("s zeros instead of s - 1",
                    lambda x, s, k, p: np.pad(solutions.insert_zeros(x, s), k - 1 - p),
                    "stride s puts input values s cells apart: s - 1 zeros between them."),
            Mistake("zeros after the last value too",
                    lambda x, s, k, p: np.pad(solutions.insert_zeros(x, s - 1),
                                              ((k - 1 - p, k - 1 - p + s - 1),) * 2),
                    "zeros go only *between* neighbouring values: (n - 1)s + 1 cells per axis "
                    "before the padding."),
            Mistake("padding ignored",
                    lambda x, s, k, p: np.pad(solutions.insert_zeros(x, s - 1), k - 1),
                    "padding p crops the result, so pad only k - 1 - p zeros around."),
            Mistake("p zeros around instead of k - 1 - p",
                    lambda x, s, k, p: np.pad(solutions.insert_zeros(x, s - 1), p),
                    "a transposed convolution's padding crops: the spread input gets "
                    "k - 1 - p zeros on each side (k - 1 for the full result, minus p)."),
        ]),
    Check(
        id="ch03.conv_transpose2d", function="conv_transpose2d", cases=_layer_cases,
        reference=_conv_transpose2d,
        mistakes=[
            Mistake("weight read in the Conv2d layout", _swapped_layout,
                    "a transposed convolution's weight is (C_in, C_out, k, k): input channel c "
                    "stamps weight[c, o] into output channel o."),
            Mistake("kernel rotated",
                    lambda x, w, s, p, op: _conv_transpose2d(x, w[:, :, ::-1, ::-1].copy(), s,
                                                             p, op),
                    "stamp the kernel as it is; only the zero-insertion view, which slides a "
                    "window, rotates it by 180°."),
            Mistake("padding not cropped",
                    lambda x, w, s, p, op: _conv_transpose2d(x, w, s, 0, op),
                    "padding p removes p rows/columns from each side of the scattered result."),
            Mistake("output_padding ignored",
                    lambda x, w, s, p, op: _conv_transpose2d(x, w, s, p, 0),
                    "output_padding adds that many rows and columns at the bottom and right."),
            Mistake("output_padding filled with zeros", _zeros_for_output_padding,
                    "the extra output_padding rows/columns are cut from the uncropped result "
                    "(where padding > 0 they hold stamped values), not appended zeros: make "
                    "the buffer (n - 1)s + k + output_padding long and crop from padding on."),
        ]),
    Check(
        id="ch03.conv_matrix", function="conv_matrix", cases=_matrix_cases,
        reference=_conv_matrix,
        mistakes=[
            Mistake("transposed", lambda h, w, k, s: _conv_matrix(h, w, k, s).T,
                    "C has one *row* per output value and one column per input pixel: "
                    "(o_h*o_w, h*w). Its transpose is the transposed convolution."),
            Mistake("kernel flipped",
                    lambda h, w, k, s: _conv_matrix(h, w, k[::-1, ::-1].copy(), s),
                    "the convolution is a cross-correlation: place kernel[a, b] on input pixel "
                    "(i*s + a, j*s + b), unflipped."),
            Mistake("stride ignored", lambda h, w, k, s: _conv_matrix(h, w, k, 1),
                    "windows start stride cells apart: (h - kh)//s + 1 rows of windows."),
            Mistake("input flattened column by column", _column_major,
                    "flatten the input row by row (x.ravel()): pixel (r, q) is column r*w + q."),
        ]),
]
