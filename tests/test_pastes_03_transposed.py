"""Chapter 03: the answers a student would paste together from the chapter's own cells and
displayed formulas (plus at most five lines of glue) lose every exercise (tests/pastes.py)."""

# ruff: noqa: E501 - a paste is held to five lines of glue, so its lines are long
from __future__ import annotations

from pastes import Paste, coverage_test, refused_test

FIRST = ("03", "def stamps_frame(X, K)")  # X and K of the first example
STAMPS = (FIRST, ("03", "def trans_conv(X, K, stride=1)"))
SIZES = (("03", "def conv_size(n, k, s, p)"),)
SHUFFLE = (*STAMPS, ("03", "def pixel_shuffle(x, r)"))

PASTES = {
    "ch03.transposed_padding": [
        Paste("the text's trans_size, tried for every padding up to 100,000", SIZES, """
def transposed_padding(n_in, n_out, kernel_size, stride):
    for p in range(100_000):
        for op in range(stride):
            if trans_size(n_in, kernel_size, stride, p, op) == n_out:
                return p, op
""", "transposed_padding"),
    ],
    "ch03.bilinear_kernel": [
        Paste("a tent of width 2f, as the Summary describes it", (), """
def bilinear_kernel(factor):
    tent = 1 - np.abs(np.arange(2 * factor) - (2 * factor - 1) / 2) / factor
    return np.outer(tent, tent)
""", "bilinear_kernel"),
        Paste("the Overview's size k = 2f - f mod 2, a tent normalised to sum 1", (), """
def bilinear_kernel(factor):
    k = 2 * factor - factor % 2
    tent = 1 - np.abs(np.arange(k) - (k - 1) / 2) / factor
    return np.outer(tent, tent) / np.outer(tent, tent).sum()
""", "bilinear_kernel"),
    ],
    "ch03.constant_response": [
        Paste("the text's stamp counts: trans_conv of ones, one interior block read out",
              STAMPS, """
def constant_response(kernel, stride, padding):
    y = trans_conv(np.ones((8, 8)), kernel, stride)
    return y[3 * stride:4 * stride, 3 * stride:4 * stride]
""", "constant_response"),
        Paste("the text's phase rule (taps a = q mod s), padding left out", (), """
def constant_response(kernel, stride, padding):
    out = np.zeros((stride, stride))
    for (a, b), v in np.ndenumerate(kernel):
        out[a % stride, b % stride] += v
    return out
""", "constant_response"),
    ],
    "ch03.subpixel_as_transposed": [
        Paste("the text's pixel_shuffle applied to the kernels, as to a feature map", SHUFFLE, """
def subpixel_as_transposed(weight, upscale_factor):
    return np.stack([pixel_shuffle(weight[:, c], upscale_factor) for c in range(weight.shape[1])])
""", "subpixel_as_transposed"),
    ],
}

test_pasted_answer_loses_the_exercise = refused_test(PASTES)
test_every_exercise_has_a_paste = coverage_test(PASTES)
