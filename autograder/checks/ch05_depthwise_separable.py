"""Hidden checks of chapter 05 (depthwise separable): depthwise conv with stride, the standard
weight of a pair with a channel multiplier, batch-norm folding, the cost of a strided pair,
and the largest affordable multiplier."""

from __future__ import annotations

import numpy as np

import solutions

from .core import Check, Mistake


def _depthwise(x, w, b, stride, padding):
    return solutions.depthwise_conv2d(np.asarray(x, dtype=np.float64), w, b, stride=stride,
                                      padding=padding)


def _depthwise_cases(rng):
    cases = []
    while len(cases) < 40:
        c, m, k = int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
        p, s = int(rng.integers(0, 3)), int(rng.integers(1, 4))
        h, w = int(rng.integers(1, 10)), int(rng.integers(1, 10))
        if k > min(h, w) + 2 * p:
            continue
        x = rng.integers(-9, 10, (c, h, w)) if len(cases) % 4 == 0 else \
            rng.standard_normal((c, h, w))
        cases.append((x, rng.standard_normal((c * m, 1, k, k)), rng.standard_normal(c * m), s, p))
    return cases


def _dense(x, w, b, stride, padding, source):
    """Each output o reads input channel ``source(o, C, m)`` only, through a dense weight."""
    c = np.shape(x)[0]
    dense = np.zeros((w.shape[0], c, *w.shape[2:]))
    for o in range(w.shape[0]):
        dense[o, source(o, c, w.shape[0] // c)] = w[o, 0]
    return solutions.conv2d(np.asarray(x, dtype=np.float64), dense, b, stride=stride,
                            padding=padding)


def _every_channel(x, w, b, s, p):
    """Each kernel slid over every input channel and the results summed (a dense conv)."""
    return solutions.conv2d(np.asarray(x, dtype=np.float64), np.repeat(w, np.shape(x)[0], axis=1),
                            b, stride=s, padding=p)


def _stride_after(x, w, b, s, p):
    """Stride taken from the stride-1 output starting one step late (an off-by-one window)."""
    full = _depthwise(x, w, b, 1, p)
    return full[:, s - 1::s, s - 1::s]


def _separable_weight(dw, pw, c):
    dense_dw = solutions.block_diagonal_weight(dw, c)
    return solutions.compose_conv2d(dense_dw, None, pw[:, :, None, None], None)[0]


def _weight_cases(rng):
    cases = []
    for i in range(30):
        c, m, k, c_out = (int(rng.integers(1, 5)), int(rng.integers(1, 4)),
                          int(rng.integers(1, 4)), int(rng.integers(1, 5)))
        if i % 3 == 0:
            m = max(m, 2)  # the multiplier is what the exercise adds to the text
        dw = rng.integers(-3, 4, (c * m, 1, k, k)) if i % 5 == 0 else \
            rng.standard_normal((c * m, 1, k, k))
        cases.append((dw, rng.standard_normal((c_out, c * m)), c))
    return cases


def _weight_with(dw, pw, c, source):
    """W[o, c'] summing P[o, q] K[q] over the filters q that ``source(q, C, m)`` assigns to c'."""
    m = dw.shape[0] // c
    out = np.zeros((pw.shape[0], c, *dw.shape[2:]))
    for q in range(dw.shape[0]):
        out[:, source(q, c, m)] += pw[:, q, None, None] * dw[q, 0]
    return out


def _fold(w, b, gamma, beta, mean, var, eps=1e-5):
    weight, bias = solutions.fold_batch_norm(w, b, gamma, beta, mean, var, eps)
    return np.column_stack([weight, bias])


def _fold_cases(rng):
    cases = []
    for i in range(30):
        c_in, c_out = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        stats = (rng.standard_normal(c_out) * 2, rng.standard_normal(c_out),
                 rng.standard_normal(c_out), rng.uniform(0.01, 4, c_out))
        case = (rng.standard_normal((c_out, c_in)), rng.standard_normal(c_out), *stats)
        # the default eps must matter in some cases, so leave it out there
        cases.append(case if i % 3 == 0 else case + (float(rng.choice([0.0, 1e-3, 0.1])),))
    return cases


def _fold_with(scale, bias):
    """A wrong folding: ``scale(gamma, var, eps)`` multiplies W; ``bias(...)`` gives b'."""
    def fold(w, b, gamma, beta, mean, var, eps=1e-5):
        return np.column_stack([w * scale(gamma, var, eps)[:, None],
                                bias(b, gamma, beta, mean, var, eps)])
    return fold


def _scale(gamma, var, eps):
    return gamma / np.sqrt(var + eps)


def _cost(c_in, c_out, k, m, s, h, w):
    mid, pad = m * c_in, (k - 1) // 2
    out = (solutions.conv_output_size(h, k, s, pad), solutions.conv_output_size(w, k, s, pad))
    return (solutions.conv_params(c_in, mid, k, groups=c_in) + solutions.conv_params(mid, c_out, 1),
            solutions.conv_macs(c_in, mid, k, out, groups=c_in)
            + solutions.conv_macs(mid, c_out, 1, out))


def _cost_cases(rng):
    cases = []
    for i in range(40):
        s = int(rng.choice([1, 2, 2, 3]))
        h, w = int(rng.integers(1, 113)), int(rng.integers(1, 113))
        if i % 4 == 0:  # odd sizes: where (h + 2p - k) // s + 1 and h // s differ
            h, w = 2 * (h // 2) + 1, 2 * (w // 2) + 1
        cases.append((int(rng.integers(1, 257)), int(rng.integers(1, 513)),
                      int(rng.choice([1, 3, 3, 5, 7])), int(rng.integers(1, 5)), s, h, w))
    return cases


def _cost_with(out_size=None, params=None, macs=None):
    """A wrong cost: any of the output size, the parameters or the MACs replaced."""
    def cost(c_in, c_out, k, m, s, h, w):
        mid, pad = m * c_in, (k - 1) // 2
        ho, wo = out_size(h, w, k, s) if out_size else (
            (h + 2 * pad - k) // s + 1, (w + 2 * pad - k) // s + 1)
        right = _cost(c_in, c_out, k, m, s, h, w)
        return (params(c_in, c_out, k, m) if params else right[0],
                macs(c_in, c_out, k, m) * ho * wo if macs else
                (mid * k * k + mid * c_out) * ho * wo)
    return cost


def _max_multiplier(c_out, k):
    m = 0
    while solutions.conv_macs(1, m + 1, k, 1, groups=1) + solutions.conv_macs(
            m + 1, c_out, 1, 1) <= solutions.conv_macs(1, c_out, k, 1):
        m += 1
    return m


def _multiplier_cases(rng):
    cases = [(256, 3), (9, 3), (1, 1), (4, 2), (6, 3)]
    while len(cases) < 40:
        k = int(rng.integers(1, 8))
        # C_out a multiple of k^2 + C_out's divisors hits the equality case k^2 C = m (k^2 + C)
        c_out = int(rng.integers(1, 1025)) if len(cases) % 3 else k * k * int(rng.integers(1, 4))
        cases.append((c_out, k))
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
            Mistake("channel multiplier interleaved",
                    lambda x, w, b, s, p: _dense(x, w, b, s, p, lambda o, c, m: o % c),
                    "with m filters per channel, output channels 0..m-1 all come from input "
                    "channel 0, the next m from channel 1, ...: input channel o // m, not o % C."),
            Mistake("stride ignored", lambda x, w, b, s, p: _depthwise(x, w, b, 1, p),
                    "keep every stride-th position: output (i, j) starts at input "
                    "(stride*i, stride*j) of the padded image."),
            Mistake("stride windows start one step late", _stride_after,
                    "the first output window starts at row 0 and column 0 of the padded input: "
                    "slice a : a + stride*(oh - 1) + 1 : stride."),
            Mistake("bias missing", lambda x, w, b, s, p: _depthwise(x, w, None, s, p),
                    "add bias[o] to every value of output channel o."),
            Mistake("flipped kernel",
                    lambda x, w, b, s, p: _depthwise(x, w[:, :, ::-1, ::-1].copy(), b, s, p),
                    "do not flip the kernel: this is cross-correlation."),
            Mistake("padding on one side only",
                    lambda x, w, b, s, p: _depthwise(np.pad(x, ((0, 0), (p, 0), (p, 0))), w, b,
                                                     s, 0),
                    "pad p rows/columns on every side: np.pad(x, ((0, 0), (p, p), (p, p)))."),
            Mistake("result cast to the input's integer dtype",
                    lambda x, w, b, s, p: _depthwise(x, w, b, s, p).astype(np.asarray(x).dtype),
                    "the weights are floats: return a float array even for an integer x (do "
                    "not cast back to x.dtype, nor accumulate in np.zeros_like(x))."),
        ]),
    Check(
        id="ch05.separable_weight", function="separable_weight", cases=_weight_cases,
        reference=_separable_weight,
        mistakes=[
            Mistake("filters assigned to channels round-robin",
                    lambda dw, pw, c: _weight_with(dw, pw, c, lambda q, c_, m: q % c_),
                    "depthwise filter q reads input channel q // m (filters c*m .. c*m + m - 1 "
                    "belong to channel c), not q % C: reshape (C_out, mC, k, k) to "
                    "(C_out, C, m, k, k) and sum axis 2."),
            Mistake("only the first filter of each channel",
                    lambda dw, pw, c: _weight_with(dw[::dw.shape[0] // c],
                                                   pw[:, ::dw.shape[0] // c], c,
                                                   lambda q, c_, m: q),
                    "with multiplier m, input c reaches output o through all m of its filters: "
                    "W[o, c] = sum over j < m of P[o, c*m + j] K[c*m + j]."),
            Mistake("kernels multiplied instead of summed",
                    lambda dw, pw, c: np.prod((pw[:, :, None, None] * dw[None, :, 0]).reshape(
                        pw.shape[0], c, -1, *dw.shape[2:]), axis=2),
                    "the m paths from input c to output o add up (the pointwise layer sums "
                    "over its inputs): sum over the multiplier axis."),
        ]),
    Check(
        id="ch05.fold_batch_norm", function="fold_batch_norm", cases=_fold_cases,
        reference=_fold,
        mistakes=[
            Mistake("mean not scaled",
                    _fold_with(_scale, lambda b, g, be, mu, v, e: b * _scale(g, v, e) - mu + be),
                    "BN subtracts the mean before scaling: b' = (b - mean) * gamma / "
                    "sqrt(var + eps) + beta."),
            Mistake("variance used as a standard deviation",
                    _fold_with(lambda g, v, e: g / (v + e),
                               lambda b, g, be, mu, v, e: (b - mu) * g / (v + e) + be),
                    "divide by sqrt(var + eps): var is the variance, not the standard deviation."),
            Mistake("eps ignored",
                    _fold_with(lambda g, v, e: _scale(g, v, 0),
                               lambda b, g, be, mu, v, e: (b - mu) * _scale(g, v, 0) + be),
                    "the denominator is sqrt(var + eps), with the eps you are given "
                    "(1e-5 by default)."),
            Mistake("bias not scaled",
                    _fold_with(_scale, lambda b, g, be, mu, v, e: b - mu * _scale(g, v, e) + be),
                    "the conv bias passes through BN like the rest of the output: it is "
                    "scaled too, b' = (b - mean) * scale + beta."),
            Mistake("beta forgotten",
                    _fold_with(_scale, lambda b, g, be, mu, v, e: (b - mu) * _scale(g, v, e)),
                    "add BN's shift beta to the folded bias."),
            Mistake("weight not scaled",
                    _fold_with(lambda g, v, e: np.ones_like(g),
                               lambda b, g, be, mu, v, e: (b - mu) * _scale(g, v, e) + be),
                    "every weight of output channel o is multiplied by gamma_o / "
                    "sqrt(var_o + eps), not only the bias."),
        ]),
    Check(
        id="ch05.separable_cost", function="separable_cost", cases=_cost_cases, reference=_cost,
        mistakes=[
            Mistake("stride ignored", _cost_with(out_size=lambda h, w, k, s: (h, w)),
                    "with stride s and padding (k-1)/2 both layers produce "
                    "(h + 2p - k) // s + 1 rows (and columns), and pay per output position."),
            Mistake("output size taken as h // stride",
                    _cost_with(out_size=lambda h, w, k, s: (h // s, w // s)),
                    "with padding (k-1)/2 the output has (h + 2p - k) // s + 1 = (h - 1) // s + 1 "
                    "rows: for an odd h and stride 2 that is one more than h // 2."),
            Mistake("multiplier ignored",
                    lambda ci, co, k, m, s, h, w: _cost(ci, co, k, 1, s, h, w),
                    "with multiplier m the depthwise layer has m*C_in filters and biases, and "
                    "the pointwise layer reads m*C_in channels."),
            Mistake("pointwise reads C_in channels",
                    _cost_with(params=lambda ci, co, k, m: m * ci * k * k + m * ci + ci * co + co,
                               macs=lambda ci, co, k, m: m * ci * k * k + ci * co),
                    "the depthwise layer makes m*C_in channels, and the pointwise layer mixes "
                    "all of them: m*C_in*C_out weights."),
            Mistake("no biases",
                    _cost_with(params=lambda ci, co, k, m: m * ci * k * k + m * ci * co),
                    "both layers have a bias: + m*C_in (depthwise) + C_out (pointwise)."),
            Mistake("depthwise counted as a full convolution",
                    _cost_with(params=lambda ci, co, k, m: m * ci * ci * k * k + m * ci
                               + m * ci * co + co,
                               macs=lambda ci, co, k, m: m * ci * ci * k * k + m * ci * co),
                    "a depthwise filter reads one channel: m*C_in filters of k x k weights."),
        ]),
    Check(
        id="ch05.max_multiplier", function="max_multiplier", cases=_multiplier_cases,
        reference=_max_multiplier,
        mistakes=[
            Mistake("rounded instead of floored",
                    lambda co, k: round(k * k * co / (k * k + co)),
                    "the pair may cost *no more* than the standard layer: take the largest "
                    "integer m with m (k^2 + C_out) <= k^2 C_out, i.e. floor, not round."),
            Mistake("equality excluded",
                    lambda co, k: (k * k * co - 1) // (k * k + co),
                    "'no more' allows equal cost: m (k^2 + C_out) <= k^2 C_out."),
            Mistake("pointwise cost not multiplied by m",
                    lambda co, k: max((k * k * co - co) // (k * k), 0),
                    "the pointwise layer reads m*C_in channels: its cost is m*C_in*C_out per "
                    "pixel, so m multiplies both terms."),
            Mistake("k instead of k squared", lambda co, k: (k * co) // (k + co),
                    "a k x k kernel has k^2 taps."),
            Mistake("rounded up",
                    lambda co, k: -(-(k * k * co) // (k * k + co)),
                    "the multiplier must keep the cost at or below the standard layer's: "
                    "round down."),
        ]),
]
