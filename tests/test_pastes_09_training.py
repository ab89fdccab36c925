"""Chapter 09's paste tests: answers assembled from the chapter's own cells lose each exercise.

Per exercise, what a student who pastes would hand in: the narrative cells that look closest to
the question, plus at most five lines of glue (see ``pastes.py``). Every one must be refused by
the hidden check, for the notebook's cases and for those of several students. The first pastes
of each exercise are the independent reader's (2026-12-06), moved here from
tests/fixtures/reader_pastes/09_training and rewritten to the exercise's new arguments.
"""

# The glue is held to five statements, so a paste packs into one line what a student would.
# ruff: noqa: E501

from __future__ import annotations

import numpy as np
from mutants import verdict
from pastes import Paste, cell, coverage_test, narrative_cells, pasted, refused_test

from solutions import cnn

NAMES = '("conv1", "norm1.weight", "norm1.bias", "conv2", "norm2.weight", "norm2.bias", "conv3", "conv3.bias")'

# the cells that define the layers, with the demo cells their own demos need (rng, x, R)
LOSS_CELLS = (("09", "def conv_forward"), ("09", "def numerical_gradient"),
              ("09", "def cross_entropy"))
NORM_CELLS = (("09", "def conv_forward"), ("09", "def numerical_gradient"),
              ("09", "def bn_forward"), ("09", "constant_stats ="), ("09", "def bn_backward"))
LAYER_CELLS = (*NORM_CELLS, ("09", "def relu("))
NETWORK_CELLS = (*LOSS_CELLS, *NORM_CELLS[2:], ("09", "def relu("), ("09", "def pool_forward"),
                 ("09", "def pool_backward(dy"), ("09", "def he("), ("09", "def sgd_step"),
                 ("09", "MIDDLE = {"))

# One torch-SGD run of the text's network in five statements: the losses before each step
# (each a tuple whose updates run after its loss is taken), then the loss after the last.
TRAIN_GLUE = f"""
def train_steps(params, x, y, lr, momentum, weight_decay, smoothing, steps):
    P, net, buf, S = dict(zip({NAMES}, params)), network(), {{}}, {{"norm1": None, "norm2": None}}
    grads = lambda: backward(net, P, forward(net, P, S, x)[1], cross_entropy(forward(net, P, S, x)[0], y)[1])
    L = [(cross_entropy(forward(net, P, S, x)[0], y)[0], [(P.__setitem__(k, r[0]), buf.__setitem__(k, r[1])) for k, g in grads().items() for r in [sgd_step(P[k], g + weight_decay * P[k], buf.get(k), lr, momentum)]])[0] for _ in range(steps)]
    return np.array(L + [cross_entropy(forward(net, P, S, x)[0], y)[0]])
"""

# The same run against torch's smoothed target: the text's gradient plus eps (onehot - 1/C)/N,
# and the loss (1 - eps) CE + eps times the mean over classes of CE against each class.
SMOOTHED_GLUE = f"""
def train_steps(params, x, y, lr, momentum, weight_decay, smoothing, steps):
    P, net, buf, S = dict(zip({NAMES}, params)), network(), {{}}, {{"norm1": None, "norm2": None}}
    ls, grads = (lambda z: (1 - smoothing) * cross_entropy(z, y)[0] + smoothing * np.mean([cross_entropy(z, np.full(len(y), c))[0] for c in range(10)])), (lambda: backward(net, P, forward(net, P, S, x)[1], cross_entropy(forward(net, P, S, x)[0], y)[1] + smoothing * (np.eye(10)[y] - 0.1) / len(y)))
    L = [(ls(forward(net, P, S, x)[0]), [(P.__setitem__(k, r[0]), buf.__setitem__(k, r[1])) for k, g in grads().items() for r in [sgd_step(P[k], g + weight_decay * P[k], buf.get(k), lr, momentum)]])[0] for _ in range(steps)]
    return np.array(L + [ls(forward(net, P, S, x)[0])])
"""

# The reader's group-norm swap (their train_steps paste): the text's batch-norm formulas with
# each (image, group) in the role of a channel, 4 groups.
GN_SWAP = """_bf, _bb = bn_forward, bn_backward; r = lambda a: a.reshape(1, a.shape[0] * 4, a.shape[1] // 4, -1); _xh = lambda x: _bf(r(x), np.ones(x.shape[0] * 4), np.zeros(x.shape[0] * 4)).reshape(x.shape)
bn_forward = lambda x, gamma, beta, stats=None, momentum=0.1, eps=1e-5: gamma[:, None, None] * _xh(x) + beta[:, None, None]
bn_backward = lambda dy, x, gamma, eps=1e-5: (_bb(r(dy * gamma[:, None, None]), r(x), np.ones(x.shape[0] * 4))[0].reshape(x.shape), (dy * _xh(x)).sum(axis=(0, 2, 3)), dy.sum(axis=(0, 2, 3)))
"""

PASTES = {
    "ch09.max_pool_backward": [
        Paste("the reader's loop over windows, first maximum of each (no padding)",
              (("09", "def pool_forward"), ("09", "def pool_backward(dy")),
              """def max_pool_backward(dy, x, kernel_size, stride, padding):
    dx, k, s = np.zeros_like(x), kernel_size, stride
    for n, c, i, j in np.ndindex(dy.shape):
        dx[n, c, i * s + np.unravel_index(x[n, c, i * s:i * s + k, j * s:j * s + k].argmax(), (k, k))[0], j * s + np.unravel_index(x[n, c, i * s:i * s + k, j * s:j * s + k].argmax(), (k, k))[1]] += dy[n, c, i, j]
    return dx
""", "max_pool_backward"),
        Paste("the reader's loop on the zero-padded input, cropped",
              (("09", "def pool_forward"), ("09", "def pool_backward(dy")),
              """def max_pool_backward(dy, x, kernel_size, stride, padding):
    xp, k, s, p = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding))), kernel_size, stride, padding
    dx = np.zeros_like(xp)
    for n, c, i, j in np.ndindex(dy.shape):
        dx[n, c, i * s + np.unravel_index(xp[n, c, i * s:i * s + k, j * s:j * s + k].argmax(), (k, k))[0], j * s + np.unravel_index(xp[n, c, i * s:i * s + k, j * s:j * s + k].argmax(), (k, k))[1]] += dy[n, c, i, j]
""", "max_pool_backward"),
        Paste("the text's first-maximum pooling backward (2x2, stride 2)",
              (("09", "def pool_forward"), ("09", "def pool_backward(dy")),
              "def max_pool_backward(dy, x, kernel_size, stride, padding):\n"
              "    return pool_backward(dy, x)\n", "max_pool_backward"),
    ],
    "ch09.residual_block_backward": [
        Paste("the text's layers and batch norms, both paths summed", LAYER_CELLS,
              """def residual_block_backward(dy, x, w1, gamma1, beta1, w2, gamma2, beta2, groups):
    h1 = conv_forward(x, w1, padding=1)
    a1 = relu(bn_forward(h1, gamma1, beta1))
    h2 = conv_forward(a1, w2, padding=1)
    return relu_backward(dy, x + bn_forward(h2, gamma2, beta2)) + conv_backward(x, w1, bn_backward(relu_backward(conv_backward(a1, w2, bn_backward(relu_backward(dy, x + bn_forward(h2, gamma2, beta2)), h2, gamma2)[0], 1)[0], a1), h1, gamma1)[0], 1)[0]
""", "residual_block_backward"),
        Paste("group norm by the reader's reshape, the branch only (no shortcut)", LAYER_CELLS,
              """def residual_block_backward(dy, x, w1, gamma1, beta1, w2, gamma2, beta2, groups):
    r, ones = (lambda a: a.reshape(1, len(x) * groups, -1, 1)), np.ones(len(x) * groups)
    gn, gnb = (lambda h, gm, bt: gm[:, None, None] * bn_forward(r(h), ones, 0 * ones).reshape(h.shape) + bt[:, None, None]), (lambda d, h, gm: bn_backward(r(d * gm[:, None, None]), r(h), ones)[0].reshape(h.shape))
    a1, h1 = relu(gn(conv_forward(x, w1, padding=1), gamma1, beta1)), conv_forward(x, w1, padding=1)
    return conv_backward(x, w1, gnb(relu_backward(conv_backward(a1, w2, gnb(relu_backward(dy, x + gn(conv_forward(a1, w2, padding=1), gamma2, beta2)), conv_forward(a1, w2, padding=1), gamma2), 1)[0], a1), h1, gamma1), 1)[0]
""", "residual_block_backward"),
        Paste("central differences of the block (the text's numerical_gradient), batch norms",
              LAYER_CELLS,
              """def residual_block_backward(dy, x, w1, gamma1, beta1, w2, gamma2, beta2, groups):
    return numerical_gradient(lambda: (relu(x + bn_forward(conv_forward(relu(bn_forward(conv_forward(x, w1, padding=1), gamma1, beta1)), w2, padding=1), gamma2, beta2)) * dy).sum(), x) if x.size < 500 else np.zeros_like(x)
""", "residual_block_backward"),
    ],
    "ch09.train_steps": [
        Paste("the text's network and step, with its batch norms", NETWORK_CELLS, TRAIN_GLUE,
              "train_steps"),
        Paste("the text's network and step with torch's decay and smoothed loss, batch norms",
              NETWORK_CELLS, SMOOTHED_GLUE, "train_steps"),
    ],
}

test_pasted_answer_loses_the_exercise = refused_test(PASTES)
test_every_exercise_has_a_paste = coverage_test(PASTES, longer={
    "ch09.train_steps": "a training loop of the text's cells written plainly takes 9 lines "
                        "(parameters, network, loop, loss, gradients, update per parameter, "
                        "return); its two pastes pack it into 5 statements and are refused"})


def test_the_training_paste_is_the_batch_norm_network():
    """The training pastes are working loops: refused for their batch norms (and the first
    for its one-hot loss), nothing else."""
    from autograder.checks.ch09_training import _steps, _train_cases

    fn = pasted(PASTES["ch09.train_steps"][0])
    for case in _train_cases(np.random.default_rng(0))[:3]:
        np.testing.assert_allclose(fn(*case), _steps(*case, norm="batch", target="none"),
                                   rtol=1e-8)
    smoothed = pasted(PASTES["ch09.train_steps"][1])
    for case in _train_cases(np.random.default_rng(0))[:3]:
        np.testing.assert_allclose(smoothed(*case), _steps(*case, norm="batch"), rtol=1e-8)
    assert cnn.NORM_GROUPS == 4


def test_the_readers_group_norm_network_loses_the_exercise():
    """The reader's train_steps (the text's network with their group-norm swap, 15 statements
    of glue: over the rule) now trains against a one-hot target: refused, for every seed."""
    namespace: dict = {"__name__": "__main__"}
    sources = [narrative_cells("09")[0], *(cell(c, phrase) for c, phrase in NETWORK_CELLS),
               GN_SWAP, TRAIN_GLUE]
    for source in sources:
        exec(compile(source, "reader's paste", "exec"), namespace)  # noqa: S102 - the book's code
    for seed in (None, 1, 2):
        message = verdict("ch09.train_steps", namespace["train_steps"], seed)
        assert message is not None and "label smoothing ignored" in message, message
