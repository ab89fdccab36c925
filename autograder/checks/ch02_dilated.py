"""Hidden checks of chapter 02 (dilated): dilating a kernel per axis, a multi-channel padded
dilated convolution, the receptive field with strides, the largest rate that keeps a stack
dense, and the one kernel equal to a stack of dilated ones.

``ch02.effective_kernel_size`` is the first version's exercise; the chapter no longer asks
it, but the grader's fixture chapter (tests/fixtures) does.
"""

from __future__ import annotations

import numpy as np

import solutions

from .core import Check, Mistake

# --- dilate_kernel, per-axis rates ------------------------------------------------------------


def _dilate_cases(rng):
    """Kernels 1x1 to 4x4; a third of the rates are one int, the rest (dh, dw) pairs."""
    cases = []
    for i in range(30):
        kernel = rng.standard_normal((int(rng.integers(1, 5)), int(rng.integers(1, 5))))
        d = int(rng.integers(1, 5)) if i % 3 == 0 else (int(rng.integers(1, 5)),
                                                        int(rng.integers(1, 5)))
        cases.append((kernel, d))
    return cases


def _pair(d):
    return d if isinstance(d, tuple) else (d, d)


def _first_rate_only(k, d):
    return solutions.dilate_kernel(k, _pair(d)[0])


def _rates_swapped(k, d):
    dh, dw = _pair(d)
    return solutions.dilate_kernel(k, (dw, dh))


def _zeros_after(k, d):
    dh, dw = _pair(d)
    return np.pad(solutions.dilate_kernel(k, d), ((0, dh - 1), (0, dw - 1)))


# --- dilated_conv2d: channels and padding -----------------------------------------------------

def _dilated_conv2d(x, w, d, p):
    return solutions.conv2d(x.astype(float), w.astype(float), padding=p, dilation=d)


def _dilated_cases(rng):
    """Kernels 1-5 taps, rates 1-4, padding 0-4; every fifth case holds integers."""
    cases = []
    while len(cases) < 30:
        d, p = int(rng.integers(1, 5)), int(rng.integers(0, 5))
        kh, kw = int(rng.integers(1, 6)), int(rng.integers(1, 6))
        h, w = int(rng.integers(3, 14)), int(rng.integers(3, 14))
        if d * (kh - 1) + 1 > h or d * (kw - 1) + 1 > w:  # fits even unpadded
            continue
        c_in, c_out = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        shapes = ((c_in, h, w), (c_out, c_in, kh, kw))
        make = (lambda s: rng.integers(-5, 6, s)) if len(cases) % 5 == 4 else rng.standard_normal
        cases.append((make(shapes[0]), make(shapes[1]), d, p))
    return cases


def _undilated_size(x, w, d, p):
    """Dilated taps, but the output size of the undilated kernel (reading past the end as 0)."""
    kh, kw = w.shape[2:]
    extra = ((0, 0), (0, (kh - 1) * (d - 1)), (0, (kw - 1) * (d - 1)))
    return _dilated_conv2d(np.pad(np.pad(x, ((0, 0), (p, p), (p, p))), extra), w, d, 0)


# --- receptive_field with strides -------------------------------------------------------------

def _stacks(rng):
    cases = []
    for _ in range(40):
        layers = int(rng.integers(1, 6))
        cases.append(([int(v) for v in rng.integers(1, 8, layers)],
                      [int(v) for v in rng.choice([1, 1, 2, 3], layers)],
                      [int(v) for v in rng.choice([1, 2, 4, 8], layers)]))
    return cases


def _field(ks, ss, ds):
    return solutions.receptive_field(ks, strides=ss, dilations=ds)


def _misread_spacing(grow, own_stride_first=False):
    """A receptive field whose spacing after each layer is ``grow(spacing, s, d)``."""
    def field_of(ks, ss, ds):
        field, spacing = 1, 1
        for k, s, d in zip(ks, ss, ds):
            if own_stride_first:
                spacing = grow(spacing, s, d)
            field += d * (k - 1) * spacing
            if not own_stride_first:
                spacing = grow(spacing, s, d)
        return field
    return field_of


# --- largest_dense_rate -------------------------------------------------------------------------

def _largest_dense_rate(rates):
    bound = 2 * sum(rates) + 1  # a larger rate leaves a gap between +sum and r - sum
    return next((r for r in range(bound, 0, -1)
                 if solutions.is_dense([3] * (len(rates) + 1), [*rates, r])), 0)


def _smallest_dense_rate(rates):
    return next((r for r in range(1, 2 * sum(rates) + 2)
                 if solutions.is_dense([3] * (len(rates) + 1), [*rates, r])), 0)


def _largest_below_field(rates):
    return next((r for r in range(sum(rates) + 1, 0, -1)
                 if solutions.is_dense([3] * (len(rates) + 1), [*rates, r])), 0)


def _rate_cases(rng):
    """Stacks of 0-4 rates: dense ones, gridded ones, and some no rate can repair."""
    fixed = [[], [1], [2], [5], [1, 2], [2, 2], [1, 2, 9], [2, 3, 4], [1, 2, 5], [3, 3]]
    cases = [(r,) for r in fixed]
    while len(cases) < 40:
        cases.append(([int(v) for v in rng.integers(1, 10, int(rng.integers(1, 5)))],))
    return cases


# --- equivalent_kernel ------------------------------------------------------------------------

def _full(a, b):
    """The full (true) 2-D convolution of two kernels: the kernel of one after the other."""
    return solutions.conv_transpose2d(a[None, None], b[None, None])[0, 0]


def _equivalent_kernel(kernels, dilations):
    out = np.ones((1, 1))
    for k, d in zip(kernels, dilations):
        out = _full(out, solutions.dilate_kernel(k, d))
    return out


def _kernel_cases(rng):
    cases = []
    for _ in range(30):
        layers = int(rng.integers(1, 4))
        kernels = [rng.standard_normal((int(rng.integers(1, 4)), int(rng.integers(1, 4))))
                   for _ in range(layers)]
        cases.append((kernels, [int(v) for v in rng.integers(1, 4, layers)]))
    return cases


def _undilated(kernels, dilations):
    return _equivalent_kernel(kernels, [1] * len(kernels))


def _flipped_product(kernels, dilations):
    out = np.ones((1, 1))
    for k, d in zip(kernels, dilations):
        out = _full(out, solutions.dilate_kernel(k, d)[::-1, ::-1].copy())
    return out


def _summed(kernels, dilations):
    size = [1 + sum(d * (k.shape[a] - 1) for k, d in zip(kernels, dilations)) for a in (0, 1)]
    out = np.zeros(size)
    for k, d in zip(kernels, dilations):
        dk = solutions.dilate_kernel(k, d)
        top, left = (size[0] - dk.shape[0]) // 2, (size[1] - dk.shape[1]) // 2
        out[top:top + dk.shape[0], left:left + dk.shape[1]] += dk
    return out


CHECKS = [
    Check(
        id="ch02.dilate_kernel", function="dilate_kernel", cases=_dilate_cases,
        reference=solutions.dilate_kernel,
        mistakes=[
            Mistake("d zeros instead of d - 1",
                    lambda k, d: solutions.insert_zeros(k, _pair(d)),
                    "dilation d puts taps d apart, so d - 1 zeros go between neighbours."),
            Mistake("zeros after the last tap too", _zeros_after,
                    "the dilated kernel starts and ends with a tap: size d(k - 1) + 1."),
            Mistake("one rate for both axes", _first_rate_only,
                    "dilation=(dh, dw) spreads rows by dh and columns by dw: use both."),
            Mistake("rates swapped", _rates_swapped,
                    "the first rate is for the rows (height), the second for the columns."),
        ]),
    Check(
        id="ch02.dilated_conv2d", function="dilated_conv2d", cases=_dilated_cases,
        reference=_dilated_conv2d,
        mistakes=[
            Mistake("dilation applied as stride",
                    lambda x, w, d, p: solutions.conv2d(x.astype(float), w.astype(float),
                                                        stride=d, padding=p),
                    "dilation spreads the *kernel taps* (x[c, i + a*d, j + b*d]); moving the "
                    "window d cells per step is stride, a different thing."),
            Mistake("kernel not dilated", lambda x, w, d, p: _dilated_conv2d(x, w, 1, p),
                    "read x at offsets a*d, b*d for kernel tap (a, b)."),
            Mistake("output size of the undilated kernel", _undilated_size,
                    "the window spans d(k - 1) + 1 cells, so there are "
                    "H + 2p - d(kh - 1) output rows, not H + 2p - kh + 1."),
            Mistake("padding on one side only",
                    lambda x, w, d, p: _dilated_conv2d(np.pad(x, ((0, 0), (p, 0), (p, 0))),
                                                       w, d, 0),
                    "pad p zeros on every side: np.pad(x, ((0, 0), (p, p), (p, p)))."),
            Mistake("padding ignored", lambda x, w, d, p: _dilated_conv2d(x, w, d, 0),
                    "pad x with p zeros on every side first."),
            Mistake("only the first input channel",
                    lambda x, w, d, p: _dilated_conv2d(x[:1], w[:, :1], d, p),
                    "each output channel sums the correlations of *all* input channels "
                    "with their kernel slices."),
            Mistake("flipped kernel",
                    lambda x, w, d, p: _dilated_conv2d(x, w[:, :, ::-1, ::-1], d, p),
                    "do not flip the kernel: this is cross-correlation."),
        ]),
    Check(
        id="ch02.receptive_field", function="receptive_field", cases=_stacks,
        reference=_field,
        mistakes=[
            Mistake("strides ignored", lambda ks, ss, ds: _field(ks, [1] * len(ks), ds),
                    "after a stride-s layer, neighbouring cells of its output are s input "
                    "cells apart: later layers widen the field s times as much."),
            Mistake("a layer's own stride counted",
                    _misread_spacing(lambda jump, s, d: jump * s, own_stride_first=True),
                    "a layer's stride spaces its *outputs*, not its own taps: layer l's "
                    "d(k - 1) is multiplied by the strides of the layers *before* it."),
            Mistake("strides added instead of multiplied",
                    _misread_spacing(lambda jump, s, d: jump + s - 1),
                    "spacings compound: after strides 2 and 2, neighbours are 4 input cells "
                    "apart, not 3."),
            Mistake("dilation multiplies the spacing",
                    _misread_spacing(lambda jump, s, d: jump * s * d),
                    "dilation spreads a layer's own taps only; the spacing of later layers "
                    "is the product of the *strides* so far."),
            Mistake("sum of kernel spans",
                    lambda ks, ss, ds: sum(d * (k - 1) + 1 for k, d in zip(ks, ds)),
                    "layers overlap by one cell: each adds d(k - 1) (times the spacing), "
                    "starting from 1."),
            Mistake("dilation ignored", lambda ks, ss, ds: _field(ks, ss, [1] * len(ks)),
                    "a dilated layer adds d(k - 1) cells, not k - 1."),
        ]),
    Check(
        id="ch02.largest_dense_rate", function="largest_dense_rate", cases=_rate_cases,
        reference=_largest_dense_rate,
        mistakes=[
            Mistake("stack assumed dense", lambda rates: 2 * sum(rates) + 1,
                    "2R + 1 (R = sum of the rates) is the answer only when the stack is already "
                    "dense; otherwise test each candidate rate for holes."),
            Mistake("a gridded stack given up",
                    lambda rates: 2 * sum(rates) + 1
                    if solutions.is_dense([3] * len(rates), rates) else 0,
                    "a gridded stack can still be repaired by a small rate (1 fills the "
                    "holes of 2, 2, 2): try every rate, largest first."),
            Mistake("smallest rate instead of the largest", _smallest_dense_rate,
                    "several rates may keep the stack dense; the largest widens the field "
                    "most: search downwards from 2R + 1 (R = sum of the rates)."),
            Mistake("search stopped too early", _largest_below_field,
                    "the new rate may reach 2R + 1 (R = sum of the rates): its taps at "
                    "±r then add offsets r - R .. r + R, which just meet -R .. R."),
        ]),
    Check(
        id="ch02.equivalent_kernel", function="equivalent_kernel", cases=_kernel_cases,
        reference=_equivalent_kernel,
        mistakes=[
            Mistake("dilations ignored", _undilated,
                    "dilate each kernel first (d - 1 zeros between taps), then combine."),
            Mistake("kernels flipped", _flipped_product,
                    "stacked correlations add their offsets: tap a of one and b of the next "
                    "give offset a + b, the full *convolution* of the two kernels, unflipped."),
            Mistake("one dilation for every layer",
                    lambda ks, ds: _equivalent_kernel(ks, [ds[-1]] * len(ks)),
                    "each layer has its own dilation: dilate kernel l by dilations[l]."),
            Mistake("combined kernel dilated afterwards",
                    lambda ks, ds: solutions.dilate_kernel(_undilated(ks, ds), ds[0]),
                    "dilate each kernel by its own rate *before* combining; dilating the "
                    "combined kernel spreads the taps of the first layer too far."),
            Mistake("kernels added, not combined", _summed,
                    "layers in a stack compose: the kernel is the full convolution of the "
                    "dilated kernels, sum over a + b = t of K1[a] K2[b]."),
        ]),
    # The first version's exercise, still graded in the fixture chapter.
    Check(
        id="ch02.effective_kernel_size", function="effective_kernel_size",
        cases=lambda rng: [(int(rng.integers(1, 10)), int(rng.integers(1, 10)))
                           for _ in range(40)],
        reference=solutions.effective_kernel_size,
        mistakes=[
            Mistake("k times d", lambda k, d: k * d,
                    "the gaps lie only *between* taps: k taps leave k - 1 gaps of d - 1 zeros."),
            Mistake("one gap widened only", lambda k, d: k + d - 1,
                    "each of the k - 1 gaps between taps gets d - 1 zeros, not just one gap."),
        ]),
]
