"""Hidden checks of chapter 04 (spatially separable): two passes with stride and dilation,
low-rank filtering, the rank a tolerance needs, the cost of rank-r passes, and the best
1 x k then k x 1 factorisation of a layer."""

from __future__ import annotations

import numpy as np

import solutions

from .core import Check, Mistake

SOBEL = np.outer([1.0, 2.0, 1.0], [-1.0, 0.0, 1.0])
LAPLACIAN = np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])


def _float(x):
    return np.asarray(x, dtype=np.float64)


def _corr(x, kernel, stride=1, dilation=1):
    """One channel correlated with a 2-D kernel (the trusted 2-D pass)."""
    return solutions.conv2d(_float(x)[None], _float(kernel)[None, None], stride=stride,
                            dilation=dilation)[0]


def _two_pass(x, col, row, stride=1, dilation=1):
    return solutions.spatially_separable_conv2d(_float(x)[None], _float(col), _float(row),
                                                stride=stride, dilation=dilation)[0]


def _two_pass_cases(rng):
    cases = []
    while len(cases) < 40:
        kh, kw = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        s, d = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        h, w = int(rng.integers(1, 14)), int(rng.integers(1, 14))
        if max(s, d) * (max(kh, kw) - 1) + 1 > min(h, w):  # room for s and d swapped too
            continue
        if len(cases) % 4 == 0:  # integer images, taps in halves: a float result
            x = rng.integers(-9, 10, (h, w))
            col, row = rng.integers(-3, 4, kh) / 2, rng.integers(-3, 4, kw) / 2
        else:
            x, col, row = (rng.standard_normal((h, w)), rng.standard_normal(kh),
                           rng.standard_normal(kw))
        cases.append((x, col, row, s, d))
    return cases


def _column_pass_strided_both_ways(x, col, row, s, d):
    """The column pass keeps every s-th column too; the row pass then runs at stride 1.

    Written with slices as a student would, so that it reproduces the odd shapes too.
    """
    x, col, row = _float(x), _float(col), _float(row)
    oh = (x.shape[0] - d * (len(col) - 1) - 1) // s + 1
    z = sum(col[a] * x[d * a:d * a + s * (oh - 1) + 1:s, ::s] for a in range(len(col)))
    ow = z.shape[1] - d * (len(row) - 1)
    return sum(row[b] * z[:, d * b:d * b + ow] for b in range(len(row)))


def _low_rank(x, kernel, rank):
    cols, rows = solutions.low_rank_approximation(kernel, rank)
    return _corr(x, cols @ rows)


def _distinct_sigma(kernel):
    s = np.linalg.svd(kernel, compute_uv=False)
    return len(s) < 2 or np.min(-np.diff(s)) > 1e-3 * s[0]


def _low_rank_cases(rng):
    cases = [(np.arange(16.0).reshape(4, 4), LAPLACIAN, 1)]
    while len(cases) < 30:
        kh, kw = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        kernel = rng.standard_normal((kh, kw))
        if len(cases) % 5 == 0:  # a kernel whose rank is below its size
            kernel = rng.standard_normal((kh, 1)) @ rng.standard_normal((1, kw)) \
                + (rng.standard_normal((kh, 1)) @ rng.standard_normal((1, kw)) if kh > 2 else 0)
        if not _distinct_sigma(kernel):
            continue
        x = rng.integers(-5, 6, (int(rng.integers(kh, 10)), int(rng.integers(kw, 10)))) \
            if len(cases) % 3 == 0 else rng.standard_normal((int(rng.integers(kh, 10)),
                                                              int(rng.integers(kw, 10))))
        cases.append((x, kernel, int(rng.integers(1, min(kh, kw) + 1))))
    return cases


def _sigma_terms(kernel, take):
    """Filter with the SVD terms whose indices ``take`` selects (for named mistakes)."""
    u, s, vt = np.linalg.svd(_float(kernel))
    return sum(s[i] * np.outer(u[:, i], vt[i]) for i in take) + 0 * _float(kernel)


def _unit_terms(kernel, rank):
    u, _, vt = np.linalg.svd(_float(kernel))
    return u[:, :rank] @ vt[:rank]


def _vt_columns(kernel, rank):
    """Only defined for square kernels, where Vt[:, i] has the length of a row."""
    u, s, vt = np.linalg.svd(_float(kernel))
    return (u[:, :rank] * s[:rank]) @ vt[:, :rank].T


def _errors(kernel):
    """Relative error of the best rank-r kernel, for r = 0, 1, ..., len(sigma)."""
    energy = np.linalg.svd(_float(kernel), compute_uv=False) ** 2
    left = np.concatenate([np.cumsum(energy[::-1])[::-1], [0.0]])
    return np.sqrt(left / energy.sum())


def _rank_cases(rng):
    cases = [(SOBEL, 1e-8), (LAPLACIAN, 0.05), (LAPLACIAN, 0.2), (np.zeros((2, 3)), 0.1),
             (np.eye(3), 0.6)]
    while len(cases) < 40:
        kh, kw = int(rng.integers(1, 7)), int(rng.integers(1, 7))
        kernel = rng.standard_normal((kh, kw)) * np.geomspace(1, 1e-3, kw)
        if len(cases) % 4 == 0:
            kernel = rng.integers(-4, 5, (kh, kw))
        if not np.any(kernel):
            continue
        errors = _errors(kernel)
        max_error = float(rng.uniform(0, 0.9))
        if np.min(np.abs(errors - max_error)) > 1e-6:
            cases.append((kernel, max_error))
    return cases


def _rank_with(measure):
    """Smallest r whose error, measured by ``measure(sigma, r)``, is at most max_error."""
    def rank(kernel, max_error):
        s = np.linalg.svd(_float(kernel), compute_uv=False)
        with np.errstate(invalid="ignore", divide="ignore"):  # the zero kernel: 0 / 0
            return next((r for r in range(len(s) + 1) if measure(s, r) <= max_error), len(s))
    return rank


def _plain_costs(h, w, kh, kw, rank):
    """The cost formula in plain arithmetic, for mistakes that make sizes negative."""
    oh, ow = h - kh + 1, w - kw + 1
    return kh * kw * oh * ow, rank * (kh * oh * w + kw * oh * ow)


def _low_rank_costs(h, w, kh, kw, rank):
    oh, ow = h - kh + 1, w - kw + 1
    one = solutions.conv_macs(1, 1, (kh, kw), (oh, ow))
    pair = solutions.conv_macs(1, 1, (kh, 1), (oh, w)) + solutions.conv_macs(1, 1, (1, kw),
                                                                             (oh, ow))
    return one, rank * pair


def _cost_cases(rng):
    cases = [(3, 3, 3, 3, 1), (128, 128, 7, 7, 2)]
    while len(cases) < 40:
        h, w, kh, kw = (int(v) for v in (rng.integers(1, 200), rng.integers(1, 200),
                                         rng.integers(1, 10), rng.integers(1, 10)))
        if kh <= h and kw <= w and kh != kw:
            cases.append((h, w, kh, kw, int(rng.integers(1, min(kh, kw) + 1))))
    return cases


def _unfold(weight):
    """(C_out, C_in, k_h, k_w) -> rows (o, a), columns (c, b): its rank is C_mid at most."""
    c_out, c_in, kh, kw = weight.shape
    return weight.transpose(0, 2, 1, 3).reshape(c_out * kh, c_in * kw)


def _fold(matrix, shape):
    c_out, c_in, kh, kw = shape
    return matrix.reshape(c_out, kh, c_in, kw).transpose(0, 2, 1, 3)


def _truncated(matrix, r):
    u, s, vt = np.linalg.svd(matrix, full_matrices=False)
    return (u[:, :r] * s[:r]) @ vt[:r]


def _factorised(weight, c_mid):
    weight = _float(weight)
    return _fold(_truncated(_unfold(weight), c_mid), weight.shape)


def _factorised_cases(rng):
    cases = [(np.diag([3.0, 2.0, 1.0])[None, None], 1), (LAPLACIAN[None, None], 2)]
    while len(cases) < 30:
        shape = tuple(int(v) for v in (rng.integers(1, 4), rng.integers(1, 4),
                                       rng.integers(1, 5), rng.integers(1, 5)))
        weight = rng.integers(-3, 4, shape) if len(cases) % 4 == 0 else \
            rng.standard_normal(shape)
        matrix = _unfold(_float(weight))
        s = np.linalg.svd(matrix, compute_uv=False)
        c_mid = int(rng.integers(1, min(matrix.shape) + 1))
        # the best rank-c_mid matrix is unique only when s_c_mid > s_(c_mid + 1)
        if s[0] > 0 and (c_mid == len(s) or s[c_mid - 1] - s[c_mid] > 1e-3 * s[0]):
            cases.append((weight, c_mid))
    return cases


def _per_pair(weight, c_mid):
    """Each (o, c) kernel truncated on its own: not a 1 x k, k x 1 pair with c_mid channels."""
    weight = _float(weight)
    out = np.empty_like(weight)
    for o in range(weight.shape[0]):
        for c in range(weight.shape[1]):
            out[o, c] = _truncated(weight[o, c], min(c_mid, min(weight.shape[2:])))
    return out


def _channels_unfolded(weight, c_mid):
    """Rows o, columns (c, a, b): the rank of that matrix is not what the pair limits."""
    weight = _float(weight)
    return _truncated(weight.reshape(weight.shape[0], -1), c_mid).reshape(weight.shape)


CHECKS = [
    Check(
        id="ch04.two_pass_filter", function="two_pass_filter", cases=_two_pass_cases,
        reference=_two_pass,
        mistakes=[
            Mistake("column and row swapped",
                    lambda x, c, r, s, d: _corr(x, np.outer(r, c), s, d),
                    "the column vector runs *down* the image (x[i + a, j]), the row vector "
                    "across (x[i, j + b]): the kernel is outer(col, row)."),
            Mistake("vectors flipped",
                    lambda x, c, r, s, d: _two_pass(x, c[::-1].copy(), r[::-1].copy(), s, d),
                    "cross-correlate, do not convolve: np.convolve flips its second argument."),
            Mistake("stride ignored", lambda x, c, r, s, d: _two_pass(x, c, r, 1, d),
                    "with stride s only every s-th output position is kept: output (i, j) "
                    "starts at input (s*i, s*j)."),
            Mistake("dilation ignored", lambda x, c, r, s, d: _two_pass(x, c, r, s, 1),
                    "with dilation d the taps are d apart: tap a of the column reads "
                    "x[s*i + d*a, ...]."),
            Mistake("column pass strided across the columns too",
                    _column_pass_strided_both_ways,
                    "the column pass may skip rows (stride along the rows) but must keep every "
                    "column: the row pass still reads z[i, s*j + d*b] for every b."),
            Mistake("stride and dilation swapped",
                    lambda x, c, r, s, d: _two_pass(x, c, r, d, s),
                    "stride is the step between output positions; dilation the gap between "
                    "the taps of the kernel."),
            Mistake("result cast to the input's integer dtype",
                    lambda x, c, r, s, d: _two_pass(x, c, r, s, d).astype(np.asarray(x).dtype),
                    "the taps may be fractional: return a float array even for an integer x "
                    "(do not cast back to x.dtype, nor accumulate in np.zeros_like(x))."),
        ]),
    Check(
        id="ch04.low_rank_filter", function="low_rank_filter", cases=_low_rank_cases,
        reference=_low_rank,
        mistakes=[
            Mistake("one term too many or too few",
                    lambda x, k, r: _corr(x, _sigma_terms(k, range(min(r + 1, min(k.shape))))),
                    "keep exactly the first `rank` terms s_i u_i v_i^T, i = 0 .. rank - 1."),
            Mistake("singular values left out", lambda x, k, r: _corr(x, _unit_terms(k, r)),
                    "each term is s_i u_i v_i^T: put s_i (or its square root in both "
                    "factors) into the passes."),
            Mistake("row taken from a column of Vt", lambda x, k, r: _corr(x, _vt_columns(k, r)),
                    "np.linalg.svd returns V transposed: v_i is the row Vt[i], not Vt[:, i]."),
            Mistake("rank ignored", lambda x, k, r: _corr(x, k),
                    "filter with the best rank-`rank` kernel, not the kernel itself: keep only "
                    "the first `rank` SVD terms."),
            Mistake("the last terms kept instead of the first",
                    lambda x, k, r: _corr(x, _sigma_terms(k, range(min(k.shape) - r,
                                                                   min(k.shape)))),
                    "singular values come largest first: the best rank-r kernel keeps "
                    "terms 0 .. r - 1."),
        ]),
    Check(
        id="ch04.rank_for_error", function="rank_for_error", cases=_rank_cases,
        reference=solutions.rank_for_error,
        mistakes=[
            Mistake("errors not relative",
                    _rank_with(lambda s, r: np.sqrt(np.sum(s[r:] ** 2))),
                    "divide by ||K||_F = sqrt(s_1^2 + s_2^2 + ...): the tolerance is relative."),
            Mistake("only the next singular value counted",
                    _rank_with(lambda s, r: (s[r] if r < len(s) else 0) / np.sqrt(np.sum(s**2))),
                    "keeping r terms drops *all* of s_(r+1), s_(r+2), ...: the error is "
                    "sqrt(s_(r+1)^2 + ...) / ||K||_F."),
            Mistake("square root missing",
                    _rank_with(lambda s, r: np.sum(s[r:] ** 2) / np.sum(s ** 2)),
                    "the Frobenius norm is the square root of the sum of squares."),
            Mistake("off by one: rank counted from 0",
                    lambda k, e: max(solutions.rank_for_error(k, e) - 1, 0),
                    "rank r keeps r terms: rank 1 is s_1 u_1 v_1^T, so the error of rank r "
                    "starts at s_(r+1)."),
            Mistake("divided by s_1 instead of ||K||_F",
                    _rank_with(lambda s, r: np.sqrt(np.sum(s[r:] ** 2)) / s[0]),
                    "relative to the whole kernel: ||K||_F = sqrt(s_1^2 + s_2^2 + ...)."),
        ]),
    Check(
        id="ch04.low_rank_costs", function="low_rank_costs", cases=_cost_cases,
        reference=_low_rank_costs,
        mistakes=[
            Mistake("rank ignored",
                    lambda h, w, kh, kw, r: _low_rank_costs(h, w, kh, kw, 1),
                    "a rank-r kernel needs r column passes and r row passes: multiply the "
                    "two-pass cost by r."),
            Mistake("intermediate as small as the output",
                    lambda h, w, kh, kw, r: (_low_rank_costs(h, w, kh, kw, r)[0],
                                             r * (kh + kw) * (h - kh + 1) * (w - kw + 1)),
                    "the column pass also filters the kw - 1 columns the row pass consumes: "
                    "its output is (h - kh + 1) x w."),
            Mistake("passes in the other order",
                    lambda h, w, kh, kw, r: (_low_rank_costs(h, w, kh, kw, r)[0],
                                             r * (kw * h * (w - kw + 1)
                                                  + kh * (h - kh + 1) * (w - kw + 1))),
                    "the column pass comes first: kh multiplications for each of its "
                    "(h - kh + 1) x w values, then kw for each output value."),
            Mistake("output as large as the input",
                    lambda h, w, kh, kw, r: (kh * kw * h * w, r * (kh + kw) * h * w),
                    "without padding the output is (h - kh + 1) x (w - kw + 1)."),
            Mistake("kernel height and width swapped",
                    lambda h, w, kh, kw, r: _plain_costs(h, w, kw, kh, r),
                    "kh is the number of rows of the kernel (the column vector's length)."),
        ]),
    Check(
        id="ch04.factorised_approximation", function="factorised_approximation",
        cases=_factorised_cases, reference=_factorised,
        mistakes=[
            Mistake("each kernel truncated on its own", _per_pair,
                    "the pair shares its c_mid channels across all (o, c): unfold the weight "
                    "into a (C_out k_h) x (C_in k_w) matrix, rows (o, a), columns (c, b), and "
                    "truncate *that* matrix."),
            Mistake("unfolded as channels by everything else", _channels_unfolded,
                    "rows must be (o, a) and columns (c, b): W[o, c, a, b] = "
                    "sum_m q[o, m, a] p[m, c, b] (q the second layer's columns, p the first "
                    "layer's rows), a product over m of those two matrices."),
            Mistake("axes not put back after the SVD",
                    lambda w, c: _truncated(_unfold(_float(w)), c).reshape(np.shape(w)),
                    "the unfolded matrix has rows (o, a) and columns (c, b): reshape to "
                    "(C_out, k_h, C_in, k_w) and transpose to (C_out, C_in, k_h, k_w)."),
            Mistake("one term too many or too few",
                    lambda w, c: _fold(_truncated(_unfold(_float(w)), c + 1), np.shape(w)),
                    "keep exactly c_mid singular values: the pair has c_mid channels between."),
        ]),
]
