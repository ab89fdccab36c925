"""Chapter 04: the answers a student would paste together from the chapter's own cells and
displayed formulas (plus at most five lines of glue) lose every exercise (tests/pastes.py).

The pastes are judged case by case, stopping at the first wrong one (mutants.first_refusal):
the same verdict as judging all cases, without running a refused paste on the hidden cases
that are large on purpose, where it would take minutes to be refused again."""

from __future__ import annotations

# ruff: noqa: E501 - a paste is held to five lines of glue, so its lines are long
from mutants import first_refusal
from pastes import Paste, coverage_test, refused_test

# the chapter's import cell (numpy): a paste of no other cell still runs it, as a student's
# notebook does (tests/pastes.py runs the import cell only of the chapters a paste names)
IMPORTS = (("04", "import numpy as np"),)
# the text's SVD split: the Sobel kernel, then its split by np.linalg.svd
SVD_CELLS = (("04", "sobel = np.outer(col, row)"), ("04", "U, sigma, Vt = np.linalg.svd(sobel)"))
PAIR = (("04", "unfolded = W.transpose(0, 2, 1, 3)"),)


PASTES = {
    "ch04.cheapest_filtering": [
        # the reader's paste (tests/fixtures/reader_pastes, 2026-12-06), refused then: the
        # text's square-image count; two of its statements joined to fit five
        Paste("the reader's: the smallest rank within the budget, the text's square count", IMPORTS, """
def cheapest_filtering(kernel, h, w, stride, max_error):
    s, k, n = np.linalg.svd(kernel, compute_uv=False), kernel.shape[0], h
    r = next(r for r in range(1, len(s) + 1) if np.sqrt((s[r:] ** 2).sum() / (s ** 2).sum()) <= max_error)
    sep, two_d = r * k * (n - k + 1) * (2 * n - k + 1), k ** 2 * (n - k + 1) ** 2
    return (r, sep) if sep < two_d else (0, two_d)
""", "cheapest_filtering"),
        Paste("the relative error and the text's column-first count, with the stride",
              IMPORTS, """
def cheapest_filtering(kernel, h, w, stride, max_error):
    kh, kw, s = *kernel.shape, np.linalg.svd(kernel, compute_uv=False)
    r = next(r for r in range(len(s) + 1) if np.sum(s[r:] ** 2) <= max_error**2 * np.sum(s**2))
    oh, ow = (h - kh) // stride + 1, (w - kw) // stride + 1
    return min((0, kh * kw * oh * ow), (r, r * (kh * oh * w + kw * oh * ow)), key=lambda t: t[1])
""", "cheapest_filtering"),
        Paste("the text's per-output rule in five plain lines: the tail error, k_h + k_w per output and term",
              IMPORTS, """
def cheapest_filtering(kernel, h, w, stride, max_error):
    s2 = np.linalg.svd(kernel, compute_uv=False) ** 2
    r = int(np.sum(np.sqrt(np.cumsum(s2[::-1])[::-1] / s2.sum()) > max_error))
    n = ((h - kernel.shape[0]) // stride + 1) * ((w - kernel.shape[1]) // stride + 1)
    return min([(kernel.size * n, 0), (r * sum(kernel.shape) * n, r)])[::-1]
""", "cheapest_filtering"),
        Paste("the text's per-output rule: k_h + k_w per output value and term",
              IMPORTS, """
def cheapest_filtering(kernel, h, w, stride, max_error):
    s = np.linalg.svd(kernel, compute_uv=False)
    r = next(r for r in range(len(s) + 1) if np.sum(s[r:] ** 2) <= max_error**2 * np.sum(s**2))
    n = ((h - kernel.shape[0]) // stride + 1) * ((w - kernel.shape[1]) // stride + 1)
    return (r, r * sum(kernel.shape) * n) if r * sum(kernel.shape) < kernel.size else (0, kernel.size * n)
""", "cheapest_filtering"),
    ],
    # complete_separable (round 6: a propagation of K = c r^T over the known taps, copyable)
    # is a further exercise now; taps_to_measure asks which taps fix the kernel
    "ch04.taps_to_measure": [
        Paste("h + w - 1 free numbers, one per measured tap", IMPORTS, """
def taps_to_measure(known):
    return max(0, sum(known.shape) - 1 - int(known.sum()))
""", "taps_to_measure"),
        # the mechanical route a strong student takes: the rank of the map (c, r) -> measured
        # taps at c = r = 1 (rows e_a + e_(h+b)), h + w - 1 less it. Right on the small
        # kernels; the 10^5-tap ones need an identity of 10^5 x 10^5 (80 GB)
        Paste("the rank of the measured taps' map from (c, r), h + w - 1 less it", IMPORTS, """
def taps_to_measure(known):
    a, b = np.nonzero(known)
    J = np.hstack([np.eye(known.shape[0])[a], np.eye(known.shape[1])[b]])
    return sum(known.shape) - 1 - np.linalg.matrix_rank(J)
""", "taps_to_measure"),
        Paste("the text's SVD of the 0/1 pattern: the rank it lacks", SVD_CELLS, """
def taps_to_measure(known):
    return min(known.shape) - np.linalg.matrix_rank(known.astype(float))
""", "taps_to_measure"),
        Paste("one tap for every row and column with none", IMPORTS, """
def taps_to_measure(known):
    return int((~known.any(1)).sum() + (~known.any(0)).sum())
""", "taps_to_measure"),
    ],
    "ch04.pruned_pair_error": [
        # the text's route: cell 27's einsum composes W, the unfolding, the SVD and cell 20's
        # error; W of the two large hidden pairs has over 1.25 * 10^10 entries (100 GB)
        Paste("cell 27's einsum and unfolding, the SVD, cell 20's relative error", PAIR, """
def pruned_pair_error(first, second, c):
    W = np.einsum("oma,mcb->ocab", second[..., 0], first[:, :, 0])
    s = np.linalg.svd(W.transpose(0, 2, 1, 3).reshape(W.shape[0] * W.shape[2], -1), compute_uv=False)
    return np.sqrt(np.sum(s[c:] ** 2) / np.sum(s ** 2))
""", "pruned_pair_error"),
        # the text: "it is the product of a 7 C_out x C_mid and a C_mid x 7 C_in matrix";
        # the factors' singular values multiplied, as if they multiplied
        Paste("the two factors' singular values multiplied (the text's product of two matrices)", PAIR, """
def pruned_pair_error(first, second, c):
    q = np.linalg.svd(second[..., 0].transpose(0, 2, 1).reshape(-1, first.shape[0]), compute_uv=False)
    s = q * np.linalg.svd(first[:, :, 0].reshape(first.shape[0], -1), compute_uv=False)
    return np.sqrt(np.sum(s[c:] ** 2) / np.sum(s ** 2))
""", "pruned_pair_error"),
        # the text's sigma_1 = ||c|| ||r|| of one outer product, once per middle channel
        Paste("each middle channel one SVD term, sigma_m = ||q_m|| ||p_m|| (the text's by-hand rule)", IMPORTS, """
def pruned_pair_error(first, second, c):
    q = np.sqrt(np.sum(second ** 2, axis=(0, 2, 3)))
    s = np.sort(q * np.sqrt(np.sum(first ** 2, axis=(1, 2, 3))))[::-1]
    return np.sqrt(np.sum(s[c:] ** 2) / np.sum(s ** 2))
""", "pruned_pair_error"),
    ],
    "ch04.symmetric_separable": [
        Paste("the text's best rank-1 kernel (cell 21) of the kernel made symmetric", SVD_CELLS, """
def symmetric_separable(kernel):
    U, sigma, Vt = np.linalg.svd((kernel + kernel.T) / 2)
    return sigma[0] * np.outer(U[:, 0], Vt[0])
""", "symmetric_separable"),
        Paste("the text's split c = sqrt(sigma_1) u_1 (cell 17), used for both passes", SVD_CELLS, """
def symmetric_separable(kernel):
    U, sigma, Vt = np.linalg.svd(kernel)
    return sigma[0] * np.outer(U[:, 0], U[:, 0])
""", "symmetric_separable"),
        Paste("the text's split, its column and row averaged into one filter", SVD_CELLS, """
def symmetric_separable(kernel):
    U, sigma, Vt = np.linalg.svd(kernel)
    c = np.sqrt(sigma[0]) * (U[:, 0] + Vt[0]) / 2
    return np.outer(c, c)
""", "symmetric_separable"),
        Paste("the text's best rank-1 kernel, made symmetric", SVD_CELLS, """
def symmetric_separable(kernel):
    U, sigma, Vt = np.linalg.svd(kernel)
    K1 = sigma[0] * np.outer(U[:, 0], Vt[0])
    return (K1 + K1.T) / 2
""", "symmetric_separable"),
    ],
}

test_pasted_answer_loses_the_exercise = refused_test(PASTES, verdict=first_refusal)
test_every_exercise_has_a_paste = coverage_test(PASTES)
