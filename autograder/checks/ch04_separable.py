"""Hidden checks of chapter 04 (spatially separable): two-pass filtering, pass costs,
the SVD separability test, the split, and the rank-1 approximation error."""

from __future__ import annotations

import numpy as np

import solutions

from .core import Check, Mistake

SOBEL = np.outer([1.0, 2.0, 1.0], [-1.0, 0.0, 1.0])
LAPLACIAN = np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
BOX = np.full((3, 3), 1 / 9)


def _two_pass(x, col, row):
    return solutions.spatially_separable_conv2d(x[None], col, row)[0]


def _two_pass_cases(rng):
    cases = []
    for _ in range(30):
        col, row = rng.standard_normal(int(rng.integers(1, 6))), rng.standard_normal(
            int(rng.integers(1, 6)))
        x = rng.standard_normal((int(rng.integers(5, 12)), int(rng.integers(5, 12))))
        cases.append((x, col, row))
    return cases


def _pass_costs(h, w, kh, kw):
    oh, ow = h - kh + 1, w - kw + 1
    return (solutions.conv_macs(1, 1, (kh, kw), (oh, ow)),
            solutions.conv_macs(1, 1, (kh, 1), (oh, w))
            + solutions.conv_macs(1, 1, (1, kw), (oh, ow)))


def _cost_cases(rng):
    cases = []
    while len(cases) < 40:
        h, w, kh, kw = (int(v) for v in (rng.integers(1, 200), rng.integers(1, 200),
                                         rng.integers(1, 10), rng.integers(1, 10)))
        if kh <= h and kw <= w:
            cases.append((h, w, kh, kw))
    return cases


def _sigma(kernel):
    return np.linalg.svd(kernel, compute_uv=False)


def _is_separable(kernel, tol):
    return bool(solutions.rank1_approximation(kernel)[2] <= tol)


def _separability_cases(rng):
    """Rank-1, nearly rank-1 and full-rank kernels over 20 orders of magnitude.

    The text's test is sigma_2 <= tol * sigma_1; the reference measures the whole
    rank-1 error. Only kernels on which both agree are kept, so the two are the same test.
    """
    cases = []
    while len(cases) < 40:
        kind = len(cases) % 6
        shape = (int(rng.integers(2, 6)), int(rng.integers(2, 6)))
        scale = 10.0 ** rng.uniform(-10, 10)
        tol = 1e-8
        if kind == 0:
            kernel = np.outer(rng.standard_normal(shape[0]), rng.standard_normal(shape[1]))
        elif kind == 1:
            kernel = rng.standard_normal(shape)
        elif kind == 2:
            kernel = np.outer(rng.standard_normal(shape[0]), rng.standard_normal(shape[1]))
            kernel += 1e-11 * rng.standard_normal(shape)
        elif kind == 3:
            kernel = np.outer(rng.standard_normal(shape[0]), rng.standard_normal(shape[1]))
            kernel += 1e-5 * rng.standard_normal(shape)
            tol = float(rng.choice([1e-8, 1e-2]))
        elif kind == 4:
            kernel = rng.standard_normal((1, shape[1]) if rng.random() < 0.5 else (shape[0], 1))
        else:
            kernel = [SOBEL, LAPLACIAN, BOX, SOBEL.T, np.eye(3)][int(rng.integers(0, 5))].copy()
        kernel = kernel * scale
        sigma = _sigma(kernel)
        by_sigma = len(sigma) < 2 or sigma[1] <= tol * sigma[0]
        if by_sigma == _is_separable(kernel, tol):
            cases.append((kernel, tol))
    return cases


def _split_cases(rng):
    cases = []
    while len(cases) < 30:
        k = int(rng.integers(2, 6))
        col, row = rng.standard_normal(k), rng.standard_normal(k)
        if abs(col[0]) > 0.3:
            cases.append((np.outer(col, row) * 10.0 ** rng.uniform(-3, 3),))
    return cases


def _normalised(col, row):
    return col / col[0], row * col[0]


def _split_unscaled(kernel):
    u, s, vt = np.linalg.svd(kernel)
    return np.sqrt(s[0]) * u[:, 0], np.sqrt(s[0]) * vt[0]


def _split_without_sigma(kernel):
    u, _, vt = np.linalg.svd(kernel)
    return _normalised(u[:, 0], vt[0])


def _split_vt_column(kernel):
    u, s, vt = np.linalg.svd(kernel)
    return _normalised(u[:, 0], s[0] * vt[:, 0])


def _rank1_cases(rng):
    cases = [(LAPLACIAN,), (np.eye(3),), (SOBEL,)]
    while len(cases) < 30:
        cases.append((rng.standard_normal((int(rng.integers(2, 6)), int(rng.integers(2, 6)))),))
    return cases


CHECKS = [
    Check(
        id="ch04.two_pass_filter", function="two_pass_filter", cases=_two_pass_cases,
        reference=_two_pass,
        mistakes=[
            Mistake("column and row swapped", lambda x, c, r: _two_pass(x, r, c),
                    "the column vector runs *down* the image (a len(col) x 1 window, "
                    "x[i + a, j]); the row vector runs across (x[i, j + b])."),
            Mistake("vectors flipped", lambda x, c, r: _two_pass(x, c[::-1].copy(),
                                                                 r[::-1].copy()),
                    "cross-correlate, do not convolve: np.convolve flips its second argument. "
                    "Pass 1 is z[i, j] = sum_a col[a] * x[i + a, j]."),
            Mistake("row vector flipped", lambda x, c, r: _two_pass(x, c, r[::-1].copy()),
                    "the row pass is y[i, j] = sum_b row[b] * z[i, j + b], unflipped "
                    "(np.convolve would flip it)."),
        ]),
    Check(
        id="ch04.pass_costs", function="pass_costs", cases=_cost_cases, reference=_pass_costs,
        mistakes=[
            Mistake("intermediate as small as the output",
                    lambda h, w, kh, kw: (_pass_costs(h, w, kh, kw)[0],
                                          (kh + kw) * (h - kh + 1) * (w - kw + 1)),
                    "the column pass must also filter the kw - 1 columns the row pass consumes: "
                    "it produces (h - kh + 1) x w values."),
            Mistake("passes in the other order",
                    lambda h, w, kh, kw: (_pass_costs(h, w, kh, kw)[0],
                                          kw * h * (w - kw + 1)
                                          + kh * (h - kh + 1) * (w - kw + 1)),
                    "the column pass comes first: kh multiplications for each of its "
                    "(h - kh + 1) x w values, then kw for each output value."),
            Mistake("output as large as the input",
                    lambda h, w, kh, kw: (kh * kw * h * w, (kh + kw) * h * w),
                    "without padding the output is (h - kh + 1) x (w - kw + 1), and the "
                    "intermediate (h - kh + 1) x w."),
            Mistake("per output value only", lambda h, w, kh, kw: (kh * kw, kh + kw),
                    "count the multiplications for the whole image: every output value "
                    "(and every intermediate value) costs its share."),
        ]),
    Check(
        id="ch04.is_separable", function="is_separable", cases=_separability_cases,
        reference=_is_separable,
        mistakes=[
            Mistake("tol ignored", lambda k, tol: bool(np.linalg.matrix_rank(k) <= 1),
                    "np.linalg.matrix_rank uses its own, much smaller tolerance; compare "
                    "sigma_2 with tol * sigma_1 yourself."),
            Mistake("absolute tolerance",
                    lambda k, tol: bool(len(_sigma(k)) < 2 or _sigma(k)[1] <= tol),
                    "compare sigma_2 with tol * sigma_1, not with tol: scaling a kernel by "
                    "1e9 must not change whether it is separable."),
            Mistake("exact comparison with zero",
                    lambda k, tol: bool(len(_sigma(k)) < 2 or _sigma(k)[1] == 0),
                    "in floating point sigma_2 of a rank-1 kernel is tiny (1e-16), not 0: "
                    "test sigma_2 <= tol * sigma_1."),
        ]),
    Check(
        id="ch04.separable_split", function="separable_split", cases=_split_cases,
        reference=solutions.separable_split,
        mistakes=[
            Mistake("column and row swapped", lambda k: solutions.separable_split(k.T),
                    "col comes from U (the left singular vector u_1 = U[:, 0]) and row from "
                    "V^T (v_1 = Vt[0]): outer(col, row) must be the kernel, not its transpose."),
            Mistake("not normalised", _split_unscaled,
                    "sqrt(s_1) u_1 and sqrt(s_1) v_1 are a valid split, but the exercise asks "
                    "for the one with col[0] == 1: divide col by col[0], multiply row by it."),
            Mistake("singular value left out", _split_without_sigma,
                    "u_1 v_1^T is the kernel divided by s_1: put s_1 into one of the factors."),
            Mistake("row taken from a column of Vt", _split_vt_column,
                    "np.linalg.svd returns V transposed: v_1 is the first *row* Vt[0], "
                    "not the first column Vt[:, 0]."),
        ]),
    Check(
        id="ch04.rank1_error", function="rank1_error", cases=_rank1_cases,
        reference=lambda k: solutions.rank1_approximation(k)[2],
        mistakes=[
            Mistake("sigma_2 over sigma_1", lambda k: _sigma(k)[1] / _sigma(k)[0],
                    "every dropped singular value counts: sqrt(s_2^2 + s_3^2 + ...) over "
                    "sqrt(s_1^2 + s_2^2 + ...)."),
            Mistake("error not relative", lambda k: np.sqrt(np.sum(_sigma(k)[1:] ** 2)),
                    "divide by the kernel's norm sqrt(s_1^2 + s_2^2 + ...) (= ||K||_F)."),
            Mistake("divided by sigma_1 only",
                    lambda k: np.sqrt(np.sum(_sigma(k)[1:] ** 2)) / _sigma(k)[0],
                    "||K||_F is sqrt(s_1^2 + s_2^2 + ...), not s_1."),
            Mistake("square root missing",
                    lambda k: np.sum(_sigma(k)[1:] ** 2) / np.sum(_sigma(k) ** 2),
                    "the Frobenius norm is the square root of the sum of squares: take the "
                    "square root of the ratio."),
        ]),
]
