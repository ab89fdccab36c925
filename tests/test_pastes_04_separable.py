"""Chapter 04: the answers a student would paste together from the chapter's own cells and
displayed formulas (plus at most five lines of glue) lose every exercise (tests/pastes.py)."""

from __future__ import annotations

from pastes import Paste, coverage_test, refused_test

# the text's SVD split: the Sobel kernel, then its split by np.linalg.svd
SVD_CELLS = (("04", "sobel = np.outer(col, row)"), ("04", "U, sigma, Vt = np.linalg.svd(sobel)"))

PASTES = {
    "ch04.cheapest_filtering": [
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
    kh, kw, s = *kernel.shape, np.linalg.svd(kernel, compute_uv=False)
    r = next(r for r in range(len(s) + 1) if np.sum(s[r:] ** 2) <= max_error**2 * np.sum(s**2))
    n = ((h - kh) // stride + 1) * ((w - kw) // stride + 1)
    return min((0, kh * kw * n), (r, r * (kh + kw) * n), key=lambda t: t[1])
""", "cheapest_filtering"),
    ],
    "ch04.complete_separable": [
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
    "ch04.pair_order": [
        Paste("the text's unfolding and the Eckart-Young error",
              (("04", "unfolded = W.transpose(0, 2, 1, 3)"),), """
def pair_order(weight, c_mid):
    c_out, c_in, kh, kw = weight.shape
    s = np.linalg.svd(weight.transpose(0, 2, 1, 3).reshape(c_out * kh, c_in * kw), compute_uv=False)
    return False, np.sqrt(np.sum(s[c_mid:] ** 2) / np.sum(s ** 2))
""", "pair_order"),
        Paste("both orders read as the text's unfolding and its transpose",
              (("04", "unfolded = W.transpose(0, 2, 1, 3)"),), """
def pair_order(weight, c_mid):
    m = weight.transpose(0, 2, 1, 3).reshape(weight.shape[0] * weight.shape[2], -1)
    e = [np.sqrt(np.sum(s[c_mid:] ** 2) / np.sum(s ** 2)) for s in
         (np.linalg.svd(m, compute_uv=False), np.linalg.svd(m.T, compute_uv=False))]
    return (True, e[1]) if e[1] < e[0] else (False, e[0])
""", "pair_order"),
    ],
    "ch04.separable_split": [
        Paste("the text's split, normalised by the first non-zero entry",
              SVD_CELLS, """
def separable_split(kernel):
    U, sigma, Vt = np.linalg.svd(kernel)
    c1, r1 = np.sqrt(sigma[0]) * U[:, 0], np.sqrt(sigma[0]) * Vt[0]
    t = c1[np.flatnonzero(np.abs(c1) > 1e-12)[0]]
    return c1 / t, r1 * t + 0.0
""", "separable_split"),
        Paste("the colleague's split with the row fixed",
              (("04", "def separable_split_colleague"),), """
def separable_split(kernel):
    U, sigma, Vt = np.linalg.svd(kernel)
    col, row = np.sqrt(sigma[0]) * U[:, 0], np.sqrt(sigma[0]) * Vt[0]
    return col / col[0], row * col[0]
""", "separable_split"),
    ],
}

test_pasted_answer_loses_the_exercise = refused_test(PASTES)
test_every_exercise_has_a_paste = coverage_test(PASTES)
