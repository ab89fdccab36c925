"""Hidden checks of chapter 01 (convolution): output size, conv2d, layer cost, im2col."""

from __future__ import annotations

import math

import numpy as np

import solutions

from .core import Check, Mistake


def _fitting_sizes(rng, count):
    """(n, k, s, p) with the kernel inside the padded input."""
    out = []
    while len(out) < count:
        n, k, s, p = (int(rng.integers(1, 40)), int(rng.integers(1, 8)),
                      int(rng.integers(1, 5)), int(rng.integers(0, 4)))
        if k <= n + 2 * p:
            out.append((n, k, s, p))
    return out


def _im2col(x, kh, kw):
    return solutions.im2col(x[None], (kh, kw))


def _im2col_cases(rng):
    return [(rng.standard_normal((int(rng.integers(3, 9)), int(rng.integers(3, 9)))),
             int(rng.integers(1, 4)), int(rng.integers(1, 4))) for _ in range(30)]


def _reorder(matrix, x, kh, kw, axis):
    """im2col with the taps (axis 0) or the windows (axis 1) listed column by column."""
    oh, ow = x.shape[0] - kh + 1, x.shape[1] - kw + 1
    if axis == 0:
        return matrix.reshape(kh, kw, -1).transpose(1, 0, 2).reshape(kh * kw, -1)
    return matrix.reshape(-1, oh, ow).transpose(0, 2, 1).reshape(kh * kw, -1)


def _conv2d(x, w, b, stride, padding):
    return solutions.conv2d(x, w, b, stride=stride, padding=padding)


def _conv2d_cases(rng):
    cases = []
    for _ in range(30):
        c_in, c_out, k = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
        s, p = int(rng.integers(1, 4)), int(rng.integers(0, 3))
        h, w = int(rng.integers(k, 10)), int(rng.integers(k, 10))
        cases.append((rng.standard_normal((c_in, h, w)), rng.standard_normal((c_out, c_in, k, k)),
                      rng.standard_normal(c_out), s, p))
    return cases


def _layer_cost(c_in, c_out, k, h_out, w_out):
    return (solutions.conv_params(c_in, c_out, k),
            solutions.conv_macs(c_in, c_out, k, (h_out, w_out)))


CHECKS = [
    Check(
        id="ch01.output_size", function="output_size",
        cases=lambda rng: _fitting_sizes(rng, 60),
        reference=solutions.conv_output_size,
        mistakes=[
            Mistake("off by one", lambda n, k, s, p: (n + 2 * p - k) // s,
                    "count the first window too: there are floor((n + 2p - k) / s) steps "
                    "*after* it, so add 1."),
            Mistake("padding applied once", lambda n, k, s, p: (n + p - k) // s + 1,
                    "padding p adds p cells on *both* sides: the padded length is n + 2p."),
            Mistake("rounding up", lambda n, k, s, p: math.ceil((n + 2 * p - k) / s) + 1,
                    "a window that would stick out past the padded input is not computed: "
                    "round (n + 2p - k) / s down."),
            Mistake("stride ignored", lambda n, k, s, p: n + 2 * p - k + 1,
                    "the window moves s cells per step: divide the free room by s."),
        ]),
    Check(
        id="ch01.conv2d", function="conv2d", cases=_conv2d_cases, reference=_conv2d,
        mistakes=[
            Mistake("padding on one side only",
                    lambda x, w, b, s, p: solutions.conv2d(
                        np.pad(x, ((0, 0), (p, 0), (p, 0))), w, b, stride=s),
                    "pad p rows/columns on every side: np.pad(x, ((0, 0), (p, p), (p, p)))."),
            Mistake("stride ignored", lambda x, w, b, s, p: _conv2d(x, w, b, 1, p),
                    "consecutive output positions start s cells apart: x[..., i*s:i*s+k]."),
            Mistake("bias missing", lambda x, w, b, s, p: _conv2d(x, w, None, s, p),
                    "add bias[o] to every value of output channel o."),
            Mistake("flipped kernel",
                    lambda x, w, b, s, p: _conv2d(x, w[:, :, ::-1, ::-1].copy(), b, s, p),
                    "do not flip the kernel: this is cross-correlation."),
        ]),
    Check(
        id="ch01.layer_cost", function="layer_cost",
        cases=lambda rng: [tuple(int(v) for v in (rng.integers(1, 257), rng.integers(1, 257),
                                                  rng.integers(1, 8), rng.integers(1, 113),
                                                  rng.integers(1, 113))) for _ in range(40)],
        reference=_layer_cost,
        mistakes=[
            Mistake("bias forgotten",
                    lambda ci, co, k, h, w: (ci * co * k * k, ci * co * k * k * h * w),
                    "each output channel has one bias: add C_out to the parameters."),
            Mistake("MACs per position",
                    lambda ci, co, k, h, w: (ci * co * k * k + co, ci * co * k * k),
                    "every one of the H_out * W_out output positions repeats the work."),
            Mistake("MACs counted with the bias",
                    lambda ci, co, k, h, w: (ci * co * k * k + co, (ci * co * k * k + co) * h * w),
                    "bias additions are not multiply-accumulates: MACs = C_out*C_in*k*k*H*W."),
        ]),
    Check(
        id="ch01.im2col", function="im2col", cases=_im2col_cases, reference=_im2col,
        mistakes=[
            Mistake("rows and columns swapped", lambda x, kh, kw: _im2col(x, kh, kw).T,
                    "each *column* is one window (kh*kw values); there is one column per "
                    "output position, so the shape is (kh*kw, H_out*W_out)."),
            Mistake("taps read column by column",
                    lambda x, kh, kw: _reorder(_im2col(x, kh, kw), x, kh, kw, 0),
                    "flatten each window row by row (window.ravel()), the order in which "
                    "weight.reshape(-1) lists the kernel taps."),
            Mistake("windows listed column by column",
                    lambda x, kh, kw: _reorder(_im2col(x, kh, kw), x, kh, kw, 1),
                    "output position (i, j) is column i*W_out + j: loop over i outside, j inside."),
        ]),
]
