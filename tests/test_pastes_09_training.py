"""Chapter 09's paste tests: answers assembled from the chapter's own cells lose each exercise.

Per exercise, what a student who pastes would hand in: the narrative cells that look closest to
the question, plus at most five lines of glue (see ``pastes.py``). Every one must be refused by
the hidden check, for the notebook's cases and for those of several students.
"""

from __future__ import annotations

import numpy as np
from pastes import Paste, coverage_test, pasted, refused_test

from solutions import cnn

NAMES = '("conv1", "norm1.weight", "norm1.bias", "conv2", "norm2.weight", "norm2.bias", ' \
        '"conv3", "conv3.bias")'

# One statement line of the glue, built from parts so that this file's lines stay short.
STEP = "; ".join([
    'z, seen = forward(net, P, {"norm1": None, "norm2": None}, x)',
    "loss, dz = cross_entropy(z, y)", "L.append(loss)", "G = backward(net, P, seen, dz)",
    "buf = {k: momentum * buf[k] + G[k] if k in buf else G[k] for k in G}",
    "P = {**P, **{k: P[k] - lr * buf[k] for k in G}}"])
TRAIN_GLUE = f"""
def train_steps(params, x, y, lr, momentum, steps):
    P, net, buf, L = dict(zip({NAMES}, params)), network(), {{}}, []
    for _ in range(steps + 1):
        {STEP}
    return np.array(L)
"""

# the cells that define the layers, with the demo cells their own demos need (rng, x, R)
LOSS_CELLS = (("09", "def conv_forward"), ("09", "def numerical_gradient"),
              ("09", "def cross_entropy"))
NORM_CELLS = (("09", "def conv_forward"), ("09", "def numerical_gradient"),
              ("09", "def bn_forward"), ("09", "constant_stats ="), ("09", "def bn_backward"))
NETWORK_CELLS = (*LOSS_CELLS, *NORM_CELLS[2:], ("09", "def relu("), ("09", "def pool_forward"),
                 ("09", "def pool_backward(dy"), ("09", "def he("), ("09", "def sgd_step"),
                 ("09", "MIDDLE = {"))

PASTES = {
    "ch09.smoothed_cross_entropy_grad": [
        Paste("the text's cross-entropy gradient",
              LOSS_CELLS,
              "def smoothed_cross_entropy_grad(z, t, smoothing):\n"
              "    return cross_entropy(z, t)[1]\n", "smoothed_cross_entropy_grad"),
        Paste("the text's gradient scaled by 1 - smoothing",
              LOSS_CELLS,
              "def smoothed_cross_entropy_grad(z, t, smoothing):\n"
              "    return (1 - smoothing) * cross_entropy(z, t)[1]\n",
              "smoothed_cross_entropy_grad"),
    ],
    "ch09.max_pool_backward": [
        Paste("the text's first-maximum pooling backward (2x2, stride 2)",
              (("09", "def pool_forward"), ("09", "def pool_backward(dy")),
              "def max_pool_backward(dy, x, kernel_size, stride):\n"
              "    return pool_backward(dy, x)\n", "max_pool_backward"),
        Paste("the text's mask",
              (("09", "def pool_forward"),),
              "def max_pool_backward(dy, x, kernel_size, stride):\n"
              "    return pool_backward_mask(dy, x)\n", "max_pool_backward"),
    ],
    "ch09.sgd_gradients": [
        Paste("the step read backwards, as in plain SGD",
              (("09", "def sgd_step"),),
              "def sgd_gradients(params, lr, momentum, weight_decay):\n"
              "    return (params[:-1] - params[1:]) / lr\n", "sgd_gradients"),
    ],
    "ch09.group_norm_backward": [
        Paste("the text's batch-norm backward",
              NORM_CELLS,
              "def group_norm_backward(dy, x, gamma, groups, eps):\n"
              "    return bn_backward(dy, x, gamma, eps)[0]\n", "group_norm_backward"),
    ],
    "ch09.train_steps": [
        Paste("the text's network and step, with its batch norms", NETWORK_CELLS, TRAIN_GLUE,
              "train_steps"),
    ],
}

test_pasted_answer_loses_the_exercise = refused_test(PASTES)
test_every_exercise_has_a_paste = coverage_test(PASTES)


def test_the_training_paste_is_the_batch_norm_network():
    """The training paste is a working loop: it is refused for its batch norms, nothing else."""
    from autograder.checks.ch09_training import _steps, _train_cases

    fn = pasted(PASTES["ch09.train_steps"][0])
    for case in _train_cases(np.random.default_rng(0))[:3]:
        np.testing.assert_allclose(fn(*case), _steps(*case, norm="batch"), rtol=1e-8)
    assert cnn.NORM_GROUPS == 4
