"""Chapter 07's hidden checks against wrong answers written the way students write them.

Each variant goes through the exact expression the notebook's hidden cell grades (read from
the chapter, so a lambda there wraps the variant as it would wrap a student's function) and
must lose the exercise; most must be named ("Likely mistake: ..."). The tally is asserted.
"""

from __future__ import annotations

import json
import math

import numpy as np
from mutants import by_name, caught_test, hidden_calls, notebook, parts, tally_test, verdict

from autograder.checks import check

HIDDEN = hidden_calls("07")
# The student's function each exercise's hidden cell wraps.
FUNCTION = {"ch07.richardson_step": "richardson_step", "ch07.trained_taps": "trained_taps",
            "ch07.per_example_grad_norms": "per_example_grad_norms",
            "ch07.grad_input": "grad_input"}


def graded(check_id: str, name: str, fn):
    """What the hidden cell hands to check() when the student's function ``name`` is ``fn``."""
    return eval(HIDDEN[check_id], {"np": np, name: fn})  # noqa: S307 - the chapter's own text


def graded_verdict(check_id: str, fn, seed: int | None = None) -> str | None:
    """The failure message of the first part of the exercise the variant loses, or None."""
    for part in parts(check_id):
        if (message := verdict(part, graded(part, FUNCTION[check_id], fn), seed)) is not None:
            return message
    return None


# --- exercise 1: richardson_step ----------------------------------------------------------

U = 2.0 ** -53


def step_central_difference(f, f5):
    """The text's central-difference step, the fifth derivative put in for the third."""
    return (3 * U * abs(f) / abs(f5)) ** (1 / 3)


def step_terms_equal(f, f5):
    # eps^4 |f5| / 30 = 3 u |f| / (2 eps)
    return (45 * U * abs(f) / abs(f5)) ** (1 / 5)


def step_single_difference_rounding(f, f5):
    # eps^4 |f5| / 30 + u |f| / eps
    return (30 * U * abs(f) / (4 * abs(f5))) ** (1 / 5)


def step_machine_epsilon(f, f5):
    return (45 * np.finfo(float).eps * abs(f) / (4 * abs(f5))) ** (1 / 5)


def step_no_abs(f, f5):
    return (45 * U * f / (4 * f5)) ** (1 / 5)


def step_fourth_root(f, f5):
    return (45 * U * abs(f) / (4 * abs(f5))) ** (1 / 4)


def step_grid_search(f, f5):
    """The text's plot as a method: the best of its 49 steps for R's total error."""
    steps = np.logspace(-13, -1, 49)
    return float(steps[(steps**4 * abs(f5) / 30 + 1.5 * U * abs(f) / steps).argmin()])


def step_golden_section(f, f5):
    """The right model minimised numerically: golden section in float64 gets within ~1e-8."""
    a, b, ratio = 1e-8, 1.0, (math.sqrt(5) - 1) / 2
    error = lambda e: e**4 * abs(f5) / 30 + 1.5 * U * abs(f) / e  # noqa: E731
    for _ in range(200):
        c, d = b - ratio * (b - a), a + ratio * (b - a)
        a, b = (a, d) if error(c) < error(d) else (c, b)
    return (a + b) / 2


def step_d2_same_rounding(f, f5):
    # (4 u |f| / eps + u |f| / eps) / 3: D(2 eps)'s rounding taken as u |f| / eps
    return (5 / 3 * U * abs(f) / (4 * abs(f5) / 30)) ** (1 / 5)


def step_u_rounded(f, f5):
    """u typed as 1.11e-16 (2^-53 = 1.1102...e-16): the step off by a relative 4e-6."""
    return (45 * 1.11e-16 * abs(f) / (4 * abs(f5))) ** (1 / 5)


# --- exercise 2: trained_taps -------------------------------------------------------------

def _windows(n, k, s, p, d):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def _run(n, k, s, p, d, last):
    """Taps a with d a - p <= n - 1 and d a - p + last >= 0: the two ends' bounds."""
    lo, hi = max(0, -((last - p) // d)), min(k - 1, (n - 1 + p) // d)
    return max(0, hi - lo + 1)


def _small_brute(n, k, s, p, d):
    """Window by window, for the small layers whose stride exceeds the input."""
    return sum(any(0 <= s * i + d * a - p < n for i in range(_windows(n, k, s, p, d)))
               for a in range(k))


def taps_interval_everywhere(n, k, s, p, d):
    """The two ends' rule, also where the stride is larger than the input."""
    return _run(n, k, s, p, d, s * (_windows(n, k, s, p, d) - 1))


def _right_for_small_strides(rule):
    """``rule`` where s <= n, the right count where the stride exceeds the input."""
    return lambda n, k, s, p, d: rule(n, k, s, p, d) if s <= n else _small_brute(n, k, s, p, d)


def taps_first_window_only(n, k, s, p, d):
    return max(0, min(k, (n - 1 + p) // d + 1))


def taps_unfloored_last_window(n, k, s, p, d):
    """(The same count as taking the kernel's two ends as mirror images.)"""
    return _run(n, k, s, p, d, n + 2 * p - d * (k - 1) - 1)


def taps_inside_in_every_window(n, k, s, p, d):
    """A tap that reads padding in some window counted as untrained."""
    last = s * (_windows(n, k, s, p, d) - 1)
    lo, hi = max(0, -(-p // d)), min(k - 1, (n - 1 - last + p) // d)
    return max(0, hi - lo + 1)


def taps_no_dilation(n, k, s, p, d):
    return _run(n, k, s, p, 1, s * (_windows(n, k, s, p, 1) - 1)) if s <= n else \
        _small_brute(n, k, s, p, 1)


def taps_no_padding(n, k, s, p, d):
    o = _windows(n, k, s, 0, d)
    return 0 if o < 1 else (_run(n, k, s, 0, d, s * (o - 1)) if s <= n else
                            _small_brute(n, k, s, 0, d))


def taps_cell_n_inside(n, k, s, p, d):
    """Off by one: the cell just past the input counted as real."""
    return _right_for_small_strides(lambda n, k, s, p, d: _run(n + 1, k, s, p, d, s * (
        _windows(n, k, s, p, d) - 1)))(n, k, s, p, d)


def taps_untrained_count(n, k, s, p, d):
    """The number of taps that never learn, instead of those that do."""
    return k - _right_for_small_strides(taps_interval_everywhere)(n, k, s, p, d)


def taps_float_fraction(n, k, s, p, d):
    return _right_for_small_strides(taps_interval_everywhere)(n, k, s, p, d) / k


# --- exercise 3: per_example_grad_norms ---------------------------------------------------

def _patch_rows(x, ks, s, p, out, pad=None):
    """(N, T, C kh kw): the patch each output position multiplies."""
    (kh, kw), (oh, ow) = ks, out
    pad = ((p, p), (p, p)) if pad is None else pad
    xp = np.pad(x.astype(float), ((0, 0), (0, 0), *pad))
    rows = [xp[:, :, a:a + s * (oh - 1) + 1:s, b:b + s * (ow - 1) + 1:s]
            for a in range(kh) for b in range(kw)]
    return np.stack(rows, 2).reshape(len(x), -1, oh * ow).transpose(0, 2, 1)


def _gram_norms(xs, gs):
    return np.sqrt(np.maximum(0, np.einsum("ntu,ntu->n", xs @ xs.transpose(0, 2, 1),
                                           gs @ gs.transpose(0, 2, 1))))


def _positions(dy):
    return dy.astype(float).reshape(*dy.shape[:2], -1).transpose(0, 2, 1)


def norms_of_the_batch_gradient(x, dy, ks, s=1, p=0):
    xs, gs = _patch_rows(x, ks, s, p, dy.shape[2:]), _positions(dy)
    total = _gram_norms(xs.reshape(1, -1, xs.shape[2]), gs.reshape(1, -1, gs.shape[2]))
    return np.repeat(total, len(x))


def norms_positions_orthogonal(x, dy, ks, s=1, p=0):
    xs, gs = _patch_rows(x, ks, s, p, dy.shape[2:]), _positions(dy)
    return np.sqrt(np.sum((xs ** 2).sum(2) * (gs ** 2).sum(2), axis=1))


def norms_product(x, dy, ks, s=1, p=0):
    xs, gs = _patch_rows(x, ks, s, p, dy.shape[2:]), _positions(dy)
    return np.sqrt((xs ** 2).sum((1, 2)) * (gs ** 2).sum((1, 2)))


def norms_squared(x, dy, ks, s=1, p=0):
    return _gram_norms(_patch_rows(x, ks, s, p, dy.shape[2:]), _positions(dy)) ** 2


def norms_over_batch_size(x, dy, ks, s=1, p=0):
    return _gram_norms(_patch_rows(x, ks, s, p, dy.shape[2:]), _positions(dy)) / len(x)


def norms_padding_after(x, dy, ks, s=1, p=0):
    xs = _patch_rows(x, ks, s, p, dy.shape[2:], pad=((0, 2 * p), (0, 2 * p)))
    return _gram_norms(xs, _positions(dy))


def norms_stride_one(x, dy, ks, s=1, p=0):
    (kh, kw), (oh, ow) = ks, dy.shape[2:]
    xp = np.pad(x.astype(float), ((0, 0), (0, 0), (p, p + oh + kh), (p, p + ow + kw)))
    return _gram_norms(_patch_rows(xp[:, :, :oh + kh - 1, :ow + kw - 1], ks, 1, 0, (oh, ow)),
                       _positions(dy))


def norms_gram_of_channels(x, dy, ks, s=1, p=0):
    """The two Gram matrices taken over the other axis (channels, not positions), where
    their shapes let the product be taken at all: else the patches' Gram over positions."""
    xs, gs = _patch_rows(x, ks, s, p, dy.shape[2:]), _positions(dy)
    gram_g = gs.transpose(0, 2, 1) @ gs          # C_out x C_out
    gram_x = xs.transpose(0, 2, 1) @ xs          # C kh kw x C kh kw
    if gram_g.shape != gram_x.shape:
        return np.sqrt(np.abs(np.einsum("ntt->n", xs @ xs.transpose(0, 2, 1))))
    return np.sqrt(np.abs(np.einsum("nab,nab->n", gram_x, gram_g)))


def norms_last_image_only(x, dy, ks, s=1, p=0):
    """Every image given the last image's norm (a loop's variable reused)."""
    last = _gram_norms(_patch_rows(x[-1:], ks, s, p, dy.shape[2:]), _positions(dy[-1:]))
    return np.repeat(last, len(x))


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


MUTANTS = {
    "ch07.richardson_step": by_name(
        step_central_difference, step_terms_equal, step_single_difference_rounding,
        step_machine_epsilon, step_no_abs, step_fourth_root, step_grid_search,
        step_golden_section, step_d2_same_rounding, step_u_rounded,
        unnamed=(step_no_abs, step_fourth_root, step_grid_search, step_golden_section)),
    "ch07.trained_taps": by_name(
        taps_interval_everywhere, taps_first_window_only,
        taps_unfloored_last_window, taps_inside_in_every_window,
        taps_no_dilation, taps_no_padding, taps_cell_n_inside,
        taps_untrained_count, taps_float_fraction,
        unnamed=(taps_cell_n_inside, taps_untrained_count, taps_float_fraction)),
    "ch07.per_example_grad_norms": by_name(
        norms_of_the_batch_gradient, norms_positions_orthogonal, norms_product, norms_squared,
        norms_over_batch_size, norms_padding_after, norms_stride_one, norms_gram_of_channels,
        norms_last_image_only, unnamed=(norms_gram_of_channels, norms_last_image_only)),
    "ch07.grad_input": by_name(
        gi_flipped, gi_no_output_padding, gi_zero_rows, gi_no_stride, gi_no_dilation,
        gi_padding_kept, gi_swapped_weight, gi_batch_summed),
}


test_wrong_variant_loses_the_exercise = caught_test(MUTANTS, verdict=graded_verdict)


test_tally = tally_test(MUTANTS, {
    "ch07.richardson_step": (10, 6), "ch07.trained_taps": (9, 6),
    "ch07.per_example_grad_norms": (9, 7), "ch07.grad_input": (8, 8),
})


def test_the_graded_expressions_pass_the_reference_solutions():
    """The notebook's solution cells, through the same expressions, pass every part."""
    namespace = {"np": np}
    for cell in json.loads(notebook("07").read_text())["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("solution"):
            exec("".join(cell["source"]), namespace)  # noqa: S102 - the chapter's own text
    for check_id, expr in HIDDEN.items():
        check(check_id, eval(expr, dict(namespace)))  # noqa: S307
