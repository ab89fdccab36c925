"""Hidden checks of chapter 02 (dilated): effective size, dilating a kernel, dilated corr2d,
receptive field."""

from __future__ import annotations

import numpy as np

import solutions

from .core import Check, Mistake


def _dilated_corr2d(x, k, d):
    return solutions.conv2d(x[None, None], k[None, None], dilation=d)[0, 0]


def _dilated_cases(rng):
    cases = []
    while len(cases) < 30:
        d = int(rng.integers(1, 4))
        k = rng.standard_normal((int(rng.integers(2, 4)), int(rng.integers(2, 4))))
        x = rng.standard_normal((int(rng.integers(6, 14)), int(rng.integers(6, 14))))
        if all(d * (kk - 1) + 1 <= n for kk, n in zip(k.shape, x.shape)):
            cases.append((x, k, d))
    return cases


def _stacks(rng):
    cases = []
    for _ in range(40):
        layers = int(rng.integers(1, 6))
        cases.append(([int(v) for v in rng.integers(1, 8, layers)],
                      [int(v) for v in rng.choice([1, 2, 4, 8], layers)]))
    return cases


CHECKS = [
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
    Check(
        id="ch02.dilate_kernel", function="dilate_kernel",
        cases=lambda rng: [(rng.standard_normal((int(rng.integers(1, 5)), int(rng.integers(1, 5)))),
                            int(rng.integers(1, 5))) for _ in range(30)],
        reference=solutions.dilate_kernel,
        mistakes=[
            Mistake("d zeros instead of d - 1", lambda k, d: solutions.insert_zeros(k, d),
                    "dilation d puts taps d apart, so d - 1 zeros go between neighbours."),
            Mistake("zeros after the last tap too",
                    lambda k, d: np.pad(solutions.dilate_kernel(k, d), ((0, d - 1), (0, d - 1))),
                    "the dilated kernel starts and ends with a tap: size d(k - 1) + 1."),
        ]),
    Check(
        id="ch02.dilated_corr2d", function="dilated_corr2d", cases=_dilated_cases,
        reference=_dilated_corr2d,
        mistakes=[
            Mistake("dilation applied to the input",
                    lambda x, k, d: solutions.conv2d(x[None, None], k[None, None],
                                                     stride=d)[0, 0],
                    "dilation spreads the *kernel taps* (x[i + a*d, j + b*d]); moving the "
                    "window d cells per step is stride, a different thing."),
            Mistake("kernel not dilated", lambda x, k, d: _dilated_corr2d(x, k, 1),
                    "read x at offsets a*d, b*d for kernel tap (a, b)."),
            Mistake("output size of the undilated kernel",
                    lambda x, k, d: _dilated_corr2d(np.pad(x, ((0, (k.shape[0] - 1) * (d - 1)),
                                                               (0, (k.shape[1] - 1) * (d - 1)))),
                                                    k, d),
                    "the window spans d(k - 1) + 1 cells, so there are "
                    "H - d(kh - 1) output rows, not H - kh + 1."),
        ]),
    Check(
        id="ch02.receptive_field", function="receptive_field", cases=_stacks,
        reference=lambda ks, ds: solutions.receptive_field(ks, dilations=ds),
        mistakes=[
            Mistake("sum of kernel sizes",
                    lambda ks, ds: sum(d * (k - 1) + 1 for k, d in zip(ks, ds)),
                    "layers overlap by one cell: each adds d(k - 1), starting from 1."),
            Mistake("dilation ignored", lambda ks, ds: 1 + sum(k - 1 for k in ks),
                    "a dilated layer adds d(k - 1) cells, not k - 1."),
        ]),
]
