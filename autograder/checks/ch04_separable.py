"""Hidden checks of chapter 04 (spatially separable): the cheapest way to filter within an
error budget, the fewest taps to measure before a separable kernel is fixed, the error of a
1 x k / k x 1 layer pair pruned to fewer middle channels, and the nearest kernel with one
filter for both passes."""

from __future__ import annotations

import numpy as np

import solutions

from .core import Check, Mistake

SOBEL = np.outer([1.0, 2.0, 1.0], [-1.0, 0.0, 1.0])
LAPLACIAN = np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])


def _float(x):
    return np.asarray(x, dtype=np.float64)


# ---- Exercise 1: the cheapest filtering within an error budget --------------------------

def _read(n, k, s):
    """How many of n cells o = (n - k) // s + 1 windows of k cells, s apart, read: the first
    window's k, then min(s, k) new ones per window (s > k skips cells, the last window may
    stop before the end)."""
    return ((n - k) // s) * min(s, k) + k


def _pass_costs(h, w, kh, kw, s, *, read=_read):
    """(2-D pass, one pair column first, one pair row first), no padding, stride s.

    The first pass computes only what the second reads: the column pass only the output's
    rows, at the columns the row pass reads; the row pass only the output's columns, at the
    rows the column pass reads. ``read`` makes the mistake that computes every column (row)."""
    oh, ow = (h - kh) // s + 1, (w - kw) // s + 1
    return (kh * kw * oh * ow, kh * oh * read(w, kw, s) + kw * oh * ow,
            kw * read(h, kh, s) * ow + kh * oh * ow)


def _cheapest(kernel, h, w, stride, max_error, *, rank=None, costs=_pass_costs):
    kernel = _float(kernel)
    kh, kw = kernel.shape
    r = solutions.rank_for_error(kernel, max_error) if rank is None else rank(kernel, max_error)
    one, columns_first, rows_first = costs(h, w, kh, kw, stride)
    pairs = r * min(columns_first, rows_first)
    return (0, one) if one < pairs else (r, pairs)


def _full_first_pass(h, w, kh, kw, s):
    """The first pass at every row (or column), then subsampled: values thrown away."""
    oh, ow = (h - kh) // s + 1, (w - kw) // s + 1
    return (kh * kw * oh * ow, kh * (h - kh + 1) * w + kw * oh * ow,
            kw * h * (w - kw + 1) + kh * oh * ow)


def _cheapest_cases(rng):
    cases = [(LAPLACIAN, 128, 128, 1, 0.2), (LAPLACIAN, 128, 128, 1, 0.05),
             (SOBEL, 9, 200, 1, 1e-9), (np.outer(np.ones(7), np.ones(2)), 12, 40, 3, 0.0)]
    wanted = ["2-D", "columns first", "rows first"]  # a third of the cases each wins
    while len(cases) < 40:
        kh, kw = int(rng.integers(2, 12)), int(rng.integers(2, 12))
        if kh == kw:
            continue
        u, _, vt = np.linalg.svd(rng.standard_normal((kh, kw)))
        sigma = np.geomspace(1, float(rng.uniform(1e-4, 0.5)), min(kh, kw))
        kernel = (u[:, :len(sigma)] * sigma) @ vt[:len(sigma)]
        h, w = int(rng.integers(kh, 160)), int(rng.integers(kw, 160))
        stride = int(rng.integers(1, 5)) if len(cases) % 4 else 1
        max_error = float(rng.uniform(0, 0.6))
        energy = sigma ** 2
        errors = np.sqrt(np.concatenate([np.cumsum(energy[::-1])[::-1], [0]]) / energy.sum())
        one, cf, rf = _pass_costs(h, w, kh, kw, stride)
        r = int(np.argmax(errors <= max_error))
        winner = "2-D" if one < r * min(cf, rf) else "columns first" if cf < rf else "rows first"
        # no case on a knife's edge: the budget away from every error, no two options equal
        if np.min(np.abs(errors - max_error)) > 1e-6 and len({one, r * cf, r * rf}) == 3 \
                and winner == wanted[len(cases) % 3]:
            cases.append((kernel, h, w, stride, max_error))
    return cases


# ---- Exercise 2: how many more taps to measure -----------------------------------------------
# K = c r^T with no zero tap: a measured tap (a, b) gives c_a r_b, so it ties row a's factor to
# column b's. Within a set of rows and columns linked through measured taps, one factor fixes
# the rest; sets not linked keep a factor each, and their ratio is unknown (a tap between two
# such sets is c_a r_b with c_a and r_b scaled independently). Only one factor is free in
# c r^T itself ((t c)(r/t)^T), so the kernel is fixed when the rows and columns form one linked
# set. A further tap links at most two sets, and one between two sets always does: the fewest
# taps to measure is the number of linked sets (rows and columns with no tap are sets of one)
# minus 1. The text has the free factor, not the linking.

def _linked_sets(known, *, empty=True):
    """The connected components of the graph rows -- columns with an edge per known tap, by
    union-find (numpy only: the reference is also run as an answer, under the grader's
    numpy-only watch); ``empty=False`` leaves out rows and columns with no known tap (a
    mistake)."""
    known = np.asarray(known, dtype=bool)
    h, w = known.shape
    parent = list(range(h + w))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in zip(*np.nonzero(known)):
        parent[root(int(a))] = root(h + int(b))
    touched = np.concatenate([known.any(1), known.any(0)]) if not empty else np.ones(h + w, bool)
    return len({root(i) for i in np.flatnonzero(touched)})


def _taps_to_measure(known):
    return _linked_sets(known) - 1


def _group_mask(rng, h, w, groups, density):
    """Taps only within groups of rows x columns (a random partition; about a tenth of the
    rows and columns in no group, with no tap), each group's taps at ``density`` plus one in
    every row and every column of it, so that most groups are linked inside and some are
    not."""
    known = np.zeros((h, w), bool)
    row_group, col_group = rng.integers(0, groups, h), rng.integers(0, groups, w)
    row_group[rng.random(h) < 0.1] = -1
    col_group[rng.random(w) < 0.1] = -1
    for g in range(groups):
        rows, cols = np.flatnonzero(row_group == g), np.flatnonzero(col_group == g)
        if len(rows) and len(cols):
            block = rng.random((len(rows), len(cols))) < density
            block[np.arange(len(rows)), rng.integers(0, len(cols), len(rows))] = True
            block[rng.integers(0, len(rows), len(cols)), np.arange(len(cols))] = True
            known[np.ix_(rows, cols)] = block
    return known


def _measure_cases(rng):
    """Small kernels (1-7 a side) at any density; medium ones (8-40 a side) made of linked
    groups, redundant taps (cycles) in most; two kernels 10^5 taps long and about 30 wide."""
    cases = []
    while len(cases) < 38:
        if len(cases) % 2 == 0:
            h, w = int(rng.integers(1, 8)), int(rng.integers(1, 8))
            known = rng.random((h, w)) < rng.uniform(0.1, 0.8)
        else:
            h, w = int(rng.integers(8, 41)), int(rng.integers(8, 41))
            known = _group_mask(rng, h, w, int(rng.integers(1, 6)), rng.uniform(0.05, 0.5))
        cases.append((known,))
    long, narrow = int(rng.integers(100_000, 120_001)), int(rng.integers(28, 37))
    for h, w in ((long, narrow), (narrow, long)):
        cases.append((_group_mask(rng, h, w, int(rng.integers(5, 20)), 0.1),))
    return cases


MEASURE_MISTAKES = [
    Mistake("every measured tap taken to fix one more factor",
            lambda known: max(0, sum(np.shape(known)) - 1 - int(np.sum(known))),
            "a tap between a row and a column already linked through other taps tells you "
            "nothing new."),
    Mistake("one tap too many", lambda known: _linked_sets(known),
            "c r^T = (t c)(r/t)^T: one factor is free in the kernel itself, so it needs no "
            "tap."),
    Mistake("rows and columns without a measured tap left out",
            lambda known: _linked_sets(known, empty=False) - 1,
            "a row with no measured tap has a factor nothing fixes yet: it needs a tap too."),
    Mistake("one tap per row or column without any",
            lambda known: int((~np.any(known, 1)).sum() + (~np.any(known, 0)).sum()),
            "measured taps can leave rows that have taps unlinked to one another as well."),
    Mistake("every unknown tap", lambda known: int(np.size(known) - np.sum(known)),
            "the kernel is separable: most unknown taps follow from the measured ones."),
]


# ---- Exercise 3: the middle of a layer pair pruned -----------------------------------------

def _pair_factors(first, second):
    """The pair's two unfolded factors: Q, rows (o, a) and a column per middle channel m
    (second[o, m, a, 0]), and P, a row per m and columns (c, b) (first[m, c, 0, b]). The
    layer the pair composes, unfolded as in the text (rows (o, a), columns (c, b)), is Q P."""
    first, second = _float(first), _float(second)
    c_mid = first.shape[0]
    q = second[:, :, :, 0].transpose(0, 2, 1).reshape(-1, c_mid)
    p = first[:, :, 0, :].reshape(c_mid, -1)
    return q, p


def _pair_singular_values(first, second):
    """The singular values of Q P without forming it (it may hold 10^10 entries): with
    Q = U_1 R_1 and P^T = U_2 R_2 (thin QR), Q P = U_1 (R_1 R_2^T) U_2^T, and U_1, U_2 have
    orthonormal columns, so Q P has the singular values of the C_mid x C_mid core R_1 R_2^T."""
    q, p = _pair_factors(first, second)
    core = np.linalg.qr(q, mode="r") @ np.linalg.qr(p.T, mode="r").T
    return np.linalg.svd(core, compute_uv=False)


def _tail(sigma, c, *, relative=True, root=True):
    """The relative Frobenius error of the nearest matrix of rank <= c (Eckart-Young):
    sqrt(sum_{i > c} sigma_i^2 / sum_i sigma_i^2). The keywords make the named mistakes."""
    sigma = np.sort(np.asarray(sigma, dtype=np.float64))[::-1]
    dropped = np.sum(sigma[c:] ** 2) / (np.sum(sigma ** 2) if relative else 1.0)
    return float(np.sqrt(dropped) if root else dropped)


def _pruned_pair_error(first, second, c, *, keep=0, relative=True, root=True):
    """The relative error of the nearest layer a pair with c middle channels composes: a pair
    with c channels composes exactly the layers whose unfolded matrix has rank <= c (split a
    rank-c matrix into a (C_out k_h) x c and a c x (C_in k_w) factor), so the nearest is the
    first c SVD terms of Q P."""
    return _tail(_pair_singular_values(first, second), c + keep, relative=relative, root=root)


def _factor_values_multiplied(first, second, c):
    """sigma_i(Q) sigma_i(P), as if the product's singular values were the factors'."""
    q, p = _pair_factors(first, second)
    return _tail(np.linalg.svd(q, compute_uv=False) * np.linalg.svd(p, compute_uv=False), c)


def _channels_as_terms(first, second, c):
    """Each middle channel taken as one SVD term, sigma_m = ||Q[:, m]|| ||P[m]|| (the text's
    sigma_1 = ||c|| ||r|| for one outer product), the c largest kept."""
    q, p = _pair_factors(first, second)
    return _tail(np.linalg.norm(q, axis=0) * np.linalg.norm(p, axis=1), c)


def _gram_eigenvalues_as_values(first, second, c):
    """The eigenvalues of (Q^T Q)(P P^T), which are the *squared* singular values, used as
    the singular values."""
    q, p = _pair_factors(first, second)
    lam = np.linalg.eigvals((q.T @ q) @ (p @ p.T)).real
    return _tail(np.clip(lam, 0, None), c)


def _pair_cases(rng):
    """Pairs (first, second, c). The last two compose layers of 10^4 and more channels in
    and out: their unfolded matrix Q P has over 1.25 * 10^10
    entries (over 100 GB): neither cell 27's einsum nor the product of the two factors can
    be formed, let alone taken apart by an SVD."""
    cases = []
    while len(cases) < 28:
        c_out, c_in = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        kh, kw = int(rng.integers(2, 6)), int(rng.integers(2, 6))
        c_mid = int(rng.integers(2, 7))
        if c_mid > min(c_out * kh, c_in * kw):
            continue
        first = rng.standard_normal((c_mid, c_in, 1, kw))
        second = rng.standard_normal((c_out, c_mid, kh, 1))
        if len(cases) % 3 == 0:  # middle channels far from orthogonal: a shared direction
            first[:, :, 0, :] += 2 * rng.standard_normal((1, c_in, kw))
        c = c_mid if len(cases) % 7 == 0 else int(rng.integers(1, c_mid))
        sigma = _pair_singular_values(first, second)
        if sigma[-1] > 1e-3 * sigma[0]:  # no middle channel redundant
            cases.append((first, second, c))
    for _ in range(2):
        c_out, c_in = int(rng.integers(16_001, 18_000)), int(rng.integers(16_001, 18_000))
        kh, kw, c_mid = int(rng.integers(7, 9)), int(rng.integers(7, 9)), int(rng.integers(3, 6))
        first = rng.standard_normal((c_mid, c_in, 1, kw))
        second = rng.standard_normal((c_out, c_mid, kh, 1))
        cases.append((first, second, int(rng.integers(1, c_mid))))
    return cases


# ---- Exercise 4: the nearest kernel with one filter for both passes ------------------------

def _symmetric_separable(kernel, *, top="largest", negative_kept=False):
    """The kernel c c^T nearest to ``kernel`` (Frobenius): the same 1-D filter c for the column
    pass and the row pass.

    c c^T is symmetric, and the antisymmetric part A = (K - K^T)/2 is orthogonal to every
    symmetric matrix, so ||K - c c^T||^2 = ||A||^2 + ||S - c c^T||^2 with S = (K + K^T)/2.
    With c = sqrt(t) v, ||v|| = 1: ||S - c c^T||^2 = ||S||^2 - 2 t v^T S v + t^2, least at
    t = max(v^T S v, 0); so v is the eigenvector of S's largest eigenvalue lambda, and c c^T =
    lambda v v^T if lambda > 0, else 0. The keywords make the named mistakes."""
    k = _float(kernel)
    lam, vecs = np.linalg.eigh((k + k.T) / 2)
    i = int(np.argmax(np.abs(lam))) if top == "magnitude" else len(lam) - 1
    value = abs(lam[i]) if top == "magnitude" else lam[i]
    if value <= 0 and not negative_kept:
        return np.zeros_like(k)
    return value * np.outer(vecs[:, i], vecs[:, i])


def _text_rank1_of_symmetric_part(kernel):
    """The text's best rank-1 kernel sigma_1 u_1 v_1^T, of the symmetric part."""
    k = _float(kernel)
    u, s, vt = np.linalg.svd((k + k.T) / 2)
    return s[0] * np.outer(u[:, 0], vt[0])


def _text_split_column_twice(kernel):
    """The text's split c = sqrt(sigma_1) u_1, used for both passes: sigma_1 u_1 u_1^T."""
    u, s, _ = np.linalg.svd(_float(kernel))
    return s[0] * np.outer(u[:, 0], u[:, 0])


def _text_rank1_symmetrised(kernel):
    """The text's best rank-1 kernel, then made symmetric: (K_1 + K_1^T) / 2."""
    u, s, vt = np.linalg.svd(_float(kernel))
    k1 = s[0] * np.outer(u[:, 0], vt[0])
    return (k1 + k1.T) / 2


def _symmetric_cases(rng):
    """Square kernels; in a third the symmetric part's eigenvalue of largest magnitude is
    negative (a positive one below it), a few have no positive eigenvalue (the answer is 0),
    and three are 150 to 200 taps a side (a descent on the k entries of c by finite
    differences, 2k evaluations of a k x k error per step, takes far too long there). Every
    case keeps a gap between the two largest eigenvalues, so that the answer is unique and
    well conditioned."""
    cases = [(np.outer([1.0, 2.0, 1.0], [1.0, 2.0, 1.0]),), (np.array([[3.0, 1.0], [-1.0, 1.0]]),),
             (-np.eye(2),), (np.array([[-4.0, 2.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, -1.0]]),)]
    while len(cases) < 30:
        kind = len(cases) % 3
        n = int(rng.integers(150, 201)) if len(cases) % 9 == 1 else int(rng.integers(2, 8))
        v = np.linalg.qr(rng.standard_normal((n, n)))[0]
        if kind == 0:      # near c c^T: a learned blur
            lam = np.concatenate([[rng.uniform(2, 5)], rng.uniform(-0.5, 0.5, n - 1)])
        elif kind == 1:    # the largest magnitude negative, a smaller positive eigenvalue
            lam = np.concatenate([[-rng.uniform(3, 6), rng.uniform(0.8, 2)],
                                  rng.uniform(-0.5, 0.5, n - 2)])
        else:              # random, or (one case in four) no positive eigenvalue at all
            lam = rng.uniform(-3, 3, n) if len(cases) % 4 else -rng.uniform(0.1, 3, n)
        antisym = rng.standard_normal((n, n)) * rng.uniform(0, 0.5)
        kernel = (v * lam) @ v.T + antisym - antisym.T
        top = np.sort(np.linalg.eigvalsh((kernel + kernel.T) / 2))[::-1]
        if n >= 2 and top[0] - top[1] > 1e-2 * max(abs(top[0]), 1):
            cases.append((kernel,))
    return cases


CHECKS = [
    Check(
        id="ch04.cheapest_filtering", function="cheapest_filtering", cases=_cheapest_cases,
        reference=_cheapest,
        mistakes=[
            Mistake("the first pass at every position",
                    lambda k, h, w, s, e: _cheapest(k, h, w, s, e, costs=_full_first_pass),
                    "your first pass runs at every position and the stride is applied "
                    "after it: with stride s, which of its rows (columns) does the second "
                    "pass ever read?"),
            Mistake("cells the second pass skips computed",
                    lambda k, h, w, s, e: _cheapest(
                        k, h, w, s, e, costs=lambda *a: _pass_costs(*a, read=lambda n, k, s: n)),
                    "the first pass fed the second at every column (row), but with a stride "
                    "the second pass may never read some of them: between its windows, or "
                    "after its last one."),
            Mistake("always the column pass first",
                    lambda k, h, w, s, e: _cheapest(
                        k, h, w, s, e, costs=lambda *a: (_pass_costs(*a)[0],) +
                        (_pass_costs(*a)[1],) * 2),
                    "the two orders give the same result but not the same cost: count the "
                    "row pass first too, and take the cheaper."),
            Mistake("the 2-D pass never considered",
                    lambda k, h, w, s, e: (lambda r, c: (r, c))(
                        solutions.rank_for_error(k, e),
                        solutions.rank_for_error(k, e) * min(_pass_costs(h, w, *np.shape(k),
                                                                          s)[1:])),
                    "a kernel that needs many pairs is cheaper as one 2-D pass: compare."),
            Mistake("one pair whatever the budget",
                    lambda k, h, w, s, e: _cheapest(k, h, w, s, e, rank=lambda k, e: 1),
                    "the budget decides the rank: the smallest r whose best rank-r kernel is "
                    "within max_error, each of the r terms a pair of passes."),
            Mistake("error not relative",
                    lambda k, h, w, s, e: _cheapest(
                        k, h, w, s, e, rank=lambda k, e: next(
                            r for r in range(min(k.shape) + 1)
                            if np.sqrt(np.sum(np.linalg.svd(k, compute_uv=False)[r:] ** 2))
                            <= e)),
                    "max_error is relative: divide the dropped part by ||K||_F."),
            Mistake("stride ignored",
                    lambda k, h, w, s, e: _cheapest(k, h, w, 1, e),
                    "output (i, j) starts at input (s*i, s*j): the output has "
                    "(h - k_h) // s + 1 rows, and so on."),
            Mistake("kernel height and width swapped",
                    lambda k, h, w, s, e: _cheapest(np.transpose(k), h, w, s, e),
                    "k_h is the number of rows of the kernel (kernel.shape[0])."),
        ]),
    Check(
        id="ch04.taps_to_measure", function="taps_to_measure", cases=_measure_cases,
        reference=_taps_to_measure, rtol=0.0, atol=0.0, mistakes=MEASURE_MISTAKES),
    Check(
        id="ch04.pruned_pair_error", function="pruned_pair_error", cases=_pair_cases,
        reference=_pruned_pair_error,
        mistakes=[
            Mistake("the factors' singular values multiplied", _factor_values_multiplied,
                    "the singular values of a product are not the products of the factors' "
                    "singular values (that needs the factors' singular vectors to line up); "
                    "what small matrix has the same singular values as Q P?"),
            Mistake("each middle channel taken as one SVD term", _channels_as_terms,
                    "the pair's c_mid terms q_m p_m^T are outer products but not orthogonal "
                    "ones: their norms are not the singular values of their sum."),
            Mistake("the eigenvalues of the Gram product taken as singular values",
                    _gram_eigenvalues_as_values,
                    "those eigenvalues are the squares of the singular values."),
            Mistake("error not relative",
                    lambda f, s, c: _pruned_pair_error(f, s, c, relative=False),
                    "divide the dropped part by ||W||_F: the error is relative."),
            Mistake("the squared error",
                    lambda f, s, c: _pruned_pair_error(f, s, c, root=False),
                    "the Frobenius error is the square root of the dropped energy's share."),
            Mistake("one channel too many",
                    lambda f, s, c: _pruned_pair_error(f, s, c, keep=1),
                    "the narrower pair has exactly c channels between its layers."),
        ]),
    Check(
        id="ch04.symmetric_separable", function="symmetric_separable",
        cases=_symmetric_cases, reference=_symmetric_separable,
        mistakes=[
            Mistake("the text's best rank-1 kernel of the symmetric part",
                    _text_rank1_of_symmetric_part,
                    "sigma_1 u_1 v_1^T has the form c c^T only when u_1 = v_1; for this "
                    "kernel u_1 = -v_1. Which c c^T comes closest then?"),
            Mistake("the eigenvalue of largest magnitude, its sign dropped",
                    lambda k: _symmetric_separable(k, top="magnitude"),
                    "the eigenvalue you took is the largest in magnitude, and here it is "
                    "negative: compare the error of your c c^T with that of c = 0."),
            Mistake("a negative eigenvalue kept",
                    lambda k: _symmetric_separable(k, negative_kept=True),
                    "lambda v v^T with lambda < 0 is not of the form c c^T."),
            Mistake("the text's column used for both passes", _text_split_column_twice,
                    "sigma_1 u_1 u_1^T is symmetric, but u_1 is the best column for a pair "
                    "with its own row, not for one filter used twice."),
            Mistake("the text's best rank-1 kernel made symmetric", _text_rank1_symmetrised,
                    "(K_1 + K_1^T) / 2 is symmetric but has rank 2 in general: not c c^T."),
        ]),
]
