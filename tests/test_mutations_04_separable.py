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


def tail(matrix, c_mid, relative=True, squared=False):
    s = np.linalg.svd(matrix, compute_uv=False)
    e = np.sum(s[c_mid:] ** 2) / (np.sum(s ** 2) if relative else 1.0)
    return e if squared else np.sqrt(e)


def order(weight, c_mid, **kw):
    a, b = tail(unfolded(weight, False), c_mid, **kw), tail(unfolded(weight, True), c_mid, **kw)
    return (True, b) if b < a else (False, a)


def order_vertical_as_transpose(weight, c_mid):
    """The other order taken as the text's unfolding transposed: the same singular values."""
    a = tail(unfolded(weight, False), c_mid)
    b = tail(unfolded(weight, False).T, c_mid)
    return (True, b) if b < a else (False, a)


def order_kernels_swapped(weight, c_mid):
    """The other order as the text's pair on the kernels transposed, then transposed back
    the wrong way: rows (o, a) and columns (c, b) of W[..., b, a]."""
    w = weight.transpose(0, 1, 3, 2)
    a = tail(unfolded(weight, False), c_mid)
    b = tail(unfolded(w, False).reshape(weight.shape[0] * weight.shape[2], -1), c_mid)
    return (True, b) if b < a else (False, a)


def split(kernel, *, vt_column=False, by=lambda c: c[np.argmax(np.abs(c))], sqrt=False):
    u, s, vt = np.linalg.svd(kernel)
    scale = np.sqrt(s[0]) if sqrt else s[0]
    col = scale * u[:, 0]
    row = (np.sqrt(s[0]) if sqrt else 1.0) * (vt[:, 0] if vt_column else vt[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        t = by(col)
        return col / t, row * t


def split_rounded(kernel):
    col, row = split(kernel)
    return np.round(col, 3), np.round(row, 3)


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
    "ch04.pair_order": [
        Mutant("only the text's order",
               lambda w, c: (False, tail(unfolded(w, False), c)), True),
        Mutant("the worse order",
               lambda w, c: (lambda a, b: (True, b) if b > a else (False, a))(
                   tail(unfolded(w, False), c), tail(unfolded(w, True), c)), True),
        Mutant("error not relative", lambda w, c: order(w, c, relative=False), True),
        Mutant("c_mid + 1 channels", lambda w, c: order(w, c + 1), True),
        Mutant("flag inverted", lambda w, c: (lambda v, e: (not v, e))(*order(w, c)), True),
        Mutant("other order as the transpose", order_vertical_as_transpose, False),
        Mutant("squared error", lambda w, c: order(w, c, squared=True), False),
        Mutant("other order from the kernels transposed", order_kernels_swapped, False),
    ],
    "ch04.separable_split": [
        Mutant("divided by the first entry (NaNs)", lambda k: split(k, by=lambda c: c[0]), False),
        Mutant("divided by the first non-zero entry",
               lambda k: split(k, by=lambda c: c[np.flatnonzero(np.abs(c) > 1e-12)[0]]), True),
        Mutant("divided by the largest entry",
               lambda k: split(k, by=lambda c: c.max() if c.max() != 0 else c.min()), True),
        Mutant("divided by the magnitude, sign lost",
               lambda k: split(k, by=lambda c: np.abs(c).max()), True),
        Mutant("row from a column of Vt", lambda k: split(k, vt_column=True), True),
        Mutant("the colleague's function, unchanged",
               lambda k: split(k, vt_column=True, by=lambda c: c[0], sqrt=True), False),
        Mutant("rounded to 3 decimals", split_rounded, False),
    ],
}


test_wrong_answer_loses_the_exercise = caught_test(MUTANTS)


test_tally = tally_test(MUTANTS, {
    "ch04.cheapest_filtering": (9, 7), "ch04.complete_separable": (6, 4),
    "ch04.pair_order": (8, 5), "ch04.separable_split": (7, 4),
})
