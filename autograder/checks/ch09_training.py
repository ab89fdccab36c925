"""Hidden checks of chapter 09 (training): label-smoothed cross-entropy's gradient, max-pool
backward with overlapping windows and ties, the gradients behind an SGD trajectory, group
norm's backward, and training steps of the group-norm network against the reference."""

from __future__ import annotations

import numpy as np

import solutions
from solutions import cnn

from .core import Check, Mistake

# --- exercise 1: smoothed_cross_entropy_grad -----------------------------------------------


def _softmax(z):
    return np.exp(solutions.log_softmax(z))


def _smoothed(z, t, eps, *, other=None, uniform=True, mean=True):
    """(p - q)/N under one model of the smoothed target q (the keywords swap a student's in)."""
    n, c = z.shape
    q = np.zeros((n, c))
    if other is not None:  # 1 - eps on the target, eps spread over the *other* classes
        q[:] = eps / (c - 1) if c > 1 else 0.0
        q[np.arange(n), t] = 1 - eps
    else:
        q[:] = eps / c if uniform else 0.0
        q[np.arange(n), t] += 1 - eps
    return (_softmax(z) - q) / (n if mean else 1)


def _smoothing_cases(rng):
    cases = []
    for _ in range(30):
        n, c = int(rng.integers(1, 9)), int(rng.integers(2, 12))
        scale = float(rng.choice([1.0, 5.0, 400.0]))  # 400: exp without the max overflows
        eps = float(rng.choice([0.0, 1.0])) if rng.random() < 0.15 else float(rng.random())
        cases.append((rng.standard_normal((n, c)) * scale, rng.integers(0, c, n), eps))
    return cases


# --- exercise 2: max_pool_backward ---------------------------------------------------------


def _pool_backward_model(dy, x, k, s, *, ties="first", accumulate=True):
    """The routed gradient under one model: who wins ties, and whether overlaps add up."""
    dx = np.zeros_like(x, dtype=float)
    n, c, oh, ow = dy.shape
    for i, j in np.ndindex(oh, ow):
        window = x[:, :, i * s:i * s + k, j * s:j * s + k]
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
    return dx


def _spread(dy, x, k, s):
    dx = np.zeros_like(x, dtype=float)
    for i, j in np.ndindex(*dy.shape[2:]):
        dx[:, :, i * s:i * s + k, j * s:j * s + k] += dy[:, :, i:i + 1, j:j + 1] / k ** 2
    return dx


def _max_pool_cases(rng):
    cases = []
    for index in range(30):
        k = int(rng.integers(2, 5))
        s = int(rng.integers(1, k)) if index % 3 else int(rng.integers(1, 5))  # 2 in 3 overlap
        shape = (int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(k, 10)),
                 int(rng.integers(k, 10)))
        # small integers half the time: ties in most windows
        x = rng.integers(0, 3, shape).astype(float) if index % 2 else rng.standard_normal(shape)
        out = ((shape[2] - k) // s + 1, (shape[3] - k) // s + 1)
        cases.append((rng.standard_normal((*shape[:2], *out)), x, k, s))
    cases.append((np.ones((1, 1, 1, 1)), np.zeros((1, 1, 2, 2)), 2, 2))
    return cases


# --- exercise 3: sgd_gradients -------------------------------------------------------------


def _sgd_inverse(params, lr, momentum, weight_decay, *, decay_at=-1, decay=True,
                 use_buffer=True, recurse_on_gradient=False, divide=True):
    """The gradients behind a trajectory under one model of torch's step."""
    steps = (params[:-1] - params[1:]) / (lr if divide else 1.0)
    grads = np.empty_like(steps)
    previous_buffer = previous_grad = np.zeros_like(steps[0])
    for t, step in enumerate(steps):
        before = previous_grad if recurse_on_gradient else previous_buffer
        g = step - (momentum * before if use_buffer else 0.0)
        if decay:
            g = g - weight_decay * params[t if decay_at == -1 else t + 1]
        grads[t] = g
        previous_buffer, previous_grad = step, g
    return grads


def _sgd_cases(rng):
    cases = []
    for _ in range(30):
        shape = () if rng.random() < 0.3 else tuple(int(v) for v in rng.integers(1, 4, 2))
        steps, lr = int(rng.integers(1, 8)), float(rng.uniform(0.01, 1.0))
        momentum = float(rng.choice([0.0, 0.5, 0.9, rng.random()]))
        weight_decay = float(rng.choice([0.0, 0.01, rng.uniform(0.0, 0.2)]))
        trajectory, buffer = [np.asarray(rng.standard_normal(shape))], None
        for _ in range(steps):  # the run: torch's step from random gradients
            grad = np.asarray(rng.standard_normal(shape))
            p, buffer = solutions.sgd_step(trajectory[-1], grad, buffer, lr, momentum,
                                           weight_decay=weight_decay)
            trajectory.append(p)
        cases.append((np.array(trajectory), lr, momentum, weight_decay))
    return cases


# --- exercise 4: group_norm_backward -------------------------------------------------------


def _gn_model(dy, x, gamma, groups, eps, *, interleaved=False, constant=False, mean_term=True,
              hat_term=True, gamma_after=False, unbiased=False):
    """dL/dx of group norm under one model (the keywords switch off or swap one step)."""
    n, c = x.shape[:2]
    order = np.arange(c).reshape(c // groups, groups).T.ravel() if interleaved else \
        np.arange(c)
    back = np.argsort(order)
    xs, gs = x[:, order], (dy if gamma_after else dy * gamma[:, None, None])[:, order]
    rows, g = xs.reshape(n, groups, -1), gs.reshape(n, groups, -1)
    m = rows.shape[2]
    var = rows.var(axis=2, keepdims=True) * (m / (m - 1) if unbiased else 1.0)
    s = np.sqrt(var + eps)
    x_hat = (rows - rows.mean(axis=2, keepdims=True)) / s
    dx = g.copy()
    if not constant:
        if mean_term:
            dx = dx - g.mean(axis=2, keepdims=True)
        if hat_term:
            dx = dx - x_hat * (g * x_hat).mean(axis=2, keepdims=True)
    dx = (dx / s).reshape(xs.shape)[:, back]
    return dx * gamma[:, None, None] if gamma_after else dx


def _gn_reference(dy, x, gamma, groups, eps):
    return solutions.group_norm_backward(dy, x, groups, gamma, eps)[0]


def _gn_cases(rng):
    cases = []
    while len(cases) < 30:
        groups = int(rng.integers(1, 5))
        c = groups * int(rng.integers(1, 4))
        shape = (int(rng.integers(1, 4)), c, int(rng.integers(1, 5)), int(rng.integers(1, 5)))
        if c // groups * shape[2] * shape[3] < 2 or (groups == c and rng.random() < 0.5):
            continue
        x = rng.standard_normal(shape) * float(rng.uniform(0.2, 3.0)) + float(rng.normal())
        eps = float(10.0 ** rng.uniform(-5, -1))
        cases.append((rng.standard_normal(shape), x, rng.standard_normal(c) + 1, groups, eps))
    return cases


# --- exercise 5: train_steps ---------------------------------------------------------------

NAMES = ("conv1.weight", "norm1.weight", "norm1.bias", "conv2.weight", "norm2.weight",
         "norm2.bias", "conv3.weight", "conv3.bias")


def _steps(params, x, y, lr, momentum, steps, *, norm="group", groups=None, frozen=(),
           relu_first=False):
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
        loss, grads = cnn.loss_and_grads(net, p, stats, x, y)
        losses.append(loss)
        for name, grad in grads.items():
            if name not in frozen:
                p[name], buffers[name] = solutions.sgd_step(p[name], grad, buffers.get(name),
                                                            lr, momentum)
    losses.append(cnn.loss_and_grads(net, p, stats, x, y)[0])
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
        cases.append((tuple(params[name] for name in NAMES), rng.random((n, 1, 8, 8)),
                      rng.integers(0, 10, n), float(rng.uniform(0.02, 0.2)),
                      float(rng.choice([0.5, 0.9])), int(rng.integers(1, 4))))
    return cases


CHECKS = [
    Check(
        id="ch09.smoothed_cross_entropy_grad", function="smoothed_cross_entropy_grad",
        cases=_smoothing_cases, reference=_smoothed,
        mistakes=[
            Mistake("smoothing ignored",
                    lambda z, t, eps: solutions.cross_entropy_backward(z, t),
                    "the target is no longer one-hot: q = (1 - ε)·onehot + ε/C, and the "
                    "gradient is (p - q)/N."),
            Mistake("ε spread over the other classes",
                    lambda z, t, eps: _smoothed(z, t, eps, other=True),
                    "torch mixes in the uniform distribution over all C classes: the target "
                    "gets 1 - ε + ε/C, every other class ε/C (not ε/(C - 1))."),
            Mistake("uniform part left out",
                    lambda z, t, eps: _smoothed(z, t, eps, uniform=False),
                    "q sums to 1: besides (1 - ε) on the target, every class gets ε/C."),
            Mistake("no mean over the batch",
                    lambda z, t, eps: _smoothed(z, t, eps, mean=False),
                    "the loss is the mean over the N rows, so its gradient is divided by N."),
            Mistake("sign flipped",
                    lambda z, t, eps: -_smoothed(z, t, eps),
                    "raising a logit raises its probability p and so the loss, by p - q: the "
                    "gradient is p - q, not q - p."),
        ]),
    Check(
        id="ch09.max_pool_backward", function="max_pool_backward", cases=_max_pool_cases,
        reference=lambda dy, x, k, s: solutions.max_pool2d_backward(dy, x, k, s),
        mistakes=[
            Mistake("every tied maximum gets the gradient",
                    lambda dy, x, k, s: _pool_backward_model(dy, x, k, s, ties="all"),
                    "the text's mask (x == max) sends a window's gradient to each input that "
                    "ties for its maximum; only the first, row by row, should get it."),
            Mistake("the last maximum wins ties",
                    lambda dy, x, k, s: _pool_backward_model(dy, x, k, s, ties="last"),
                    "torch keeps the first maximum in row-by-row order (a later tap must be "
                    "strictly larger); np.argmax also returns the first."),
            Mistake("ties ordered column by column",
                    lambda dy, x, k, s: _pool_backward_model(dy, x, k, s, ties="column"),
                    "the window is read row by row: (0, 0), (0, 1), ..., then the next row."),
            Mistake("overlapping windows overwrite each other",
                    lambda dy, x, k, s: _pool_backward_model(dy, x, k, s, accumulate=False),
                    "an input that wins several overlapping windows collects the sum of their "
                    "gradients: add (+=), do not assign."),
            Mistake("gradient spread over the window",
                    lambda dy, x, k, s: _spread(dy, x, k, s),
                    "that is average pooling's gradient; max pooling copies one input per "
                    "window, so only that input gets the gradient."),
        ]),
    Check(
        id="ch09.sgd_gradients", function="sgd_gradients", cases=_sgd_cases,
        reference=_sgd_inverse,
        mistakes=[
            Mistake("weight decay left in",
                    lambda p, lr, mu, wd: _sgd_inverse(p, lr, mu, wd, decay=False),
                    "torch adds λ·p to the gradient before the buffer; subtract λ·p_(t-1) to "
                    "get the loss's own gradient."),
            Mistake("weight decay at the new parameter",
                    lambda p, lr, mu, wd: _sgd_inverse(p, lr, mu, wd, decay_at=1),
                    "step t's decay is λ times the parameter the step started from, p_(t-1)."),
            Mistake("momentum ignored",
                    lambda p, lr, mu, wd: _sgd_inverse(p, lr, mu, wd, use_buffer=False),
                    "the step is lr times the buffer b_t = μ·b_(t-1) + g_t, not lr·g_t: "
                    "subtract μ times the previous step's buffer."),
            Mistake("previous gradient instead of previous buffer",
                    lambda p, lr, mu, wd: _sgd_inverse(p, lr, mu, wd, recurse_on_gradient=True),
                    "the buffer accumulates: b_t = μ·b_(t-1) + g_t with b_(t-1) = "
                    "(p_(t-2) - p_(t-1))/lr, not g_(t-1)."),
            Mistake("learning rate not divided out",
                    lambda p, lr, mu, wd: _sgd_inverse(p, lr, mu, wd, divide=False),
                    "p_t = p_(t-1) - lr·b_t, so b_t = (p_(t-1) - p_t)/lr."),
            Mistake("sign flipped",
                    lambda p, lr, mu, wd: -_sgd_inverse(p, lr, mu, wd),
                    "SGD steps against the gradient: b_t = (p_(t-1) - p_t)/lr, old minus new."),
        ]),
    Check(
        id="ch09.group_norm_backward", function="group_norm_backward", cases=_gn_cases,
        reference=_gn_reference,
        mistakes=[
            Mistake("batch norm's statistics",
                    lambda dy, x, gm, g, eps: solutions.batch_norm_backward(dy, x, gm, eps)[0],
                    "group norm's statistics come from one image: per sample and group of "
                    "channels, never over the batch."),
            Mistake("one group per channel",
                    lambda dy, x, gm, g, eps: _gn_reference(dy, x, gm, x.shape[1], eps),
                    "the statistics run over all C/groups channels of a group (and their "
                    "positions), not over each channel alone."),
            Mistake("all channels in one group",
                    lambda dy, x, gm, g, eps: _gn_reference(dy, x, gm, 1, eps),
                    "split the C channels into `groups` groups of C/groups consecutive channels."),
            Mistake("groups interleaved",
                    lambda dy, x, gm, g, eps: _gn_model(dy, x, gm, g, eps, interleaved=True),
                    "the groups are consecutive channels, 0 .. C/G - 1 first, as in a grouped "
                    "convolution; x.reshape(N, G, -1) takes them in that order."),
            Mistake("statistics held constant",
                    lambda dy, x, gm, g, eps: _gn_model(dy, x, gm, g, eps, constant=True),
                    "the group's mean and variance depend on every input of the group: "
                    "subtract the mean of ĝ and x̂ times the mean of ĝ·x̂, as in batch norm."),
            Mistake("mean term missing",
                    lambda dy, x, gm, g, eps: _gn_model(dy, x, gm, g, eps, mean_term=False),
                    "moving an input moves the group's mean: subtract the mean of ĝ over the "
                    "group."),
            Mistake("x̂ term missing",
                    lambda dy, x, gm, g, eps: _gn_model(dy, x, gm, g, eps, hat_term=False),
                    "moving an input moves the group's variance: subtract x̂ times the mean "
                    "of ĝ·x̂ over the group."),
            Mistake("γ applied after the normalisation's backward",
                    lambda dy, x, gm, g, eps: _gn_model(dy, x, gm, g, eps, gamma_after=True),
                    "γ scales per channel before the group's means are taken: ĝ = γ_c·dy "
                    "first, then the means over the group."),
            Mistake("unbiased variance",
                    lambda dy, x, gm, g, eps: _gn_model(dy, x, gm, g, eps, unbiased=True),
                    "F.group_norm normalises with the biased variance (divide by m, not m-1)."),
        ]),
    Check(
        id="ch09.train_steps", function="train_steps", cases=_train_cases, reference=_steps,
        mistakes=[
            Mistake("batch norm instead of group norm",
                    lambda *a: _steps(*a, norm="batch"),
                    "replace both batch norms by group norm (4 groups): statistics per image "
                    "and group, not over the batch."),
            Mistake("one group per channel",
                    lambda *a: _steps(*a, groups=lambda s: s["channels"]),
                    "4 groups of channels: the statistics of a group run over C/4 channels "
                    "and their positions."),
            Mistake("all channels in one group",
                    lambda *a: _steps(*a, groups=lambda s: 1),
                    "4 groups of channels, not one."),
            Mistake("momentum ignored",
                    lambda p, x, y, lr, mu, steps: _steps(p, x, y, lr, 0.0, steps),
                    "torch's SGD steps by lr times the buffer b = μ·b + g, kept per parameter "
                    "from step to step."),
            Mistake("the classifier's bias not trained",
                    lambda *a: _steps(*a, frozen=("conv3.bias",)),
                    "the last convolution's bias is a parameter too: its gradient is the sum "
                    "of dL/dz over the batch."),
            Mistake("norms not trained",
                    lambda *a: _steps(*a, frozen=("norm1.weight", "norm1.bias",
                                                  "norm2.weight", "norm2.bias")),
                    "γ and β of both norms are parameters: dγ = Σ g·x̂ and dβ = Σ g."),
            Mistake("ReLU before the norm",
                    lambda *a: _steps(*a, relu_first=True),
                    "the chapter's order is conv, norm, ReLU, pool."),
        ]),
]

