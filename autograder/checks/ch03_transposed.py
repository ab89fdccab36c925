"""Hidden checks of chapter 03 (transposed): the smallest bottleneck from which every level of a
decoder splits into whole windows, bilinear upsampling with PyTorch's border, the nearest
kernel without a checkerboard on flat regions, and the sub-pixel layer a transposed
convolution is."""

from __future__ import annotations

import math

import numpy as np

import solutions

from .core import Check, Mistake

# --- smallest_bottleneck: a decoder whose every level splits into whole windows ------------

def _levels(layers, *, padding_out=True):
    """Each level's size as A x + B of the bottleneck size x: the transposed size formula
    (x - 1)s - 2p + k + output_padding is affine, so is every composition of it."""
    a, b, out = 1, 0, []
    for k, s, p, q in layers:
        a, b = a * s, b * s - s - 2 * p + k + (q if padding_out else 0)
        out.append((a, b))
    return out


def _smallest_bottleneck(layers, windows, *, coprime=False, positive=True, padding_out=True,
                         shift=0):
    """The smallest bottleneck size x >= 1 for which every level of the decoder (the output of
    each transposed layer) is a positive multiple of its window, or 0 if there is none.

    Level j is A_j x + B_j; it is a multiple of w_j when A_j x = -B_j (mod w_j), solvable iff
    g = gcd(A_j, w_j) divides B_j, and then x = x_j (mod w_j / g). The congruences are merged
    one by one (two residues agree modulo the gcd of their moduli, or there is no solution);
    the smallest solution at or above the first x that makes every level positive is the
    answer. The keywords make named mistakes."""
    levels = _levels(layers, padding_out=padding_out)
    if shift:                                   # the windows matched to the layers' inputs
        levels = [(1, 0), *levels[:-1]]
    r, m = 0, 1                                 # x = r (mod m) so far
    for (a, b), w in zip(levels, windows):
        g = math.gcd(a, w)
        if b % g:
            return 0
        n = w // g
        t = (-b // g) * pow(a // g, -1, n) % n if n > 1 else 0   # x = t (mod n)
        if coprime:                             # the textbook CRT, moduli taken as coprime
            try:
                r = (r + m * ((t - r) * pow(m, -1, n) % n)) % (m * n)
            except ValueError:
                return 0
            m *= n
            continue
        h = math.gcd(m, n)
        if (t - r) % h:
            return 0
        r = (r + m * ((t - r) // h * pow(m // h, -1, n // h) % (n // h))) % (m // h * n)
        m = m // h * n
    lowest = 1
    if positive:
        for a, b in levels:
            lowest = max(lowest, -(-(1 - b) // a))  # A x + B >= 1
    return lowest + (r - lowest) % m



def _lcm_of_windows(layers, windows):
    """The folk rule: the bottleneck a multiple of every window."""
    return math.lcm(*windows)


def _last_level_only(layers, windows):
    return _smallest_bottleneck(layers, [*[1] * (len(windows) - 1), windows[-1]])


SWIN_LAYERS = [(4, 2, 1, 0), (3, 2, 1, 1), (2, 2, 0, 0), (3, 2, 1, 0), (3, 1, 1, 0), (5, 3, 1, 1),
               (1, 2, 0, 1), (3, 3, 0, 2)]


def _bottleneck_cases(rng):
    """(layers, windows): decoders of 1-5 transposed layers (kernel, stride, padding,
    output_padding), padding up to k - 1 (so the smallest bottlenecks can give a level of
    size 0 or less). Every third decoder has a level with a window of 10^12 to 10^13 cells,
    another of 100 to 1,000, and an answer of 10^12 or more: counting bottlenecks up, or
    searching the residues of one window after another (even vectorised), takes 10^9 steps
    and more (10^12 as a rule: the strides' product, at most 4^5, is all a window can lose to
    the gcd). The windows' product stays below 2^62. About one case in eight has no
    bottleneck at all (some level's size is, say, odd for every x and its window even)."""
    cases = [([(4, 2, 1, 0)] * 3, [8, 8, 8]), ([(3, 2, 1, 0), (3, 2, 1, 0)], [3, 5]),
             ([(3, 2, 1, 0), (4, 2, 1, 0)], [2, 4]), ([(3, 1, 2, 0)], [5]),
             ([(3, 2, 1, 1), (4, 2, 1, 0)], [7, 12])]
    while len(cases) < 40:
        big = len(cases) % 3 == 0
        layers, windows = [], []
        for _ in range(int(rng.integers(2, 6)) if big else int(rng.integers(1, 5))):
            if rng.random() < 0.4:
                layers.append(SWIN_LAYERS[int(rng.integers(len(SWIN_LAYERS)))])
            else:
                k, s = int(rng.integers(1, 8)), int(rng.integers(1, 5))
                pad = k - 1 if rng.random() < 0.4 else int(rng.integers(0, k))
                layers.append((k, s, pad, int(rng.integers(0, s))))
            windows.append(int(rng.choice([1, 2, 4, 7, 8])) if big else int(rng.integers(1, 17)))
        if big:
            wide, mid = (int(j) for j in rng.choice(len(windows), 2, replace=False))
            windows[wide] = int(rng.integers(10**12, 10**13))
            windows[mid] = int(rng.integers(10**2, 10**3))
        if math.prod(windows) >= 2**62:     # every answer, right or wrong, a plain int64
            continue
        answer = _smallest_bottleneck(layers, windows)
        if answer >= 2**62 or (big and answer < 10**12) or (answer == 0 and rng.random() < 0.9):
            continue
        cases.append((layers, windows))
    return cases


# --- bilinear_upsample: F.interpolate(bilinear, align_corners=False) ----------------------

def _interpolation_matrix(n, f, align_corners=False):
    """(n f, n): row u holds the weights of the input cells that output cell u interpolates.
    Half-pixel centres: output u sits at input coordinate (u + 1/2)/f - 1/2, clamped at 0
    (PyTorch's area_pixel_compute_source_index); past the last cell the last one is copied."""
    u = np.arange(n * f)
    if align_corners:
        src = u * (n - 1) / (n * f - 1) if n * f > 1 else np.zeros(n * f)
    else:
        src = np.maximum((u + 0.5) / f - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(int), n - 1)
    i1 = np.minimum(i0 + 1, n - 1)
    lam = src - i0
    m = np.zeros((n * f, n))
    np.add.at(m, (u, i0), 1 - lam)
    np.add.at(m, (u, i1), lam)
    return m


def _bilinear_upsample(image, factor, *, align_corners=False):
    image = np.asarray(image, dtype=np.float64)
    rows = _interpolation_matrix(image.shape[0], factor, align_corners)
    cols = _interpolation_matrix(image.shape[1], factor, align_corners)
    return rows @ image @ cols.T


def _tent_route(image, f, *, mode="edge", shift=0, scale=1.0):
    """Bilinear upsampling as a transposed convolution: the image padded by one cell, then
    stamped with the tent kernel (stride f), then the f + f // 2 cells before the image's
    first output cropped. mode, shift, scale make the named mistakes."""
    image = np.asarray(image, dtype=np.float64)
    kernel = solutions.bilinear_kernel(f) * scale
    x = np.pad(image, 1, mode=mode)
    k = kernel.shape[0]
    out = np.zeros(((x.shape[0] - 1) * f + k, (x.shape[1] - 1) * f + k))
    for (i, j), v in np.ndenumerate(x):
        out[i * f:i * f + k, j * f:j * f + k] += v * kernel
    start = f + f // 2 + shift
    return out[start:start + image.shape[0] * f, start:start + image.shape[1] * f]


def _upsample_cases(rng):
    cases = [(np.array([[0.0, 1.0]]), 2), (np.full((3, 2), 5.0), 3)]
    while len(cases) < 30:
        h, w, f = int(rng.integers(1, 9)), int(rng.integers(2, 9)), int(rng.integers(2, 7))
        image = rng.integers(0, 10, (h, w)).astype(float) if len(cases) % 3 == 0 else \
            rng.standard_normal((h, w))
        cases.append((image, f))
    return cases


# --- balanced_kernel: the nearest kernel without a checkerboard on flat regions -----------

def _balanced_kernel(kernel, stride, *, target="weighted", shared=True, empty=True,
                     scaled=False):
    """The kernel nearest to ``kernel`` (Frobenius) whose taps sum to the same value m in
    every phase (a mod s, b mod s): then a constant input gives a constant interior.

    For a fixed m, phase c with n_c taps and sum S_c is corrected most cheaply by spreading
    m - S_c evenly over its taps, at cost (m - S_c)^2 / n_c; the best m minimises the sum:
    m = sum(S_c / n_c) / sum(1 / n_c). A phase no tap reaches forces m = 0.
    The keywords make the named mistakes."""
    kernel = np.asarray(kernel, dtype=np.float64)
    kh, kw = kernel.shape
    s = stride
    phase = (np.arange(kh) % s)[:, None] * s + (np.arange(kw) % s)[None, :]
    n = np.bincount(phase.ravel(), minlength=s * s).astype(float)
    total = np.bincount(phase.ravel(), kernel.ravel(), minlength=s * s)
    reached = n > 0
    if target == "mean":
        m = total.mean()
    elif empty and not reached.all():
        m = 0.0
    else:
        m = np.sum(total[reached] / n[reached]) / np.sum(1 / n[reached])
    if scaled:
        with np.errstate(divide="ignore", invalid="ignore"):  # phases without taps: unread
            return kernel * (m / total)[phase]
    change = (m - total) / (np.maximum(n, 1) if shared else 1)
    return kernel + change[phase]


def _balance_cases(rng):
    """A third of the kernels 60 to 150 taps a side: reading the phases off a transposed
    convolution of ones, one unit kernel at a time, would take 10^12 multiplications."""
    cases = [(np.ones((3, 3)), 2), (np.ones((4, 4)), 2), (np.array([[1.0, 2.0]]), 3)]
    while len(cases) < 30:
        s = int(rng.integers(1, 5))
        if len(cases) % 3 == 2:
            kh, kw = int(rng.integers(60, 151)), int(rng.integers(60, 151))
        else:
            kh, kw = int(rng.integers(1, 9)), int(rng.integers(1, 9))
        if s == 1 and len(cases) % 4:
            continue
        cases.append((rng.standard_normal((kh, kw)), s))
    return cases


# --- transposed_as_subpixel: a transposed convolution as a sub-pixel layer --------------

def _transposed_as_subpixel(t, r, *, flip=True, channel_last=False, swap_phase=False,
                            conv_layout=False):
    """The sub-pixel weight W, (C r^2, C_in, k, k), with pixel_shuffle(conv2d(x, W), r) ==
    conv_transpose2d(x, t, stride=r, padding=r (k - 1)) for t (C_in, C, k r, k r).

    Output cell (h r + i, w r + j) of channel c is the sum of the stamps of the inputs
    (h', w') that reach it: row h r + i + r (k - 1) of the uncropped result is row
    h r + i + r (k - 1) - r h' of the stamp of input h', so with h' = h + a it is row
    r (k - 1 - a) + i of t: W[c r^2 + i r + j, :, a, b] = t[:, c, r (k-1-a) + i, r (k-1-b) + j].
    So t's rows split into (block A, phase i) with A = k - 1 - a: a reshape, the blocks
    reversed, the axes reordered (no loop: hidden sub-kernels are up to 360 taps a side).
    The keywords make the named mistakes."""
    t = np.asarray(t, dtype=np.float64)
    if conv_layout:  # t read as (C, C_in, kr, kr), conv2d's (out, in) order
        t = t.transpose(1, 0, 2, 3)
    c_in, c, kr, _ = t.shape
    k = kr // r
    blocks = t.reshape(c_in, c, k, r, k, r)            # [ci, ch, A, i, B, j]
    if flip:
        blocks = blocks[:, :, ::-1, :, ::-1, :]         # block A = k - 1 - a
    phases = (5, 3) if swap_phase else (3, 5)           # the phase axes (row, column) of W
    order = (*phases, 1) if channel_last else (1, *phases)
    return blocks.transpose(*order, 0, 2, 4).reshape(c * r * r, c_in, k, k)


def _subpixel_cases(rng):
    """Transposed weights (C_in, C, k r, k r); a third integer-valued, r = 1 rarely. The last
    two have sub-kernels of 335 to 360 taps a side: reading W column by column off the text's
    trans_conv with unit images (as the matrix C is built) would take C_in k^2 > 10^5 images
    of k^2 stamps each (10^10 stamps), or np.eye(k^2), a zero-filled array of over 100 GB."""
    cases = [(np.arange(4.0).reshape(1, 1, 2, 2), 2), (np.array([[[[5.0]]], [[[7.0]]]]), 1)]
    while len(cases) < 28:
        c, c_in, r, k = (int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 5)),
                         int(rng.integers(2, 5)))
        if r == 1 and len(cases) % 3:
            continue
        shape = (c_in, c, k * r, k * r)
        t = rng.integers(-4, 5, shape) if len(cases) % 3 == 0 else rng.standard_normal(shape)
        cases.append((t, r))
    for _ in range(2):
        r, k = int(rng.integers(2, 4)), int(rng.integers(335, 361))
        cases.append((rng.standard_normal((1, 1, k * r, k * r)), r))
    return cases


CHECKS = [
    Check(
        id="ch03.smallest_bottleneck", function="smallest_bottleneck",
        cases=_bottleneck_cases, reference=_smallest_bottleneck,
        mistakes=[
            Mistake("the bottleneck a multiple of every window", _lcm_of_windows,
                    "a level's size is not the bottleneck's times a stride product: kernel, "
                    "padding and output_padding shift it. Write each level's size as a "
                    "function of x and ask when it is a multiple of its window."),
            Mistake("windows taken as coprime",
                    lambda layers, windows: _smallest_bottleneck(layers, windows, coprime=True),
                    "your answer goes wrong when two windows share a factor: try two levels with "
                    "windows of 4 and 6 cells by hand."),
            Mistake("levels of size 0 or less accepted",
                    lambda layers, windows: _smallest_bottleneck(layers, windows,
                                                                 positive=False),
                    "0 is a multiple of every window, but a level of size 0 (or less) is no "
                    "feature map: with wide padding the smallest bottlenecks give one."),
            Mistake("output_padding left out",
                    lambda layers, windows: _smallest_bottleneck(layers, windows,
                                                                 padding_out=False),
                    "each layer's output_padding adds its cells to that level, and every "
                    "later level sees them, multiplied by the later strides."),
            Mistake("windows matched to the layers' inputs",
                    lambda layers, windows: _smallest_bottleneck(layers, windows, shift=1),
                    "windows[j] splits the output of layer j, not its input: the first "
                    "window applies to the first transposed layer's output."),
            Mistake("only the last level checked", _last_level_only,
                    "every level is split into windows, not only the decoder's output."),
        ]),
    Check(
        id="ch03.bilinear_upsample", function="bilinear_upsample",
        cases=_upsample_cases, reference=_bilinear_upsample,
        mistakes=[
            Mistake("zeros around the image",
                    lambda x, f: _tent_route(x, f, mode="constant"),
                    "outside the image PyTorch clamps the coordinate to the first or last "
                    "cell (the border value is copied), it does not read zeros: the border "
                    "cells would come out darker."),
            Mistake("corners aligned",
                    lambda x, f: _bilinear_upsample(x, f, align_corners=True),
                    "you lined up the corners; align_corners=False uses the half-pixel centres of"
                    " the prompt. Where, in input coordinates, is the centre of output cell u?"),
            Mistake("nearest neighbour",
                    lambda x, f: np.repeat(np.repeat(np.asarray(x, float), f, 0), f, 1),
                    "each output cell interpolates its two nearest input cells (per axis), "
                    "weighted by closeness; repeating each cell is nearest-neighbour."),
            Mistake("cropped one cell late", lambda x, f: _tent_route(x, f, shift=1),
                    "your output is shifted by one cell: compare where your first output cell "
                    "lies with where the half-pixel centres put it."),
            Mistake("the tent normalised to sum 1",
                    lambda x, f: _tent_route(x, f, scale=1 / f**2),
                    "your upsampled constant image is not that constant: upsample np.ones((3, 3))"
                    " and look at the interior."),
        ]),
    Check(
        id="ch03.balanced_kernel", function="balanced_kernel", cases=_balance_cases,
        reference=_balanced_kernel,
        mistakes=[
            Mistake("the plain mean of the phase sums as target",
                    lambda k, s: _balanced_kernel(k, s, target="mean"),
                    "your common value is the plain mean of the phase sums: moving the sum of a "
                    "phase with few taps and of one with many by the same amount does not cost "
                    "the same."),
            Mistake("the whole correction on every tap",
                    lambda k, s: _balanced_kernel(k, s, shared=False),
                    "your phases' sums move too far: if every tap of a phase changes by delta, by"
                    " how much does its sum change?"),
            Mistake("phases no tap reaches ignored",
                    lambda k, s: _balanced_kernel(k, s, empty=False),
                    "with a kernel shorter than the stride some phases get no tap at all: what do"
                    " they sum to, and can any kernel change that?"),
            Mistake("each phase scaled, not shifted",
                    lambda k, s: _balanced_kernel(k, s, scaled=True),
                    "you scaled each phase's taps: among the kernels whose phases all sum to the "
                    "same value, is a scaled one the nearest in the Frobenius norm?"),
        ]),
    Check(
        id="ch03.transposed_as_subpixel", function="transposed_as_subpixel",
        cases=_subpixel_cases, reference=_transposed_as_subpixel,
        mistakes=[
            Mistake("taps not reversed",
                    lambda t, r: _transposed_as_subpixel(t, r, flip=False),
                    "your sub-pixel taps come out in reverse order: compare which input row each "
                    "tap of your W reads with the input row whose stamp that tap of T belongs to."),
            Mistake("channels written in depth-to-space order",
                    lambda t, r: _transposed_as_subpixel(t, r, channel_last=True),
                    "PixelShuffle makes output channel c from channels c r^2 .. c r^2 + r^2 - 1 "
                    "(channel c r^2 + i r + j), not from (i r + j) C + c."),
            Mistake("row and column phases swapped",
                    lambda t, r: _transposed_as_subpixel(t, r, swap_phase=True),
                    "channel c r^2 + i r + j goes to row phase i, column phase j."),
            Mistake("the transposed weight read in conv2d's layout",
                    lambda t, r: _transposed_as_subpixel(t, r, conv_layout=True),
                    "conv_transpose2d's weight is (C_in, C_out, kH, kW): input channels first; "
                    "the sub-pixel weight is (C r^2, C_in, k, k)."),
        ]),
]
