"""Chapter 07's hidden checks against wrong answers written the way students write them.

Each variant goes through the exact expression the notebook's hidden cell grades (read from
the chapter, so a lambda there wraps the variant as it would wrap a student's function) and
must lose the exercise; most must be named ("Likely mistake: ..."). The tally is asserted.
"""

from __future__ import annotations

import json

import numpy as np
from mutants import by_name, caught_test, hidden_calls, notebook, parts, tally_test, verdict

from autograder.checks import check

HIDDEN = hidden_calls("07")
# The student's function each exercise's hidden cell wraps.
FUNCTION = {"ch07.numerical_gradient": "numerical_gradient", "ch07.input_coverage":
            "input_coverage", "ch07.grad_weight": "grad_weight", "ch07.grad_input": "grad_input",
            "ch07.backward_*": "conv2d_backward"}


def graded(check_id: str, name: str, fn):
    """What the hidden cell hands to check() when the student's function ``name`` is ``fn``."""
    return eval(HIDDEN[check_id], {"np": np, name: fn})  # noqa: S307 - the chapter's own text


def graded_verdict(check_id: str, fn, seed: int | None = None) -> str | None:
    """The failure message of the first part of the exercise the variant loses, or None."""
    for part in parts(check_id):
        if (message := verdict(part, graded(part, FUNCTION[check_id], fn), seed)) is not None:
            return message
    return None


# --- exercise 1: numerical_gradient -------------------------------------------------------

def ng_forward(f, x, eps):
    x = x.astype(float)
    grad = np.zeros(x.shape)
    fx = f(x)
    for idx in np.ndindex(x.shape):
        xp = x.copy()
        xp[idx] += eps
        grad[idx] = (f(xp) - fx) / eps
    return grad


def _pair(x, index, h):
    """x moved by +h and by -h at one index, as a student's two copies."""
    above, below = x.copy(), x.copy()
    above[index] += h
    below[index] -= h
    return above, below


def ng_no_half(f, x, eps):
    x = x.astype(float)
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        xp, xm = _pair(x, idx, eps)
        grad[idx] = (f(xp) - f(xm)) / eps
    return grad


def ng_not_restored(f, x, eps):
    x = x.astype(float)
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        x[idx] += eps
        a = f(x)
        x[idx] -= 2 * eps
        grad[idx] = (a - f(x)) / (2 * eps)
    return grad


def ng_all_at_once(f, x, eps):
    return np.ones(x.shape) * (f(x + eps) - f(x - eps)) / (2 * eps)


def ng_zeros_like(f, x, eps):
    grad = np.zeros_like(x)  # integer for an integer x, and so are the copies
    for idx in np.ndindex(x.shape):
        xp, xm = _pair(x, idx, eps)
        grad[idx] = (f(xp) - f(xm)) / (2 * eps)
    return grad


def ng_rows_only(f, x, eps):
    x = x.astype(float)
    grad = np.zeros(x.shape)
    for i in range(x.shape[0]):
        xp, xm = _pair(x, i, eps)
        grad[i] = (f(xp) - f(xm)) / (2 * eps)
    return grad


def ng_sign(f, x, eps):
    x = x.astype(float)
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        xp, xm = _pair(x, idx, eps)
        grad[idx] = (f(xm) - f(xp)) / (2 * eps)
    return grad


def ng_relative_step(f, x, eps):
    x = x.astype(float)
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        xp, xm = _pair(x, idx, eps * max(1.0, abs(x[idx])))
        grad[idx] = (f(xp) - f(xm)) / (2 * eps)
    return grad


# --- exercise 2: input_coverage -----------------------------------------------------------

def _count(n, starts, taps):
    count = np.zeros(n, dtype=int)
    for start in starts:
        for t in taps:
            if 0 <= start + t < n:
                count[start + t] += 1
    return count


def cov_no_padding(n, k, s=1, p=0, d=1):
    windows = (n - d * (k - 1) - 1) // s + 1
    return _count(n, [s * i for i in range(windows)], [d * a for a in range(k)])


def cov_no_dilation(n, k, s=1, p=0, d=1):
    windows = (n + 2 * p - k) // s + 1
    return _count(n, [s * i - p for i in range(windows)], range(k))


def cov_span(n, k, s=1, p=0, d=1):
    windows = (n + 2 * p - d * (k - 1) - 1) // s + 1
    return _count(n, [s * i - p for i in range(windows)], range(d * (k - 1) + 1))


def cov_ceil(n, k, s=1, p=0, d=1):
    windows = int(np.ceil((n + 2 * p - d * (k - 1) - 1) / s)) + 1
    return _count(n, [s * i - p for i in range(windows)], [d * a for a in range(k)])


def cov_last_missing(n, k, s=1, p=0, d=1):
    windows = (n + 2 * p - d * (k - 1) - 1) // s
    return _count(n, [s * i - p for i in range(windows)], [d * a for a in range(k)])


def cov_boolean(n, k, s=1, p=0, d=1):
    windows = (n + 2 * p - d * (k - 1) - 1) // s + 1
    return (_count(n, [s * i - p for i in range(windows)], [d * a for a in range(k)]) > 0) * 1


def cov_padding_sign(n, k, s=1, p=0, d=1):
    windows = (n + 2 * p - d * (k - 1) - 1) // s + 1
    return _count(n, [s * i + p for i in range(windows)], [d * a for a in range(k)])


def cov_windows_without_padding(n, k, s=1, p=0, d=1):
    windows = (n - d * (k - 1) - 1) // s + 1
    return _count(n, [s * i - p for i in range(windows)], [d * a for a in range(k)])


# --- exercise 3: grad_weight --------------------------------------------------------------

def _gw(x, dy, shape, s, p, tap_step=1, out_step=None, flip=False):
    out_step = s if out_step is None else out_step
    c_out, c_in, kh, kw = shape
    oh, ow = dy.shape[2:]
    xp = np.pad(x.astype(float), ((0, 0), (0, 0), (p, p), (p, p)))
    dw = np.zeros(shape)
    for a in range(kh):
        for b in range(kw):
            t = xp[:, :, tap_step * a::out_step, tap_step * b::out_step][:, :, :oh, :ow]
            dw[:, :, a, b] = np.einsum("noij,ncij->oc", dy, t)
    return dw[:, :, ::-1, ::-1] if flip else dw


def gw_flipped(x, dy, shape, s=1, p=0):
    return _gw(x, dy, shape, s, p, flip=True)


def gw_first_image(x, dy, shape, s=1, p=0):
    return _gw(x[:1], dy[:1], shape, s, p)


def gw_mean(x, dy, shape, s=1, p=0):
    return _gw(x, dy, shape, s, p) / x.shape[0]


def gw_no_stride(x, dy, shape, s=1, p=0):
    return _gw(x, dy, shape, s, p, out_step=1)


def gw_stride_on_taps(x, dy, shape, s=1, p=0):
    return _gw(x, dy, shape, s, p, tap_step=s, out_step=1)


def gw_no_padding(x, dy, shape, s=1, p=0):
    return _gw(x, dy, shape, s, 0)


def gw_uncropped(x, dy, shape, s=1, p=0):
    c_out, c_in = shape[:2]
    h, w = x.shape[2] + 2 * p, x.shape[3] + 2 * p
    oh, ow = dy.shape[2:]
    return _gw(x, dy, (c_out, c_in, h - s * (oh - 1), w - s * (ow - 1)), s, p)


def gw_layout(x, dy, shape, s=1, p=0):
    c_out, c_in, kh, kw = shape
    return _gw(x, dy, shape, s, p).transpose(1, 0, 2, 3)


# --- exercise 4: grad_input ---------------------------------------------------------------

def _gi(dy, w, shape, s, p, d, flip=False, size=None, crop=True, swap=False):
    n, c_in, h, wd = shape
    if swap:
        w = w.transpose(1, 0, 2, 3)
    if flip:
        w = w[:, :, ::-1, ::-1]
    kh, kw = w.shape[2:]
    oh, ow = dy.shape[2:]
    full = size or (h + 2 * p, wd + 2 * p)
    dxp = np.zeros((n, c_in, full[0] + d * kh + s * oh, full[1] + d * kw + s * ow))
    for a in range(kh):
        for b in range(kw):
            dxp[:, :, d * a:d * a + s * (oh - 1) + 1:s, d * b:d * b + s * (ow - 1) + 1:s] += \
                np.einsum("noij,oc->ncij", dy, w[:, :, a, b])
    dxp = dxp[:, :, :full[0], :full[1]]
    return dxp[:, :, p:full[0] - p, p:full[1] - p] if crop else dxp


def gi_flipped(dy, w, shape, s=1, p=0, d=1):
    return _gi(dy, w, shape, s, p, d, flip=True)


def gi_no_output_padding(dy, w, shape, s=1, p=0, d=1):
    kh, kw = w.shape[2:]
    oh, ow = dy.shape[2:]
    return _gi(dy, w, shape, s, p, d, size=((oh - 1) * s + d * (kh - 1) + 1,
                                            (ow - 1) * s + d * (kw - 1) + 1))


def gi_zero_rows(dy, w, shape, s=1, p=0, d=1):
    short = gi_no_output_padding(dy, w, shape, s, p, d)
    return np.pad(short, ((0, 0), (0, 0), (0, shape[2] - short.shape[2]),
                          (0, shape[3] - short.shape[3])))


def gi_no_stride(dy, w, shape, s=1, p=0, d=1):
    return _gi(dy, w, shape, 1, p, d)


def gi_no_dilation(dy, w, shape, s=1, p=0, d=1):
    return _gi(dy, w, shape, s, p, 1)


def gi_padding_kept(dy, w, shape, s=1, p=0, d=1):
    return _gi(dy, w, shape, s, p, d, crop=False)


def gi_swapped_weight(dy, w, shape, s=1, p=0, d=1):
    return _gi(dy, w, shape, s, p, d, swap=True)


def gi_batch_summed(dy, w, shape, s=1, p=0, d=1):
    return np.broadcast_to(_gi(dy, w, shape, s, p, d).sum(0), shape).copy()


# --- exercise 5: conv2d_backward with groups ----------------------------------------------

def _bw(x, weight, dy, p, g, group_of=None, first_block=False, flip=False, db=None,
        pad_only=0):
    h, w = x.shape[2:]
    c_out, c_in_g, kh, kw = weight.shape
    per_out = c_out // g
    group_of = group_of or (lambda o: o // per_out)
    oh, ow = dy.shape[2:]
    q = p or pad_only  # pad_only: padded, but the gradient is returned uncropped
    xp = np.pad(x.astype(float), ((0, 0), (0, 0), (q, q), (q, q)))
    dxp, dwt = np.zeros(xp.shape), np.zeros(weight.shape)
    kernel = weight[:, :, ::-1, ::-1] if flip else weight
    for o in range(c_out):
        first = 0 if first_block else group_of(o) * c_in_g
        for a in range(kh):
            for b in range(kw):
                win = xp[:, first:first + c_in_g, a:a + oh, b:b + ow]
                dwt[o, :, a, b] = np.einsum("nij,ncij->c", dy[:, o], win)
                dxp[:, group_of(o) * c_in_g:(group_of(o) + 1) * c_in_g, a:a + oh, b:b + ow] += \
                    dy[:, o, None] * kernel[o, :, a, b, None, None]
    bias = dy.sum(axis=(0, 2, 3)) if db is None else db(dy)
    return (dxp if pad_only else dxp[:, :, p:p + h, p:p + w]), dwt, bias


def bw_round_robin(x, weight, dy, padding=0, groups=1):
    return _bw(x, weight, dy, padding, groups, group_of=lambda o: o % groups)


def bw_mixed(x, weight, dy, padding=0, groups=1):
    # every output channel sends its gradient to, and takes it from, all input blocks
    dx = sum(_bw(x, weight, dy, padding, groups, group_of=lambda o, j=j: j)[0]
             for j in range(groups))
    dw = sum(_bw(x, weight, dy, padding, groups, group_of=lambda o, j=j: j)[1]
             for j in range(groups))
    return dx, dw, dy.sum(axis=(0, 2, 3))


def bw_first_block(x, weight, dy, padding=0, groups=1):
    return _bw(x, weight, dy, padding, groups, first_block=True)


def bw_flipped(x, weight, dy, padding=0, groups=1):
    return _bw(x, weight, dy, padding, groups, flip=True)


def bw_db_first_image(x, weight, dy, padding=0, groups=1):
    return _bw(x, weight, dy, padding, groups, db=lambda g: g[0].sum(axis=(1, 2)))


def bw_db_mean(x, weight, dy, padding=0, groups=1):
    return _bw(x, weight, dy, padding, groups, db=lambda g: g.mean(axis=(0, 2, 3)))


def bw_db_per_image(x, weight, dy, padding=0, groups=1):
    return _bw(x, weight, dy, padding, groups, db=lambda g: g.sum(axis=(2, 3)))


def bw_dw_first_image(x, weight, dy, padding=0, groups=1):
    dx, _, db = _bw(x, weight, dy, padding, groups)
    return dx, _bw(x[:1], weight, dy[:1], padding, groups)[1], db


def bw_padding_kept(x, weight, dy, padding=0, groups=1):
    dx, dw, db = _bw(x, weight, dy, 0, groups, pad_only=padding)
    return dx, dw, db


MUTANTS = {
    "ch07.numerical_gradient": by_name(
        ng_forward, ng_no_half, ng_not_restored, ng_all_at_once, ng_zeros_like, ng_rows_only,
        ng_sign, ng_relative_step, unnamed=(ng_relative_step,)),
    "ch07.input_coverage": by_name(
        cov_no_padding, cov_no_dilation, cov_span, cov_ceil, cov_last_missing, cov_boolean,
        cov_padding_sign, cov_windows_without_padding),
    "ch07.grad_weight": by_name(
        gw_flipped, gw_first_image, gw_mean, gw_no_stride, gw_stride_on_taps, gw_no_padding,
        gw_uncropped, gw_layout, unnamed=(gw_no_padding,)),
    "ch07.grad_input": by_name(
        gi_flipped, gi_no_output_padding, gi_zero_rows, gi_no_stride, gi_no_dilation,
        gi_padding_kept, gi_swapped_weight, gi_batch_summed),
    "ch07.backward_*": by_name(
        bw_round_robin, bw_mixed, bw_first_block, bw_flipped, bw_db_first_image, bw_db_mean,
        bw_db_per_image, bw_dw_first_image, bw_padding_kept),
}


test_wrong_variant_loses_the_exercise = caught_test(MUTANTS, verdict=graded_verdict)


test_tally = tally_test(MUTANTS, {
    "ch07.numerical_gradient": (8, 7), "ch07.input_coverage": (8, 8),
    "ch07.grad_weight": (8, 7), "ch07.grad_input": (8, 8), "ch07.backward_*": (9, 9),
})


def test_the_graded_expressions_pass_the_reference_solutions():
    """The notebook's solution cells, through the same expressions, pass every part."""
    namespace = {"np": np}
    for cell in json.loads(notebook("07").read_text())["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("solution"):
            exec("".join(cell["source"]), namespace)  # noqa: S102 - the chapter's own text
    for check_id, expr in HIDDEN.items():
        check(check_id, eval(expr, dict(namespace)))  # noqa: S307
