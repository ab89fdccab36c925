"""Hidden checks of chapter 07 (backward): the finite-difference step of least total error,
the fraction of a long input that a stack of strided, padded, dilated layers trains, the
weight and input gradients with stride, padding and dilation, and the whole backward pass of a
grouped convolution.

The references are ``solutions.conv2d_grad_weight`` / ``conv2d_grad_input`` (torch.nn.grad
semantics); the named mistakes are computed with :func:`_tap_sums`, the weight-gradient sum
written out with its two steps as parameters, or with the references on altered arguments.
"""

from __future__ import annotations

import math

import numpy as np

import solutions

from .core import Check, Mistake

# --- exercise 1: richardson_step -------------------------------------------------------------
# Richardson's extrapolation of the central difference, R(eps) = (4 D(eps) - D(2 eps)) / 3,
# cancels D's eps^2 term; what is left is -eps^4 f5 / 30 (D's eps^4 term is eps^4 f5 / 120:
# (4 - 16) / 120 / 3 = -1/30). In the text's rounding model, each value of f off by up to
# u |f|, R = (8 (f1 - f-1) - (f2 - f-2)) / (12 eps) is off by up to 18 u |f| / (12 eps)
# = 3 u |f| / (2 eps). The step that minimises eps^4 |f5| / 30 + 3 u |f| / (2 eps) is
# (45 u |f| / (4 |f5|))^(1/5). None of these three steps is in the text.
UNIT_ROUNDOFF = 2.0 ** -53
# The step is compared to a relative 1e-13 (the closed form, spelt any sensible way, is within
# a few units of 1e-16). Near its minimum the total error is flat, E(eps* (1 + delta)) =
# E* (1 + 2 delta^2 + ...), so a search comparing float64 values of E (a grid, golden
# section, Brent) cannot locate eps* better than delta ~ sqrt(u / 2) ~ 1e-8, and a parabola
# polished in log eps not better than ~5e-11: such searches are refused. A degree-6 fit around
# the grid minimum or a long-double bisection gets as close as the closed form; both need R's
# error model and more than five lines (tests/fixtures/reader_pastes/README.md, round 6).
STEP_RTOL = 1e-13


def _richardson_step(f, f5, u=UNIT_ROUNDOFF, truncation=1 / 30, rounding=3 / 2):
    """The minimiser of truncation * eps^4 |f5| + rounding * u |f| / eps; the keywords are
    there for the mistaken coefficients students use."""
    return (rounding * u * abs(f) / (4 * truncation * abs(f5))) ** (1 / 5)


def _step_cases(rng):
    return [tuple(float(10 ** rng.uniform(-3, 3) * rng.choice([-1, 1])) for _ in range(2))
            for _ in range(40)]


# --- exercise 2: input_reached ---------------------------------------------------------------
# Far from the ends, tap a_l of layer l (first layer l = 1) moves the input cell read by
# c_l d_l a_l, with c_l = s_1 ... s_(l-1) the stride of layer l's grid in input cells, and the
# last layer's windows are P = s_1 ... s_L input cells apart: the stack is one layer with
# stride P and the taps T = {sum_l c_l d_l a_l}. Padding only shifts the pattern. So of every
# P consecutive interior cells, those reached are the distinct residues of T modulo P; the
# exercise asks for that fraction of the input in lowest terms (the period is not given).


def _taps(layers, scale):
    """The offsets sum_l scale[l] d_l a_l of the stack's composed kernel (a set of ints)."""
    offsets = {0}
    for (k, _s, _p, d), c in zip(layers, scale):
        offsets = {t + c * d * a for t in offsets for a in range(k)}
    return offsets


def _grid(layers):
    """c_l = s_1 ... s_(l-1): the spacing, in input cells, of the cells layer l reads."""
    scale, c = [], 1
    for _k, s, _p, _d in layers:
        scale.append(c)
        c *= s
    return scale


def _period(layers):
    return math.prod(s for _k, s, _p, _d in layers)


def _lowest(count, period):
    """The fraction count / period as (numerator, denominator) in lowest terms."""
    g = math.gcd(count, period)
    return (count // g, period // g)


def _residues(layers, *, scale=None, keep=lambda *layer: layer, reduce=True):
    """How many of every P = s_1 ... s_L consecutive interior input cells get a gradient.
    ``scale`` and ``keep`` alter the taps' spacing or every layer, as students do;
    ``reduce=False`` counts the distinct taps without reducing them modulo P."""
    layers = [keep(*layer) for layer in layers]
    taps = _taps(layers, _grid(layers) if scale is None else scale(layers))
    period = _period(layers)
    return len({t % period for t in taps}) if reduce else min(len(taps), period)


def _reached(layers, **mistaken):
    """The fraction of the interior input cells that get a gradient, in lowest terms."""
    return _lowest(_residues(layers, **mistaken), _period(layers))


def _per_layer(layers):
    """Each layer's own pattern (the distinct d a mod s of one layer), multiplied."""
    return _lowest(math.prod(len({d * a % s for a in range(k)}) for k, s, _p, d in layers),
                   _period(layers))


def _first_only(layers):
    k, s, _p, d = layers[0]
    return _lowest(len({d * a % s for a in range(k)}), s)


def _reached_cases(rng):
    """Stacks of 1-6 layers (kernels 1-5, padding up to k): small strides and dilations,
    where windows overlap and carry into the next layer's grid, and strides up to 10^3 and
    dilations up to 2 10^3, where the period reaches 10^18 cells (still an int64) and taps
    wrap around it."""
    cases = []
    while len(cases) < 40:
        depth = int(rng.integers(1, 7))
        big = len(cases) % 2 == 1
        layers = []
        for _ in range(depth):
            k = int(rng.integers(1, 6))
            s = int(rng.integers(2, 10**3)) if big else int(rng.integers(1, 5))
            d = int(rng.choice([1, s, s + 1, int(rng.integers(1, 2 * s + 2))])) if big \
                else int(rng.integers(1, 5))
            layers.append((k, s, int(rng.integers(0, k + 1)), d))
        # the period and every tap stay below 2^62, so an answer in int64 arithmetic (taps
        # reduced modulo P as they are summed) cannot overflow
        if _period(layers) + max(_taps(layers, _grid(layers))) < 2**62:
            cases.append((tuple(layers),))
    # a stack whose period is 10^16 cells and whose last layer's taps land a whole period
    # apart: no array the size of a period, or of the input, can be made
    cases.append((((3, 10**4, 1, 7), (2, 10**4, 0, 1), (4, 10**4, 2, 3), (3, 10**4, 0, 10**4)),))
    # one layer whose taps fill its stride: every cell is reached, the fraction is 1 / 1
    cases.append((((5, 3, 2, 1),),))
    return cases


# --- shared: weight-gradient sums; exercise 3: the weight gradient of a transposed conv ------

def _floats(a):
    return a.astype(float) if a.dtype.kind in "iu" else a


def _grad_weight(x, dy, weight_shape, s, p):
    return solutions.conv2d_grad_weight(_floats(x), tuple(weight_shape), _floats(dy), stride=s,
                                        padding=p)


def _tap_sums(xp, dy, taps, step, spacing):
    """sum over n, i, j of dy[n, o, i, j] * xp[n, c, step*i + spacing*a, step*j + spacing*b].

    ``xp`` is the (already padded) input; cells beyond its end read as zero.
    """
    xp, dy = _floats(xp), _floats(dy)
    oh, ow = dy.shape[2:]
    need = [step * (o - 1) + spacing * (t - 1) + 1 for o, t in zip((oh, ow), taps)]
    xp = np.pad(xp, ((0, 0), (0, 0), (0, max(0, need[0] - xp.shape[2])),
                     (0, max(0, need[1] - xp.shape[3]))))
    out = np.zeros((dy.shape[1], xp.shape[1], *taps))
    for a in range(taps[0]):
        for b in range(taps[1]):
            window = xp[:, :, spacing * a:spacing * a + step * (oh - 1) + 1:step,
                        spacing * b:spacing * b + step * (ow - 1) + 1:step]
            out[:, :, a, b] = np.einsum("noij,ncij->oc", dy, window)
    return out


def _padded(x, p):
    return np.pad(_floats(x), ((0, 0), (0, 0), (p, p), (p, p)))


def _arrays(rng, integer: bool, *shapes):
    """Random arrays of these shapes: small integers (exact sums) or standard normal."""
    if integer:
        return tuple(rng.integers(-3, 4, shape) for shape in shapes)
    return tuple(rng.standard_normal(shape) for shape in shapes)


# --- exercise 4: grad_input -----------------------------------------------------------------

def _grad_input(dy, weight, input_shape, s, p, d):
    return solutions.conv2d_grad_input(tuple(input_shape), _floats(weight), _floats(dy),
                                       stride=s, padding=p, dilation=d)


def _remainders(input_shape, weight, s, p, d):
    return [(input_shape[2 + i] + 2 * p - d * (weight.shape[2 + i] - 1) - 1) % s for i in (0, 1)]


def _scatter(dy, weight, input_shape, s, p, d):
    """dY[n, o, i, j] * W[o, c, a, b] added at padded cell (s*i + d*a, s*j + d*b), then cropped
    to the input: the input gradient written out, with its steps as parameters."""
    n, c_in, h, w = input_shape
    (kh, kw), (oh, ow) = weight.shape[2:], dy.shape[2:]
    dxp = np.zeros((n, c_in, max(h + 2 * p, s * (oh - 1) + d * (kh - 1) + 1),
                    max(w + 2 * p, s * (ow - 1) + d * (kw - 1) + 1)))
    for a in range(kh):
        for b in range(kw):
            dxp[:, :, d * a:d * a + s * (oh - 1) + 1:s, d * b:d * b + s * (ow - 1) + 1:s] += \
                np.einsum("noij,oc->ncij", _floats(dy), _floats(weight[:, :, a, b]))
    return dxp[:, :, p:p + h, p:p + w]


def _zero_rows(dy, weight, input_shape, s, p, d):
    """conv_transpose2d without output_padding, padded with zeros to the input's size: the
    gradient with its last (remainder) rows and columns zeroed. Written on the gradient itself,
    because the transposed convolution alone refuses a layer whose short output has no rows."""
    rh, rw = _remainders(input_shape, weight, s, p, d)
    h, w = input_shape[2:]
    dx = _scatter(dy, weight, input_shape, s, p, d)
    dx[:, :, h - rh:, :] = 0
    dx[:, :, :, w - rw:] = 0
    return dx


def _short(dy, weight, input_shape, s, p, d):
    """conv_transpose2d without output_padding: the gradient less its last (remainder) rows
    and columns (on the gradient itself, so a short output with no rows is still named)."""
    rh, rw = _remainders(input_shape, weight, s, p, d)
    h, w = input_shape[2:]
    return _scatter(dy, weight, input_shape, s, p, d)[:, :, :h - rh, :w - rw]


def _channels_swapped(dy, weight, input_shape, s, p, d):
    # runs (numpy broadcasts a channel axis of 1) when C_in == C_out or one of them is 1
    return _scatter(dy, weight.transpose(1, 0, 2, 3), input_shape, s, p, d)


def _transposed_grad_weight(x, dy, weight_shape, s, p):
    """dW of y = conv_transpose2d(x, W, stride s, padding p), W of shape (C_in, C_out, kh, kw).

    y is the adjoint of the convolution with weight W from C_out to C_in channels, so
    <dY, conv_transpose(x, W)> = <conv2d(dY, W), x>: dW is that convolution's weight gradient
    with dY as its input and x as its output gradient."""
    return _tap_sums(_padded(dy, p), x, tuple(weight_shape[2:]), s, 1)


def _transposed_cases(rng):
    """Batches of 1-3, non-square kernels, C_in == C_out in a third (where the swapped layout
    keeps its shape), stride with an output_padding below it, padding, a quarter integer."""
    cases = []
    while len(cases) < 36:
        i = len(cases)
        n_img = int(rng.integers(2, 4)) if i % 2 else 1
        c_in = int(rng.integers(1, 4))
        c_out = c_in if i % 3 == 0 else int(rng.integers(1, 4))
        kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 5))
        s = int(rng.integers(1, 4))
        p = int(rng.integers(0, min(kh, kw)))
        h, w = int(rng.integers(1, 7)), int(rng.integers(1, 7))
        op = int(rng.integers(0, s))
        oh, ow = (h - 1) * s - 2 * p + kh + op, (w - 1) * s - 2 * p + kw + op
        if min(oh, ow) < 1 or (kh == kw == 1 and s == 1):
            continue
        x, dy = _arrays(rng, i % 4 == 1, (n_img, c_in, h, w), (n_img, c_out, oh, ow))
        cases.append((x, dy, (c_in, c_out, kh, kw), s, p))
    cases += [_large_transposed(rng, *layer) for layer in LARGE_TRANSPOSED]
    return cases


# Two layers with C_in kh kw >= 10^6 weights per output channel, a small batch and small
# images: the answer (one product per tap, or the adjoint convolution's weight gradient)
# takes well under a second, but reading dW off the forward pass needs one probe per weight
# and image, N C_in C_out kh kw >= 2 10^6 transposed convolutions of a whole image (the
# round-6 reader's unit impulses through ch03's trans_conv: 20 min to an hour measured on
# this machine, busy). Both dW stay small
# enough to record (8 and 25 MB, below the recorder's 64 MB).
# (batch, C_in, C_out, kh, kw, stride, padding, output_padding, h, w, integer)
LARGE_TRANSPOSED = [(2, 10**4, 1, 10, 10, 2, 3, 1, 16, 16, False),
                    (1, 4000, 3, 16, 16, 3, 5, 2, 6, 6, True)]


def _large_transposed(rng, n_img, c_in, c_out, kh, kw, s, p, op, h, w, integer):
    oh, ow = (solutions.conv_transpose_output_size(n, k, s, p, op) for n, k in ((h, kh), (w, kw)))
    x, dy = _arrays(rng, integer, (n_img, c_in, h, w), (n_img, c_out, oh, ow))
    return (x, dy, (c_in, c_out, kh, kw), s, p)


def _output_padding_cut(x, dy, weight_shape, s, p):
    """dY cut to the size the layer has without output_padding, (h - 1) s - 2p + k. Written
    out, not solutions.conv_transpose_output_size: some layers exist only with their
    output_padding (without it the size is 0), which that function rightly refuses, and the
    student's cut is then empty."""
    h, w = x.shape[2:]
    return dy[:, :, :(h - 1) * s - 2 * p + weight_shape[2], :(w - 1) * s - 2 * p + weight_shape[3]]


TRANSPOSED_MISTAKES = [
    Mistake("a convolution's weight layout, C_out first",
            lambda x, dy, ws, s, p: _transposed_grad_weight(x, dy, ws, s, p).transpose(1, 0, 2, 3),
            "a transposed convolution's weight is (C_in, C_out, kh, kw), as in "
            "torch.nn.ConvTranspose2d: dW[c, o] pairs input channel c with output channel o."),
    Mistake("kernel flipped",
            lambda x, dy, ws, s, p: _transposed_grad_weight(x, dy, ws, s, p)[:, :, ::-1, ::-1],
            "the forward pass of a transposed convolution rotates nothing: ask which output "
            "cell tap (a, b) of input (i, j) lands on, and pair x with dY there."),
    Mistake("batch not summed, first image only",
            lambda x, dy, ws, s, p: _transposed_grad_weight(x[:1], dy[:1], ws, s, p),
            "every image used the same weight: sum their contributions."),
    Mistake("batch averaged",
            lambda x, dy, ws, s, p: _transposed_grad_weight(x, dy, ws, s, p) / x.shape[0],
            "the weight gradient sums the images' contributions without dividing by N."),
    Mistake("padding ignored",
            lambda x, dy, ws, s, p: _tap_sums(_floats(dy), x, tuple(ws[2:]), s, 1),
            "padding crops the transposed convolution's output: the dY you were given starts "
            "p cells into the uncropped output, so every stamp lands p cells earlier in it."),
    Mistake("grad_output's output_padding rows dropped",
            lambda x, dy, ws, s, p: _transposed_grad_weight(
                x, _output_padding_cut(x, dy, ws, s, p), ws, s, p),
            "output_padding keeps, at the bottom and right, rows and columns that the padding "
            "would have cropped; stamps reach them, so their dY counts too."),
    Mistake("stride ignored",
            lambda x, dy, ws, s, p: _tap_sums(_padded(dy, p), x, tuple(ws[2:]), 1, 1),
            "input (i, j)'s stamp starts at output cell (s*i - p, s*j - p): the x entries meet "
            "dY cells s apart."),
]


def _input_cases(rng):
    """Batches, non-square kernels, stride, padding, dilation; a third with C_in == C_out,
    a quarter integer, most with a remainder that output_padding must restore."""
    cases = []
    while len(cases) < 36:
        i = len(cases)
        n_img = int(rng.integers(1, 4))
        c_in = int(rng.integers(1, 4))
        c_out = c_in if i % 3 == 0 else int(rng.integers(1, 4))
        kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 5))
        s, p, d = int(rng.integers(1, 4)), int(rng.integers(0, 3)), int(rng.integers(1, 3))
        h, w = int(rng.integers(1, 11)), int(rng.integers(1, 11))
        oh = (h + 2 * p - d * (kh - 1) - 1) // s + 1
        ow = (w + 2 * p - d * (kw - 1) - 1) // s + 1
        if min(oh, ow) < 1 or max(kh, kw) == 1 or (s == 1 and i % 4 != 0):
            continue
        weight, dy = _arrays(rng, i % 4 == 2, (c_out, c_in, kh, kw), (n_img, c_out, oh, ow))
        cases.append((dy, weight, (n_img, c_in, h, w), s, p, d))
    # Dilation 3,000 on a layer of 2,000 filters: the kernel with its zeros filled in would be
    # 144 GB, so the dilation has to go into the indexing, as the prompt says. One real cell,
    # padded by 3,000 and read by the last tap of one window (stride 3,001): the answer stays
    # small enough to record (a 3,001 x 3,001 input's gradient was over the 64 MB output cap).
    cases.append((rng.standard_normal((1, 2000, 1, 1)), rng.standard_normal((2000, 1, 2, 2)),
                  (1, 1, 1, 1), 3001, 3000, 3000))
    return cases


INPUT_MISTAKES = [
    Mistake("kernel rotated",
            lambda dy, w, shape, s, p, d: _grad_input(dy, w[:, :, ::-1, ::-1], shape, s, p, d),
            "scattering needs the kernel as it is: dY[i, j] adds dY[i, j] * W[a, b] to input "
            "cell (s*i + d*a - p, s*j + d*b - p). Only the gather view (full correlation of "
            "the spread dY) rotates the kernel, and then you must not also scatter."),
    Mistake("output_padding left out",
            lambda dy, w, shape, s, p, d: _short(dy, w, shape, s, p, d),
            "the transposed convolution alone returns (o-1)s - 2p + d(k-1) + 1 rows, which "
            "is n minus the remainder r = (n + 2p - d(k-1) - 1) mod s the floor dropped; "
            "the gradient has the input's shape: output_padding = r."),
    Mistake("output_padding rows filled with zeros", _zero_rows,
            "the rows output_padding adds come from the uncropped result (with padding > 0 "
            "they hold scattered values), not appended zeros: scatter into a buffer of the "
            "padded input's size, then crop the padding."),
    Mistake("stride ignored",
            lambda dy, w, shape, s, p, d: _scatter(dy, w, shape, 1, p, d),
            "output (i, j) read the window at (s*i, s*j): scatter dY[i, j] there, s cells "
            "apart (or insert s - 1 zeros between the entries of dY)."),
    Mistake("dilation ignored",
            lambda dy, w, shape, s, p, d: _scatter(dy, w, shape, s, p, 1),
            "tap (a, b) sits d*a rows and d*b columns into the window: scatter the kernel "
            "with d - 1 holes between its taps."),
    Mistake("padding not cropped",
            lambda dy, w, shape, s, p, d: _scatter(
                dy, w, (*shape[:2], shape[2] + 2 * p, shape[3] + 2 * p), s, 0, d),
            "the forward pass read a zero-padded input; the gradient of the padding cells is "
            "thrown away: crop p rows and columns from every side."),
    Mistake("weight read as C_in, C_out", _channels_swapped,
            "the convolution's weight is (C_out, C_in, kh, kw): input channel c collects "
            "dY[o] scattered through W[o, c] for every output channel o."),
    Mistake("images mixed, gradient summed over the batch",
            lambda dy, w, shape, s, p, d: np.broadcast_to(
                _grad_input(dy, w, shape, s, p, d).sum(0, keepdims=True), shape).copy(),
            "each image's input gradient comes from its own dY[n] only; the batch is summed "
            "for the weight and bias, never for the input."),
]


# --- exercise 5: conv2d_backward with groups ------------------------------------------------

def _dense(weight, groups):
    return solutions.block_diagonal_weight(_floats(weight), groups)


def _backward(x, weight, dy, p, groups):
    x, weight, dy = _floats(x), _floats(weight), _floats(dy)
    return (solutions.conv2d_grad_input(x.shape, weight, dy, padding=p, groups=groups),
            solutions.conv2d_grad_weight(x, weight.shape, dy, padding=p, groups=groups),
            dy.sum(axis=(0, 2, 3)))


def _mixed_weight(weight, groups):
    """Every output channel connected to every input group through its own filters."""
    return np.concatenate([_floats(weight)] * groups, axis=1)


def _round_robin(weight, groups):
    """Output channel o put in group o % groups (input groups contiguous)."""
    c_out, c_in_g = weight.shape[:2]
    dense = np.zeros((c_out, c_in_g * groups, *weight.shape[2:]))
    for o in range(c_out):
        j = o % groups
        dense[o, j * c_in_g:(j + 1) * c_in_g] = weight[o]
    return dense


def _dense_dw(x, weight, dy, p):
    return solutions.conv2d_grad_weight(_floats(x), weight.shape, _floats(dy), padding=p)


def _blocks(dense_dw, groups):
    """The grouped weight gradient: the diagonal blocks of a dense one."""
    c_out, c_in = dense_dw.shape[:2]
    per_out, per_in = c_out // groups, c_in // groups
    return np.stack([dense_dw[o, (o // per_out) * per_in:(o // per_out + 1) * per_in]
                     for o in range(c_out)])


def _group_cases(rng):
    """Mostly groups 2-3 with several channels per group, batches, padding 0-1."""
    cases = []
    for i in range(32):
        g = 1 if i % 8 == 0 else int(rng.integers(2, 4))
        c_in_g, c_out_g = int(rng.integers(1, 3)), int(rng.integers(1, 3))
        if i % 3 == 0:
            c_in_g = c_out_g = 2
        n_img, kh, kw, p = (int(rng.integers(1, 4)), int(rng.integers(1, 4)),
                            int(rng.integers(1, 4)), int(rng.integers(0, 2)))
        h, w = int(rng.integers(kh, 8)), int(rng.integers(kw, 8))
        x = rng.standard_normal((n_img, g * c_in_g, h, w))
        weight = rng.standard_normal((g * c_out_g, c_in_g, kh, kw))
        dy = rng.standard_normal((n_img, g * c_out_g, h + 2 * p - kh + 1, w + 2 * p - kw + 1))
        cases.append((x, weight, dy, p, g))
    return cases


def _part(index):
    return lambda x, weight, dy, p, g: _backward(x, weight, dy, p, g)[index]


DX_MISTAKES = [
    Mistake("padding not cropped",
            lambda x, w, dy, p, g: solutions.conv2d_grad_input(
                (*x.shape[:2], x.shape[2] + 2 * p, x.shape[3] + 2 * p), _floats(w), _floats(dy),
                groups=g),
            "the gradient of the padded input has p extra rows and columns on every side; "
            "they belong to the padding, not to x: crop them."),
    Mistake("groups mixed",
            lambda x, w, dy, p, g: solutions.conv2d_grad_input(
                x.shape, _mixed_weight(w, g), _floats(dy), padding=p),
            "output channel o of group j = o // (C_out/g) read only input channels "
            "j*C_in/g .. (j+1)*C_in/g - 1: send dY[o] back to those channels only."),
    Mistake("output channels assigned to groups round-robin",
            lambda x, w, dy, p, g: solutions.conv2d_grad_input(
                x.shape, _round_robin(w, g), _floats(dy), padding=p),
            "groups are contiguous blocks: output channel o is in group o // (C_out/g), "
            "not o % g."),
    Mistake("kernel rotated",
            lambda x, w, dy, p, g: _backward(x, w[:, :, ::-1, ::-1], dy, p, g)[0],
            "scatter W as it is (or gather with the rotated kernel — not both)."),
]

DW_MISTAKES = [
    Mistake("groups mixed, every input block summed",
            lambda x, w, dy, p, g: sum(
                _dense_dw(x, _mixed_weight(w, g), dy, p)[:, j * w.shape[1]:(j + 1) * w.shape[1]]
                for j in range(g)),
            "dW[o, c] correlates dY[o] with input channel (o // (C_out/g)) * C_in/g + c of "
            "its own group only."),
    Mistake("every group read the first input block",
            lambda x, w, dy, p, g: _dense_dw(x, _mixed_weight(w, g), dy, p)[:, :w.shape[1]],
            "output channel o of group j pairs with input channels j*C_in/g + c, not c: "
            "offset the input channel by the group."),
    Mistake("output channels assigned to groups round-robin",
            lambda x, w, dy, p, g: np.stack([
                _dense_dw(x, _round_robin(w, g), dy, p)[o, (o % g) * w.shape[1]:
                                                        (o % g + 1) * w.shape[1]]
                for o in range(w.shape[0])]),
            "groups are contiguous blocks: output channel o is in group o // (C_out/g)."),
    Mistake("batch not summed, first image only",
            lambda x, w, dy, p, g: _backward(x[:1], w, dy[:1], p, g)[1],
            "all images share the weight: sum their contributions over n."),
    Mistake("kernel flipped",
            lambda x, w, dy, p, g: _backward(x, w, dy, p, g)[1][:, :, ::-1, ::-1],
            "dW[o, c, a, b] = sum dY[n, o, i, j] x[n, c, i + a - p, j + b - p]: nothing is "
            "rotated."),
]

DB_MISTAKES = [
    Mistake("batch not summed, first image only",
            lambda x, w, dy, p, g: _floats(dy)[0].sum(axis=(1, 2)),
            "the bias is added to every position of every image: sum dY over n, i and j."),
    Mistake("mean instead of sum", lambda x, w, dy, p, g: _floats(dy).mean(axis=(0, 2, 3)),
            "dL/dB_o = sum of dY[n, o, i, j]: each output adds B_o once, with derivative 1."),
    Mistake("one bias gradient per image", lambda x, w, dy, p, g: _floats(dy).sum(axis=(2, 3)),
            "there is one bias per output channel, shared by the batch: the gradient has "
            "shape (C_out,), summed over n too."),
    Mistake("summed over the channels",
            lambda x, w, dy, p, g: _floats(dy).sum(axis=(0, 1)),
            "keep the channel axis: one bias per output channel, summed over n, i and j."),
]

CHECKS = [
    Check(id="ch07.richardson_step", function="richardson_step", cases=_step_cases,
          reference=_richardson_step, rtol=STEP_RTOL, atol=0.0,
          mistakes=[
              Mistake("the central difference's step",
                      lambda f, f5: (3 * UNIT_ROUNDOFF * abs(f) / abs(f5)) ** (1 / 3),
                      "(3 u |f| / |f3|)^(1/3) balances the central difference's eps^2 term; "
                      "R cancels that term, so its truncation error is of order eps^4."),
              Mistake("D's own fourth-order term, or the two errors set equal",
                      lambda f, f5: _richardson_step(f, f5, truncation=1 / 120),
                      "R's eps^4 term combines those of D(eps) and D(2 eps); and the best "
                      "step is where the derivative of the total error vanishes, not where "
                      "its two terms are equal."),
              Mistake("the rounding error of a single difference",
                      lambda f, f5: _richardson_step(f, f5, rounding=1),
                      "R uses four values of f, each with its own coefficient: add up their "
                      "errors in the worst case."),
              Mistake("the rounding error at step 2 eps taken as at step eps",
                      lambda f, f5: _richardson_step(f, f5, rounding=5 / 3),
                      "D(2 eps) divides its difference of two values by 4 eps, not 2 eps: "
                      "its worst-case rounding error is half that of D(eps)."),
              Mistake("u rounded to 1.11e-16",
                      lambda f, f5: _richardson_step(f, f5, u=1.11e-16),
                      "the step is checked to a relative 1e-13: write u exactly, 2.0 ** -53 "
                      "(1.1102230246251565e-16)."),
              Mistake("machine epsilon for u",
                      lambda f, f5: _richardson_step(f, f5, u=2.0 ** -52),
                      "the relative rounding error of float64 is u = 2^-53, half the machine "
                      "epsilon."),
          ]),
    Check(id="ch07.input_reached", function="input_reached", cases=_reached_cases,
          reference=_reached,
          mistakes=[
              Mistake("each layer's own pattern, multiplied", _per_layer,
                      "a layer whose taps reach past its stride carries into the grid of the "
                      "next layer: the layers' patterns are not independent, so a product of "
                      "per-layer fractions cannot be the answer."),
              Mistake("only the first layer's pattern",
                      _first_only,
                      "the later layers read only some of the first layer's outputs, so their "
                      "taps change which input cells are reached too."),
              Mistake("taps not scaled by the strides below",
                      lambda layers: _reached(layers, scale=lambda ls: [1] * len(ls)),
                      "tap a of layer l moves the cell it reads by d a cells of layer l's "
                      "input, which are s_1 ... s_(l-1) input cells apart."),
              Mistake("taps scaled by the strides above, layers in reverse",
                      lambda layers: _reached(layers, scale=lambda ls: _grid(ls[::-1])[::-1]),
                      "the first layer reads the input directly (spacing 1); layer l's cells "
                      "are s_1 ... s_(l-1) input cells apart, the strides of the layers below."),
              Mistake("dilation ignored",
                      lambda layers: _reached(layers, keep=lambda k, s, p, d: (k, s, p, 1)),
                      "a dilated kernel's taps are d cells apart: the cells between them are "
                      "not read by that window."),
              Mistake("distinct taps counted, not reduced modulo P",
                      lambda layers: _reached(layers, reduce=False),
                      "the pattern repeats: two of the stack's taps can reach the same cells "
                      "of every period, and such a cell is reached once, not twice."),
              Mistake("fraction not in lowest terms",
                      lambda layers: (_residues(layers), _period(layers)),
                      "divide the count and the period by their greatest common divisor: "
                      "2 cells of every 6 is the fraction (1, 3)."),
          ]),
    Check(id="ch07.transposed_grad_weight", function="transposed_grad_weight",
          cases=_transposed_cases, reference=_transposed_grad_weight,
          mistakes=TRANSPOSED_MISTAKES),
    Check(id="ch07.grad_input", function="grad_input", cases=_input_cases,
          reference=_grad_input, mistakes=INPUT_MISTAKES),
    Check(id="ch07.backward_dx", function="conv2d_backward (dx)", cases=_group_cases,
          reference=_part(0), mistakes=DX_MISTAKES),
    Check(id="ch07.backward_dw", function="conv2d_backward (dw)", cases=_group_cases,
          reference=_part(1), mistakes=DW_MISTAKES),
    Check(id="ch07.backward_db", function="conv2d_backward (db)", cases=_group_cases,
          reference=_part(2), mistakes=DB_MISTAKES),
]
