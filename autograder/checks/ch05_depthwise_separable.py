"""Hidden checks of chapter 05 (depthwise separable): depthwise conv, pointwise conv, the
MobileNet block, its cost, and the cost ratio."""

from __future__ import annotations

import numpy as np

import solutions

from .core import Check, Mistake


def _depthwise(x, w, b, padding):
    return solutions.depthwise_conv2d(x, w, b, padding=padding)


def _depthwise_cases(rng):
    cases = []
    for _ in range(30):
        c, m, k = int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
        h, w = int(rng.integers(k, 9)), int(rng.integers(k, 9))
        cases.append((rng.standard_normal((c, h, w)), rng.standard_normal((c * m, 1, k, k)),
                      rng.standard_normal(c * m), int(rng.integers(0, 3))))
    return cases


def _every_channel(x, w, b, padding):
    """Each kernel slid over every input channel and the results summed (a dense conv)."""
    return solutions.conv2d(x, np.repeat(w, x.shape[0], axis=1), b, padding=padding)


def _interleaved(x, w, b, padding):
    """Output channel o reads input channel o % C instead of o // m."""
    c = x.shape[0]
    dense = np.zeros((w.shape[0], c, *w.shape[2:]))
    for o in range(w.shape[0]):
        dense[o, o % c] = w[o, 0]
    return solutions.conv2d(x, dense, b, padding=padding)


def _pointwise_cases(rng):
    cases = []
    for _ in range(30):
        c_in, c_out = int(rng.integers(1, 7)), int(rng.integers(1, 7))
        h, w = int(rng.integers(1, 7)), int(rng.integers(1, 7))
        cases.append((rng.standard_normal((c_in, h, w)), rng.standard_normal((c_out, c_in)),
                      rng.standard_normal(c_out)))
    return cases


def _channels_last(x, w, b):
    c_in, h, wd = x.shape
    return (x.reshape(-1, c_in) @ w.T + b).reshape(w.shape[0], h, wd)


def _relu(y):
    return np.maximum(y, 0)


def _block(x, dw, db, pw, pb, inner=_relu, outer=_relu, same=True):
    spatial = inner(solutions.depthwise_conv2d(x, dw, db, padding=dw.shape[-1] // 2 if same
                                               else 0))
    return outer(solutions.pointwise_conv2d(spatial, pw, pb))


def _block_cases(rng):
    cases = []
    for _ in range(30):
        c_in, c_out = int(rng.integers(1, 5)), int(rng.integers(1, 6))
        k = int(rng.choice([1, 3, 3, 3, 5]))
        h, w = int(rng.integers(k, 9)), int(rng.integers(k, 9))
        cases.append((rng.standard_normal((c_in, h, w)), rng.standard_normal((c_in, 1, k, k)),
                      rng.standard_normal(c_in), rng.standard_normal((c_out, c_in)),
                      rng.standard_normal(c_out)))
    return cases


def _separable_cost(c_in, c_out, k, h, w):
    params = (solutions.conv_params(c_in, c_in, k, groups=c_in)
              + solutions.conv_params(c_in, c_out, 1))
    macs = (solutions.conv_macs(c_in, c_in, k, (h, w), groups=c_in)
            + solutions.conv_macs(c_in, c_out, 1, (h, w)))
    return params, macs


def _cost_cases(rng):
    return [tuple(int(v) for v in (rng.integers(1, 513), rng.integers(1, 1025),
                                   rng.choice([1, 3, 3, 5, 7]), rng.integers(1, 113),
                                   rng.integers(1, 113))) for _ in range(40)]


def _ratio_cases(rng):
    cases = []
    while len(cases) < 40:
        c_in, c_out = int(rng.integers(1, 1025)), int(rng.integers(1, 1025))
        if c_in != c_out:
            cases.append((c_in, c_out, int(rng.integers(1, 8))))
    return cases


CHECKS = [
    Check(
        id="ch05.depthwise_conv2d", function="depthwise_conv2d", cases=_depthwise_cases,
        reference=_depthwise,
        mistakes=[
            Mistake("kernel applied to every channel", _every_channel,
                    "a depthwise kernel sees one channel only: output channel o is input "
                    "channel o // m correlated with weight[o, 0] — nothing is summed over "
                    "channels."),
            Mistake("channel multiplier interleaved", _interleaved,
                    "with m filters per channel, output channels 0..m-1 all come from input "
                    "channel 0, the next m from channel 1, ...: input channel o // m, not o % C."),
            Mistake("bias missing", lambda x, w, b, p: _depthwise(x, w, None, p),
                    "add bias[o] to every value of output channel o."),
            Mistake("flipped kernel",
                    lambda x, w, b, p: _depthwise(x, w[:, :, ::-1, ::-1].copy(), b, p),
                    "do not flip the kernel: this is cross-correlation."),
            Mistake("padding on one side only",
                    lambda x, w, b, p: _depthwise(np.pad(x, ((0, 0), (p, 0), (p, 0))), w, b, 0),
                    "pad p rows/columns on every side: np.pad(x, ((0, 0), (p, p), (p, p)))."),
        ]),
    Check(
        id="ch05.pointwise_conv2d", function="pointwise_conv2d", cases=_pointwise_cases,
        reference=solutions.pointwise_conv2d,
        mistakes=[
            Mistake("bias missing", lambda x, w, b: solutions.pointwise_conv2d(x, w),
                    "add bias[o] to every pixel of output channel o."),
            Mistake("channels-last reshape", _channels_last,
                    "x is (C_in, H, W): x.reshape(C_in, H * W) puts each pixel's channel vector "
                    "in a column; x.reshape(-1, C_in) cuts the channels apart (that layout is "
                    "for channels-last (H, W, C) arrays)."),
        ]),
    Check(
        id="ch05.separable_block", function="separable_block", cases=_block_cases,
        reference=_block,
        mistakes=[
            Mistake("no ReLU after the depthwise step",
                    lambda *a: _block(*a, inner=lambda y: y),
                    "the block is depthwise → ReLU → pointwise → ReLU: apply np.maximum(y, 0) "
                    "to the depthwise output before mixing channels."),
            Mistake("no ReLU at the end", lambda *a: _block(*a, outer=lambda y: y),
                    "the pointwise output goes through a ReLU too."),
            Mistake("pointwise bias forgotten",
                    lambda x, dw, db, pw, pb: _block(x, dw, db, pw, None),
                    "add pointwise_bias[o] to output channel o before the last ReLU."),
            Mistake("depthwise bias forgotten",
                    lambda x, dw, db, pw, pb: _block(x, dw, None, pw, pb),
                    "add depthwise_bias[c] to depthwise output channel c before its ReLU."),
            Mistake("no padding", lambda *a: _block(*a, same=False),
                    "the block keeps the image size: pad k // 2 zeros on every side of the "
                    "depthwise input."),
        ]),
    Check(
        id="ch05.separable_cost", function="separable_cost", cases=_cost_cases,
        reference=_separable_cost,
        mistakes=[
            Mistake("pointwise bias forgotten",
                    lambda ci, co, k, h, w: (_separable_cost(ci, co, k, h, w)[0] - co,
                                             _separable_cost(ci, co, k, h, w)[1]),
                    "the 1×1 convolution has one bias per output channel: + C_out."),
            Mistake("depthwise bias forgotten",
                    lambda ci, co, k, h, w: (_separable_cost(ci, co, k, h, w)[0] - ci,
                                             _separable_cost(ci, co, k, h, w)[1]),
                    "the depthwise convolution has one bias per channel: + C_in."),
            Mistake("no biases at all",
                    lambda ci, co, k, h, w: (_separable_cost(ci, co, k, h, w)[0] - ci - co,
                                             _separable_cost(ci, co, k, h, w)[1]),
                    "both convolutions have a bias here: + C_in (depthwise) + C_out (pointwise)."),
            Mistake("depthwise counted as a full convolution",
                    lambda ci, co, k, h, w: (ci * ci * k * k + ci + ci * co + co,
                                             (ci * ci * k * k + ci * co) * h * w),
                    "a depthwise filter reads one channel: C_in filters of k×k weights, "
                    "not C_in × C_in × k × k."),
            Mistake("MACs of one position",
                    lambda ci, co, k, h, w: (_separable_cost(ci, co, k, h, w)[0],
                                             ci * k * k + ci * co),
                    "every one of the H_out × W_out positions repeats the work."),
            Mistake("MACs counted with the biases",
                    lambda ci, co, k, h, w: (_separable_cost(ci, co, k, h, w)[0],
                                             _separable_cost(ci, co, k, h, w)[1]
                                             + (ci + co) * h * w),
                    "bias additions are not multiply-accumulates: MACs = "
                    "(C_in·k² + C_in·C_out)·H·W."),
        ]),
    Check(
        id="ch05.cost_ratio", function="cost_ratio", cases=_ratio_cases,
        reference=lambda c_in, c_out, k: solutions.depthwise_separable_cost_ratio(c_out, k),
        mistakes=[
            Mistake("1/C_in instead of 1/C_out", lambda ci, co, k: 1 / ci + 1 / (k * k),
                    "(k²C_in + C_in·C_out)HW / (k²C_in·C_out·HW): C_in cancels everywhere; "
                    "dividing the depthwise term by k²C_in·C_out leaves 1/C_out."),
            Mistake("ratio upside down", lambda ci, co, k: 1 / (1 / co + 1 / (k * k)),
                    "the ratio is separable cost / standard cost, a number below 1 "
                    "(its inverse is the speed-up)."),
            Mistake("k instead of k²", lambda ci, co, k: 1 / co + 1 / k,
                    "a k×k kernel has k² taps: the pointwise term is C_in·C_out / "
                    "(k²·C_in·C_out) = 1/k²."),
            Mistake("product instead of sum", lambda ci, co, k: 1 / (co * k * k),
                    "the separable cost is a *sum* of two layers' costs, so the ratio is a sum "
                    "of two fractions: 1/C_out + 1/k²."),
        ]),
]
