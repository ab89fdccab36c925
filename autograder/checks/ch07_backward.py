"""Hidden checks of chapter 07 (backward): a central-difference gradient, which input cells a
strided convolution reads, the weight and input gradients with stride, padding and dilation,
and the whole backward pass of a grouped convolution.

The references are ``solutions.conv2d_grad_weight`` / ``conv2d_grad_input`` (torch.nn.grad
semantics); the named mistakes are computed with :func:`_tap_sums`, the weight-gradient sum
written out with its two steps as parameters, or with the references on altered arguments.
"""

from __future__ import annotations

import numpy as np

import solutions

from .core import Check, Mistake

# --- exercise 1: numerical_gradient ---------------------------------------------------------
# The notebook's hidden cell grades numerical_gradient on the probe below (a function cannot
# travel to a sandboxed kernel as data, so the cell closes over it); keep the two identical.


def _probe(c):
    """The graded function of exercise 1: curved (cubic) and coupling every entry."""
    return lambda v: np.sum(c * v ** 3) + np.sum(v) ** 2


def _numerical(x, c, eps):
    return solutions.numerical_gradient(_probe(c), x, eps)


def _analytic(x, c, eps):
    return 3 * c * x.astype(float) ** 2 + 2 * np.sum(x)


def _one_sided(x, c, eps, sign):
    f, x = _probe(c), x.astype(float)
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        moved = x.copy()
        moved[index] += sign * eps
        grad[index] = sign * (f(moved) - f(x)) / eps
    return grad


def _not_restored(x, c, eps):
    f, x = _probe(c), x.astype(float).copy()
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        x[index] += eps
        above = f(x)
        x[index] -= 2 * eps
        grad[index] = (above - f(x)) / (2 * eps)
    return grad


def _rows(x, c, eps):
    f, x = _probe(c), x.astype(float)
    grad = np.zeros(x.shape)
    for i in range(x.shape[0]):
        above, below = x.copy(), x.copy()
        above[i] += eps
        below[i] -= eps
        grad[i] = (f(above) - f(below)) / (2 * eps)
    return grad


def _all_at_once(x, c, eps):
    f, x = _probe(c), x.astype(float)
    return np.full(x.shape, (f(x + eps) - f(x - eps)) / (2 * eps))


def _integer_buffer(x, c, eps):
    """Bumps and gradient kept in x's dtype: right for a float x, truncated for an integer one."""
    f, grad = _probe(c), np.zeros_like(x)
    for index in np.ndindex(x.shape):
        above, below = x.copy(), x.copy()
        above[index] += eps
        below[index] -= eps
        grad[index] = (f(above) - f(below)) / (2 * eps)
    return grad


def _gradient_cases(rng):
    """x of 1 to 4 dimensions, a quarter integer; eps large enough that the method shows."""
    cases = []
    for i in range(30):
        shape = tuple(int(rng.integers(1, 5)) for _ in range(1 + i % 4))
        x = rng.standard_normal(shape)
        if i % 4 == 3:
            x = rng.integers(-3, 4, shape)
        cases.append((x, rng.uniform(0.5, 2.0, shape) * rng.choice([-1, 1], shape),
                      float(rng.choice([1e-1, 3e-2, 1e-2]))))
    return cases


# --- exercise 2: input_coverage -------------------------------------------------------------

def _coverage(n, k, s, p, d):
    """How many (window, tap) pairs read each input cell: the input gradient of all-ones."""
    o = solutions.conv_output_size(n, k, s, p, d)
    count = solutions.conv2d_grad_input((1, 1, 1, n), np.ones((1, 1, 1, k)),
                                        np.ones((1, 1, 1, o)), stride=(1, s),
                                        padding=(0, p), dilation=(1, d))
    return np.rint(count[0, 0, 0]).astype(int)


def _counted(n, k, s, p, d, windows, taps):
    """Tally, over windows starting at s*i - p, the input cells a set of tap offsets reads."""
    count = np.zeros(n, int)
    for i in range(windows):
        for t in taps:
            u = s * i - p + t
            if 0 <= u < n:
                count[u] += 1
    return count


def _windows(n, k, s, p, d):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def _coverage_cases(rng):
    cases = []
    while len(cases) < 40:
        n, k, s = int(rng.integers(1, 16)), int(rng.integers(1, 5)), int(rng.integers(1, 5))
        p, d = int(rng.integers(0, 3)), int(rng.integers(1, 4))
        if _windows(n, k, s, p, d) >= 1:
            cases.append((n, k, s, p, d))
    return cases


def _taps(k, d):
    return range(0, d * (k - 1) + 1, d)


COVERAGE_MISTAKES = [
    Mistake("padding ignored",
            lambda n, k, s, p, d: _counted(n, k, s, 0, d, _windows(n, k, s, 0, d), _taps(k, d)),
            "with padding p the first window starts at input cell -p: tap a of window i "
            "reads cell s*i + d*a - p, and the padded input has n + 2p cells."),
    Mistake("padding added instead of subtracted",
            lambda n, k, s, p, d: _counted(n, k, s, -p, d, _windows(n, k, s, p, d), _taps(k, d)),
            "the padded input starts p cells before the input: tap a of window i reads input "
            "cell s*i + d*a - p."),
    Mistake("window count without the padding",
            lambda n, k, s, p, d: _counted(n, k, s, p, d, _windows(n, k, s, 0, d), _taps(k, d)),
            "the windows slide over the padded input: (n + 2p - d(k-1) - 1)//s + 1 of them."),
    Mistake("dilation ignored",
            lambda n, k, s, p, d: _counted(n, k, s, p, 1, _windows(n, k, s, p, 1), range(k)),
            "taps are d cells apart: window i reads s*i + d*a - p for a = 0 .. k-1, and "
            "only (n + 2p - d(k-1) - 1)//s + 1 windows fit."),
    Mistake("the holes between dilated taps counted",
            lambda n, k, s, p, d: _counted(n, k, s, p, d, _windows(n, k, s, p, d),
                                           range(d * (k - 1) + 1)),
            "a dilated window spans d(k-1) + 1 cells but reads only its k taps; the cells "
            "between them get no gradient from that window."),
    Mistake("one window too many at the end, ceil instead of floor",
            lambda n, k, s, p, d: _counted(n, k, s, p, d, -(-(n + 2 * p - d * (k - 1) - 1)
                                                            // s) + 1, _taps(k, d)),
            "the number of windows rounds down: (n + 2p - d(k-1) - 1)//s + 1; the cells "
            "after the last whole window are never read."),
    Mistake("the last window left out",
            lambda n, k, s, p, d: _counted(n, k, s, p, d, _windows(n, k, s, p, d) - 1,
                                           _taps(k, d)),
            "there are (n + 2p - d(k-1) - 1)//s + 1 windows, the first at 0: count the last one."),
    Mistake("read or not instead of how many",
            lambda n, k, s, p, d: (_coverage(n, k, s, p, d) > 0).astype(int),
            "count every (window, tap) pair reading the cell; with overlapping windows "
            "a cell is read more than once."),
]


# --- exercise 3: grad_weight ----------------------------------------------------------------

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


def _uncropped(x, dy, weight_shape, s, p):
    xp = _padded(x, p)
    taps = [xp.shape[2 + i] - s * (dy.shape[2 + i] - 1) for i in (0, 1)]
    return _tap_sums(xp, dy, taps, s, 1)


def _swapped_layout(x, dy, weight_shape, s, p):
    return _grad_weight(x, dy, weight_shape, s, p).transpose(1, 0, 2, 3)


def _arrays(rng, integer: bool, *shapes):
    """Random arrays of these shapes: small integers (exact sums) or standard normal."""
    if integer:
        return tuple(rng.integers(-3, 4, shape) for shape in shapes)
    return tuple(rng.standard_normal(shape) for shape in shapes)


def _weight_cases(rng):
    """Batches of 1-3, non-square kernels and inputs, a third with C_in == C_out, a quarter
    integer, most with a remainder (input rows no window reaches)."""
    cases = []
    while len(cases) < 36:
        i = len(cases)
        n_img = int(rng.integers(2, 4)) if i % 2 else 1
        c_in = int(rng.integers(1, 4))
        c_out = c_in if i % 3 == 0 else int(rng.integers(1, 4))
        kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 5))
        s, p = int(rng.integers(1, 4)), int(rng.integers(0, 3))
        h, w = int(rng.integers(1, 10)), int(rng.integers(1, 10))
        oh, ow = (h + 2 * p - kh) // s + 1, (w + 2 * p - kw) // s + 1
        if min(oh, ow) < 1 or (kh == kw == 1 and s == 1):
            continue
        x, dy = _arrays(rng, i % 4 == 1, (n_img, c_in, h, w), (n_img, c_out, oh, ow))
        cases.append((x, dy, (c_out, c_in, kh, kw), s, p))
    return cases


WEIGHT_MISTAKES = [
    Mistake("kernel flipped",
            lambda x, dy, ws, s, p: _grad_weight(x, dy, ws, s, p)[:, :, ::-1, ::-1],
            "dW[o, c, a, b] pairs dY[i, j] with the input cell tap (a, b) read for output "
            "(i, j), x[s*i + a - p, s*j + b - p]: a cross-correlation, nothing is rotated."),
    Mistake("batch not summed, first image only",
            lambda x, dy, ws, s, p: _grad_weight(x[:1], dy[:1], ws, s, p),
            "every image of the batch used the same weight, so each adds its own term: "
            "sum over n as well as over i and j."),
    Mistake("batch averaged",
            lambda x, dy, ws, s, p: _grad_weight(x, dy, ws, s, p) / x.shape[0],
            "the loss is already a sum (any mean is in dY); the weight gradient sums the "
            "images' contributions without dividing by N."),
    Mistake("stride ignored, dY not spread out",
            lambda x, dy, ws, s, p: _tap_sums(_padded(x, p), dy, ws[2:], 1, 1),
            "output (i, j) read the window starting at (s*i, s*j) of the padded input: "
            "dY's entries meet input cells s apart (dY acts as a kernel dilated by s)."),
    Mistake("stride used as the tap spacing",
            lambda x, dy, ws, s, p: _tap_sums(_padded(x, p), dy, ws[2:], 1, s),
            "stride moves the windows, not the taps: dW[a, b] = sum dY[i, j] "
            "x[s*i + a - p, s*j + b - p]; the taps stay one cell apart."),
    Mistake("padding ignored",
            lambda x, dy, ws, s, p: _tap_sums(x, dy, ws[2:], s, 1),
            "the forward pass read the zero-padded input: tap (a, b) of output (i, j) is "
            "x[s*i + a - p, s*j + b - p], zero outside the input."),
    Mistake("not cropped to the kernel size", _uncropped,
            "correlating the whole padded input with spread-out dY gives extra rows/columns "
            "when the convolution's floor dropped input cells; keep the first kh x kw."),
    Mistake("weight gradient in the C_in, C_out layout", _swapped_layout,
            "dW has the weight's shape (C_out, C_in, kh, kw): dW[o, c] correlates input "
            "channel c with output-gradient channel o."),
]


# --- exercise 4: grad_input -----------------------------------------------------------------

def _grad_input(dy, weight, input_shape, s, p, d):
    return solutions.conv2d_grad_input(tuple(input_shape), _floats(weight), _floats(dy),
                                       stride=s, padding=p, dilation=d)


def _transposed(dy, weight, s, p, d, op=0):
    return solutions.conv_transpose2d(_floats(dy), _floats(weight), stride=s, padding=p,
                                      output_padding=op, dilation=d)


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
    rh, rw = _remainders(input_shape, weight, s, p, d)
    return np.pad(_transposed(dy, weight, s, p, d), ((0, 0), (0, 0), (0, rh), (0, rw)))


def _channels_swapped(dy, weight, input_shape, s, p, d):
    # runs (numpy broadcasts a channel axis of 1) when C_in == C_out or one of them is 1
    return _scatter(dy, weight.transpose(1, 0, 2, 3), input_shape, s, p, d)


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
    return cases


INPUT_MISTAKES = [
    Mistake("kernel rotated",
            lambda dy, w, shape, s, p, d: _grad_input(dy, w[:, :, ::-1, ::-1], shape, s, p, d),
            "scattering needs the kernel as it is: dY[i, j] adds dY[i, j] * W[a, b] to input "
            "cell (s*i + d*a - p, s*j + d*b - p). Only the gather view (full correlation of "
            "the spread dY) rotates the kernel, and then you must not also scatter."),
    Mistake("output_padding left out",
            lambda dy, w, shape, s, p, d: _transposed(dy, w, s, p, d),
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
            lambda dy, w, shape, s, p, d: _grad_input(
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
    Check(id="ch07.numerical_gradient", function="numerical_gradient", cases=_gradient_cases,
          reference=_numerical,
          mistakes=[
              Mistake("analytic gradient instead of the central difference", _analytic,
                      "return the central difference (f(x + eps e_i) - f(x - eps e_i)) / 2eps "
                      "with the eps given; it differs from the exact gradient by about "
                      "eps² f'''/6."),
              Mistake("one-sided forward difference",
                      lambda x, c, eps: _one_sided(x, c, eps, 1),
                      "(f(x + eps e_i) - f(x)) / eps has an error of order eps; evaluate f at "
                      "x + eps e_i and x - eps e_i and divide by 2 eps."),
              Mistake("one-sided backward difference",
                      lambda x, c, eps: _one_sided(x, c, eps, -1),
                      "use both sides: (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)."),
              Mistake("difference taken the wrong way round",
                      lambda x, c, eps: -_numerical(x, c, eps),
                      "subtract the lower evaluation from the upper one: "
                      "f(x + eps e_i) - f(x - eps e_i)."),
              Mistake("whole rows perturbed", _rows,
                      "x[i] += eps moves a whole row (or slab) of a multi-dimensional x; bump "
                      "single entries, e.g. with np.ndindex(x.shape)."),
              Mistake("divided by eps instead of 2 eps",
                      lambda x, c, eps: 2 * _numerical(x, c, eps),
                      "the two evaluation points are 2 eps apart."),
              Mistake("entry not restored after the bump", _not_restored,
                      "put each entry back after evaluating f at x ± eps e_i, otherwise later "
                      "entries are differentiated at a shifted point."),
              Mistake("every entry perturbed at once", _all_at_once,
                      "x + eps moves all entries together and gives one directional "
                      "derivative; bump one entry e_i at a time."),
              Mistake("integer x truncated", _integer_buffer,
                      "for an integer x, np.zeros_like(x) and x + eps stay integer: work in "
                      "floats (x.astype(float))."),
          ]),
    Check(id="ch07.input_coverage", function="input_coverage", cases=_coverage_cases,
          reference=_coverage, mistakes=COVERAGE_MISTAKES),
    Check(id="ch07.grad_weight", function="grad_weight", cases=_weight_cases,
          reference=_grad_weight, mistakes=WEIGHT_MISTAKES),
    Check(id="ch07.grad_input", function="grad_input", cases=_input_cases,
          reference=_grad_input, mistakes=INPUT_MISTAKES),
    Check(id="ch07.backward_dx", function="conv2d_backward (dx)", cases=_group_cases,
          reference=_part(0), mistakes=DX_MISTAKES),
    Check(id="ch07.backward_dw", function="conv2d_backward (dw)", cases=_group_cases,
          reference=_part(1), mistakes=DW_MISTAKES),
    Check(id="ch07.backward_db", function="conv2d_backward (db)", cases=_group_cases,
          reference=_part(2), mistakes=DB_MISTAKES),
]
