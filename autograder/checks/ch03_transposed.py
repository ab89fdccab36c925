"""Hidden checks of chapter 03 (transposed): padding and output_padding for a wanted size, a
batched dilated conv_transpose2d, zero insertion with dilation and output_padding, the
bilinear upsampling kernel, and the phases of a transposed convolution on a constant input."""

from __future__ import annotations

import numpy as np

import solutions

from .core import Check, Mistake

# --- transposed_padding: invert the size formula ----------------------------------------------


def _transposed_padding(n_in, n_out, k, s):
    excess = (n_in - 1) * s + k - n_out  # = 2 padding - output_padding
    padding = max(0, -(-excess // 2))
    return padding, 2 * padding - excess


def _padding_cases(rng):
    """(n_in, n_out, k, s) reachable with some padding >= 0 and 0 <= output_padding < s."""
    out = []
    while len(out) < 60:
        n, k, s = int(rng.integers(1, 21)), int(rng.integers(1, 8)), int(rng.integers(1, 5))
        p, op = int(rng.integers(0, k + 2)), int(rng.integers(0, s))
        n_out = (n - 1) * s - 2 * p + k + op
        if n_out >= 1:
            out.append((n, n_out, k, s))
    return out


def _padding_from(excess_of):
    """The right solution of 2p - op = excess, for a wrongly computed excess."""
    def answer(n_in, n_out, k, s):
        excess = excess_of(n_in, n_out, k, s)
        padding = max(0, -(-excess // 2))
        return padding, 2 * padding - excess
    return answer


def _op_subtracted(n_in, n_out, k, s):
    excess = (n_in - 1) * s + k - n_out
    return max(0, excess // 2), excess - 2 * max(0, excess // 2)


def _negative_padding(n_in, n_out, k, s):
    excess = (n_in - 1) * s + k - n_out
    return -(-excess // 2), 2 * -(-excess // 2) - excess


# --- conv_transpose2d: batched, dilated -------------------------------------------------------

def _conv_transpose2d(x, w, s, p, op, d):
    return solutions.conv_transpose2d(x.astype(float), w.astype(float), stride=s, padding=p,
                                      output_padding=op, dilation=d)


def _layer_cases(rng):
    """Batches; a third with C_in == C_out >= 2 (a swapped layout still runs); padding up to
    k + 1 (it may crop more than a kernel); every fifth case holds integers."""
    cases = []
    while len(cases) < 40:
        if len(cases) % 3 == 0:
            c_in = c_out = int(rng.integers(2, 4))
        else:
            c_in, c_out = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        k, s, d = int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
        p, op = int(rng.integers(0, k + 2)), int(rng.integers(0, max(s, d)))
        n, h, w = int(rng.integers(1, 3)), int(rng.integers(1, 5)), int(rng.integers(1, 5))
        if min((m - 1) * s - 2 * p + d * (k - 1) + op + 1 for m in (h, w)) < 1:
            continue
        shapes = ((n, c_in, h, w), (c_in, c_out, k, k))
        make = (lambda sh: rng.integers(-5, 6, sh)) if len(cases) % 5 == 4 \
            else rng.standard_normal
        cases.append((make(shapes[0]), make(shapes[1]), s, p, op, d))
    return cases


def _scatter(x, w, s, p, op, d):
    """The uncropped scatter, output_padding zeros appended, then p cropped per side: what a
    student's loop returns even where torch would refuse (an empty or too-small output)."""
    full = solutions.conv_transpose2d(x.astype(float), w.astype(float), stride=s, dilation=d)
    full = np.pad(full, ((0, 0), (0, 0), (0, op), (0, op)))
    return full[:, :, p:full.shape[2] - p, p:full.shape[3] - p]


def _swapped_layout(x, w, s, p, op, d):
    if w.shape[0] != w.shape[1]:
        raise ValueError("a (C_out, C_in, k, k) reading only runs when C_in == C_out")
    return _conv_transpose2d(x, w.transpose(1, 0, 2, 3), s, p, op, d)


def _zeros_for_output_padding(x, w, s, p, op, d):
    return np.pad(_scatter(x, w, s, p, 0, d), ((0, 0), (0, 0), (0, op), (0, op)))


# --- zero_insertion with output_padding and dilation ------------------------------------------

def _zero_insertion(x, s, k, p, op, d):
    q = d * (k - 1) - p
    return np.pad(solutions.insert_zeros(x, s - 1), ((q, q + op), (q, q + op)))


def _zero_cases(rng):
    cases = []
    for _ in range(40):
        k, s, d = int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
        x = rng.standard_normal((int(rng.integers(1, 5)), int(rng.integers(1, 5))))
        cases.append((x, s, k, int(rng.integers(0, d * (k - 1) + 1)),
                      int(rng.integers(0, max(s, d))), d))
    return cases


# --- bilinear_kernel ----------------------------------------------------------------------------

def _tent(k, centre, f):
    return 1 - np.abs(np.arange(k) - centre) / f


def _centre_at_f_minus_1(f):
    k = 2 * f - f % 2
    tent = _tent(k, f - 1, f)
    return np.outer(tent, tent)


def _centre_at_half_k(f):
    k = 2 * f - f % 2
    tent = _tent(k, k // 2, f)
    return np.outer(tent, tent)


def _size_2f(f):
    tent = _tent(2 * f, f - 0.5, f)
    return np.outer(tent, tent)


# --- constant_response: phases ----------------------------------------------------------------

def _constant_response(kernel, s, p):
    out = np.zeros((s, s))
    for (a, b), value in np.ndenumerate(kernel):
        out[(a - p) % s, (b - p) % s] += value
    return out


def _response_cases(rng):
    cases = []
    for _ in range(40):
        kernel = rng.standard_normal((int(rng.integers(1, 7)), int(rng.integers(1, 7))))
        cases.append((kernel, int(rng.integers(1, 5)), int(rng.integers(0, 6))))
    return cases


CHECKS = [
    Check(
        id="ch03.transposed_padding", function="transposed_padding",
        cases=_padding_cases, reference=_transposed_padding,
        mistakes=[
            Mistake("output_padding subtracted", _op_subtracted,
                    "output_padding *adds* cells at the end: (n_in - 1)s - 2p + k + op = n_out, "
                    "so 2p - op = (n_in - 1)s + k - n_out; round p up and add cells with op."),
            Mistake("negative padding", _negative_padding,
                    "when even padding 0 is too small, pad nothing and add the missing cells "
                    "with output_padding: padding is never negative."),
            Mistake("output_padding always 0",
                    lambda n_in, n_out, k, s: (max(0, ((n_in - 1) * s + k - n_out) // 2), 0),
                    "padding crops 2 cells at a time; an odd difference needs output_padding 1."),
            Mistake("one stride too many",
                    _padding_from(lambda n_in, n_out, k, s: n_in * s + k - n_out),
                    "n_in stamps start at 0, s, ..., (n_in - 1)s: the uncropped length is "
                    "(n_in - 1)s + k."),
            Mistake("kernel length off by one",
                    _padding_from(lambda n_in, n_out, k, s: (n_in - 1) * s + k - 1 - n_out),
                    "the last stamp covers k cells from (n_in - 1)s: the uncropped length is "
                    "(n_in - 1)s + k, not (n_in - 1)s + k - 1."),
            Mistake("the convolution's formula",
                    _padding_from(lambda n_in, n_out, k, s: (n_out - 1) * s + k - n_in),
                    "that inverts a convolution from n_out to n_in; here the *transposed* "
                    "convolution goes from n_in to n_out."),
        ]),
    Check(
        id="ch03.conv_transpose2d", function="conv_transpose2d", cases=_layer_cases,
        reference=_conv_transpose2d,
        mistakes=[
            Mistake("weight read in the Conv2d layout", _swapped_layout,
                    "a transposed convolution's weight is (C_in, C_out, k, k): input channel c "
                    "stamps weight[c, o] into output channel o."),
            Mistake("kernel rotated",
                    lambda x, w, s, p, op, d: _conv_transpose2d(x, w[:, :, ::-1, ::-1], s, p,
                                                                op, d),
                    "stamp the kernel as it is; only the zero-insertion view, which slides a "
                    "window, rotates it by 180°."),
            Mistake("padding not cropped",
                    lambda x, w, s, p, op, d: _scatter(x, w, s, 0, op, d),
                    "padding p removes p rows/columns from each side of the scattered result."),
            Mistake("output_padding ignored",
                    lambda x, w, s, p, op, d: _scatter(x, w, s, p, 0, d),
                    "output_padding adds that many rows and columns at the bottom and right."),
            Mistake("output_padding filled with zeros", _zeros_for_output_padding,
                    "the extra output_padding rows/columns are cut from the uncropped result "
                    "(where padding > 0 they hold stamped values), not appended zeros: make "
                    "the buffer (n - 1)s + d(k - 1) + 1 + output_padding long and crop from "
                    "padding on."),
            Mistake("dilation ignored",
                    lambda x, w, s, p, op, d: _scatter(x, w, s, p, op, 1),
                    "with dilation d the stamp's taps are d cells apart: tap (a, b) of the "
                    "stamp of x[i, j] lands on (s i + d a, s j + d b)."),
            Mistake("only the first image",
                    lambda x, w, s, p, op, d: _conv_transpose2d(x[:1], w, s, p, op, d),
                    "x holds a batch: transform each image, output (N, C_out, o_h, o_w)."),
        ]),
    Check(
        id="ch03.zero_insertion", function="zero_insertion", cases=_zero_cases,
        reference=_zero_insertion,
        mistakes=[
            Mistake("s zeros instead of s - 1",
                    lambda x, s, k, p, op, d: np.pad(
                        solutions.insert_zeros(x, s),
                        ((d * (k - 1) - p, d * (k - 1) - p + op),) * 2),
                    "stride s puts input values s cells apart: s - 1 zeros between them."),
            Mistake("dilation ignored around",
                    lambda x, s, k, p, op, d: np.pad(solutions.insert_zeros(x, s - 1),
                                                     ((max(k - 1 - p, 0),
                                                       max(k - 1 - p, 0) + op),) * 2),
                    "the dilated kernel spans d(k - 1) + 1 cells: pad d(k - 1) - p zeros around."),
            Mistake("padding ignored",
                    lambda x, s, k, p, op, d: _zero_insertion(x, s, k, 0, op, d),
                    "padding p crops the result, so pad only d(k - 1) - p zeros around."),
            Mistake("output_padding ignored",
                    lambda x, s, k, p, op, d: _zero_insertion(x, s, k, p, 0, d),
                    "output_padding adds that many zeros at the bottom and right, so the "
                    "window finds that many more positions."),
            Mistake("output_padding at the top and left",
                    lambda x, s, k, p, op, d: np.pad(_zero_insertion(x, s, k, p, 0, d),
                                                     ((op, 0), (op, 0))),
                    "PyTorch adds the output_padding rows and columns at the bottom and right."),
            Mistake("output_padding on both sides",
                    lambda x, s, k, p, op, d: np.pad(_zero_insertion(x, s, k, p, op, d),
                                                     ((op, 0), (op, 0))),
                    "output_padding adds cells at the end only (bottom and right)."),
            Mistake("padding used as the zeros around",
                    lambda x, s, k, p, op, d: np.pad(solutions.insert_zeros(x, s - 1),
                                                     ((p, p + op),) * 2),
                    "a transposed convolution's padding crops: the spread input gets "
                    "d(k - 1) - p zeros on each side (d(k - 1) for the full result, minus p)."),
        ]),
    Check(
        id="ch03.bilinear_kernel", function="bilinear_kernel",
        cases=lambda rng: [(int(f),) for f in rng.permutation(40) + 1],
        reference=solutions.bilinear_kernel,
        mistakes=[
            Mistake("centre not halfway", _centre_at_f_minus_1,
                    "the tent's peak is the kernel's centre c = (k - 1)/2, which for an even "
                    "factor falls between two cells (f - 1/2)."),
            Mistake("normalised to sum 1",
                    lambda f: solutions.bilinear_kernel(f) / solutions.bilinear_kernel(f).sum(),
                    "interpolation weights sum to 1 per *phase* (each output cell), not over "
                    "the whole kernel: the kernel sums to f^2."),
            Mistake("centre rounded to a cell", _centre_at_half_k,
                    "for an even factor the kernel has an even size and its centre "
                    "c = (k - 1)/2 lies between two cells; k // 2 moves the peak one cell."),
            Mistake("size 2f for every factor", _size_2f,
                    "for an odd factor the tent has 2f - 1 non-zero taps: k = 2f - f mod 2."),
            Mistake("one axis only",
                    lambda f: solutions.bilinear_kernel(f).sum(axis=0) / f,
                    "bilinear = linear along rows times linear along columns: the outer "
                    "product of the 1-D tent with itself, a k x k kernel."),
        ]),
    Check(
        id="ch03.constant_response", function="constant_response", cases=_response_cases,
        reference=_constant_response,
        mistakes=[
            Mistake("padding ignored", lambda k, s, p: _constant_response(k, s, 0),
                    "cropping p cells shifts which kernel taps land on output cell u: "
                    "u + p = s i + a, so phase q collects the taps a = q + p (mod s)."),
            Mistake("shifted the wrong way",
                    lambda k, s, p: _constant_response(k, s, (-p) % s),
                    "output cell u is cell u + p of the uncropped result: taps a ≡ u + p."),
            Mistake("taps counted, not summed",
                    lambda k, s, p: _constant_response(np.ones_like(k), s, p),
                    "on an input of ones each tap contributes its weight: sum the weights."),
            Mistake("rows and columns swapped",
                    lambda k, s, p: _constant_response(k, s, p).T,
                    "entry [q, r] is for rows u ≡ q and columns v ≡ r: kernel rows give q."),
        ]),
]
