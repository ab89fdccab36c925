"""How far a central difference may step before a kink of ReLU or max pooling spoils it.

The layer is the chapter's first one without its norm, with a fixed upstream gradient R:

    L(x) = sum(R * max_pool2d(relu(conv2d(x, w, padding=1)), 2))

Along one input entry, ``x_i + t``, every pre-activation is a line ``z_o + t c_o`` (``c_o`` the
kernel tap that joins them, 0 if none), and ``max_pool(relu(z)) = max(0, max z)`` over a
window: each pooled output is the upper envelope of its window's lines and the zero line, a
convex piecewise-linear function of ``t``. The window's current line ``*`` (its maximum) stays
on top until another line with a different slope reaches it, at
``|t| = (M - v_l) / |c_l - c_*|``: a ReLU switching (the zero line) or the argmax moving.
L is linear in ``t`` between the nearest such kink on either side, so a central difference
with any step up to the nearest one is exact, and none beyond it is (the kinks of different
windows cancel only on a set of measure zero). Windows whose other lines are all parallel to
the current one never kink, and neither does a pooled output whose upstream gradient is 0 (it
is not in L): ``inf`` where no window kinks.
"""

from __future__ import annotations

import numpy as np

from ._args import check_array
from .standard import conv2d


def _check(x, weight, upstream):
    x, w, r = (check_array(a, name) for a, name in ((x, "x"), (weight, "weight"),
                                                     (upstream, "upstream")))
    if x.ndim != 4 or min(x.shape[2:]) < 2:
        raise ValueError(f"x must be (N, C, H, W) with H, W >= 2, got shape {x.shape}")
    if w.ndim != 4 or w.shape[1:] != (x.shape[1], 3, 3):
        raise ValueError(f"weight must be (O, {x.shape[1]}, 3, 3), got shape {w.shape}")
    pooled = (x.shape[0], w.shape[0], x.shape[2] // 2, x.shape[3] // 2)
    if r.shape != pooled:
        raise ValueError(f"upstream must have the pooled output's shape {pooled}, got {r.shape}")
    return x.astype(float), w.astype(float), r


def _windows(z):
    """(N, O, H//2, W//2, 5): each 2x2 window's four pre-activations, row by row, and the
    zero line of the ReLU (relu and max commute: max(relu(z)) = max(0, max z))."""
    n, o, h, w = z.shape
    ph, pw = h // 2, w // 2
    v = z[:, :, :2 * ph, :2 * pw].reshape(n, o, ph, 2, pw, 2).transpose(0, 1, 2, 4, 3, 5)
    return np.concatenate([v.reshape(n, o, ph, pw, 4), np.zeros((n, o, ph, pw, 1))], axis=-1)


def largest_exact_step(x, weight, upstream) -> np.ndarray:
    """For every entry of ``x``, the largest eps for which every central difference of ``L``
    (module docstring) with a step up to eps is exact; ``inf`` where every step is."""
    x, w, r = _check(x, weight, upstream)
    n, c, h, wd = x.shape
    values = _windows(conv2d(x, w, padding=1))            # (N, O, PH, PW, 5)
    top = values.max(axis=-1, keepdims=True)
    current = values.argmax(axis=-1)[..., None, None]      # (N, O, PH, PW, 1, 1)
    gap = (top - values)[:, :, :, :, None, :]              # (N, O, PH, PW, 1, 5)
    ph, pw = values.shape[2:4]
    result = np.full((n, c, h + 2, wd + 2), np.inf)       # padded: window rows start at -1
    kernel = np.pad(w, ((0, 0), (0, 0), (1, 1), (1, 1)))   # taps outside the kernel are 0
    for u in range(4):
        for v in range(4):
            # input (2I - 1 + u, 2J - 1 + v) meets line (p, q) of window (I, J) through the
            # tap (u - p, v - q), i.e. index (u - p + 1, v - q + 1) of the zero-padded kernel
            slopes = np.stack([kernel[:, :, u - p + 1, v - q + 1] for p in (0, 1)
                               for q in (0, 1)] + [np.zeros(w.shape[:2])], axis=-1)
            slopes = np.broadcast_to(slopes[None, :, None, None], (n, w.shape[0], ph, pw, c, 5))
            own = np.take_along_axis(slopes, np.broadcast_to(current, (*slopes.shape[:-1], 1)),
                                     axis=-1)
            apart = np.abs(slopes - own)
            with np.errstate(divide="ignore", invalid="ignore"):
                reach = np.where(apart > 0, gap / apart, np.inf).min(axis=-1)
            reach[r == 0] = np.inf  # a pooled output with no upstream gradient adds no kink
            nearest = reach.min(axis=1).transpose(0, 3, 1, 2)   # over O: (N, C, PH, PW)
            rows, cols = slice(u, u + 2 * ph, 2), slice(v, v + 2 * pw, 2)
            result[:, :, rows, cols] = np.minimum(result[:, :, rows, cols], nearest)
    return result[:, :, 1:h + 1, 1:wd + 1]


def largest_exact_step_naive(x, weight, upstream) -> np.ndarray:
    """The loop definition: per entry, per pooled output it reaches, the envelope's nearest
    breakpoint from the current line."""
    x, w, r = _check(x, weight, upstream)
    n, c, h, wd = x.shape
    z = conv2d(x, w, padding=1)
    result = np.full(x.shape, np.inf)
    for b, ch, a, e in np.ndindex(x.shape):
        for o, i, j in np.ndindex(w.shape[0], h // 2, wd // 2):
            if r[b, o, i, j] == 0:
                continue
            lines = [(0.0, 0.0)]  # (value, slope) of the zero line, then the window's four
            for p, q in np.ndindex(2, 2):
                ta, te = a - (2 * i + p) + 1, e - (2 * j + q) + 1
                slope = w[o, ch, ta, te] if 0 <= ta < 3 and 0 <= te < 3 else 0.0
                lines.append((z[b, o, 2 * i + p, 2 * j + q], slope))
            top, own = max(lines, key=lambda line: line[0])
            for value, slope in lines:
                if slope != own:
                    result[b, ch, a, e] = min(result[b, ch, a, e],
                                              (top - value) / abs(slope - own))
    return result
