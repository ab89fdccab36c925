"""Chapter 01: the answers a student would paste together from the chapter's own cells and
displayed formulas (plus at most five lines of glue) lose every exercise (tests/pastes.py)."""

# ruff: noqa: E501 - a paste is held to five lines of glue, so its lines are long
from __future__ import annotations

from pastes import Paste, coverage_test, refused_test

CORR2D = (("01", "X = np.arange(9.0).reshape(3, 3)"), ("01", "def corr2d(X, K)"))
SHIFTS = (("01", "rng_eq = np.random.default_rng(5)"),)

PASTES = {
    "ch01.input_sizes": [
        Paste("the output-size formula, tried for every n up to 100,000", (), """
def input_sizes(o, kernel_size, stride=1, padding=0):
    ns = [n for n in range(1, 10**5) if (n + 2 * padding - kernel_size) // stride + 1 == o]
    return (min(ns), max(ns)) if ns else (0, 0)
""", "input_sizes"),
        Paste("the formula solved as if it had no floor", (), """
def input_sizes(o, kernel_size, stride=1, padding=0):
    n = (o - 1) * stride + kernel_size - 2 * padding
    return n, n
""", "input_sizes"),
    ],
    "ch01.useful_weights": [
        Paste("the text's three counts", (), """
def useful_weights(c_in, c_out, n, kernel_size, stride=1, padding=0):
    o = (n + 2 * padding - kernel_size) // stride + 1
    return c_out * o * o * c_in * n * n, c_out * o * o * c_in * kernel_size ** 2, c_out * c_in * kernel_size ** 2
""", "useful_weights"),
        Paste("the text's locality mask, built for the padded input", (), """
def useful_weights(c_in, c_out, n, kernel_size, stride=1, padding=0):
    m, k = n + 2 * padding, kernel_size
    o = (m - k) // stride + 1
    return c_out * o * o * c_in * m * m, c_out * c_in * (o * k) ** 2, c_out * c_in * k * k
""", "useful_weights"),
    ],
    "ch01.window_counts": [
        Paste("the text's corr2d of the padded input's ones, subsampled by the stride", CORR2D, """
def window_counts(n, kernel_size, stride=1, padding=0):
    ones = np.pad(np.ones((1, n)), ((0, 0), (padding, padding)))
    return corr2d(ones, np.ones((1, kernel_size)))[0, ::stride].astype(int)
""", "window_counts"),
        Paste("windows counted over the input without padding", (), """
def window_counts(n, kernel_size, stride=1, padding=0):
    counts = np.zeros(n, dtype=int)
    for start in range(0, n - kernel_size + 1, stride):
        counts[start:start + kernel_size] += 1
    return counts
""", "window_counts"),
    ],
    "ch01.output_shift": [
        Paste("the text's rule for one layer: the shift moves the output when s divides t, s the last stride",
              SHIFTS, """
def output_shift(layers, t):
    s = layers[-1][1]
    return t // s if t % s == 0 else -1
""", "output_shift"),
        Paste("the text's rule applied layer by layer: every stride must divide t", SHIFTS, """
def output_shift(layers, t):
    ok = all(t % s == 0 for _, s in layers)
    return t // max(s for _, s in layers) if ok else -1
""", "output_shift"),
    ],
}

test_pasted_answer_loses_the_exercise = refused_test(PASTES)
test_every_exercise_has_a_paste = coverage_test(PASTES)
