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

# --- exercise 1: max_pool_backward ---------------------------------------------------------


def _pool_loop(dy, x, k, s, p, pick, add=True, pad=-np.inf, crop=True):
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=pad)
    dx = np.zeros_like(xp)
    for b, c, i, j in np.ndindex(*dy.shape):
        window = xp[b, c, i * s:i * s + k, j * s:j * s + k]
        for a, e in pick(window):
            if add:
                dx[b, c, i * s + a, j * s + e] += dy[b, c, i, j]
            else:
                dx[b, c, i * s + a, j * s + e] = dy[b, c, i, j]
    h, w = x.shape[2:]
    return dx[:, :, p:p + h, p:p + w] if crop else dx[:, :, :h, :w]


def _first(window):
    return [divmod(int(window.argmax()), window.shape[1])]


def pool_zero_padding(dy, x, kernel_size, stride, padding):
    return _pool_loop(dy, x, kernel_size, stride, padding, _first, pad=0.0)


def pool_not_shifted(dy, x, kernel_size, stride, padding):
    return _pool_loop(dy, x, kernel_size, stride, padding, _first, crop=False)


def pool_mask_all_ties(dy, x, kernel_size, stride, padding):
    return _pool_loop(dy, x, kernel_size, stride, padding,
                      lambda w: list(zip(*np.nonzero(w == w.max()))))


def pool_last_tie(dy, x, kernel_size, stride, padding):
    return _pool_loop(dy, x, kernel_size, stride, padding,
                      lambda w: [list(zip(*np.nonzero(w == w.max())))[-1]])


def pool_column_order(dy, x, kernel_size, stride, padding):
    return _pool_loop(dy, x, kernel_size, stride, padding,
                      lambda w: [divmod(int(w.T.argmax()), w.shape[0])[::-1]])


def pool_overwrite(dy, x, kernel_size, stride, padding):
    return _pool_loop(dy, x, kernel_size, stride, padding, _first, add=False)


def pool_spread(dy, x, kernel_size, stride, padding):
    k, s, p = kernel_size, stride, padding
    dx = np.zeros((*x.shape[:2], x.shape[2] + 2 * p, x.shape[3] + 2 * p))
    for i, j in np.ndindex(*dy.shape[2:]):
        dx[:, :, i * s:i * s + k, j * s:j * s + k] += dy[:, :, i:i + 1, j:j + 1] / k ** 2
    return dx[:, :, p:p + x.shape[2], p:p + x.shape[3]]


def pool_padding_ignored(dy, x, kernel_size, stride, padding):
    # windows laid on the unpadded input, as many as dy has, the last ones cut short
    return _pool_loop(dy, x, kernel_size, stride, 0, _first)


def pool_off_by_stride(dy, x, kernel_size, stride, padding):
    # the window's argmax added at i * k instead of i * s
    k, p = kernel_size, padding
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
    dx = np.zeros_like(xp)
    for b, c, i, j in np.ndindex(*dy.shape):
        window = xp[b, c, i * stride:i * stride + k, j * stride:j * stride + k]
        a, e = divmod(int(window.argmax()), k)
        if i * k + a < xp.shape[2] and j * k + e < xp.shape[3]:
            dx[b, c, i * k + a, j * k + e] += dy[b, c, i, j]
    return dx[:, :, p:p + x.shape[2], p:p + x.shape[3]]


# --- exercise 2: residual_block_backward ---------------------------------------------------


def _gn(h, gamma, beta, groups):
    rows = h.reshape(len(h), groups, -1)
    x_hat = (rows - rows.mean(axis=2, keepdims=True)) / np.sqrt(
        rows.var(axis=2, keepdims=True) + 1e-5)
    return gamma[:, None, None] * x_hat.reshape(h.shape) + beta[:, None, None]


def _gn_back(g, h, gamma, groups, constant=False, ddof=0):
    rows = h.reshape(len(h), groups, -1)
    s = np.sqrt(rows.var(axis=2, keepdims=True, ddof=ddof) + 1e-5)
    x_hat = (rows - rows.mean(axis=2, keepdims=True)) / s
    gh = (g * gamma[:, None, None]).reshape(rows.shape)
    if constant:
        return (gh / s).reshape(h.shape)
    dx = (gh - gh.mean(axis=2, keepdims=True)
          - x_hat * (gh * x_hat).mean(axis=2, keepdims=True)) / s
    return dx.reshape(h.shape)


def _block(dy, x, w1, g1, b1, w2, g2, b2, groups, shortcut=True, last="sum", inner="norm",
           norm_back=_gn_back, back=None):
    back = back or (lambda grad, w, shape: solutions.conv2d_grad_input(shape, w, grad,
                                                                       padding=1))
    h1 = solutions.conv2d(x, w1, padding=1)
    n1 = _gn(h1, g1, b1, groups)
    a1 = np.maximum(n1, 0)
    h2 = solutions.conv2d(a1, w2, padding=1)
    n2 = _gn(h2, g2, b2, groups)
    g = dy * {"sum": x + n2 > 0, "branch": n2 > 0, "none": True}[last]
    branch = back(norm_back(g, h2, g2, groups), w2, a1.shape)
    branch = branch * ((n1 if inner == "norm" else h1) > 0)
    branch = back(norm_back(branch, h1, g1, groups), w1, x.shape)
    return g + branch if shortcut else branch


def block_no_shortcut(*a):
    return _block(*a, shortcut=False)


def block_last_relu_skipped(*a):
    return _block(*a, last="none")


def block_mask_from_branch(*a):
    return _block(*a, last="branch")


def block_batch_norm(dy, x, w1, g1, b1, w2, g2, b2, groups):
    # the text's bn_forward and bn_backward where group norm belongs
    c = x.shape[1]

    def bn(h, gamma, beta):
        return solutions.batch_norm(h, np.zeros(c), np.ones(c), gamma, beta, training=True)

    a1 = np.maximum(bn(solutions.conv2d(x, w1, padding=1), g1, b1), 0)
    h1 = solutions.conv2d(x, w1, padding=1)
    h2 = solutions.conv2d(a1, w2, padding=1)
    g = dy * (x + bn(h2, g2, b2) > 0)
    branch = solutions.conv2d_grad_input(a1.shape, w2,
                                         solutions.batch_norm_backward(g, h2, g2)[0], padding=1)
    branch = solutions.batch_norm_backward(branch * (a1 > 0), h1, g1)[0]
    return g + solutions.conv2d_grad_input(x.shape, w1, branch, padding=1)


def block_constant_statistics(*a):
    return _block(*a, norm_back=lambda g, h, gamma, groups: _gn_back(g, h, gamma, groups,
                                                                     constant=True))


def block_inner_mask_from_conv(*a):
    return _block(*a, inner="conv")


def block_kernel_not_flipped(*a):
    return _block(*a, back=lambda grad, w, shape: solutions.conv2d(
        grad, w.transpose(1, 0, 2, 3), padding=1))


def block_unbiased_variance(*a):
    return _block(*a, norm_back=lambda g, h, gamma, groups: _gn_back(g, h, gamma, groups,
                                                                     ddof=1))


def block_gamma_ignored(*a):
    return _block(*a, norm_back=lambda g, h, gamma, groups: _gn_back(g, h, np.ones_like(gamma),
                                                                     groups))


# --- exercise 3: train_steps ---------------------------------------------------------------

NAMES = ("conv1.weight", "norm1.weight", "norm1.bias", "conv2.weight", "norm2.weight",
         "norm2.bias", "conv3.weight", "conv3.bias")


def _train(params, x, y, lr, momentum, weight_decay, smoothing, steps, norm="group", groups=4,
           skip=(), losses_kept=slice(None), buffer_reset=False, smooth=None, decay="torch"):
    """A student's loop over the reference layers, with switches for the usual slips."""
    net = cnn.layers("standard", norm, width=params[0].shape[0])
    net = [cnn.Layer(lay.kind, lay.name, {**lay.settings, "groups": groups})
           if lay.kind == "group" else lay for lay in net]
    p = {name: a.copy() for name, a in zip(NAMES, params)}
    stats, buffers, losses = cnn.init_stats(net), {}, []
    eps = smoothing if smooth is None else smooth

    def loss_and_grads():
        return cnn.loss_and_grads(net, p, stats, x, y, label_smoothing=eps)

    for _ in range(steps):
        loss, grads = loss_and_grads()
        losses.append(loss)
        if buffer_reset:
            buffers = {}
        for name, grad in grads.items():
            if name in skip:
                continue
            old = p[name]
            if decay == "torch":
                grad = grad + weight_decay * old
            p[name], buffers[name] = solutions.sgd_step(old, grad, buffers.get(name), lr,
                                                        momentum)
            if decay == "after":
                p[name] = p[name] - lr * weight_decay * old
            elif decay == "new":  # the decay taken at the parameter the step ends at
                p[name] = p[name] - lr * weight_decay * p[name]
    losses.append(loss_and_grads()[0])
    return np.array(losses)[losses_kept]


def train_with_batch_norm(*a):
    return _train(*a, norm="batch")


def train_instance_norm(*a):
    return _train(*a, groups=a[0][0].shape[0])  # groups = channels of the first norm


def train_one_group(*a):
    return _train(*a, groups=1)


def train_buffers_reset(*a):
    return _train(*a, buffer_reset=True)


def train_bias_frozen(*a):
    return _train(*a, skip=("conv3.bias",))


def train_norms_frozen(*a):
    return _train(*a, skip=("norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"))


def train_no_final_loss(*a):
    return _train(*a, losses_kept=slice(None, -1))


def train_no_smoothing(*a):
    return _train(*a, smooth=0.0)


def train_smoothing_halved(*a):
    # q = (1 - eps/2) onehot + eps/(2C): the text's CE averaged with the uniform loss
    return _train(*a, smooth=a[6] / 2)


def train_no_weight_decay(*a):
    return _train(*a, decay="none")


def train_decay_after_step(*a):
    return _train(*a, decay="after")


def train_decay_at_new_param(*a):
    return _train(*a, decay="new")


def train_smoothing_over_others(params, x, y, lr, momentum, weight_decay, smoothing, steps):
    # 1 - eps on the target, eps / (C - 1) on each other class: rescaled to torch's form, that
    # is torch's target for eps' = eps * C / (C - 1)
    return _train(params, x, y, lr, momentum, weight_decay, smoothing, steps,
                  smooth=smoothing * 10 / 9)


MUTANTS = {
    "ch09.max_pool_backward": by_name(
        pool_zero_padding, pool_not_shifted, pool_mask_all_ties, pool_last_tie,
        pool_column_order, pool_overwrite, pool_spread, pool_padding_ignored, pool_off_by_stride,
        unnamed=(pool_padding_ignored, pool_off_by_stride)),
    "ch09.residual_block_backward": by_name(
        block_no_shortcut, block_last_relu_skipped, block_mask_from_branch, block_batch_norm,
        block_constant_statistics, block_inner_mask_from_conv, block_kernel_not_flipped,
        block_unbiased_variance, block_gamma_ignored,
        unnamed=(block_unbiased_variance, block_gamma_ignored)),
    "ch09.train_steps": by_name(
        train_with_batch_norm, train_one_group, train_no_smoothing, train_smoothing_over_others,
        train_no_weight_decay, train_decay_after_step, train_bias_frozen, train_norms_frozen,
        train_buffers_reset, train_no_final_loss, train_instance_norm, train_smoothing_halved,
        train_decay_at_new_param,
        unnamed=(train_no_final_loss, train_instance_norm,
                 train_smoothing_halved, train_decay_at_new_param)),
}

test_wrong_variant_loses_the_exercise = caught_test(MUTANTS, seeds=(None, 1, 2, 3))

test_tally = tally_test(MUTANTS, {
    "ch09.max_pool_backward": (9, 7), "ch09.residual_block_backward": (9, 7),
    "ch09.train_steps": (13, 9),
})
