"""Chapter 03's exercises: wrong answers written as students write them, each rejected by the
hidden check, most of them named. The tally per exercise is asserted exactly."""

from __future__ import annotations

import math

import numpy as np
from mutants import by_name, caught_test, tally_test

# --- smallest_bottleneck(layers, windows) ---------------------------------------------------
# Written as a student who has found the congruences would: level j is a x + b, a multiple of
# w when a x = -b (mod w), the conditions merged one by one.

def _bottleneck(layers, windows, *, crt=None, lowest=None, padding_out=True, shift=False,
                reduce=True, crop=2):
    levels, a, b = [], 1, 0
    for k, s, p, q in layers:
        a, b = a * s, b * s - s - crop * p + k + (q if padding_out else 0)
        levels.append((a, b))
    if shift:
        levels = [(1, 0), *levels[:-1]]
    r, m = 0, 1
    for (a, b), w in zip(levels, windows):
        g = math.gcd(a, w) if reduce else 1
        if b % g:
            return 0
        n = w // g
        try:
            t = (-b // g) * pow(a // g, -1, n) % n if n > 1 else 0
        except ValueError:          # a not invertible modulo w: the student gives up
            return 0
        merged = (crt or _merge)(r, m, t, n)
        if merged is None:
            return 0
        r, m = merged
    low = lowest(levels) if lowest else max([1, *(-(-(1 - b) // a) for a, b in levels)])
    return low + (r - low) % m


def _merge(r, m, t, n):
    h = math.gcd(m, n)
    if (t - r) % h:
        return None
    return (r + m * ((t - r) // h * pow(m // h, -1, n // h) % (n // h))) % (m // h * n), m // h * n


def _merge_coprime(r, m, t, n):
    """The textbook Chinese remainder step, which needs coprime moduli."""
    try:
        return (r + m * ((t - r) * pow(m, -1, n) % n)) % (m * n), m * n
    except ValueError:
        return None


def bottleneck_lcm(layers, windows):
    """The folk rule: the bottleneck a multiple of every window."""
    return math.lcm(*windows)


def bottleneck_coprime(layers, windows):
    return _bottleneck(layers, windows, crt=_merge_coprime)


def bottleneck_zero_level(layers, windows):
    """The smallest x >= 1 in the residue class, whatever size its levels have."""
    return _bottleneck(layers, windows, lowest=lambda levels: 1)


def bottleneck_no_output_padding(layers, windows):
    return _bottleneck(layers, windows, padding_out=False)


def bottleneck_windows_on_inputs(layers, windows):
    return _bottleneck(layers, windows, shift=True)


def bottleneck_last_level(layers, windows):
    return _bottleneck(layers, [*[1] * (len(windows) - 1), windows[-1]])


def bottleneck_count_up(layers, windows):
    """Bottlenecks counted up until every level fits, stopped after 10^4 of them."""
    for x in range(1, 10**4):
        o, ok = x, True
        for (k, s, p, q), w in zip(layers, windows):
            o = (o - 1) * s - 2 * p + k + q
            ok = ok and o >= 1 and o % w == 0
        if ok:
            return x
    return 0


def bottleneck_gcd_kept(layers, windows):
    """a x = -b (mod w) solved without dividing by gcd(a, w): no inverse, so 'no bottleneck'."""
    return _bottleneck(layers, windows, reduce=False)


def bottleneck_padding_once(layers, windows):
    """padding cropped from one side only: (x - 1)s - p + k + output_padding."""
    return _bottleneck(layers, windows, crop=1)


# --- bilinear_upsample(image, factor) ------------------------------------------------------

def _tent(f):
    k = 2 * f - f % 2
    t = 1 - np.abs(np.arange(k) - (k - 1) / 2) / f
    return np.outer(t, t)


def _stamp(x, kernel, f):
    k = kernel.shape[0]
    y = np.zeros(((x.shape[0] - 1) * f + k, (x.shape[1] - 1) * f + k))
    for (i, j), v in np.ndenumerate(x):
        y[i * f:i * f + k, j * f:j * f + k] += v * kernel
    return y


def up_zero_border(image, factor):
    """The text's transposed convolution with padding f // 2: zeros come in at the border."""
    y = _stamp(image, _tent(factor), factor)
    p = factor // 2
    return y[p:p + image.shape[0] * factor, p:p + image.shape[1] * factor]


def _interp(n, f, src_of):
    u = np.arange(n * f)
    src = src_of(u, n, f)
    i0 = np.minimum(np.floor(src).astype(int), n - 1)
    i1 = np.minimum(i0 + 1, n - 1)
    m = np.zeros((n * f, n))
    np.add.at(m, (u, i0), 1 - (src - i0))
    np.add.at(m, (u, i1), src - i0)
    return m


def _by_source(image, f, src_of):
    return _interp(image.shape[0], f, src_of) @ image @ _interp(image.shape[1], f, src_of).T


def up_align_corners(image, factor):
    return _by_source(image, factor, lambda u, n, f: u * (n - 1) / max(n * f - 1, 1))


def up_nearest(image, factor):
    return np.repeat(np.repeat(image, factor, 0), factor, 1)


def up_crop_late(image, factor):
    y = _stamp(np.pad(image, 1, mode="edge"), _tent(factor), factor)
    start = factor + factor // 2 + 1
    return y[start:start + image.shape[0] * factor, start:start + image.shape[1] * factor]


def up_normalised(image, factor):
    y = _stamp(np.pad(image, 1, mode="edge"), _tent(factor) / factor**2, factor)
    start = factor + factor // 2
    return y[start:start + image.shape[0] * factor, start:start + image.shape[1] * factor]


def up_no_clamp(image, factor):
    """Half-pixel centres, but the coordinate not clamped at 0: the first cells extrapolate."""
    return _by_source(image, factor, lambda u, n, f: (u + 0.5) / f - 0.5)


def up_centre_f_minus_1(image, factor):
    """A tent peaking at f - 1, as for an odd factor, edge-padded."""
    f = factor
    k = 2 * f - f % 2
    t = 1 - np.abs(np.arange(k) - (f - 1)) / f
    y = _stamp(np.pad(image, 1, mode="edge"), np.outer(t, t), f)
    start = f + f // 2
    return y[start:start + image.shape[0] * f, start:start + image.shape[1] * f]


# --- balanced_kernel(kernel, stride) -------------------------------------------------------

def _phases(kernel, s):
    phase = (np.arange(kernel.shape[0]) % s)[:, None] * s + (np.arange(kernel.shape[1]) % s)
    n = np.bincount(phase.ravel(), minlength=s * s)
    total = np.bincount(phase.ravel(), kernel.ravel(), minlength=s * s)
    return phase, n, total


def bal_plain_mean(kernel, stride):
    phase, n, total = _phases(kernel, stride)
    return kernel + ((total.mean() - total) / np.maximum(n, 1))[phase]


def bal_unshared(kernel, stride):
    phase, n, total = _phases(kernel, stride)
    m = 0.0 if (n == 0).any() else np.sum(total / n) / np.sum(1 / n)
    return kernel + (m - total)[phase]


def bal_empty_ignored(kernel, stride):
    phase, n, total = _phases(kernel, stride)
    seen = n > 0
    m = np.sum(total[seen] / n[seen]) / np.sum(1 / n[seen])
    return kernel + ((m - total) / np.maximum(n, 1))[phase]


def bal_scaled(kernel, stride):
    phase, n, total = _phases(kernel, stride)
    m = 0.0 if (n == 0).any() else np.sum(total / n) / np.sum(1 / n)
    with np.errstate(divide="ignore", invalid="ignore"):  # phases without taps: never read
        return kernel * (m / total)[phase]


def bal_each_phase_mean(kernel, stride):
    """Every tap replaced by its phase's mean tap: equal within a phase, not across."""
    phase, n, total = _phases(kernel, stride)
    return (total / np.maximum(n, 1))[phase]


def bal_sum_one(kernel, stride):
    """Each phase scaled to sum 1, as the bilinear kernel's phases do."""
    phase, n, total = _phases(kernel, stride)
    return kernel / total[phase]


# --- transposed_as_subpixel(weight, upscale_factor) ---------------------------------------

def _subpixel(weight, r, row=lambda r, k, a, i: r * (k - 1 - a) + i,
              dest=lambda c, i, j, r, n: c * r * r + i * r + j, layout_in_first=True):
    """W[dest(ch, i, j), :, a, b] = t[:, ch, row(a, i), row(b, j)], with index arrays (the
    hidden weights have sub-kernels of up to 360 taps a side: no loop over the taps)."""
    t = weight if layout_in_first else weight.transpose(1, 0, 2, 3)
    c_in, c, kr, _ = t.shape
    k = kr // r
    ch, i, j, a, b = np.ix_(range(c), range(r), range(r), range(k), range(k))
    taps = t[:, ch, row(r, k, a, i), row(r, k, b, j)]          # (c_in, c, r, r, k, k)
    w = np.zeros((c * r * r, c_in, k, k))
    w[dest(ch, i, j, r, c)[..., 0, 0].ravel()] = taps.transpose(1, 2, 3, 0, 4, 5).reshape(
        c * r * r, c_in, k, k)
    return w


def sub_not_reversed(weight, upscale_factor):
    return _subpixel(weight, upscale_factor, row=lambda r, k, a, i: r * a + i)


def sub_depth_to_space(weight, upscale_factor):
    return _subpixel(weight, upscale_factor, dest=lambda c, i, j, r, n: (i * r + j) * n + c)


def sub_phases_swapped(weight, upscale_factor):
    return _subpixel(weight, upscale_factor, dest=lambda c, i, j, r, n: c * r * r + j * r + i)


def sub_conv_layout(weight, upscale_factor):
    """T read as conv2d's (C_out, C_in, kH, kW), not the transposed (C_in, C_out, ...)."""
    return _subpixel(weight, upscale_factor, layout_in_first=False)


def sub_phase_reversed_too(weight, upscale_factor):
    """The whole stamp rotated: the phase i reversed along with the tap."""
    return _subpixel(weight, upscale_factor, row=lambda r, k, a, i: r * (k - 1 - a) + r - 1 - i)


def sub_tiles(weight, upscale_factor):
    """The stamp cut into r x r tiles of k x k (tile (i, j) taken as phase (i, j)), each tile
    rotated: blocks, where the phases are interleaved."""
    r = upscale_factor
    c_in, c, kr, _ = weight.shape
    k = kr // r
    return weight.reshape(c_in, c, r, k, r, k)[:, :, :, ::-1, :, ::-1].transpose(
        1, 2, 4, 0, 3, 5).reshape(c * r * r, c_in, k, k)


def sub_block_mean(weight, upscale_factor):
    """Each r x r block of the stamp averaged into one tap, the same for every phase."""
    r = upscale_factor
    c_in, c, kr, _ = weight.shape
    k = kr // r
    blocks = weight.reshape(c_in, c, k, r, k, r).mean(axis=(3, 5))[:, :, ::-1, ::-1]
    return np.repeat(blocks.transpose(1, 0, 2, 3), r * r, axis=0)


MUTANTS = {
    "ch03.smallest_bottleneck": by_name(bottleneck_lcm, bottleneck_coprime, bottleneck_zero_level,
                                        bottleneck_no_output_padding,
                                        bottleneck_windows_on_inputs, bottleneck_last_level,
                                        bottleneck_count_up, bottleneck_gcd_kept,
                                        bottleneck_padding_once,
                                        unnamed=(bottleneck_count_up, bottleneck_gcd_kept,
                                                 bottleneck_padding_once)),
    "ch03.bilinear_upsample": by_name(up_zero_border, up_align_corners, up_nearest,
                                      up_crop_late, up_normalised, up_no_clamp,
                                      up_centre_f_minus_1,
                                      unnamed=(up_no_clamp, up_centre_f_minus_1)),
    "ch03.balanced_kernel": by_name(bal_plain_mean, bal_unshared, bal_empty_ignored, bal_scaled,
                                    bal_each_phase_mean, bal_sum_one,
                                    unnamed=(bal_each_phase_mean, bal_sum_one)),
    "ch03.transposed_as_subpixel": by_name(sub_not_reversed, sub_depth_to_space,
                                           sub_phases_swapped, sub_conv_layout,
                                           sub_phase_reversed_too, sub_tiles,
                                           sub_block_mean,
                                           unnamed=(sub_phase_reversed_too, sub_tiles,
                                                    sub_block_mean)),
}


test_wrong_answer_loses_the_exercise = caught_test(MUTANTS)


test_tally = tally_test(MUTANTS, {
    "ch03.smallest_bottleneck": (9, 6), "ch03.bilinear_upsample": (7, 5),
    "ch03.balanced_kernel": (6, 4), "ch03.transposed_as_subpixel": (7, 4),
})
