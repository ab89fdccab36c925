"""Chapter 04: the answers a student would paste together from the chapter's own cells and
displayed formulas (plus at most five lines of glue) lose every exercise (tests/pastes.py)."""

from __future__ import annotations

# ruff: noqa: E501 - a paste is held to five lines of glue, so its lines are long
from pastes import Paste, coverage_test, refused_test

# the text's SVD split: the Sobel kernel, then its split by np.linalg.svd
SVD_CELLS = (("04", "sobel = np.outer(col, row)"), ("04", "U, sigma, Vt = np.linalg.svd(sobel)"))
PAIR = (("04", "unfolded = W.transpose(0, 2, 1, 3)"),)

PASTES = {
    "ch04.cheapest_filtering": [
        # the reader's paste (tests/fixtures/reader_pastes, 2026-12-06), refused then: the
        # text's square-image count; two of its statements joined to fit five
        Paste("the reader's: the smallest rank within the budget, the text's square count", (), """
def cheapest_filtering(kernel, h, w, stride, max_error):
    s, k, n = np.linalg.svd(kernel, compute_uv=False), kernel.shape[0], h
    r = next(r for r in range(1, len(s) + 1) if np.sqrt((s[r:] ** 2).sum() / (s ** 2).sum()) <= max_error)
    sep, two_d = r * k * (n - k + 1) * (2 * n - k + 1), k ** 2 * (n - k + 1) ** 2
    return (r, sep) if sep < two_d else (0, two_d)
""", "cheapest_filtering"),
        Paste("the relative error and the text's column-first count, with the stride",
              (), """
def cheapest_filtering(kernel, h, w, stride, max_error):
    kh, kw, s = *kernel.shape, np.linalg.svd(kernel, compute_uv=False)
    r = next(r for r in range(len(s) + 1) if np.sum(s[r:] ** 2) <= max_error**2 * np.sum(s**2))
    oh, ow = (h - kh) // stride + 1, (w - kw) // stride + 1
    return min((0, kh * kw * oh * ow), (r, r * (kh * oh * w + kw * oh * ow)), key=lambda t: t[1])
""", "cheapest_filtering"),
        Paste("the text's per-output rule: k_h + k_w per output value and term",
              (), """
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
        Paste("logarithms: log|K| = log|c_a| + log|r_b| by least squares, signs from known taps", (), """
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
    "ch04.best_pair": [
        Paste("the text's unfolding, its best rank-c_mid fit folded back", PAIR, """
def best_pair(weight, c_mid):
    c_out, c_in, kh, kw = weight.shape
    U, s, Vt = np.linalg.svd(weight.transpose(0, 2, 1, 3).reshape(c_out * kh, c_in * kw), full_matrices=False)
    return ((U[:, :c_mid] * s[:c_mid]) @ Vt[:c_mid]).reshape(c_out, kh, c_in, kw).transpose(0, 2, 1, 3)
""", "best_pair"),
        Paste("the other order as the text's unfolded matrix transposed", PAIR, """
def best_pair(weight, c_mid):
    c_out, c_in, kh, kw = weight.shape
    fits = [(lambda U, s, Vt: (U[:, :c_mid] * s[:c_mid]) @ Vt[:c_mid])(*np.linalg.svd(m, full_matrices=False)) for m in (weight.transpose(0, 2, 1, 3).reshape(c_out * kh, -1), weight.transpose(0, 2, 1, 3).reshape(c_out * kh, -1).T)]
    fits = [fits[0], fits[1].T]
    return min((f.reshape(c_out, kh, c_in, kw).transpose(0, 2, 1, 3) for f in fits), key=lambda f: np.linalg.norm(weight - f))
""", "best_pair"),
        Paste("every kernel cut to rank c_mid with the text's SVD (cell 21's rank-1 term)", (), """
def best_pair(weight, c_mid):
    cut = lambda K: (lambda U, s, Vt: (U[:, :c_mid] * s[:c_mid]) @ Vt[:c_mid])(*np.linalg.svd(K))
    return np.array([[cut(K) for K in row] for row in weight])
""", "best_pair"),
    ],
    "ch04.integer_split": [
        # the reader's paste for the old exercise (cell 17's Vt[0], scaled by the entry of
        # largest magnitude), rounded to integers
        Paste("the reader's split: the colleague's with Vt[0], by the largest entry, rounded",
              (("04", "def integer_split_colleague"),), """
def integer_split(kernel):
    U, sigma, Vt = np.linalg.svd(kernel)
    col, row = sigma[0] * U[:, 0], Vt[0]
    m = col[np.argmax(np.abs(col))]
    return np.round(col / m).astype(np.int64), np.round(row * m).astype(np.int64)
""", "integer_split"),
        Paste("the text's normalisation (the first non-zero entry), rounded", SVD_CELLS, """
def integer_split(kernel):
    U, sigma, Vt = np.linalg.svd(kernel)
    c1, r1 = sigma[0] * U[:, 0], Vt[0]
    t = c1[np.flatnonzero(np.abs(c1) > 1e-9 * np.abs(c1).max())[0]]
    return np.round(c1 / t).astype(np.int64), np.round(r1 * t).astype(np.int64)
""", "integer_split"),
        Paste("a search for the multiplier that makes the SVD's row integral", SVD_CELLS, """
def integer_split(kernel):
    v = np.linalg.svd(kernel)[2][0]
    v = v / v[np.flatnonzero(np.abs(v) > 1e-9)[0]]
    m = next((m for m in range(1, 20_000) if np.allclose(m * v, np.round(m * v), rtol=0, atol=1e-6)), 1)
    return np.round(kernel[:, np.flatnonzero(v)[0]] / (m * v[np.flatnonzero(v)[0]])).astype(np.int64), np.round(m * v).astype(np.int64)
""", "integer_split"),
        Paste("a row of the kernel, divided by its first non-zero entry", (), """
def integer_split(kernel):
    row = kernel[np.flatnonzero(kernel.any(axis=1))[0]]
    first = np.flatnonzero(row)[0]
    return kernel[:, first], row / row[first]
""", "integer_split"),
    ],
}

test_pasted_answer_loses_the_exercise = refused_test(PASTES)
test_every_exercise_has_a_paste = coverage_test(PASTES)
