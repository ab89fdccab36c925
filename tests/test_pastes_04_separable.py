"""Chapter 04: the answers a student would paste together from the chapter's own cells and
displayed formulas (plus at most five lines of glue) lose every exercise (tests/pastes.py).

The pastes are judged case by case, stopping at the first wrong one (mutants.first_refusal):
the same verdict as judging all cases, without running a refused paste on the hidden cases
that are large on purpose (3,000 SVDs of a 12,000 x 30 kernel, a least-squares system of
12,000 unknowns), where it would take minutes to be refused again."""

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
    "ch04.complete_separable": [
        # the reader's paste (tests/fixtures/reader_pastes, 2026-12-06): hard imputation, 3,000
        # rounds of the best rank-1 kernel refilled at the known taps; it passed 29 of 30
        # cases then. Written in five statements (the reader's used seven).
        Paste("the reader's: unknown taps refilled from the best rank-1 kernel, 3,000 times",
              SVD_CELLS, """
def complete_separable(partial):
    rank1 = lambda K: (lambda U, s, Vt: s[0] * np.outer(U[:, 0], Vt[0]))(*np.linalg.svd(K))
    for i in range(3000):
        K = np.where(np.isnan(partial), rank1(K) if i else np.nanmean(partial), partial)
    return rank1(K)
""", "complete_separable"),
        # the round-3 reader's paste (tests/fixtures/reader_pastes/round3, 2026-12-07), which
        # passed then: every unknown tap from every triple of known ones, K[a, b] =
        # K[a', b] K[a, b'] / K[a', b'], averaged; its (h, w, h, w) array has 10^11 entries on
        # the two hidden kernels over 12,000 taps long
        Paste("the round-3 reader's: each tap from every known triple (rows' ratios at a shared column), repeated", IMPORTS, """
def complete_separable(partial):
    K = partial.copy()
    for _ in range(sum(K.shape)):
        K = np.where(np.isnan(K), np.nanmean(K.T[None, :, :, None] * K[:, None, None, :] / K[None, None], axis=(2, 3)), K)
    return K
""", "complete_separable"),
        # the same idea in five plain lines, one (h, h, w) array of row ratios per round (the
        # rows far apart are linked in a few rounds): over 4 * 10^9 entries on the tall kernel
        Paste("every row from every other row: their ratio at shared known columns, a few rounds", IMPORTS, """
def complete_separable(K):
    for _ in range(12):
        R = np.nanmean(K[:, None, :] / K[None, :, :], axis=2)
        K = np.where(np.isnan(K), np.nanmean(R[:, :, None] * K[None], axis=1), K)
    return K
""", "complete_separable"),
        Paste("every column from every other column: their ratio at shared known rows, a few rounds", IMPORTS, """
def complete_separable(K):
    for _ in range(12):
        R = np.nanmean(K[:, :, None] / K[:, None, :], axis=0)
        K = np.where(np.isnan(K), np.nanmean(K[:, None, :] * R[None], axis=2), K)
    return K
""", "complete_separable"),
        # a fit of the displayed model K = c r^T to the known taps by alternating least squares
        # (six plain lines): it spreads the information slowly along the tree, like the
        # reader's hard imputation, and 3,000 rounds leave many large kernels wrong
        Paste("alternating least squares for c and r on the known taps, 3,000 rounds", IMPORTS, """
def complete_separable(K):
    r = np.ones(K.shape[1])
    for _ in range(3000):
        c = np.nan_to_num(K) @ r / (~np.isnan(K) @ r ** 2)
        r = np.nan_to_num(K).T @ c / (~np.isnan(K).T @ c ** 2)
    return np.outer(c, r)
""", "complete_separable"),
        Paste("logarithms: log|K| = log|c_a| + log|r_b| by least squares, signs from known taps", IMPORTS, """
def complete_separable(partial):
    a, b = np.nonzero(~np.isnan(partial))
    A = np.hstack([np.eye(partial.shape[0])[a], np.eye(partial.shape[1])[b]])
    x = np.linalg.lstsq(A, np.log(partial[a, b].astype(complex)), rcond=None)[0]
    return np.real(np.outer(np.exp(x[:partial.shape[0]]), np.exp(x[partial.shape[0]:])))
""", "complete_separable"),
        Paste("the SVD split of the text, unknown taps read as 0",
              SVD_CELLS, """
def complete_separable(partial):
    U, sigma, Vt = np.linalg.svd(np.nan_to_num(partial))
    return sigma[0] * np.outer(U[:, 0], Vt[0])
""", "complete_separable"),
        Paste("the SVD split of the text, unknown taps as the mean",
              SVD_CELLS, """
def complete_separable(partial):
    U, sigma, Vt = np.linalg.svd(np.where(np.isnan(partial), np.nanmean(partial), partial))
    return sigma[0] * np.outer(U[:, 0], Vt[0])
""", "complete_separable"),
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
