"""Hidden checks of chapter 03 (transposed): padding and output_padding for a wanted size, the
bilinear upsampling kernel, the phases of a transposed convolution on a constant input, and
the transposed convolution a sub-pixel layer is."""

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
        if len(out) % 3 == 1:  # sizes in the millions: too many paddings to try one by one
            n, p = int(rng.integers(10**6, 10**8)), int(rng.integers(10**5, 10**7))
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


# --- subpixel_as_transposed: sub-pixel convolution as a transposed convolution -----------

def _subpixel_as_transposed(weight, r, *, flip=True, channel_last=False, swap_phase=False):
    """The (C_in, C, k r, k r) weight T with conv_transpose2d(x, T, stride=r,
    padding=r(k - 1)) == pixel_shuffle(conv2d(x, weight), r), weight (C r^2, C_in, k, k).

    Output cell (h r + i, w r + j) of channel c reads weight[c r^2 + i r + j, :, a, b] at input
    (h + a, w + b); the transposed convolution stamps input (h', w') at (r h', r w'), so that
    tap sits at row r (k - 1 - a) + i of T once padding r (k - 1) has cropped the border.
    The keywords make the named mistakes."""
    weight = np.asarray(weight, dtype=np.float64)
    c_r2, c_in, k, _ = weight.shape
    c = c_r2 // (r * r)
    t = np.zeros((c_in, c, k * r, k * r))
    for ch in range(c):
        for i in range(r):
            for j in range(r):
                phase = (j, i) if swap_phase else (i, j)
                src = (phase[0] * r + phase[1]) * c + ch if channel_last else \
                    ch * r * r + phase[0] * r + phase[1]
                for a in range(k):
                    for b in range(k):
                        row = r * (k - 1 - a) + i if flip else r * a + i
                        col = r * (k - 1 - b) + j if flip else r * b + j
                        t[:, ch, row, col] = weight[src, :, a, b]
    return t


def _subpixel_cases(rng):
    cases = [(np.arange(4.0).reshape(4, 1, 1, 1), 2), (np.arange(16.0).reshape(4, 1, 2, 2), 2)]
    while len(cases) < 30:
        c, c_in, r, k = (int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 4)),
                         int(rng.integers(1, 4)))
        if r == 1 and len(cases) % 3:
            continue
        weight = rng.integers(-4, 5, (c * r * r, c_in, k, k)) if len(cases) % 4 == 0 else \
            rng.standard_normal((c * r * r, c_in, k, k))
        cases.append((weight, r))
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
    Check(
        id="ch03.subpixel_as_transposed", function="subpixel_as_transposed",
        cases=_subpixel_cases, reference=_subpixel_as_transposed,
        mistakes=[
            Mistake("taps not reversed",
                    lambda w, r: _subpixel_as_transposed(w, r, flip=False),
                    "the transposed convolution stamps input (h', w') *at* (r h', r w'): the "
                    "tap the sub-pixel layer reads a rows further down comes from a stamp "
                    "a r rows *earlier*, so it sits a r rows *higher* in T: row r(k-1-a) + i."),
            Mistake("channels read in depth-to-space order",
                    lambda w, r: _subpixel_as_transposed(w, r, channel_last=True),
                    "PixelShuffle takes output channel c from channels c r^2 .. c r^2 + r^2 - 1 "
                    "(channel c r^2 + i r + j), not from (i r + j) C + c."),
            Mistake("row and column phases swapped",
                    lambda w, r: _subpixel_as_transposed(w, r, swap_phase=True),
                    "channel c r^2 + i r + j goes to row phase i, column phase j."),
            Mistake("conv2d's weight layout",
                    lambda w, r: _subpixel_as_transposed(w, r).transpose(1, 0, 2, 3),
                    "conv_transpose2d's weight is (C_in, C_out, kH, kW): input channels first, "
                    "the layout of the convolution it transposes."),
        ]),
]
