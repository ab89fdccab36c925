"""Hidden checks of chapter 04 (spatially separable): the cheapest way to filter within an
error budget, a separable kernel completed from some of its taps, the nearest weight the better
order of a 1 x k / k x 1 layer pair composes, and a broken integer split repaired."""

from __future__ import annotations

import numpy as np

import solutions

from .core import Check, Mistake

SOBEL = np.outer([1.0, 2.0, 1.0], [-1.0, 0.0, 1.0])
LAPLACIAN = np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])


def _float(x):
    return np.asarray(x, dtype=np.float64)


# ---- Exercise 1: the cheapest filtering within an error budget --------------------------

def _pass_costs(h, w, kh, kw, s):
    """(2-D pass, one pair column first, one pair row first), no padding, stride s.

    The first pass computes only what the second reads: the column pass only the output's
    rows (every column), the row pass only the output's columns (every row)."""
    oh, ow = (h - kh) // s + 1, (w - kw) // s + 1
    return kh * kw * oh * ow, kh * oh * w + kw * oh * ow, kw * h * ow + kh * oh * ow


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


# ---- Exercise 2: a separable kernel from some of its taps -------------------------------

def _complete(partial, *, sweeps=None, inverted=False):
    """Fill the unknown (NaN) taps of a rank-1 kernel: K[a, b] = c_a r_b, so from a known
    tap, a known c_a gives r_b and a known r_b gives c_a; walk the known taps outward.

    ``sweeps`` and ``inverted`` make the named mistakes: a walk stopped after that many
    passes (unreached factors read as 0), and r_b taken as K[a, b] * c_a."""
    k = _float(partial)
    known = np.argwhere(~np.isnan(k))
    col, row = np.full(k.shape[0], np.nan), np.full(k.shape[1], np.nan)
    col[known[0][0]] = 1.0
    done = 0
    while (np.isnan(col).any() or np.isnan(row).any()) and (sweeps is None or done < sweeps):
        before = np.isnan(col).sum() + np.isnan(row).sum()
        for a, b in known:
            if np.isnan(row[b]) and not np.isnan(col[a]):
                row[b] = k[a, b] * col[a] if inverted else k[a, b] / col[a]
            elif np.isnan(col[a]) and not np.isnan(row[b]):
                col[a] = k[a, b] / row[b]
        done += 1
        if np.isnan(col).sum() + np.isnan(row).sum() == before:
            raise ValueError("the known taps do not determine the kernel")
    return np.nan_to_num(np.outer(col, row))


def _zero_filled_rank1(partial):
    """Unknown taps set to 0, then the best rank-1 kernel of that (the SVD of the text)."""
    k = np.nan_to_num(_float(partial))
    u, s, vt = np.linalg.svd(k)
    return s[0] * np.outer(u[:, 0], vt[0])


def _mean_filled_rank1(partial):
    k = _float(partial)
    k = np.where(np.isnan(k), np.nanmean(k), k)
    u, s, vt = np.linalg.svd(k)
    return s[0] * np.outer(u[:, 0], vt[0])


def _complete_cases(rng):
    cases = [(np.array([[1.0, 2.0, np.nan], [np.nan, 4.0, 2.0]]),),
             (np.array([[np.nan, -1.0, 0.5], [3.0, np.nan, -1.5], [np.nan, 2.0, np.nan]]),)]
    while len(cases) < 30:
        # a third of the kernels large (up to 24 x 24) and with taps over six decades: only
        # their spanning tree known, so iterated guessing (fill, take the best rank-1 kernel,
        # refill) spreads the information one link per round and does not reach 1e-6
        large = len(cases) % 3 == 2
        kh, kw = (int(rng.integers(12, 25)), int(rng.integers(12, 25))) if large else \
            (int(rng.integers(2, 7)), int(rng.integers(2, 7)))
        signs = rng.choice([-1.0, 1.0], kh + kw)
        if len(cases) % 3 == 0:  # integer taps
            col, row = rng.integers(1, 5, kh) * signs[:kh], rng.integers(1, 5, kw) * signs[kh:]
        elif large:
            col = np.exp(rng.uniform(-3.5, 3.5, kh)) * signs[:kh]
            row = np.exp(rng.uniform(-3.5, 3.5, kw)) * signs[kh:]
        else:
            col, row = rng.uniform(0.5, 2, kh) * signs[:kh], rng.uniform(0.5, 2, kw) * signs[kh:]
        # a random spanning tree of the graph rows -- columns, plus a few more known taps:
        # every row and column has a known tap, and they are all linked
        known = np.zeros((kh, kw), bool)
        rows, cols = [int(rng.integers(kh))], [int(rng.integers(kw))]
        known[rows[0], cols[0]] = True
        rest = [("r", a) for a in range(kh) if a != rows[0]] + \
            [("c", b) for b in range(kw) if b != cols[0]]
        for i in rng.permutation(len(rest)):
            kind, index = rest[i]
            if kind == "r":
                known[index, cols[int(rng.integers(len(cols)))]] = True
                rows.append(index)
            else:
                known[rows[int(rng.integers(len(rows)))], index] = True
                cols.append(index)
        extra = rng.random((kh, kw)) < (0.0 if large else 0.15)
        known |= extra
        if known.all():
            continue
        cases.append((np.where(known, np.outer(col, row), np.nan),))
    return cases


# ---- Exercise 3: the better order of a layer pair ---------------------------------------

def _unfold_columns_first(weight):
    """1 x k_w layer first, then k_h x 1: rows (o, a), columns (c, b) (the text's pair)."""
    c_out, c_in, kh, kw = weight.shape
    return weight.transpose(0, 2, 1, 3).reshape(c_out * kh, c_in * kw)


def _unfold_rows_first(weight):
    """k_h x 1 layer first, then 1 x k_w: W[o, c, a, b] = sum_m q[o, m, b] p[m, c, a], so
    rows (o, b), columns (c, a)."""
    c_out, c_in, kh, kw = weight.shape
    return weight.transpose(0, 3, 1, 2).reshape(c_out * kw, c_in * kh)


def _tail_error(matrix, c_mid):
    s = np.linalg.svd(matrix, compute_uv=False)
    return float(np.sqrt(np.sum(s[c_mid:] ** 2) / np.sum(s ** 2)))


def _truncated(matrix, c_mid):
    """The nearest matrix of rank <= c_mid (Eckart-Young): the first c_mid SVD terms."""
    u, s, vt = np.linalg.svd(matrix, full_matrices=False)
    return (u[:, :c_mid] * s[:c_mid]) @ vt[:c_mid]


def _pair_fits(weight, c_mid, keep=None):
    """(text order, other order): the nearest weight each pair with c_mid channels composes,
    folded back to (C_out, C_in, k_h, k_w). keep: the number of SVD terms, c_mid unless a
    mistake says otherwise."""
    c_out, c_in, kh, kw = weight.shape
    keep = c_mid if keep is None else keep
    text = _truncated(_unfold_columns_first(weight), keep).reshape(
        c_out, kh, c_in, kw).transpose(0, 2, 1, 3)
    other = _truncated(_unfold_rows_first(weight), keep).reshape(
        c_out, kw, c_in, kh).transpose(0, 2, 3, 1)
    return text, other


def _best_pair(weight, c_mid, *, keep=None, worse=False, only_text=False,
               unfolded_back=False):
    """The weight that the better order of the pair composes at its best: the nearest to
    ``weight`` of the two orders' nearest weights. The keywords make the named mistakes."""
    weight = _float(weight)
    text, other = _pair_fits(weight, c_mid, keep)
    if only_text:
        return text
    closer = np.linalg.norm(weight - other) < np.linalg.norm(weight - text)
    if unfolded_back:  # the other order's fit left with k_h and k_w swapped
        other = other.transpose(0, 1, 3, 2)
    return other if closer != worse else text


def _each_kernel_alone(weight, c_mid):
    """Each kernel W[o, c] cut to rank c_mid on its own: not a layer pair at all."""
    return np.stack([np.stack([_truncated(k, c_mid) for k in row]) for row in _float(weight)])


def _text_unfolding_transposed(weight, c_mid):
    """The other order taken as the text's unfolded matrix transposed, folded back as that."""
    weight = _float(weight)
    c_out, c_in, kh, kw = weight.shape
    text = _pair_fits(weight, c_mid)[0]
    other = _truncated(_unfold_columns_first(weight).T, c_mid).T.reshape(
        c_out, kh, c_in, kw).transpose(0, 2, 1, 3)
    return other if np.linalg.norm(weight - other) < np.linalg.norm(weight - text) else text


def _pair_cases(rng):
    cases = []
    while len(cases) < 30:
        c_out, c_in = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        kh, kw = int(rng.integers(2, 6)), int(rng.integers(2, 6))
        c_mid = int(rng.integers(1, 4))
        kind = len(cases) % 3
        if kind < 2:  # a layer that is nearly a pair in one order (kind 1: the vertical first)
            q = rng.standard_normal((c_out, c_mid, kh if kind == 0 else kw))
            p = rng.standard_normal((c_mid, c_in, kw if kind == 0 else kh))
            weight = (np.einsum("oma,mcb->ocab", q, p) if kind == 0 else
                      np.einsum("omb,mca->ocab", q, p))
            weight = weight + 0.05 * rng.standard_normal(weight.shape)
        else:
            weight = rng.standard_normal((c_out, c_in, kh, kw))
        a = _tail_error(_unfold_columns_first(weight), c_mid)
        b = _tail_error(_unfold_rows_first(weight), c_mid)
        if abs(a - b) > 1e-3 and max(a, b) > 1e-6:
            cases.append((weight, c_mid))
    return cases


# ---- Exercise 4: an integer split repaired ------------------------------------------------

def _integer_split(kernel, *, divide=True, sign=True, by_entry=False, whole_gcd=False):
    """(col, row), integers, with outer(col, row) == kernel, row without a common divisor
    above 1 and its first non-zero entry positive.

    Every non-zero row of K = c r^T is c_a r. Divided by the gcd of its entries it is the
    primitive vector of that direction, +-r/gcd(r); and c then comes out in integers, since
    c_a r integer with gcd(r) = 1 makes c_a an integer (Bezout). No SVD, no rounding.
    The keywords make the named mistakes."""
    k = np.asarray(kernel).astype(np.int64)
    a = int(np.flatnonzero(k.any(axis=1))[0])
    row = k[a]
    first = int(np.flatnonzero(row)[0])
    if by_entry:  # divided by an entry, not by the common divisor
        with np.errstate(divide="ignore", invalid="ignore"):
            return k[:, first] / 1, row / row[first]
    if whole_gcd:
        row = row // np.gcd.reduce(k.ravel())
    elif divide:
        row = row // np.gcd.reduce(row)
    if sign and row[first] < 0:
        row = -row
    return k[:, first] // row[first], row


def _svd_rounded(kernel):
    """The colleague's split scaled by the column's first non-zero entry, then rounded."""
    u, s, vt = np.linalg.svd(_float(kernel))
    col, row = s[0] * u[:, 0], vt[0]
    t = col[np.flatnonzero(np.abs(col) > 1e-9 * np.abs(col).max())[0]]
    return np.round(col / t), np.round(row * t)


def _integer_split_cases(rng):
    """Square integer kernels c r^T. Two in three have rows r with entries up to 2^36 and a
    common factor: the multiplier that makes the SVD's unit vector v_1 integral is then
    ||r|| / gcd, 10^9 or more tries away for a search."""
    cases = [(np.outer([1, 2, 1], [-1, 0, 1]),), (np.outer([2, 3], [1, 1]),),
             (np.outer([0, 1, -2], [6, -4, 2]),)]
    while len(cases) < 30:
        n = int(rng.integers(2, 7))
        big = len(cases) % 3 != 0
        col = rng.integers(-9, 10, n) * int(rng.integers(1, 6))
        if big:
            row = rng.integers(-2**33, 2**33, n) * int(rng.integers(2, 9))
        else:
            row = rng.integers(-12, 13, n) * int(rng.integers(1, 4))
        if len(cases) % 4 == 0:
            col[int(rng.integers(n))] = 0
            row[int(rng.integers(n))] = 0
        if not col.any() or not row.any():
            continue
        cases.append((np.outer(col, row).astype(np.int64),))
    return cases


CHECKS = [
    Check(
        id="ch04.cheapest_filtering", function="cheapest_filtering", cases=_cheapest_cases,
        reference=_cheapest,
        mistakes=[
            Mistake("the first pass at every position",
                    lambda k, h, w, s, e: _cheapest(k, h, w, s, e, costs=_full_first_pass),
                    "with stride s the output reads only every s-th row: the column pass "
                    "needs only those rows (all columns), and the row pass first only every "
                    "s-th column (all rows)."),
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
        id="ch04.complete_separable", function="complete_separable", cases=_complete_cases,
        reference=_complete,
        mistakes=[
            Mistake("unknown taps read as 0, then the best rank-1 kernel", _zero_filled_rank1,
                    "a zero is a measurement; the SVD fits it. The known taps fix the kernel "
                    "exactly: K[a, b] = c_a r_b, so a known tap in a row whose c_a you know "
                    "gives r_b, and one in a column whose r_b you know gives c_a."),
            Mistake("unknown taps filled with the mean, then the best rank-1 kernel",
                    _mean_filled_rank1,
                    "no guess is needed: the known taps determine every c_a r_b."),
            Mistake("one pass over the known taps", lambda p: _complete(p, sweeps=1),
                    "a tap may only become usable after another one was: repeat the walk "
                    "until every row and column factor is known."),
            Mistake("a factor multiplied instead of divided",
                    lambda p: _complete(p, inverted=True),
                    "K[a, b] = c_a r_b, so r_b = K[a, b] / c_a."),
        ]),
    Check(
        id="ch04.best_pair", function="best_pair", cases=_pair_cases,
        reference=_best_pair,
        mistakes=[
            Mistake("only the text's order", lambda w, c: _best_pair(w, c, only_text=True),
                    "the k_h x 1 layer may come first too; its composition unfolds differently "
                    "(derive W[o, c, a, b] for that order) and may be closer."),
            Mistake("the worse order taken", lambda w, c: _best_pair(w, c, worse=True),
                    "return the order whose pair gets closer to the weight."),
            Mistake("one channel too many", lambda w, c: _best_pair(w, c, keep=c + 1),
                    "keep exactly c_mid singular values: c_mid channels between the layers."),
            Mistake("the other order folded back with k_h and k_w swapped",
                    lambda w, c: _best_pair(w, c, unfolded_back=True),
                    "that order's matrix has rows (o, b) and columns (c, a): fold it back to "
                    "W[o, c, a, b], axes (C_out, C_in, k_h, k_w) like the weight."),
            Mistake("each kernel approximated on its own", _each_kernel_alone,
                    "cutting every W[o, c] to rank c_mid is not what a pair of layers can "
                    "do: the pair shares its c_mid channels across all (o, c), so the whole "
                    "unfolded layer has rank <= c_mid."),
        ]),
    Check(
        id="ch04.integer_split", function="integer_split", cases=_integer_split_cases,
        reference=_integer_split,
        mistakes=[
            Mistake("a row of the kernel taken as it is",
                    lambda k: _integer_split(k, divide=False),
                    "a row of K is c_a r, a multiple of r: divide it by the greatest common "
                    "divisor of its entries (np.gcd.reduce) so that no factor above 1 is left."),
            Mistake("the sign left as it came",
                    lambda k: _integer_split(k, sign=False),
                    "(c, r) and (-c, -r) give the same kernel: make the first non-zero entry "
                    "of the row positive, and the column takes the sign."),
            Mistake("divided by an entry, not by the common divisor",
                    lambda k: _integer_split(k, by_entry=True),
                    "dividing by one entry gives fractions whenever that entry does not "
                    "divide the others ([2, 3] / 2); the common divisor keeps integers."),
            Mistake("the SVD's vectors rounded", _svd_rounded,
                    "the SVD's unit vectors are the integer ones divided by a norm: scaling "
                    "by one entry and rounding gives fractions rounded away ([1, 1.5] -> "
                    "[1, 2]). Work in integers: a row of the kernel is c_a r already."),
            Mistake("the common divisor of the whole kernel",
                    lambda k: _integer_split(k, whole_gcd=True),
                    "the kernel's common divisor is gcd(c) gcd(r); the row must lose exactly "
                    "its own, gcd of the row's entries."),
        ]),
]
