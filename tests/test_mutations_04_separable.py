"""Chapter 04's hidden checks against wrong answers written as students write them."""

from __future__ import annotations

import numpy as np
from mutants import Mutant, caught_test, tally_test


def plan(kernel, h, w, stride, max_error, *, relative=True, strided_first=True, orders=2,
         with_2d=True, fixed_rank=None, out=None, shape=None, skipped_fed=False):
    """A student's cheapest_filtering; the keywords switch on one mistake each."""
    kh, kw = kernel.shape if shape is None else shape(kernel)
    s = stride
    oh, ow = ((h - kh) // s + 1, (w - kw) // s + 1) if out is None else out(h, w, kh, kw, s)
    sigma = np.linalg.svd(kernel, compute_uv=False)
    total = np.sqrt(np.sum(sigma ** 2)) if relative else 1.0
    rank = fixed_rank or next(r for r in range(len(sigma) + 1)
                              if np.sqrt(np.sum(sigma[r:] ** 2)) / total <= max_error)
    rows = oh if strided_first else h - kh + 1
    cols = ow if strided_first else w - kw + 1
    # the cells the second pass reads: all of them where the student feeds skipped ones too
    fed_w = w if skipped_fed or not strided_first else (ow - 1) * min(s, kw) + kw
    fed_h = h if skipped_fed or not strided_first else (oh - 1) * min(s, kh) + kh
    options = [kh * rows * fed_w + kw * oh * ow, kw * fed_h * cols + kh * oh * ow][:orders]
    pairs = rank * min(options)
    one = kh * kw * oh * ow
    if with_2d and one < pairs:
        return 0, one
    return rank, pairs


def plan_per_output(kernel, h, w, stride, max_error):
    """The text's per-output count: k_h + k_w per output value for each pair."""
    kh, kw = kernel.shape
    oh, ow = (h - kh) // stride + 1, (w - kw) // stride + 1
    sigma = np.linalg.svd(kernel, compute_uv=False)
    rank = next(r for r in range(len(sigma) + 1)
                if np.sqrt(np.sum(sigma[r:] ** 2) / np.sum(sigma ** 2)) <= max_error)
    one, pairs = kh * kw * oh * ow, rank * (kh + kw) * oh * ow
    return (0, one) if one < pairs else (rank, pairs)


def _linked(known, skip_empty=False):
    """A student's union-find over rows 0..h-1 and columns h..h+w-1: the number of linked
    sets (``skip_empty``: only rows and columns that have a measured tap)."""
    h, w = known.shape
    parent = list(range(h + w))

    def root(i):
        while parent[i] != i:
            i = parent[i]
        return i

    for a, b in zip(*np.nonzero(known)):
        parent[root(a)] = root(h + b)
    touched = [i for i in range(h + w) if not skip_empty or
               (known[i].any() if i < h else known[:, i - h].any())]
    return len({root(i) for i in touched})


def measure_tree_count(known):
    return max(0, sum(known.shape) - 1 - int(known.sum()))


def measure_sets(known):
    return _linked(known)


def measure_touched_only(known):
    return _linked(known, skip_empty=True) - 1


def measure_empty_lines(known):
    return int((~known.any(1)).sum() + (~known.any(0)).sum())


def measure_unknown(known):
    return int(known.size - known.sum())


def measure_rows_only(known):
    """Rows linked through shared columns, the columns' own sets forgotten."""
    return _linked(known[:, :0] if known.shape[1] == 0 else known) - 1 - \
        int((~known.any(0)).sum())


def measure_rank(known):
    """The rank of the 0/1 pattern: the taps' independent rows."""
    return int(min(known.shape) - np.linalg.matrix_rank(known.astype(float)))


def measure_larger_side(known):
    return int(max((~known.any(1)).sum(), (~known.any(0)).sum()))


# --- pruned_pair_error(first, second, c) -------------------------------------------------

def factors(first, second):
    """The unfolded factors: Q (rows (o, a), a column per middle channel), P (a row per
    middle channel, columns (c, b)); the layer unfolded is Q @ P."""
    c_mid = first.shape[0]
    return (second[:, :, :, 0].transpose(0, 2, 1).reshape(-1, c_mid),
            first[:, :, 0, :].reshape(c_mid, -1))


def error_from(sigma, c, relative=True, root=True):
    sigma = np.sort(sigma)[::-1]
    share = np.sum(sigma[c:] ** 2) / (np.sum(sigma ** 2) if relative else 1)
    return float(np.sqrt(share) if root else share)


def core_values(first, second):
    q, p = factors(first, second)
    return np.linalg.svd(np.linalg.qr(q, mode="r") @ np.linalg.qr(p.T, mode="r").T,
                         compute_uv=False)


def prune_factor_values(first, second, c):
    """sigma(Q) * sigma(P), as if the product's singular values were the factors'."""
    q, p = factors(first, second)
    return error_from(np.linalg.svd(q, compute_uv=False) * np.linalg.svd(p, compute_uv=False), c)


def prune_channel_norms(first, second, c):
    """||q_m|| ||p_m|| per middle channel: the text's sigma_1 = ||c|| ||r||, once per term."""
    q, p = factors(first, second)
    return error_from(np.linalg.norm(q, axis=0) * np.linalg.norm(p, axis=1), c)


def prune_gram_eigenvalues(first, second, c):
    """eig((Q^T Q)(P P^T)) taken for the singular values (they are their squares)."""
    q, p = factors(first, second)
    return error_from(np.clip(np.linalg.eigvals(q.T @ q @ p @ p.T).real, 0, None), c)


def prune_absolute(first, second, c):
    return error_from(core_values(first, second), c, relative=False)


def prune_squared(first, second, c):
    return error_from(core_values(first, second), c, root=False)


def prune_one_more(first, second, c):
    return error_from(core_values(first, second), c + 1)


def prune_gram_svd(first, second, c):
    """The singular values of (Q^T Q)(P P^T), square-rooted: that product is not symmetric,
    its singular values are not its eigenvalues."""
    q, p = factors(first, second)
    return error_from(np.sqrt(np.linalg.svd(q.T @ q @ p @ p.T, compute_uv=False)), c)


def prune_core_untransposed(first, second, c):
    """R1 @ R2 instead of R1 @ R2^T."""
    q, p = factors(first, second)
    return error_from(np.linalg.svd(np.linalg.qr(q, mode="r") @ np.linalg.qr(p.T, mode="r"),
                                    compute_uv=False), c)


def prune_formed(first, second, c):
    """Cell 27's einsum, unfolded, and the SVD: right, but W of the large hidden pairs has
    over 10^10 entries (refused: it cannot be allocated)."""
    w = np.einsum("oma,mcb->ocab", second[..., 0], first[:, :, 0])
    m = w.transpose(0, 2, 1, 3).reshape(w.shape[0] * w.shape[2], -1)
    return error_from(np.linalg.svd(m, compute_uv=False), c)


# --- symmetric_separable(kernel) ----------------------------------------------------------

def sym_rank1_of_symmetric(kernel):
    """The text's rank-1 term of the symmetric part: lambda v v^T for the eigenvalue of
    largest magnitude, negative ones included."""
    u, s, vt = np.linalg.svd((kernel + kernel.T) / 2)
    return s[0] * np.outer(u[:, 0], vt[0])


def sym_magnitude(kernel):
    lam, v = np.linalg.eigh((kernel + kernel.T) / 2)
    i = np.argmax(np.abs(lam))
    return abs(lam[i]) * np.outer(v[:, i], v[:, i])


def sym_negative_kept(kernel):
    lam, v = np.linalg.eigh((kernel + kernel.T) / 2)
    return lam[-1] * np.outer(v[:, -1], v[:, -1])


def sym_column_twice(kernel):
    """c = sqrt(sigma_1) u_1 of the text's split, used for both passes."""
    u, s, _ = np.linalg.svd(kernel)
    c = np.sqrt(s[0]) * u[:, 0]
    return np.outer(c, c)


def sym_rank1_symmetrised(kernel):
    u, s, vt = np.linalg.svd(kernel)
    k1 = s[0] * np.outer(u[:, 0], vt[0])
    return (k1 + k1.T) / 2


def sym_factors_averaged(kernel):
    """c = sqrt(sigma_1) (u_1 + v_1) / 2: the text's two factors averaged."""
    u, s, vt = np.linalg.svd(kernel)
    c = np.sqrt(s[0]) * (u[:, 0] + vt[0]) / 2
    return np.outer(c, c)


def sym_not_symmetrised(kernel):
    """The eigenvector of K itself (not of its symmetric part), real part."""
    lam, v = np.linalg.eig(kernel)
    i = np.argmax(lam.real)
    vec = v[:, i].real / np.linalg.norm(v[:, i].real)
    return max(lam[i].real, 0) * np.outer(vec, vec)


MUTANTS = {
    "ch04.cheapest_filtering": [
        Mutant("first pass at every position, then subsampled",
               lambda k, h, w, s, e: plan(k, h, w, s, e, strided_first=False), True),
        Mutant("every column (row) fed to the second pass, skipped ones too",
               lambda k, h, w, s, e: plan(k, h, w, s, e, skipped_fed=True), True),
        Mutant("always the column pass first",
               lambda k, h, w, s, e: plan(k, h, w, s, e, orders=1), True),
        Mutant("2-D pass never considered",
               lambda k, h, w, s, e: plan(k, h, w, s, e, with_2d=False), True),
        Mutant("one pair whatever the budget",
               lambda k, h, w, s, e: plan(k, h, w, s, e, fixed_rank=1), True),
        Mutant("error not relative", lambda k, h, w, s, e: plan(k, h, w, s, e, relative=False),
               True),
        Mutant("stride ignored", lambda k, h, w, s, e: plan(k, h, w, 1, e), True),
        Mutant("kh and kw swapped",
               lambda k, h, w, s, e: plan(k, h, w, s, e, shape=lambda k: k.shape[::-1]), True),
        Mutant("the text's per-output count", plan_per_output, False),
        Mutant("output size with / instead of //",
               lambda k, h, w, s, e: plan(k, h, w, s, e, out=lambda h, w, kh, kw, s: (
                   (h - kh) / s + 1, (w - kw) / s + 1)), False),
    ],
    "ch04.taps_to_measure": [
        Mutant("each measured tap fixes a factor: h + w - 1 - taps", measure_tree_count, True),
        Mutant("the linked sets, not one fewer", measure_sets, True),
        Mutant("rows and columns with no tap left out", measure_touched_only, True),
        Mutant("one per row or column with no tap", measure_empty_lines, True),
        Mutant("every unknown tap", measure_unknown, True),
        Mutant("rows' sets, the columns without a tap subtracted", measure_rows_only, False),
        Mutant("the rank deficit of the 0/1 pattern", measure_rank, False),
        Mutant("the larger count of empty rows or columns", measure_larger_side, False),
    ],
    "ch04.pruned_pair_error": [
        Mutant("the factors' singular values multiplied", prune_factor_values, True),
        Mutant("each middle channel as one SVD term", prune_channel_norms, True),
        Mutant("the Gram product's eigenvalues as singular values", prune_gram_eigenvalues,
               True),
        Mutant("error not relative", prune_absolute, True),
        Mutant("the squared error", prune_squared, True),
        Mutant("c + 1 channels", prune_one_more, True),
        Mutant("the Gram product's singular values, square-rooted", prune_gram_svd, False),
        Mutant("the core R1 R2 without the transpose", prune_core_untransposed, False),
        Mutant("W formed with cell 27's einsum (too large)", prune_formed, False),
    ],
    "ch04.symmetric_separable": [
        Mutant("the text's rank-1 term of the symmetric part", sym_rank1_of_symmetric, True),
        Mutant("the eigenvalue of largest magnitude, sign dropped", sym_magnitude, True),
        Mutant("a negative eigenvalue kept", sym_negative_kept, True),
        Mutant("the text's column for both passes", sym_column_twice, True),
        Mutant("the text's rank-1 kernel made symmetric", sym_rank1_symmetrised, True),
        Mutant("the text's two factors averaged", sym_factors_averaged, False),
        Mutant("K's own eigenvector, not its symmetric part's", sym_not_symmetrised, False),
    ],
}


test_wrong_answer_loses_the_exercise = caught_test(MUTANTS)


test_tally = tally_test(MUTANTS, {
    "ch04.cheapest_filtering": (10, 8), "ch04.taps_to_measure": (8, 5),
    "ch04.pruned_pair_error": (9, 6), "ch04.symmetric_separable": (7, 5),
})
