"""Chapter 04's hidden checks against wrong answers written as students write them."""

from __future__ import annotations

import numpy as np
from mutants import Mutant, caught_test, tally_test


def plan(kernel, h, w, stride, max_error, *, relative=True, strided_first=True, orders=2,
         with_2d=True, fixed_rank=None, out=None, shape=None):
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
    options = [kh * rows * w + kw * oh * ow, kw * h * cols + kh * oh * ow][:orders]
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


def complete_walk(partial, *, sweeps=None, inverted=False):
    """A student's completion by walking the known taps; ``sweeps`` limits the walk."""
    known = np.argwhere(~np.isnan(partial))
    col, row = np.full(partial.shape[0], np.nan), np.full(partial.shape[1], np.nan)
    col[known[0][0]] = 1.0
    done = 0
    while (np.isnan(col).any() or np.isnan(row).any()) and (sweeps is None or done < sweeps):
        for a, b in known:
            if np.isnan(row[b]) and not np.isnan(col[a]):
                row[b] = partial[a, b] * col[a] if inverted else partial[a, b] / col[a]
            elif np.isnan(col[a]) and not np.isnan(row[b]):
                col[a] = partial[a, b] / row[b]
        done += 1
    return np.nan_to_num(np.outer(col, row))


def complete_svd(partial, fill=0.0):
    k = np.where(np.isnan(partial), fill, partial)
    u, s, vt = np.linalg.svd(k)
    return s[0] * np.outer(u[:, 0], vt[0])


def complete_first_row(partial):
    """Every row a multiple of row 0, the ratio read from the first known shared column."""
    k = partial.copy()
    for a in range(1, k.shape[0]):
        b = next((b for b in range(k.shape[1]) if not np.isnan(k[a, b] + k[0, b])), None)
        if b is not None:
            k[a] = k[0] * (k[a, b] / k[0, b])
    return np.nan_to_num(k)


def complete_known_only(partial):
    return np.nan_to_num(partial)


def unfolded(weight, vertical):
    c_out, c_in, kh, kw = weight.shape
    if vertical:
        return weight.transpose(0, 3, 1, 2).reshape(c_out * kw, c_in * kh)
    return weight.transpose(0, 2, 1, 3).reshape(c_out * kh, c_in * kw)


def folded(matrix, shape, vertical):
    c_out, c_in, kh, kw = shape
    if vertical:
        return matrix.reshape(c_out, kw, c_in, kh).transpose(0, 2, 3, 1)
    return matrix.reshape(c_out, kh, c_in, kw).transpose(0, 2, 1, 3)


def nearest(matrix, rank):
    u, s, vt = np.linalg.svd(matrix, full_matrices=False)
    return (u[:, :rank] * s[:rank]) @ vt[:rank]


def fits(weight, c_mid, rank=None):
    rank = c_mid if rank is None else rank
    return [folded(nearest(unfolded(weight, v), rank), weight.shape, v) for v in (False, True)]


def closer(weight, a, b, worse=False):
    return b if (np.linalg.norm(weight - b) < np.linalg.norm(weight - a)) != worse else a


def pair_text_only(weight, c_mid):
    return fits(weight, c_mid)[0]


def pair_worse(weight, c_mid):
    return closer(weight, *fits(weight, c_mid), worse=True)


def pair_one_more_channel(weight, c_mid):
    return closer(weight, *fits(weight, c_mid, c_mid + 1))


def pair_folded_swapped(weight, c_mid):
    text, other = fits(weight, c_mid)
    if np.linalg.norm(weight - other) < np.linalg.norm(weight - text):
        return other.transpose(0, 1, 3, 2)
    return text


def pair_each_kernel(weight, c_mid):
    return np.stack([np.stack([nearest(k, c_mid) for k in row]) for row in weight])


def pair_text_transposed(weight, c_mid):
    """The other order as the text's unfolding transposed (same singular values), folded
    back as the text's."""
    text = fits(weight, c_mid)[0]
    other = folded(nearest(unfolded(weight, False).T, c_mid).T, weight.shape, False)
    return closer(weight, text, other)


def pair_one_channel_fewer(weight, c_mid):
    return closer(weight, *fits(weight, c_mid, c_mid - 1))


def pair_unchanged(weight, c_mid):
    return weight


def int_split(kernel, *, divide=True, sign=True):
    k = np.asarray(kernel, dtype=np.int64)
    row = k[np.flatnonzero(k.any(axis=1))[0]]
    if divide:
        row = row // np.gcd.reduce(row)
    first = np.flatnonzero(row)[0]
    if sign and row[first] < 0:
        row = -row
    return k[:, first] // row[first], row


def int_by_first_entry(kernel):
    k = np.asarray(kernel, dtype=np.int64)
    row = k[np.flatnonzero(k.any(axis=1))[0]]
    first = np.flatnonzero(row)[0]
    return k[:, first] / 1, row / row[first]


def int_colleague(kernel):
    u, s, vt = np.linalg.svd(np.asarray(kernel, dtype=float))
    col, row = s[0] * u[:, 0], vt[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.round(col / col[0]), np.round(row * col[0])


def int_svd_first_nonzero(kernel):
    """The colleague's split, divided by the first non-zero entry of the column, rounded."""
    u, s, vt = np.linalg.svd(np.asarray(kernel, dtype=float))
    col, row = s[0] * u[:, 0], vt[0]
    t = col[np.flatnonzero(np.abs(col) > 1e-9 * np.abs(col).max())[0]]
    return np.round(col / t), np.round(row * t)


def int_gcd_of_kernel(kernel):
    """The common divisor of the whole kernel taken out of the row."""
    k = np.asarray(kernel, dtype=np.int64)
    row = k[np.flatnonzero(k.any(axis=1))[0]] // np.gcd.reduce(k.ravel())
    first = np.flatnonzero(row)[0]
    row = -row if row[first] < 0 else row
    return k[:, first] // row[first], row


MUTANTS = {
    "ch04.cheapest_filtering": [
        Mutant("first pass at every position, then subsampled",
               lambda k, h, w, s, e: plan(k, h, w, s, e, strided_first=False), True),
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
    "ch04.complete_separable": [
        Mutant("unknown taps as 0, then the SVD", complete_svd, True),
        Mutant("unknown taps as the mean, then the SVD",
               lambda p: complete_svd(p, np.nanmean(p)), True),
        Mutant("one walk over the known taps", lambda p: complete_walk(p, sweeps=1), True),
        Mutant("ratio inverted", lambda p: complete_walk(p, inverted=True), True),
        Mutant("every row from row 0", complete_first_row, False),
        Mutant("only the known taps returned", complete_known_only, False),
    ],
    "ch04.best_pair": [
        Mutant("only the text's order", pair_text_only, True),
        Mutant("the worse order", pair_worse, True),
        Mutant("c_mid + 1 channels", pair_one_more_channel, True),
        Mutant("the other order folded back with k_h, k_w swapped", pair_folded_swapped, True),
        Mutant("each kernel cut to rank c_mid on its own", pair_each_kernel, True),
        Mutant("other order as the text's unfolding transposed", pair_text_transposed, True),
        Mutant("c_mid - 1 channels", pair_one_channel_fewer, False),
        Mutant("the weight returned unchanged", pair_unchanged, False),
    ],
    "ch04.integer_split": [
        Mutant("a row of the kernel as it is", lambda k: int_split(k, divide=False), True),
        Mutant("sign not fixed", lambda k: int_split(k, sign=False), True),
        Mutant("divided by the first non-zero entry", int_by_first_entry, True),
        Mutant("the colleague's function, unchanged", int_colleague, False),
        Mutant("the SVD split by the first non-zero entry, rounded", int_svd_first_nonzero,
               True),
        Mutant("the gcd of the whole kernel", int_gcd_of_kernel, True),
    ],
}


test_wrong_answer_loses_the_exercise = caught_test(MUTANTS)


test_tally = tally_test(MUTANTS, {
    "ch04.cheapest_filtering": (9, 7), "ch04.complete_separable": (6, 4),
    "ch04.best_pair": (8, 6), "ch04.integer_split": (6, 5),
})
