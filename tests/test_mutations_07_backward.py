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
FUNCTION = {"ch07.richardson_step": "richardson_step", "ch07.input_reached": "input_reached",
            "ch07.transposed_grad_weight": "transposed_grad_weight",
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


# --- exercise 2: input_reached --------------------------------------------------------------

def _period(layers):
    return math.prod(s for _k, s, _p, _d in layers)


def _lowest(count, period):
    g = math.gcd(count, period)
    return (count // g, period // g)


def _below(layers):
    """s_1 ... s_(l-1) per layer: the spacing in input cells of the cells layer l reads."""
    spacing, c = [], 1
    for _k, s, _p, _d in layers:
        spacing.append(c)
        c *= s
    return spacing


def _composed(layers, spacing, *, dilate=True, modulo=None):
    """The number of the stack's taps sum_l spacing[l] d_l a_l modulo ``modulo`` (P by
    default; 0: the distinct taps themselves, at most P)."""
    taps = {0}
    for (k, _s, _p, d), c in zip(layers, spacing):
        taps = {t + c * (d if dilate else 1) * a for t in taps for a in range(k)}
    if modulo == 0:
        return min(len(taps), _period(layers))
    return len({t % (modulo or _period(layers)) for t in taps})


def reach_per_layer_product(layers):
    """Each layer's own residues d a mod s, multiplied: layers treated as independent."""
    return _lowest(math.prod(len({d * a % s for a in range(k)}) for k, s, _p, d in layers),
                   _period(layers))


def reach_first_layer_only(layers):
    k, s, _p, d = layers[0]
    return _lowest(len({d * a % s for a in range(k)}), s)


def reach_unscaled(layers):
    return _lowest(_composed(layers, [1] * len(layers)), _period(layers))


def reach_reversed_spacing(layers):
    return _lowest(_composed(layers, _below(layers[::-1])[::-1]), _period(layers))


def reach_no_dilation(layers):
    return _lowest(_composed(layers, _below(layers), dilate=False), _period(layers))


def reach_not_reduced(layers):
    return _lowest(_composed(layers, _below(layers), modulo=0), _period(layers))


def reach_not_lowest_terms(layers):
    return (_composed(layers, _below(layers)), _period(layers))


def reach_last_stride_period(layers):
    """Residues taken modulo the last layer's stride only: the fraction of that."""
    return _lowest(_composed(layers, _below(layers), modulo=layers[-1][1]), layers[-1][1])


def reach_padding_clipped(layers):
    """Padding subtracted from every tap and negative offsets clipped to 0 before the modulo."""
    taps, c = {0}, 1
    for k, s, p, d in layers:
        taps = {max(0, t + c * (d * a - p)) for t in taps for a in range(k)}
        c *= s
    return _lowest(len({t % c for t in taps}), c)


def reach_float_fraction(layers):
    """The right count, returned as one float."""
    return _composed(layers, _below(layers)) / _period(layers)


# --- exercise 3: transposed_grad_weight ---------------------------------------------------

def _tw(x, dy, shape, s, p, *, stride_used=None, pad=True, flip=False):
    """A student's dW of conv_transpose2d: input (i, j) stamped tap (a, b) on (s i + a - p, ...)."""
    st = s if stride_used is None else stride_used
    h, w = x.shape[2:]
    dyp = np.pad(dy.astype(float), ((0, 0), (0, 0), (p, p), (p, p))) if pad else dy.astype(float)
    dw = np.zeros(shape)
    for a in range(shape[2]):
        for b in range(shape[3]):
            cells = dyp[:, :, a:a + st * (h - 1) + 1:st, b:b + st * (w - 1) + 1:st]
            dw[:, :, a, b] = np.einsum("ncij,noij->co", x.astype(float), cells)
    return dw[:, :, ::-1, ::-1] if flip else dw


def tw_conv_layout(x, dy, shape, s=1, p=0):
    return _tw(x, dy, shape, s, p).transpose(1, 0, 2, 3)


def tw_flipped(x, dy, shape, s=1, p=0):
    return _tw(x, dy, shape, s, p, flip=True)


def tw_first_image(x, dy, shape, s=1, p=0):
    return _tw(x[:1], dy[:1], shape, s, p)


def tw_mean(x, dy, shape, s=1, p=0):
    return _tw(x, dy, shape, s, p) / x.shape[0]


def tw_no_stride(x, dy, shape, s=1, p=0):
    return _tw(x, dy, shape, s, p, stride_used=1)


def tw_no_padding(x, dy, shape, s=1, p=0):
    return _tw(x, dy, shape, s, p, pad=False)


def tw_output_padding_dropped(x, dy, shape, s=1, p=0):
    """dY cut to the size without output_padding, (h - 1) s - 2p + k, before the taps."""
    h, w = x.shape[2:]
    return _tw(x, dy[:, :, :(h - 1) * s - 2 * p + shape[2], :(w - 1) * s - 2 * p + shape[3]],
               shape, s, p)


def tw_convolution_formula(x, dy, shape, s=1, p=0):
    """The text's dW of a convolution, x as its input and dY as its output gradient."""
    xp = np.pad(x.astype(float), ((0, 0), (0, 0), (p, p), (p, p)))
    oh, ow = dy.shape[2:]
    dw = np.zeros((shape[1], shape[0], *shape[2:]))
    for a in range(shape[2]):
        for b in range(shape[3]):
            dw[:, :, a, b] = np.einsum("noij,ncij->oc", dy,
                                       xp[:, :, a:a + s * (oh - 1) + 1:s, b:b + s * (ow - 1) + 1:s])
    return dw


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
    "ch07.input_reached": by_name(
        reach_per_layer_product, reach_first_layer_only, reach_unscaled, reach_reversed_spacing,
        reach_no_dilation, reach_not_reduced, reach_not_lowest_terms, reach_last_stride_period,
        reach_padding_clipped, reach_float_fraction,
        unnamed=(reach_last_stride_period, reach_padding_clipped, reach_float_fraction)),
    "ch07.transposed_grad_weight": by_name(
        tw_conv_layout, tw_flipped, tw_first_image, tw_mean, tw_no_stride, tw_no_padding,
        tw_convolution_formula, tw_output_padding_dropped,
        unnamed=(tw_no_padding, tw_convolution_formula)),
    "ch07.grad_input": by_name(
        gi_flipped, gi_no_output_padding, gi_zero_rows, gi_no_stride, gi_no_dilation,
        gi_padding_kept, gi_swapped_weight, gi_batch_summed),
}


test_wrong_variant_loses_the_exercise = caught_test(MUTANTS, verdict=graded_verdict)


test_tally = tally_test(MUTANTS, {
    "ch07.richardson_step": (10, 6), "ch07.input_reached": (10, 7),
    "ch07.transposed_grad_weight": (8, 6), "ch07.grad_input": (8, 8),
})


def test_the_graded_expressions_pass_the_reference_solutions():
    """The notebook's solution cells, through the same expressions, pass every part."""
    namespace = {"np": np}
    for cell in json.loads(notebook("07").read_text())["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("solution"):
            exec("".join(cell["source"]), namespace)  # noqa: S102 - the chapter's own text
    for check_id, expr in HIDDEN.items():
        check(check_id, eval(expr, dict(namespace)))  # noqa: S307
