"""Hidden checks of chapter 09 (training): the largest step a central difference may take
through a conv-ReLU-pool layer, the backward pass of a downsampling residual block with group
norm, and training steps of the group-norm network with label smoothing and weight decay,
against the reference."""

from __future__ import annotations

import numpy as np

import solutions
from solutions import cnn

from .common_mistakes import variant
from .core import Check, Mistake

# --- exercise 1: largest_exact_step -------------------------------------------------------


def _lines(x, w, taps):
    """(N, O, PH, PW, 5) values and, per offset (u, v) of an input in its window's 4x4 field,
    (O, C, 5) slopes: each 2x2 window's pre-activations (row by row) and the zero line."""
    z = solutions.conv2d(x, w, padding=1)
    n, o, h, wd = z.shape
    ph, pw = h // 2, wd // 2
    v = z[:, :, :2 * ph, :2 * pw].reshape(n, o, ph, 2, pw, 2).transpose(0, 1, 2, 4, 3, 5)
    values = np.concatenate([v.reshape(n, o, ph, pw, 4), np.zeros((n, o, ph, pw, 1))], -1)
    kernel = np.pad(taps, ((0, 0), (0, 0), (1, 1), (1, 1)))
    slopes = {(a, e): np.stack([kernel[:, :, a - p + 1, e - q + 1] for p in (0, 1)
                                for q in (0, 1)] + [np.zeros(w.shape[:2])], axis=-1)
              for a in range(4) for e in range(4)}
    return values, slopes


def _step_model(x, w, r, *, lines="envelope", sides="both", upstream=True, flipped=False,
                half=False):
    """The largest exact step under one model: which lines of a window count (the envelope's
    current line against all, all pairs, no zero line, or the current line's own ReLU kink),
    one side or both, whether outputs without upstream gradient count, the taps' orientation."""
    x, w = np.asarray(x, float), np.asarray(w, float)
    values, slopes = _lines(x, w, w[:, :, ::-1, ::-1] if flipped else w)
    if lines == "no zero line":
        values = values[..., :4]
    n, c = x.shape[:2]
    ph, pw = values.shape[2:4]
    top = values.max(axis=-1)[..., None, None]                     # (N, O, PH, PW, 1, 1)
    current = values.argmax(axis=-1)[..., None, None]
    result = np.full((n, c, x.shape[2] + 2, x.shape[3] + 2), np.inf)
    for (a, e), s in slopes.items():
        s = np.broadcast_to(s[None, :, None, None, :, :values.shape[-1]],
                            (n, w.shape[0], ph, pw, c, values.shape[-1]))
        own = np.take_along_axis(s, np.broadcast_to(current, (*s.shape[:-1], 1)), axis=-1)
        vals = values[:, :, :, :, None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            if lines == "pairs":  # any two lines of the window crossing
                dv = np.abs(vals[..., :, None] - vals[..., None, :])
                ds = np.abs(s[..., :, None] - s[..., None, :])
                reach = np.where(ds > 0, dv / ds, np.inf).min(axis=(-1, -2))
            else:
                apart = s - own if sides == "right" else np.abs(s - own)
                reach = np.where(apart > 0, (top - vals) / apart, np.inf)
                if lines == "own relu":  # only the zero line against the current one
                    reach = reach[..., 4:]
                reach = reach.min(axis=-1)
        if upstream:
            reach[np.asarray(r) == 0] = np.inf
        rows, cols = slice(a, a + 2 * ph, 2), slice(e, e + 2 * pw, 2)
        result[:, :, rows, cols] = np.minimum(result[:, :, rows, cols],
                                              reach.min(axis=1).transpose(0, 3, 1, 2))
    result = result[:, :, 1:-1, 1:-1]
    return result / 2 if half else result


def _relu_kinks(x, w, r):
    """Every pre-activation's own zero crossing, |z| / |tap|, pooling left out."""
    x, w = np.asarray(x, float), np.asarray(w, float)
    z = solutions.conv2d(x, w, padding=1)
    zp = np.pad(np.abs(z), ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=np.inf)
    h, wd = x.shape[2:]
    result = np.full(x.shape, np.inf)
    for a, e in np.ndindex(3, 3):  # z at (i - a + 1, j - e + 1) meets x at (i, j) via tap (a, e)
        near = zp[:, :, 2 - a:2 - a + h, 2 - e:2 - e + wd]
        tap = np.abs(w[:, :, a, e])[None, :, :, None, None]        # (1, O, C, 1, 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            reach = np.where(tap > 0, near[:, :, None] / tap, np.inf).min(axis=1)
        result = np.minimum(result, reach)
    return result


def _step_case(rng, shape, out_channels):
    n, c, h, w = shape
    x = rng.standard_normal(shape) + float(rng.normal(0, 0.7))  # more or fewer ReLUs open
    weight = rng.standard_normal((out_channels, c, 3, 3))
    if c > 1 and rng.random() < 0.3:
        weight[:, int(rng.integers(c))] = 0.0  # an input channel no filter reads
    upstream = rng.standard_normal((n, out_channels, h // 2, w // 2))
    if rng.random() < 0.4:
        upstream[rng.random(upstream.shape) < 0.3] = 0.0  # outputs with no gradient
    return x, weight, upstream


def _step_cases(rng):
    cases = [_step_case(rng, (int(rng.integers(1, 3)), int(rng.integers(1, 4)),
                              int(rng.integers(2, 10)), int(rng.integers(2, 10))),
                        int(rng.integers(1, 5))) for _ in range(27)]
    # three layers of 8 channels on 48x48 maps: 18,432 inputs each; a search along every
    # input with central differences takes dozens of passes of the layer per input, about a
    # million per case
    cases += [_step_case(rng, (1, 8, 48, 48), 8) for _ in range(3)]
    return cases


# --- exercise 2: residual_block_backward ---------------------------------------------------


def _norm(h, gamma, beta, groups, eps, kind):
    if kind == "batch":
        c = h.shape[1]
        return solutions.batch_norm(h, np.zeros(c), np.ones(c), gamma, beta, training=True,
                                    eps=eps)
    return solutions.group_norm(h, groups, gamma, beta, eps)


def _norm_backward(g, h, gamma, groups, eps, kind):
    if kind == "batch":
        return solutions.batch_norm_backward(g, h, gamma, eps)[0]
    if kind == "constant":  # the statistics treated as constants: evaluation mode's gradient
        rows = h.reshape(len(h), groups, -1)
        s = np.sqrt(rows.var(axis=2, keepdims=True) + eps)
        return ((g * gamma[:, None, None]).reshape(rows.shape) / s).reshape(h.shape)
    return solutions.group_norm_backward(g, h, groups, gamma, eps)[0]


def _strided_back(grad, w, shape, padding, upsample, flipped):
    """dL/dx of a stride-2 convolution: the stride-1 gradient of ``grad`` spread onto the
    stride-1 output grid (with zeros between its entries, or as a model gets it wrong)."""
    h, wd = shape[2] + 2 * padding - w.shape[2] + 1, shape[3] + 2 * padding - w.shape[3] + 1
    full = np.zeros((*grad.shape[:2], h, wd))
    if upsample == "repeat":  # nearest-neighbour upsampling of the gradient
        full = grad.repeat(2, axis=2).repeat(2, axis=3)[:, :, :h, :wd]
    elif upsample == "odd":  # the entries at odd positions
        full[:, :, 1::2, 1::2] = grad[:, :, :len(range(1, h, 2)), :len(range(1, wd, 2))]
    else:
        full[:, :, ::2, ::2] = grad
    if not flipped:  # a correlation with the kernel as it is, channels swapped
        return solutions.conv2d(full, w.transpose(1, 0, 2, 3), padding=padding)
    dx = solutions.conv2d_grad_input(shape, w, full, padding=padding)
    if upsample == "cut":  # a transposed convolution without output_padding, zero-filled
        dx[:, :, shape[2] - 1] *= shape[2] % 2
        dx[:, :, :, shape[3] - 1] *= shape[3] % 2
    return dx


def _block_model(dy, x, w1, gamma1, beta1, w2, gamma2, beta2, ws, groups, *, shortcut=True,
                 last_mask="sum", inner_mask="norm", norm="group", flipped=True,
                 upsample="zeros"):
    """dL/dx of the downsampling block under one model (the keywords switch off or swap a
    step)."""
    eps = 1e-5
    forward_kind = "batch" if norm == "batch" else "group"
    h1 = solutions.conv2d(x, w1, stride=2, padding=1)
    n1 = _norm(h1, gamma1, beta1, groups, eps, forward_kind)
    a1 = np.maximum(n1, 0)
    h2 = solutions.conv2d(a1, w2, padding=1)
    n2 = _norm(h2, gamma2, beta2, groups, eps, forward_kind)
    total = n2 + solutions.conv2d(x, ws, stride=2)
    g = dy * {"sum": total > 0, "branch": n2 > 0, "none": True}[last_mask]
    branch = _norm_backward(g, h2, gamma2, groups, eps, norm)
    branch = (solutions.conv2d_grad_input(a1.shape, w2, branch, padding=1) if flipped else
              solutions.conv2d(branch, w2.transpose(1, 0, 2, 3), padding=1))
    branch = branch * ((n1 if inner_mask == "norm" else h1) > 0)
    branch = _norm_backward(branch, h1, gamma1, groups, eps, norm)
    dx = _strided_back(branch, w1, x.shape, 1, upsample, flipped)
    return dx + _strided_back(g, ws, x.shape, 0, upsample, flipped) if shortcut else dx


def _block_case(rng, shape, c_out, groups):
    n, c, h, w = shape
    return (rng.standard_normal((n, c_out, (h + 1) // 2, (w + 1) // 2)),
            rng.standard_normal(shape) + float(rng.normal(0, 0.5)),
            rng.standard_normal((c_out, c, 3, 3)) * np.sqrt(2 / (9 * c)), rng.normal(1, 0.5, c_out),
            rng.normal(0, 0.5, c_out),
            rng.standard_normal((c_out, c_out, 3, 3)) * np.sqrt(2 / (9 * c_out)),
            rng.normal(1, 0.5, c_out), rng.normal(0, 0.5, c_out),
            rng.standard_normal((c_out, c, 1, 1)) * np.sqrt(1 / c), groups)


def _block_cases(rng):
    cases = []
    while len(cases) < 27:
        groups = int(rng.integers(1, 5))
        c_out = groups * int(rng.integers(1, 4))
        shape = (int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(2, 9)),
                 int(rng.integers(2, 9)))
        if c_out // groups * ((shape[2] + 1) // 2) * ((shape[3] + 1) // 2) >= 2:
            cases.append(_block_case(rng, shape, c_out, groups))
    # three blocks from 16 to 32 channels on 64x64 maps: 65,536 inputs each, every one of
    # which moves its image's group statistics, so central differences would need 131,072
    # passes of the block apiece (tens of minutes of numpy), the gradient one backward pass
    for _ in range(3):
        cases.append(_block_case(rng, (1, 16, 64, 64), 32, int(rng.choice([2, 4, 8]))))
    return cases


# --- exercise 3: train_steps ---------------------------------------------------------------

NAMES = ("conv1.weight", "norm1.weight", "norm1.bias", "conv2.weight", "norm2.weight",
         "norm2.bias", "conv3.weight", "conv3.bias")


def _loss_and_grads(net, p, stats, x, y, smoothing, target):
    """The loss of one batch and its gradients, with the smoothed target under one model."""
    if target == "uniform":
        return cnn.loss_and_grads(net, p, stats, x, y, label_smoothing=smoothing)
    if target == "none":
        return cnn.loss_and_grads(net, p, stats, x, y)
    logits, seen = cnn.forward(net, p, stats, x, training=True)
    n, c = logits.shape  # "others": 1 - eps on the target, eps spread over the other classes
    q = np.full((n, c), smoothing / (c - 1))
    q[np.arange(n), y] = 1 - smoothing
    log_p = solutions.log_softmax(logits)
    grad = (np.exp(log_p) - q) / n
    return float(-(q * log_p).sum(axis=1).mean()), cnn.backward(net, p, seen, grad)


def _step(param, grad, buffer, lr, momentum, weight_decay, decay):
    if decay == "coupled":  # torch: λp joins the gradient before the buffer
        return solutions.sgd_step(param, grad, buffer, lr, momentum, weight_decay=weight_decay)
    new, buffer = solutions.sgd_step(param, grad, buffer, lr, momentum)
    return (new - lr * weight_decay * param if decay == "decoupled" else new), buffer


def _steps(params, x, y, lr, momentum, weight_decay, smoothing, steps, *, norm="group",
           groups=None, frozen=(), relu_first=False, target="uniform", decay="coupled"):
    """The losses of ``steps`` SGD steps of the chapter's network under one model."""
    width = params[0].shape[0]
    net = cnn.layers("standard", norm, width=width)
    if groups is not None:
        net = [cnn.Layer(layer.kind, layer.name, {**layer.settings,
                                                   "groups": groups(layer.settings)})
               if layer.kind == "group" else layer for layer in net]
    if relu_first:  # conv, ReLU, norm, pool instead of conv, norm, ReLU, pool
        for i in range(len(net) - 1):
            if net[i].kind in ("group", "batch") and net[i + 1].kind == "relu":
                net[i], net[i + 1] = net[i + 1], net[i]
    p = {name: np.array(a, dtype=float) for name, a in zip(NAMES, params)}
    stats = cnn.init_stats(net)
    losses = []
    buffers: dict = {}
    for _ in range(steps):
        loss, grads = _loss_and_grads(net, p, stats, x, y, smoothing, target)
        losses.append(loss)
        for name, grad in grads.items():
            if name not in frozen:
                p[name], buffers[name] = _step(p[name], grad, buffers.get(name), lr, momentum,
                                               weight_decay, decay)
    losses.append(_loss_and_grads(net, p, stats, x, y, smoothing, target)[0])
    return np.array(losses)


def _train_cases(rng):
    cases = []
    for _ in range(30):  # a few milliseconds each: tiny networks, one batch, 1-3 steps
        width = int(rng.choice([4, 4, 8]))
        net = cnn.layers("standard", "group", width=width)
        params = cnn.init_params(net, rng)
        for name in params:  # norms and the classifier away from their starting values
            if not name.startswith("conv") or name == "conv3.bias":
                params[name] = params[name] + 0.2 * rng.standard_normal(params[name].shape)
        n = int(rng.integers(4, 9))
        weight_decay = 0.0 if rng.random() < 0.1 else float(rng.uniform(0.01, 0.1))
        smoothing = 0.0 if rng.random() < 0.1 else float(rng.uniform(0.05, 0.4))
        cases.append((tuple(params[name] for name in NAMES), rng.random((n, 1, 8, 8)),
                      rng.integers(0, 10, n), float(rng.uniform(0.02, 0.2)),
                      float(rng.choice([0.5, 0.9])), weight_decay, smoothing,
                      int(rng.integers(1, 4))))
    return cases


CHECKS = [
    Check(
        id="ch09.largest_exact_step", function="largest_exact_step", cases=_step_cases,
        reference=solutions.largest_exact_step,
        mistakes=[
            Mistake("half the distance", variant(_step_model, half=True),
                    "your steps are half the largest exact ones. The central difference "
                    "evaluates L at x - ε and x + ε only: what must hold between those two "
                    "points, and how far is that?"),
            Mistake("one side only", variant(_step_model, sides="right"),
                    "your steps look only at increasing x_i; the central difference also "
                    "evaluates L at x - ε."),
            Mistake("pooling left out", _relu_kinks,
                    "your steps stop wherever a pre-activation the input reaches crosses zero. "
                    "Does every such crossing change L, after the max pooling?"),
            Mistake("the ReLU's kink left out", variant(_step_model, lines="no zero line"),
                    "your steps ignore the ReLU: what happens to a pooled output when the "
                    "largest pre-activation of its window falls below 0?"),
            Mistake("only the winner's ReLU", variant(_step_model, lines="own relu"),
                    "your steps stop only where a window's largest pre-activation crosses "
                    "zero. What else can change the slope of a pooled output?"),
            Mistake("every crossing in a window", variant(_step_model, lines="pairs"),
                    "your steps stop where any two pre-activations of a window cross. Does a "
                    "crossing of two that are both below the window's maximum change L?"),
            Mistake("outputs without gradient counted", variant(_step_model, upstream=False),
                    "some of your steps stop at a kink of a pooled output whose R is 0. Does "
                    "that output contribute to L?"),
            Mistake("kernel flipped", variant(_step_model, flipped=True),
                    "input (i, j) meets pre-activation (i', j') through the tap "
                    "w[:, :, i - i' + 1, j - j' + 1]: the layer is a cross-correlation."),
        ]),
    Check(
        id="ch09.residual_block_backward", function="residual_block_backward",
        cases=_block_cases, reference=solutions.residual_block_backward,
        mistakes=[
            Mistake("projection's gradient left out", variant(_block_model, shortcut=False),
                    "x is used twice, by the branch and by the projection shortcut, so dL/dx "
                    "is the sum of both paths."),
            Mistake("last ReLU skipped", variant(_block_model, last_mask="none"),
                    "the block ends in a ReLU of the sum: both paths start from dy masked "
                    "where the sum is positive."),
            Mistake("last ReLU's mask from the branch alone",
                    variant(_block_model, last_mask="branch"),
                    "the last ReLU acts on GN2(...) + conv(x, ws), so its mask is where the "
                    "sum is positive, not where the branch is."),
            Mistake("batch norm's statistics", variant(_block_model, norm="batch"),
                    "group norm's statistics come from one image: per sample and group of "
                    "channels, never over the batch."),
            Mistake("statistics held constant", variant(_block_model, norm="constant"),
                    "a group's mean and variance depend on every input of the group: the "
                    "backward pass is batch norm's, over the group."),
            Mistake("inner ReLU's mask from the convolution's output",
                    variant(_block_model, inner_mask="conv"),
                    "the inner ReLU acts on GN1's output, so its mask is where that output "
                    "is positive, not where the convolution's is."),
            Mistake("kernel not flipped going back", variant(_block_model, flipped=False),
                    "dX sends each output's gradient back through the kernel onto its window "
                    "(chapter 07)."),
            Mistake("gradient upsampled by repeating",
                    variant(_block_model, upsample="repeat"),
                    "your strided layers pass each output's gradient to a 2x2 cell of the "
                    "stride-1 grid. Which stride-1 outputs did one stride-2 output come from?"),
            Mistake("gradient placed at odd positions", variant(_block_model, upsample="odd"),
                    "your strided gradient is shifted by one: the window of output (i, j) of "
                    "a stride-2 layer starts at input row 2i - p."),
            Mistake("last row's gradient cut off", variant(_block_model, upsample="cut"),
                    "on an even map your gradient misses the input's last row: which input rows "
                    "does the last window of a stride-2 layer read, and does your backward pass "
                    "reach all of them?"),
        ]),
    Check(
        id="ch09.train_steps", function="train_steps", cases=_train_cases, reference=_steps,
        mistakes=[
            Mistake("batch norm instead of group norm", variant(_steps, norm="batch"),
                    "replace both batch norms by group norm (4 groups): statistics per image "
                    "and group, not over the batch."),
            Mistake("one group per channel", variant(_steps, groups=lambda s: s["channels"]),
                    "4 groups of channels: the statistics of a group run over C/4 channels "
                    "and their positions."),
            Mistake("all channels in one group", variant(_steps, groups=lambda s: 1),
                    "4 groups of channels, not one."),
            Mistake("label smoothing ignored", variant(_steps, target="none"),
                    "the target is q = (1 - ε)·onehot + ε/C: the loss is -Σ q log p and its "
                    "gradient (p - q)/N."),
            Mistake("ε spread over the other classes", variant(_steps, target="others"),
                    "torch mixes in the uniform distribution over all C classes: the target "
                    "gets 1 - ε + ε/C, every other class ε/C (not ε/(C - 1))."),
            Mistake("weight decay ignored", variant(_steps, decay="none"),
                    "torch adds λ·p to every parameter's gradient before the momentum buffer."),
            Mistake("weight decay outside the momentum buffer",
                    variant(_steps, decay="decoupled"),
                    "torch's SGD adds λ·p to the gradient, so the decay enters the buffer and "
                    "is carried by momentum; subtracting lr·λ·p after the step is SGDW's "
                    "decoupled form."),
            Mistake("momentum ignored",
                    lambda p, x, y, lr, mu, *rest: _steps(p, x, y, lr, 0.0, *rest),
                    "torch's SGD steps by lr times the buffer b = μ·b + g, kept per parameter "
                    "from step to step."),
            Mistake("the classifier's bias not trained", variant(_steps, frozen=("conv3.bias",)),
                    "the last convolution's bias is a parameter too: its gradient is the sum "
                    "of dL/dz over the batch."),
            Mistake("norms not trained",
                    variant(_steps, frozen=("norm1.weight", "norm1.bias", "norm2.weight",
                                            "norm2.bias")),
                    "γ and β of both norms are parameters: dγ = Σ g·x̂ and dβ = Σ g."),
            Mistake("ReLU before the norm", variant(_steps, relu_first=True),
                    "the chapter's order is conv, norm, ReLU, pool."),
        ]),
]
