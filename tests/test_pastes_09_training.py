"""Chapter 09's paste tests: answers assembled from the chapter's own cells lose each exercise.

Per exercise, what a student who pastes would hand in: the narrative cells that look closest to
the question, plus at most five lines of glue (see ``pastes.py``). Every one must be refused by
the hidden check, for the notebook's cases and for those of several students. The first pastes
of each exercise are the independent readers' (2026-12-06, and round 3 of 2026-12-07), moved
here from tests/fixtures/reader_pastes and rewritten to the exercise's new arguments.
"""

# The glue is held to five statements, so a paste packs into one line what a student would.
# ruff: noqa: E501

from __future__ import annotations

import numpy as np
from mutants import verdict
from pastes import Paste, cell, coverage_test, glue_lines, narrative_cells, pasted, refused_test

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

# The reader's round-3 glue for the identity block (tests/fixtures/reader_pastes/round3, cells 5,
# 9, 17 and 21 chained in one statement), given the new exercise's arguments: the projection
# `ws` is taken and not used, and the block has no stride.
READER_BLOCK = """
def residual_block_backward(dy, x, w1, gamma1, beta1, w2, gamma2, beta2, ws, groups):
    G = lambda h, ga, be: ga[:, None, None] * bn_forward(h.reshape(1, len(h) * groups, -1, 1), np.ones(len(h) * groups), np.zeros(len(h) * groups)).reshape(h.shape) + be[:, None, None]
    return relu_backward(dy, x + G(conv_forward(relu(G(conv_forward(x, w1, padding=1), gamma1, beta1)), w2, padding=1), gamma2, beta2)) + conv_backward(x, w1, bn_backward((relu_backward(conv_backward(relu(G(conv_forward(x, w1, padding=1), gamma1, beta1)), w2, bn_backward((relu_backward(dy, x + G(conv_forward(relu(G(conv_forward(x, w1, padding=1), gamma1, beta1)), w2, padding=1), gamma2, beta2)) * gamma2[:, None, None]).reshape(1, len(x) * groups, -1, 1), conv_forward(relu(G(conv_forward(x, w1, padding=1), gamma1, beta1)), w2, padding=1).reshape(1, len(x) * groups, -1, 1), np.ones(len(x) * groups))[0].reshape(x.shape), padding=1)[0], G(conv_forward(x, w1, padding=1), gamma1, beta1)) * gamma1[:, None, None]).reshape(1, len(x) * groups, -1, 1), conv_forward(x, w1, padding=1).reshape(1, len(x) * groups, -1, 1), np.ones(len(x) * groups))[0].reshape(x.shape), padding=1)[0]
"""

# The reader's round-3 strategy for max pooling (tests/fixtures/reader_pastes/round3): the
# windows of a padded input by sliding_window_view, each window's first maximum; turned on
# the exercise that replaced it, each input's step is its window's margin over the runner-up,
# over the largest tap (how far one input moves a pre-activation).
READER_WINDOWS = """
def largest_exact_step(x, w, R):
    top = np.sort(sliding_window_view(conv_forward(x, w, padding=1)[:, :, :x.shape[2] // 2 * 2, :x.shape[3] // 2 * 2], (2, 2), axis=(2, 3))[:, :, ::2, ::2].reshape(*R.shape, 4), axis=-1)
    margin = (top[..., -1] - top[..., -2]).min(axis=1).repeat(2, axis=1).repeat(2, axis=2) / np.abs(w).max()
    return np.pad(margin, ((0, 0), (0, 0), (0, x.shape[2] % 2), (0, x.shape[3] % 2)), mode="edge")[:, None].repeat(x.shape[1], axis=1)
"""

# ReLU's kinks read off the text ("the derivative does not exist" at 0): every pre-activation a
# step reaches crosses zero at |z| / |tap|; the nearest one, pooling left out.
RELU_KINKS = """
def largest_exact_step(x, w, R):
    z = np.abs(np.pad(conv_forward(x, w, padding=1), ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=np.inf))
    return np.min([z[:, :, None, 2 - a:2 - a + x.shape[2], 2 - b:2 - b + x.shape[3]] / np.abs(w[None, :, :, a, b, None, None]) for a in range(3) for b in range(3)], axis=(0, 2))
"""

# A search: bisection along every input on the text's layer, a step taken as exact while its
# central difference equals that of a step 1000 times smaller. Right on small layers; on the
# hidden 18,432-input ones it would need millions of passes of the layer (hours), so it stops
# at small inputs, as it would have to within the grader's 30 s.
BISECTION = """
def largest_exact_step(x, w, R):
    L = lambda a: (pool_forward(relu(conv_forward(a, w, padding=1))[:, :, :x.shape[2] // 2 * 2, :x.shape[3] // 2 * 2]) * R).sum()
    cd = lambda i, e: (L(x + e * (np.arange(x.size) == i).reshape(x.shape)) - L(x - e * (np.arange(x.size) == i).reshape(x.shape))) / (2 * e)
    cut = lambda i: functools.reduce(lambda ab, _: (ab[0], sum(ab) / 2) if abs(cd(i, sum(ab) / 2) - cd(i, sum(ab) / 2000)) > 1e-10 else (sum(ab) / 2, ab[1]), range(45), (0.0, 50.0))[0]
    return np.array([(np.inf if abs(cd(i, 50.0) - cd(i, 0.05)) < 1e-10 else cut(i)) if x.size <= 40 else np.inf for i in range(x.size)]).reshape(x.shape)
"""

# Central differences of the whole strided block, its forward written in one lambda with the
# reader's group norm (bn_forward on each image's groups), as long as the grader's time allows.
NUMERIC_BLOCK = """
def residual_block_backward(dy, x, w1, gamma1, beta1, w2, gamma2, beta2, ws, groups):
    G = lambda h, ga, be: ga[:, None, None] * bn_forward(h.reshape(1, len(h) * groups, -1, 1), np.ones(len(h) * groups), np.zeros(len(h) * groups)).reshape(h.shape) + be[:, None, None]
    f = lambda: (relu(G(conv_forward(relu(G(conv_forward(x, w1, padding=1)[:, :, ::2, ::2], gamma1, beta1)), w2, padding=1), gamma2, beta2) + conv_forward(x, ws)[:, :, ::2, ::2]) * dy).sum()
    return numerical_gradient(f, x) if x.size <= 400 else np.zeros_like(x)
"""

PASTES = {
    "ch09.largest_exact_step": [
        Paste("the reader's windows (sliding_window_view), margin over the runner-up",
              (("09", "def conv_forward"),), READER_WINDOWS, "largest_exact_step"),
        Paste("ReLU's kinks only: the nearest |z| / |tap| a step reaches",
              (("09", "def conv_forward"),), RELU_KINKS, "largest_exact_step"),
        Paste("bisection along every input with central differences of the text's layer",
              (("09", "def conv_forward"), ("09", "def relu("), ("09", "def pool_forward")),
              "import functools\n" + BISECTION, "largest_exact_step"),
    ],
    "ch09.residual_block_backward": [
        Paste("the reader's identity block (cells 5, 9, 17, 21 chained), ws unused",
              LAYER_CELLS, READER_BLOCK, "residual_block_backward"),
        Paste("the projection's path only: dy with zeros between, back through ws",
              (("09", "def conv_forward"),),
              """def residual_block_backward(dy, x, w1, gamma1, beta1, w2, gamma2, beta2, ws, groups):
    full = np.zeros((*dy.shape[:2], *x.shape[2:]))
    full[:, :, ::2, ::2] = dy
    return conv_backward(x, ws, full)[0]
""", "residual_block_backward"),
        Paste("central differences of the strided block (the text's numerical_gradient)",
              LAYER_CELLS, NUMERIC_BLOCK, "residual_block_backward"),
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


# The shortest right answer to exercise 2 from the text's cells that this project found: the
# reader's group norm, zero insertion by np.kron, both paths summed. It passes, and it is
# three times the rule's five lines.
SHORTEST_BLOCK = """
def residual_block_backward(dy, x, w1, gamma1, beta1, w2, gamma2, beta2, ws, groups):
    r, ones = (lambda a: a.reshape(1, len(x) * groups, -1, 1)), np.ones(len(x) * groups)
    G = lambda h, ga, be: ga[:, None, None] * bn_forward(r(h), ones, 0 * ones).reshape(h.shape) + be[:, None, None]
    Gb = lambda d, h, ga: bn_backward(r(d * ga[:, None, None]), r(h), ones)[0].reshape(h.shape)
    up = lambda g: np.kron(g, [[1, 0], [0, 0]])[:, :, :x.shape[2], :x.shape[3]]
    h1 = conv_forward(x, w1, padding=1)[:, :, ::2, ::2]
    a1 = relu(G(h1, gamma1, beta1))
    h2 = conv_forward(a1, w2, padding=1)
    g = relu_backward(dy, G(h2, gamma2, beta2) + conv_forward(x, ws)[:, :, ::2, ::2])
    return conv_backward(x, ws, up(g))[0] + conv_backward(x, w1, up(Gb(relu_backward(conv_backward(a1, w2, Gb(g, h2, gamma2), 1)[0], a1), h1, gamma1)), 1)[0]
"""


def test_the_shortest_right_block_is_far_over_the_rule():
    """Wiring the text's cells into the strided block takes 15 lines or more: the exercise is
    not copyable by the rule's count, and the answer it needs (zeros between the strided
    gradient's entries, both paths) is one a paste must already hold."""
    paste = Paste("shortest right answer", LAYER_CELLS, SHORTEST_BLOCK, "residual_block_backward")
    assert glue_lines(SHORTEST_BLOCK) >= 15
    assert verdict("ch09.residual_block_backward", pasted(paste), 1) is None
