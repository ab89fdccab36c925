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

# --- exercise 1: largest_exact_step -------------------------------------------------------


def _steps(x, w, R, half=False, one_side=False, zero_line=True, winner_relu=False,
           pairs=False, use_upstream=True, flip=False, crop=1, over_channels=np.minimum):
    """A student's answer written filter by filter: each pooled output's lines (value, slope
    along one input of its 4x4 field), the nearest place another line takes over; switches
    for the slips."""
    taps = w[:, :, ::-1, ::-1] if flip else w
    z = solutions.conv2d(x, w, padding=1)
    n, c, h, wd = x.shape
    ph, pw = h // 2, wd // 2
    out = np.full((n, c, h + 2, wd + 2), np.nan)
    for o in range(w.shape[0]):
        values = [z[:, o, p:2 * ph:2, q:2 * pw:2] for p in (0, 1) for q in (0, 1)]
        values = np.stack(values + ([np.zeros((n, ph, pw))] if zero_line else []), axis=-1)
        best = values.argmax(axis=-1)                                   # (N, PH, PW)
        for u, v in np.ndindex(4, 4):
            slopes = np.zeros((c, values.shape[-1]))
            for k, (p, q) in enumerate(np.ndindex(2, 2)):
                if 0 <= u - p <= 2 and 0 <= v - q <= 2:
                    slopes[:, k] = taps[o, :, u - p, v - q]
            if pairs:
                dv = np.abs(values[..., None, :, None] - values[..., None, None, :])
                ds = np.abs(slopes[:, :, None] - slopes[:, None, :])
            else:
                dv = (values.max(axis=-1, keepdims=True) - values)[..., None, :]
                ds = slopes - slopes.T[best][..., None]                 # (N, PH, PW, C, L)
                ds = ds if one_side else np.abs(ds)
                if winner_relu:
                    dv, ds = dv[..., -1:], ds[..., -1:]
            with np.errstate(divide="ignore", invalid="ignore"):
                reach = np.where(ds > 0, dv / ds, np.inf)
            reach = reach.reshape(*reach.shape[:4], -1).min(axis=-1)    # (N, PH, PW, C)
            if use_upstream:
                reach[R[:, o] == 0] = np.inf
            cell = out[:, :, u:u + 2 * ph:2, v:v + 2 * pw:2]
            reach = reach.transpose(0, 3, 1, 2)
            out[:, :, u:u + 2 * ph:2, v:v + 2 * pw:2] = np.where(np.isnan(cell), reach,
                                                                 over_channels(cell, reach))
    out = np.nan_to_num(out[:, :, crop:crop + h, crop:crop + wd], nan=np.inf, posinf=np.inf)
    return out / 2 if half else out


def step_half(x, w, R):
    return _steps(x, w, R, half=True)


def step_one_side(x, w, R):
    return _steps(x, w, R, one_side=True)


def step_relu_kinks_only(x, w, R):
    # every pre-activation's own zero crossing, |z| / |tap|, as if there were no pooling
    z = np.abs(solutions.conv2d(x, w, padding=1))
    n, c, h, wd = x.shape
    out = np.full(x.shape, np.inf)
    for b, ch, i, j in np.ndindex(x.shape):
        for o, a, e in np.ndindex(w.shape[0], 3, 3):
            zi, zj = i - a + 1, j - e + 1
            if 0 <= zi < h and 0 <= zj < wd and w[o, ch, a, e] != 0:
                out[b, ch, i, j] = min(out[b, ch, i, j], z[b, o, zi, zj] / abs(w[o, ch, a, e]))
    return out


def step_no_zero_line(x, w, R):
    return _steps(x, w, R, zero_line=False)


def step_winner_relu_only(x, w, R):
    return _steps(x, w, R, winner_relu=True)


def step_every_pair(x, w, R):
    return _steps(x, w, R, pairs=True)


def step_zero_upstream_counted(x, w, R):
    return _steps(x, w, R, use_upstream=False)


def step_flipped(x, w, R):
    return _steps(x, w, R, flip=True)


def step_crop_unshifted(x, w, R):
    return _steps(x, w, R, crop=0)


def step_farthest_channel(x, w, R):
    return _steps(x, w, R, over_channels=np.maximum)


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


def _transposed(g, w, shape, padding, cut=False):
    """The strided layer's input gradient as chapter 03's transposed convolution, with the
    output_padding that gives back the input's size (none, and zeros filled in, if ``cut``)."""
    extra = [n - ((m - 1) * 2 - 2 * padding + w.shape[2]) for n, m in zip(shape[2:],
                                                                         g.shape[2:])]
    dx = solutions.conv_transpose2d(g, w, stride=2, padding=padding,
                                    output_padding=0 if cut else tuple(extra))
    return np.pad(dx, ((0, 0), (0, 0), (0, shape[2] - dx.shape[2]), (0, shape[3] - dx.shape[3])))


def _strided(g, w, shape, padding, how):
    if how in ("transposed", "cut"):
        return _transposed(g, w, shape, padding, cut=how == "cut")
    h, wd = shape[2] + 2 * padding - w.shape[2] + 1, shape[3] + 2 * padding - w.shape[3] + 1
    full = np.zeros((*g.shape[:2], h, wd))
    if how == "repeat":
        full = g.repeat(2, axis=2).repeat(2, axis=3)[:, :, :h, :wd]
    elif how == "odd":
        full[:, :, 1::2, 1::2] = g[:, :, :h // 2, :wd // 2]
    elif how == "unflipped":
        full[:, :, ::2, ::2] = g
        return solutions.conv2d(full, w.transpose(1, 0, 2, 3), padding=padding)
    elif how == "quarter":  # averaged over the stride's 2x2 cell, as if pooling
        full[:, :, ::2, ::2] = g / 4
    return solutions.conv2d_grad_input(shape, w, full, padding=padding)


def _block(dy, x, w1, g1, b1, w2, g2, b2, ws, groups, shortcut=True, last="sum", inner="norm",
           norm_back=_gn_back, how="transposed", flipped=True):
    h1 = solutions.conv2d(x, w1, stride=2, padding=1)
    n1 = _gn(h1, g1, b1, groups)
    a1 = np.maximum(n1, 0)
    h2 = solutions.conv2d(a1, w2, padding=1)
    n2 = _gn(h2, g2, b2, groups)
    total = n2 + solutions.conv2d(x, ws, stride=2)
    g = dy * {"sum": total > 0, "branch": n2 > 0, "none": True}[last]
    branch = norm_back(g, h2, g2, groups)
    branch = (solutions.conv2d_grad_input(a1.shape, w2, branch, padding=1) if flipped else
              solutions.conv2d(branch, w2.transpose(1, 0, 2, 3), padding=1))
    branch = norm_back(branch * ((n1 if inner == "norm" else h1) > 0), h1, g1, groups)
    dx = _strided(branch, w1, x.shape, 1, how)
    return dx + _strided(g, ws, x.shape, 0, how) if shortcut else dx


def block_no_projection(*a):
    return _block(*a, shortcut=False)


def block_last_relu_skipped(*a):
    return _block(*a, last="none")


def block_mask_from_branch(*a):
    return _block(*a, last="branch")


def block_batch_norm(dy, x, w1, g1, b1, w2, g2, b2, ws, groups):
    # the text's bn_forward and bn_backward where group norm belongs
    c = w1.shape[0]

    def bn(h, gamma, beta):
        return solutions.batch_norm(h, np.zeros(c), np.ones(c), gamma, beta, training=True)

    h1 = solutions.conv2d(x, w1, stride=2, padding=1)
    a1 = np.maximum(bn(h1, g1, b1), 0)
    h2 = solutions.conv2d(a1, w2, padding=1)
    g = dy * (bn(h2, g2, b2) + solutions.conv2d(x, ws, stride=2) > 0)
    branch = solutions.conv2d_grad_input(a1.shape, w2,
                                         solutions.batch_norm_backward(g, h2, g2)[0], padding=1)
    branch = solutions.batch_norm_backward(branch * (a1 > 0), h1, g1)[0]
    return (solutions.conv2d_grad_input(x.shape, w1, branch, stride=2, padding=1)
            + solutions.conv2d_grad_input(x.shape, ws, g, stride=2))


def block_constant_statistics(*a):
    return _block(*a, norm_back=lambda g, h, gamma, groups: _gn_back(g, h, gamma, groups,
                                                                     constant=True))


def block_inner_mask_from_conv(*a):
    return _block(*a, inner="conv")


def block_kernel_not_flipped(*a):
    return _block(*a, how="unflipped", flipped=False)


def block_gradient_repeated(*a):
    return _block(*a, how="repeat")


def block_gradient_at_odd_positions(*a):
    return _block(*a, how="odd")


def block_no_output_padding(*a):
    return _block(*a, how="cut")


def block_unbiased_variance(*a):
    return _block(*a, norm_back=lambda g, h, gamma, groups: _gn_back(g, h, gamma, groups,
                                                                     ddof=1))


def block_gamma_ignored(*a):
    return _block(*a, norm_back=lambda g, h, gamma, groups: _gn_back(g, h, np.ones_like(gamma),
                                                                     groups))


def block_gradient_quartered(*a):
    return _block(*a, how="quarter")


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
    "ch09.largest_exact_step": by_name(
        step_half, step_one_side, step_relu_kinks_only, step_no_zero_line, step_winner_relu_only,
        step_every_pair, step_zero_upstream_counted, step_flipped, step_crop_unshifted,
        step_farthest_channel, unnamed=(step_crop_unshifted, step_farthest_channel)),
    "ch09.residual_block_backward": by_name(
        block_no_projection, block_last_relu_skipped, block_mask_from_branch, block_batch_norm,
        block_constant_statistics, block_inner_mask_from_conv, block_kernel_not_flipped,
        block_gradient_repeated, block_gradient_at_odd_positions, block_no_output_padding,
        block_unbiased_variance, block_gamma_ignored, block_gradient_quartered,
        unnamed=(block_unbiased_variance, block_gamma_ignored, block_gradient_quartered)),
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
    "ch09.largest_exact_step": (10, 8), "ch09.residual_block_backward": (13, 10),
    "ch09.train_steps": (13, 9),
})
