"""Hidden checks of chapter 09 (training): max-pool backward with overlapping, padded windows
and ties, the backward pass of a residual block with group norm, and training steps of the
group-norm network with label smoothing and weight decay, against the reference."""

from __future__ import annotations

import numpy as np

import solutions
from solutions import cnn

from .common_mistakes import variant
from .core import Check, Mistake

# --- exercise 1: max_pool_backward ---------------------------------------------------------


def _pool_backward_model(dy, x, k, s, p, *, ties="first", accumulate=True, pad=-np.inf,
                         shifted=True):
    """The routed gradient under one model: the padding's value, who wins ties, whether
    overlaps add up, and whether the padded gradient is cropped back to the input."""
    xp = np.pad(x.astype(float), ((0, 0), (0, 0), (p, p), (p, p)), constant_values=pad)
    dx = np.zeros_like(xp)
    n, c, oh, ow = dy.shape
    for i, j in np.ndindex(oh, ow):
        window = xp[:, :, i * s:i * s + k, j * s:j * s + k]
        order = window.transpose(0, 1, 3, 2) if ties == "column" else window
        flat = order.reshape(n, c, k * k)
        for b, ch in np.ndindex(n, c):
            if ties == "all":
                for a, e in zip(*np.nonzero(window[b, ch] == window[b, ch].max())):
                    dx[b, ch, i * s + a, j * s + e] += dy[b, ch, i, j]
                continue
            index = (k * k - 1 - flat[b, ch, ::-1].argmax()) if ties == "last" else \
                flat[b, ch].argmax()
            a, e = divmod(int(index), k)
            if ties == "column":
                a, e = e, a
            cell = (b, ch, i * s + a, j * s + e)
            dx[cell] = dx[cell] + dy[b, ch, i, j] if accumulate else dy[b, ch, i, j]
    h, w = x.shape[2:]
    return dx[:, :, p:p + h, p:p + w] if shifted else dx[:, :, :h, :w]


def _spread(dy, x, k, s, p):
    dx = np.zeros((*x.shape[:2], x.shape[2] + 2 * p, x.shape[3] + 2 * p))
    for i, j in np.ndindex(*dy.shape[2:]):
        dx[:, :, i * s:i * s + k, j * s:j * s + k] += dy[:, :, i:i + 1, j:j + 1] / k ** 2
    return dx[:, :, p:p + x.shape[2], p:p + x.shape[3]]


def _max_pool_cases(rng):
    cases = []
    for index in range(30):
        k = int(rng.integers(2, 5))
        s = int(rng.integers(1, k)) if index % 3 else int(rng.integers(1, 5))  # 2 in 3 overlap
        p = int(rng.integers(1, k // 2 + 1)) if index % 4 else 0  # 3 in 4 padded
        shape = (int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(k, 10)),
                 int(rng.integers(k, 10)))
        # small integers (ties in most windows), normal values, or all below zero (where a
        # zero padding would win the border windows)
        x = [rng.standard_normal(shape), rng.integers(0, 3, shape).astype(float),
             -rng.random(shape) - 0.5][index % 3]
        out = tuple((n + 2 * p - k) // s + 1 for n in shape[2:])
        cases.append((rng.standard_normal((*shape[:2], *out)), x, k, s, p))
    cases.append((np.ones((1, 1, 1, 1)), np.zeros((1, 1, 2, 2)), 2, 2, 0))
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


def _block_model(dy, x, w1, gamma1, beta1, w2, gamma2, beta2, groups, *, shortcut=True,
                 last_mask="sum", inner_mask="norm", norm="group", flipped=True):
    """dL/dx of the residual block under one model (the keywords switch off or swap a step)."""
    eps = 1e-5
    forward_kind = "batch" if norm == "batch" else "group"
    h1 = solutions.conv2d(x, w1, padding=1)
    n1 = _norm(h1, gamma1, beta1, groups, eps, forward_kind)
    a1 = np.maximum(n1, 0)
    h2 = solutions.conv2d(a1, w2, padding=1)
    n2 = _norm(h2, gamma2, beta2, groups, eps, forward_kind)
    mask = {"sum": x + n2 > 0, "branch": n2 > 0, "none": True}[last_mask]
    g = dy * mask

    def back(grad, w, shape):
        if flipped:
            return solutions.conv2d_grad_input(shape, w, grad, padding=1)
        return solutions.conv2d(grad, w.transpose(1, 0, 2, 3), padding=1)  # kernel not flipped

    branch = back(_norm_backward(g, h2, gamma2, groups, eps, norm), w2, a1.shape)
    branch = branch * ((n1 if inner_mask == "norm" else h1) > 0)
    branch = back(_norm_backward(branch, h1, gamma1, groups, eps, norm), w1, x.shape)
    return g + branch if shortcut else branch


def _block_case(rng, shape, groups):
    n, c, h, w = shape
    scale = np.sqrt(2 / (9 * c))  # He's scale, so that the branch neither dies nor explodes
    return (rng.standard_normal(shape), rng.standard_normal(shape) + float(rng.normal(0, 0.5)),
            rng.standard_normal((c, c, 3, 3)) * scale, rng.normal(1, 0.5, c),
            rng.normal(0, 0.5, c), rng.standard_normal((c, c, 3, 3)) * scale,
            rng.normal(1, 0.5, c), rng.normal(0, 0.5, c), groups)


def _block_cases(rng):
    cases = []
    while len(cases) < 27:
        groups = int(rng.integers(1, 5))
        shape = (int(rng.integers(1, 4)), groups * int(rng.integers(1, 4)),
                 int(rng.integers(2, 7)), int(rng.integers(2, 7)))
        if shape[1] // groups * shape[2] * shape[3] >= 2:
            cases.append(_block_case(rng, shape, groups))
    # three blocks of 32 channels on 48x48 maps: 73,728 inputs each, every one of which moves
    # its image's group statistics, so central differences would need 147,456 passes of the
    # block apiece (about 20 minutes of numpy), the gradient one backward pass
    for _ in range(3):
        cases.append(_block_case(rng, (1, 32, 48, 48), int(rng.choice([2, 4, 8]))))
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
        id="ch09.max_pool_backward", function="max_pool_backward", cases=_max_pool_cases,
        reference=lambda dy, x, k, s, p: solutions.max_pool2d_backward(dy, x, k, s, p),
        mistakes=[
            Mistake("padded with zeros",
                    variant(_pool_backward_model, pad=0.0),
                    "max pooling pads with -inf, as torch does: a padded cell must never win a "
                    "window, so where every real input is negative the gradient still reaches "
                    "the largest of them."),
            Mistake("gradient not shifted back by the padding",
                    variant(_pool_backward_model, shifted=False),
                    "window (i, j) starts at padded row i*s, which is input row i*s - p: crop "
                    "the padded gradient with [p:p + H], not [:H]."),
            Mistake("every tied maximum gets the gradient",
                    variant(_pool_backward_model, ties="all"),
                    "the text's mask (x == max) sends a window's gradient to each input that "
                    "ties for its maximum; only the first, row by row, should get it."),
            Mistake("the last maximum wins ties",
                    variant(_pool_backward_model, ties="last"),
                    "torch keeps the first maximum in row-by-row order (a later tap must be "
                    "strictly larger); np.argmax also returns the first."),
            Mistake("ties ordered column by column",
                    variant(_pool_backward_model, ties="column"),
                    "the window is read row by row: (0, 0), (0, 1), ..., then the next row."),
            Mistake("overlapping windows overwrite each other",
                    variant(_pool_backward_model, accumulate=False),
                    "an input that wins several overlapping windows collects the sum of their "
                    "gradients: add (+=), do not assign."),
            Mistake("gradient spread over the window", _spread,
                    "that is average pooling's gradient; max pooling copies one input per "
                    "window, so only that input gets the gradient."),
        ]),
    Check(
        id="ch09.residual_block_backward", function="residual_block_backward",
        cases=_block_cases, reference=solutions.residual_block_backward,
        mistakes=[
            Mistake("shortcut's gradient left out", variant(_block_model, shortcut=False),
                    "x is used twice, by the branch and by the shortcut, so dL/dx is the sum "
                    "of both paths: add the gradient behind the last ReLU to the branch's."),
            Mistake("last ReLU skipped", variant(_block_model, last_mask="none"),
                    "the block ends in a ReLU of the sum x + branch: both paths start from "
                    "dy masked where that sum is positive."),
            Mistake("last ReLU's mask from the branch alone",
                    variant(_block_model, last_mask="branch"),
                    "the last ReLU acts on x + GN2(...), so its mask is where the sum is "
                    "positive, not where the branch is."),
            Mistake("batch norm's statistics", variant(_block_model, norm="batch"),
                    "group norm's statistics come from one image: per sample and group of "
                    "channels, never over the batch; the text's bn_backward takes them over "
                    "the batch."),
            Mistake("statistics held constant", variant(_block_model, norm="constant"),
                    "a group's mean and variance depend on every input of the group: "
                    "subtract the group's mean of ĝ and x̂ times its mean of ĝ·x̂, as in "
                    "batch norm."),
            Mistake("inner ReLU's mask from the convolution's output",
                    variant(_block_model, inner_mask="conv"),
                    "the inner ReLU acts on GN1's output, so its mask is where that output "
                    "is positive, not where the convolution's is."),
            Mistake("kernel not flipped going back",
                    variant(_block_model, flipped=False),
                    "dX sends each output's gradient back through the kernel onto its window "
                    "(chapter 07): a correlation with the flipped kernel and swapped "
                    "channels, or the text's conv_backward."),
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
