"""Chapter 04's hidden checks against wrong answers written as students write them."""

from __future__ import annotations

import numpy as np
from mutants import Mutant, caught_test, tally_test


def two_pass(x, col, row, stride=1, dilation=1, *, flip=False, cast=False, plus_one=1,
             col_dilation=True):
    """A student's two-pass filter; the keywords switch on one mistake each."""
    s, d = stride, dilation
    if flip:
        col, row = col[::-1], row[::-1]
    kh, kw = len(col), len(row)
    dc = d if col_dilation else 1
    oh = (x.shape[0] - dc * (kh - 1) - 1) // s + plus_one
    ow = (x.shape[1] - d * (kw - 1) - 1) // s + plus_one
    z = np.zeros((oh, x.shape[1]))
    for a in range(kh):
        z += col[a] * x[dc * a:dc * a + s * (oh - 1) + 1:s, :]
    y = np.zeros((oh, ow))
    for b in range(kw):
        y += row[b] * z[:, d * b:d * b + s * (ow - 1) + 1:s]
    return y.astype(x.dtype) if cast else y


def two_pass_strided_z(x, col, row, stride=1, dilation=1):
    """Both passes strided: the column pass also skips columns, the row pass runs at 1."""
    s, d = stride, dilation
    kh, kw = len(col), len(row)
    oh = (x.shape[0] - d * (kh - 1) - 1) // s + 1
    z = sum(col[a] * x[d * a:d * a + s * (oh - 1) + 1:s, ::s] for a in range(kh))
    ow = z.shape[1] - d * (kw - 1)
    return sum(row[b] * z[:, d * b:d * b + ow] for b in range(kw))


def two_pass_swapped(x, col, row, stride=1, dilation=1):
    return two_pass(x.T, col, row, stride, dilation).T


def two_pass_loops(x, col, row, stride=1, dilation=1):
    """Correct except that it loops with stride over the input instead of the output."""
    kh, kw = len(col), len(row)
    h, w = x.shape
    out = []
    for i in range(0, h - dilation * (kh - 1), 1):
        out.append([sum(col[a] * row[b] * x[i + dilation * a, j + dilation * b]
                        for a in range(kh) for b in range(kw))
                    for j in range(0, w - dilation * (kw - 1), 1)])
    return np.array(out, dtype=float)


def svd_terms(kernel, terms, with_sigma=True, vt_rows=True):
    u, s, vt = np.linalg.svd(kernel)
    total = np.zeros(kernel.shape)
    for i in terms:
        v = vt[i] if vt_rows else vt[:, i]
        total += (s[i] if with_sigma else 1.0) * np.outer(u[:, i], v)
    return total


def corr(x, k):
    kh, kw = k.shape
    out = np.zeros((x.shape[0] - kh + 1, x.shape[1] - kw + 1))
    for a in range(kh):
        for b in range(kw):
            out += k[a, b] * x[a:a + out.shape[0], b:b + out.shape[1]]
    return out


def rank_by(measure):
    @np.errstate(invalid="ignore", divide="ignore")  # a student's code meets 0 / 0 silently
    def rank_for_error(kernel, max_error):
        s = np.linalg.svd(kernel, compute_uv=False)
        for r in range(len(s) + 1):
            if measure(s, r) <= max_error:
                return r
        return len(s)
    return rank_for_error


@np.errstate(invalid="ignore", divide="ignore")
def rank_no_zero_guard(kernel, max_error):
    s = np.linalg.svd(kernel, compute_uv=False)
    for r in range(len(s) + 1):
        if np.sqrt(np.sum(s[r:] ** 2) / np.sum(s ** 2)) <= max_error:
            return r


def costs(h, w, kh, kw, rank, *, z_cols=None, one_rank=False, plus_one=1):
    oh, ow = h - kh + plus_one, w - kw + plus_one
    z = w if z_cols is None else z_cols(w, kw)
    one = kh * kw * oh * ow * (rank if one_rank else 1)
    return one, rank * (kh * oh * z + kw * oh * ow)


def unfold(w):
    c_out, c_in, kh, kw = w.shape
    return w.transpose(0, 2, 1, 3).reshape(c_out * kh, c_in * kw)


def truncate(m, r, with_sigma=True):
    u, s, vt = np.linalg.svd(m, full_matrices=False)
    return (u[:, :r] * (s[:r] if with_sigma else 1.0)) @ vt[:r]


def fold(m, shape):
    c_out, c_in, kh, kw = shape
    return m.reshape(c_out, kh, c_in, kw).transpose(0, 2, 1, 3)


def per_pair(weight, c_mid):
    out = np.zeros(weight.shape)
    for o in range(weight.shape[0]):
        for c in range(weight.shape[1]):
            out[o, c] = truncate(weight[o, c], min(c_mid, *weight.shape[2:]))
    return out


MUTANTS = {
    "ch04.two_pass_filter": [
        Mutant("stride ignored", lambda x, c, r, s=1, d=1: two_pass(x, c, r, 1, d), True),
        Mutant("dilation ignored", lambda x, c, r, s=1, d=1: two_pass(x, c, r, s, 1), True),
        Mutant("column pass strided across the columns too", two_pass_strided_z, True),
        Mutant("vectors flipped (np.convolve habit)",
               lambda x, c, r, s=1, d=1: two_pass(x, c, r, s, d, flip=True), True),
        Mutant("column and row swapped", two_pass_swapped, True),
        Mutant("stride and dilation swapped", lambda x, c, r, s=1, d=1: two_pass(x, c, r, d, s),
               True),
        Mutant("result cast back to x.dtype",
               lambda x, c, r, s=1, d=1: two_pass(x, c, r, s, d, cast=True), True),
        Mutant("output size without the + 1",
               lambda x, c, r, s=1, d=1: two_pass(x, c, r, s, d, plus_one=0), False),
        Mutant("dilation applied to the row pass only",
               lambda x, c, r, s=1, d=1: two_pass(x, c, r, s, d, col_dilation=False), False),
        Mutant("stride forgotten in a loop over input positions", two_pass_loops, True),
    ],
    "ch04.low_rank_filter": [
        Mutant("one term too many",
               lambda x, k, r: corr(x, svd_terms(k, range(min(r + 1, min(k.shape))))), True),
        Mutant("singular values left out",
               lambda x, k, r: corr(x, svd_terms(k, range(r), with_sigma=False)), True),
        Mutant("row taken from a column of Vt",
               lambda x, k, r: corr(x, svd_terms(k, range(r), vt_rows=False)), True),
        Mutant("the last terms kept",
               lambda x, k, r: corr(x, svd_terms(k, range(min(k.shape) - r, min(k.shape)))),
               True),
        Mutant("rank ignored: the whole kernel", lambda x, k, r: corr(x, k), True),
        Mutant("only term number rank", lambda x, k, r: corr(x, svd_terms(k, [r - 1])), False),
        Mutant("convolved (kernel flipped)",
               lambda x, k, r: corr(x, svd_terms(k, range(r))[::-1, ::-1]), False),
    ],
    "ch04.rank_for_error": [
        Mutant("error not relative", rank_by(lambda s, r: np.sqrt(np.sum(s[r:] ** 2))), True),
        Mutant("only the next singular value",
               rank_by(lambda s, r: (s[r] if r < len(s) else 0) / np.sqrt(np.sum(s ** 2))), True),
        Mutant("square root missing",
               rank_by(lambda s, r: np.sum(s[r:] ** 2) / np.sum(s ** 2)), True),
        Mutant("rank counted from 0",
               lambda k, e: max(rank_by(lambda s, r: np.sqrt(np.sum(s[r:] ** 2) / np.sum(
                   s ** 2)) if np.sum(s ** 2) else 0)(k, e) - 1, 0), True),
        Mutant("divided by sigma_1",
               rank_by(lambda s, r: np.sqrt(np.sum(s[r:] ** 2)) / s[0]), True),
        Mutant("zero kernel not handled", rank_no_zero_guard, False),
        Mutant("matrix_rank returned", lambda k, e: int(np.linalg.matrix_rank(k)), False),
    ],
    "ch04.low_rank_costs": [
        Mutant("rank ignored", lambda h, w, kh, kw, r: costs(h, w, kh, kw, 1), True),
        Mutant("intermediate as small as the output",
               lambda h, w, kh, kw, r: costs(h, w, kh, kw, r, z_cols=lambda w, kw: w - kw + 1),
               True),
        Mutant("row pass first",
               lambda h, w, kh, kw, r: (kh * kw * (h - kh + 1) * (w - kw + 1),
                                        r * (kw * h * (w - kw + 1)
                                             + kh * (h - kh + 1) * (w - kw + 1))), True),
        Mutant("no padding forgotten: sizes of the input",
               lambda h, w, kh, kw, r: (kh * kw * h * w, r * (kh + kw) * h * w), True),
        Mutant("kh and kw swapped", lambda h, w, kh, kw, r: costs(h, w, kw, kh, r), True),
        Mutant("the 2-D pass multiplied by the rank too",
               lambda h, w, kh, kw, r: costs(h, w, kh, kw, r, one_rank=True), False),
        Mutant("output size without the + 1",
               lambda h, w, kh, kw, r: costs(h, w, kh, kw, r, plus_one=0), False),
    ],
    "ch04.factorised_approximation": [
        Mutant("each kernel truncated on its own", per_pair, True),
        Mutant("unfolded as (o) x (c, a, b)",
               lambda w, c: truncate(w.reshape(w.shape[0], -1), c).reshape(w.shape), True),
        Mutant("reshaped back without the transpose",
               lambda w, c: truncate(unfold(w), c).reshape(w.shape), True),
        Mutant("c_mid + 1 terms", lambda w, c: fold(truncate(unfold(w), c + 1), w.shape), True),
        Mutant("unfolded as (o, c) x (a, b)",
               lambda w, c: truncate(w.reshape(w.shape[0] * w.shape[1], -1), min(
                   c, w.shape[2] * w.shape[3])).reshape(w.shape), False),
        Mutant("singular values dropped",
               lambda w, c: fold(truncate(unfold(w), c, with_sigma=False), w.shape), False),
        Mutant("rows (o, b), columns (c, a): the k x 1 layer first",
               lambda w, c: truncate(w.transpose(0, 3, 1, 2).reshape(
                   w.shape[0] * w.shape[3], -1), c).reshape(
                   w.shape[0], w.shape[3], w.shape[1], w.shape[2]).transpose(0, 2, 3, 1), False),
    ],
}


test_wrong_answer_loses_the_exercise = caught_test(MUTANTS)


test_tally = tally_test(MUTANTS, {
    "ch04.two_pass_filter": (10, 8), "ch04.low_rank_filter": (7, 5),
    "ch04.rank_for_error": (7, 5), "ch04.low_rank_costs": (7, 5),
    "ch04.factorised_approximation": (7, 4),
})
