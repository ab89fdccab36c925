"""Chapter 09's hidden checks against wrong answers written the way students write them.

Each exercise gets at least six plausible wrong variants; every one must lose the exercise,
and the check must name the likely mistake for those marked ``named``. The tally at the end
keeps the catalogue from silently shrinking.
"""

from __future__ import annotations

import numpy as np
from mutants import by_name, caught_test, tally_test

import solutions
from solutions import cnn

# --- exercise 1: smoothed_cross_entropy_grad -----------------------------------------------


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def smooth_ignored(z, t, smoothing):
    p = _softmax(z)
    p[np.arange(len(t)), t] -= 1
    return p / len(t)


def smooth_other_classes(z, t, smoothing):
    n, c = z.shape
    q = np.full((n, c), smoothing / (c - 1))
    q[np.arange(n), t] = 1 - smoothing
    return (_softmax(z) - q) / n


def smooth_without_uniform(z, t, smoothing):
    n, c = z.shape
    q = np.zeros((n, c))
    q[np.arange(n), t] = 1 - smoothing
    return (_softmax(z) - q) / n


def smooth_summed(z, t, smoothing):
    n, c = z.shape
    q = np.full((n, c), smoothing / c)
    q[np.arange(n), t] += 1 - smoothing
    return _softmax(z) - q


def smooth_sign(z, t, smoothing):
    n, c = z.shape
    q = np.full((n, c), smoothing / c)
    q[np.arange(n), t] += 1 - smoothing
    return (q - _softmax(z)) / n


def smooth_no_max_shift(z, t, smoothing):
    n, c = z.shape
    with np.errstate(over="ignore", invalid="ignore"):  # large logits overflow: nan
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    q = np.full((n, c), smoothing / c)
    q[np.arange(n), t] += 1 - smoothing
    return (p - q) / n


def smooth_target_only(z, t, smoothing):
    # smoothing applied to the target's entry alone: q_t = 1 - eps + eps/C, others 0
    n, c = z.shape
    q = np.zeros((n, c))
    q[np.arange(n), t] = 1 - smoothing + smoothing / c
    return (_softmax(z) - q) / n


# --- exercise 2: max_pool_backward ---------------------------------------------------------


def _pool_loop(dy, x, k, s, pick, add=True):
    dx = np.zeros_like(x)
    for b, c, i, j in np.ndindex(*dy.shape):
        window = x[b, c, i * s:i * s + k, j * s:j * s + k]
        for a, e in pick(window):
            if add:
                dx[b, c, i * s + a, j * s + e] += dy[b, c, i, j]
            else:
                dx[b, c, i * s + a, j * s + e] = dy[b, c, i, j]
    return dx


def pool_mask_all_ties(dy, x, kernel_size, stride):
    return _pool_loop(dy, x, kernel_size, stride,
                      lambda w: list(zip(*np.nonzero(w == w.max()))))


def pool_last_tie(dy, x, kernel_size, stride):
    return _pool_loop(dy, x, kernel_size, stride,
                      lambda w: [list(zip(*np.nonzero(w == w.max())))[-1]])


def pool_column_order(dy, x, kernel_size, stride):
    return _pool_loop(dy, x, kernel_size, stride,
                      lambda w: [divmod(int(w.T.argmax()), w.shape[0])[::-1]])


def pool_overwrite(dy, x, kernel_size, stride):
    return _pool_loop(dy, x, kernel_size, stride,
                      lambda w: [divmod(int(w.argmax()), w.shape[1])], add=False)


def pool_spread(dy, x, kernel_size, stride):
    k, s = kernel_size, stride
    dx = np.zeros_like(x)
    for i, j in np.ndindex(*dy.shape[2:]):
        dx[:, :, i * s:i * s + k, j * s:j * s + k] += dy[:, :, i:i + 1, j:j + 1] / k ** 2
    return dx


def pool_text_reshape(dy, x, kernel_size, stride):
    # the text's upsampling mask with the kernel size in place of 2 (windows assumed to tile)
    k = kernel_size
    up = dy.repeat(k, axis=2).repeat(k, axis=3)
    y = solutions.max_pool2d(x, k, stride).repeat(k, axis=2).repeat(k, axis=3)
    dx = np.zeros_like(x)
    h, w = up.shape[2:]
    dx[:, :, :h, :w] = (x[:, :, :h, :w] == y) * up
    return dx


def pool_first_max_flat_index_off_by_stride(dy, x, kernel_size, stride):
    # the window's argmax added at i * k instead of i * s
    k = kernel_size
    dx = np.zeros_like(x)
    for b, c, i, j in np.ndindex(*dy.shape):
        window = x[b, c, i * stride:i * stride + k, j * stride:j * stride + k]
        a, e = divmod(int(window.argmax()), k)
        if i * k + a < x.shape[2] and j * k + e < x.shape[3]:
            dx[b, c, i * k + a, j * k + e] += dy[b, c, i, j]
    return dx


# --- exercise 3: sgd_gradients -------------------------------------------------------------


def _buffers(params, lr):
    return (params[:-1] - params[1:]) / lr


def sgd_decay_kept(params, lr, momentum, weight_decay):
    b = _buffers(params, lr)
    return b - momentum * np.concatenate([np.zeros_like(b[:1]), b[:-1]])


def sgd_decay_at_new(params, lr, momentum, weight_decay):
    b = _buffers(params, lr)
    return (b - momentum * np.concatenate([np.zeros_like(b[:1]), b[:-1]])
            - weight_decay * params[1:])


def sgd_momentum_ignored(params, lr, momentum, weight_decay):
    return _buffers(params, lr) - weight_decay * params[:-1]


def sgd_previous_gradient(params, lr, momentum, weight_decay):
    b = _buffers(params, lr)
    grads, previous = [], np.zeros_like(b[0])
    for t in range(len(b)):
        g = b[t] - momentum * previous - weight_decay * params[t]
        grads.append(g)
        previous = g
    return np.array(grads)


def sgd_lr_kept(params, lr, momentum, weight_decay):
    b = params[:-1] - params[1:]
    return (b - momentum * np.concatenate([np.zeros_like(b[:1]), b[:-1]])
            - weight_decay * params[:-1])


def sgd_sign(params, lr, momentum, weight_decay):
    b = (params[1:] - params[:-1]) / lr
    return (b - momentum * np.concatenate([np.zeros_like(b[:1]), b[:-1]])
            + weight_decay * params[:-1])


def sgd_dampened(params, lr, momentum, weight_decay):
    # reads the buffer as an average: b = mu b + (1 - mu) g
    b = _buffers(params, lr)
    previous = np.concatenate([np.zeros_like(b[:1]), b[:-1]])
    g = (b - momentum * previous) / (1 - momentum)
    g[0] = b[0]
    return g - weight_decay * params[:-1]


# --- exercise 4: group_norm_backward -------------------------------------------------------


def _gn(dy, x, gamma, groups, eps, order=None, constant=False, mean=True, hat=True,
        gamma_late=False, ddof=0):
    n, c = x.shape[:2]
    order = np.arange(c) if order is None else order
    xs = x[:, order]
    g = (dy if gamma_late else dy * gamma[:, None, None])[:, order]
    rows, grows = xs.reshape(n, groups, -1), g.reshape(n, groups, -1)
    s = np.sqrt(rows.var(axis=2, keepdims=True, ddof=ddof) + eps)
    x_hat = (rows - rows.mean(axis=2, keepdims=True)) / s
    dx = grows.copy()
    if not constant:
        dx = dx - (grows.mean(axis=2, keepdims=True) if mean else 0)
        dx = dx - (x_hat * (grows * x_hat).mean(axis=2, keepdims=True) if hat else 0)
    dx = (dx / s).reshape(xs.shape)[:, np.argsort(order)]
    return dx * gamma[:, None, None] if gamma_late else dx


def gn_batch_statistics(dy, x, gamma, groups, eps):
    return solutions.batch_norm_backward(dy, x, gamma, eps)[0]


def gn_instance(dy, x, gamma, groups, eps):
    return _gn(dy, x, gamma, x.shape[1], eps)


def gn_layer(dy, x, gamma, groups, eps):
    return _gn(dy, x, gamma, 1, eps)


def gn_interleaved(dy, x, gamma, groups, eps):
    c = x.shape[1]
    return _gn(dy, x, gamma, groups, eps,
               order=np.arange(c).reshape(c // groups, groups).T.ravel())


def gn_constant_statistics(dy, x, gamma, groups, eps):
    return _gn(dy, x, gamma, groups, eps, constant=True)


def gn_no_mean_term(dy, x, gamma, groups, eps):
    return _gn(dy, x, gamma, groups, eps, mean=False)


def gn_no_hat_term(dy, x, gamma, groups, eps):
    return _gn(dy, x, gamma, groups, eps, hat=False)


def gn_gamma_late(dy, x, gamma, groups, eps):
    return _gn(dy, x, gamma, groups, eps, gamma_late=True)


def gn_unbiased(dy, x, gamma, groups, eps):
    return _gn(dy, x, gamma, groups, eps, ddof=1)


def gn_eps_outside(dy, x, gamma, groups, eps):
    n = x.shape[0]
    rows = x.reshape(n, groups, -1)
    s = rows.std(axis=2, keepdims=True) + eps
    x_hat = (rows - rows.mean(axis=2, keepdims=True)) / s
    g = (dy * gamma[:, None, None]).reshape(n, groups, -1)
    dx = (g - g.mean(axis=2, keepdims=True) - x_hat * (g * x_hat).mean(axis=2, keepdims=True)) / s
    return dx.reshape(x.shape)


# --- exercise 5: train_steps ---------------------------------------------------------------

NAMES = ("conv1.weight", "norm1.weight", "norm1.bias", "conv2.weight", "norm2.weight",
         "norm2.bias", "conv3.weight", "conv3.bias")


def _train(params, x, y, lr, momentum, steps, norm="group", groups=4, skip=(),
           losses_kept=slice(None), buffer_reset=False):
    """A student's loop over the reference layers, with switches for the usual slips."""
    net = cnn.layers("standard", norm, width=params[0].shape[0])
    net = [cnn.Layer(lay.kind, lay.name, {**lay.settings, "groups": groups})
           if lay.kind == "group" else lay for lay in net]
    p = {name: a.copy() for name, a in zip(NAMES, params)}
    stats, buffers, losses = cnn.init_stats(net), {}, []
    for _ in range(steps):
        loss, grads = cnn.loss_and_grads(net, p, stats, x, y)
        losses.append(loss)
        if buffer_reset:
            buffers = {}
        for name, grad in grads.items():
            if name not in skip:
                p[name], buffers[name] = solutions.sgd_step(p[name], grad, buffers.get(name),
                                                            lr, momentum)
    losses.append(cnn.loss_and_grads(net, p, stats, x, y)[0])
    return np.array(losses)[losses_kept]


def train_with_batch_norm(params, x, y, lr, momentum, steps):
    return _train(params, x, y, lr, momentum, steps, norm="batch")


def train_instance_norm(params, x, y, lr, momentum, steps):
    net_groups = params[0].shape[0]  # groups = channels in the first norm ...
    return _train(params, x, y, lr, momentum, steps, groups=net_groups)


def train_one_group(params, x, y, lr, momentum, steps):
    return _train(params, x, y, lr, momentum, steps, groups=1)


def train_buffers_reset(params, x, y, lr, momentum, steps):
    return _train(params, x, y, lr, momentum, steps, buffer_reset=True)


def train_bias_frozen(params, x, y, lr, momentum, steps):
    return _train(params, x, y, lr, momentum, steps, skip=("conv3.bias",))


def train_norms_frozen(params, x, y, lr, momentum, steps):
    return _train(params, x, y, lr, momentum, steps,
                  skip=("norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"))


def train_no_final_loss(params, x, y, lr, momentum, steps):
    return _train(params, x, y, lr, momentum, steps, losses_kept=slice(None, -1))


def train_no_initial_loss(params, x, y, lr, momentum, steps):
    return _train(params, x, y, lr, momentum, steps, losses_kept=slice(1, None))


def train_lr_doubled(params, x, y, lr, momentum, steps):
    # the mean's 1/N forgotten in half the batch: the steps come out twice as long
    return _train(params, x, y, 2 * lr, momentum, steps)


MUTANTS = {
    "ch09.smoothed_cross_entropy_grad": by_name(
        smooth_ignored, smooth_other_classes, smooth_without_uniform, smooth_summed, smooth_sign,
        smooth_no_max_shift, smooth_target_only, unnamed=(smooth_no_max_shift,
                                                          smooth_target_only)),
    "ch09.max_pool_backward": by_name(
        pool_mask_all_ties, pool_last_tie, pool_column_order, pool_overwrite, pool_spread,
        pool_text_reshape, pool_first_max_flat_index_off_by_stride,
        unnamed=(pool_text_reshape, pool_first_max_flat_index_off_by_stride)),
    "ch09.sgd_gradients": by_name(
        sgd_decay_kept, sgd_decay_at_new, sgd_momentum_ignored, sgd_previous_gradient,
        sgd_lr_kept, sgd_sign, sgd_dampened, unnamed=(sgd_dampened,)),
    "ch09.group_norm_backward": by_name(
        gn_batch_statistics, gn_instance, gn_layer, gn_interleaved, gn_constant_statistics,
        gn_no_mean_term, gn_no_hat_term, gn_gamma_late, gn_unbiased, gn_eps_outside,
        unnamed=(gn_eps_outside,)),
    "ch09.train_steps": by_name(
        train_with_batch_norm, train_one_group, train_buffers_reset, train_bias_frozen,
        train_norms_frozen, train_no_final_loss, train_no_initial_loss, train_lr_doubled,
        train_instance_norm,
        unnamed=(train_no_final_loss, train_no_initial_loss, train_lr_doubled,
                 train_instance_norm)),
}

test_wrong_variant_loses_the_exercise = caught_test(MUTANTS, seeds=(None, 1, 2, 3))

test_tally = tally_test(MUTANTS, {
    "ch09.smoothed_cross_entropy_grad": (7, 5), "ch09.max_pool_backward": (7, 5),
    "ch09.sgd_gradients": (7, 6), "ch09.group_norm_backward": (10, 9),
    "ch09.train_steps": (9, 5),
})


def test_sgd_reference_recovers_the_gradients_of_a_run():
    """The check's reference inverts torch's step: the gradients a run used come back."""
    from autograder.checks.ch09_training import _sgd_inverse

    rng = np.random.default_rng(5)
    for _ in range(20):
        lr, mu, wd = float(rng.uniform(0.01, 1)), float(rng.random()), float(rng.random() / 5)
        grads = rng.standard_normal((6, 2, 3))
        params, buffer = [rng.standard_normal((2, 3))], None
        for g in grads:
            p, buffer = solutions.sgd_step(params[-1], g, buffer, lr, mu, weight_decay=wd)
            params.append(p)
        np.testing.assert_allclose(_sgd_inverse(np.array(params), lr, mu, wd), grads,
                                   rtol=1e-8, atol=1e-8)
