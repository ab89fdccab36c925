"""The capstone's small CNN for 8x8 digits, built only from this package's layers, and its training.

    conv 3x3 (1 -> 16, padding 1) · norm · ReLU · max-pool 2        8x8 -> 4x4
    middle conv 3x3 (16 -> 32, padding 1) · norm · ReLU · max-pool 2 4x4 -> 2x2
    conv 2x2 (32 -> 10, bias): one score per class                  2x2 -> 1x1

The middle convolution is the one the chapter varies: ``"standard"`` (one dense 3x3),
``"separable"`` (depthwise 3x3, then pointwise 1x1) or ``"grouped"`` (3x3 with
``groups=4``). ``norm`` is ``"batch"`` (spatial batch norm, training mode while training)
or ``"group"`` (group norm, 4 groups by default). Convolutions before a norm have no bias
(the norm's shift would cancel it). A network is a list of :class:`Layer` records; parameters and
their gradients are dicts ``name -> array``; ``forward`` keeps what ``backward`` needs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .activations import relu, relu_backward
from .backward import conv2d_grad_input, conv2d_grad_weight
from .init import kaiming_normal
from .losses import cross_entropy, cross_entropy_backward
from .normalization import batch_norm, batch_norm_backward, group_norm, group_norm_backward
from .optim import sgd_step
from .pooling import max_pool2d
from .pooling_backward import max_pool2d_backward
from .standard import conv2d

VARIANTS = ("standard", "separable", "grouped")
NORM_GROUPS = 4  # group norm's groups, and the grouped variant's groups
EPS = 1e-5
# The chapter's stated target: held-out accuracy after EPOCHS epochs of ``train``'s defaults
# (measured: 0.981 to 0.986 over seeds 0-4; benchmarks/training_speed.py times an epoch).
EPOCHS = 8
TARGET_ACCURACY = 0.97


@dataclass(frozen=True)
class Layer:
    """One layer: its kind (conv, norm, relu, pool), its name, and its settings."""

    kind: str
    name: str = ""
    settings: dict = field(default_factory=dict)


def layers(variant: str = "standard", norm: str = "batch", width: int = 16) -> list[Layer]:
    """The network's layers, first to last."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    if norm not in ("batch", "group"):
        raise ValueError(f"norm must be 'batch' or 'group', got {norm!r}")
    wide = 2 * width
    middle = {
        "standard": [Layer("conv", "conv2", dict(shape=(wide, width, 3, 3), padding=1))],
        "separable": [Layer("conv", "conv2dw", dict(shape=(width, 1, 3, 3), padding=1,
                                                    groups=width)),
                      Layer("conv", "conv2pw", dict(shape=(wide, width, 1, 1)))],
        "grouped": [Layer("conv", "conv2", dict(shape=(wide, width // NORM_GROUPS, 3, 3),
                                                padding=1, groups=NORM_GROUPS))],
    }[variant]
    return [Layer("conv", "conv1", dict(shape=(width, 1, 3, 3), padding=1)),
            Layer(norm, "norm1", dict(channels=width, groups=NORM_GROUPS)), Layer("relu"),
            Layer("pool"),
            *middle,
            Layer(norm, "norm2", dict(channels=wide, groups=NORM_GROUPS)), Layer("relu"),
            Layer("pool"),
            Layer("conv", "conv3", dict(shape=(10, wide, 2, 2), bias=True))]


def init_params(net: list[Layer], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """He-normal conv weights, zero biases; norms start as the identity (weight 1, bias 0)."""
    params = {}
    for layer in net:
        if layer.kind == "conv":
            params[f"{layer.name}.weight"] = kaiming_normal(layer.settings["shape"], rng)
            if layer.settings.get("bias"):
                params[f"{layer.name}.bias"] = np.zeros(layer.settings["shape"][0])
        elif layer.kind in ("batch", "group"):
            params[f"{layer.name}.weight"] = np.ones(layer.settings["channels"])
            params[f"{layer.name}.bias"] = np.zeros(layer.settings["channels"])
    return params


def init_stats(net: list[Layer]) -> dict[str, np.ndarray]:
    """Batch norm's running statistics (mean 0, variance 1, as torch starts them)."""
    stats = {}
    for layer in net:
        if layer.kind == "batch":
            stats[f"{layer.name}.mean"] = np.zeros(layer.settings["channels"])
            stats[f"{layer.name}.var"] = np.ones(layer.settings["channels"])
    return stats


def forward(net, params, stats, x, training: bool):
    """Logits ``(N, 10)`` and the inputs each layer saw (for ``backward``).

    In training mode batch norm uses (and updates ``stats`` with) the batch's statistics.
    """
    seen = []
    for layer in net:
        seen.append(x)
        p = {k.split(".")[1]: v for k, v in params.items() if k.startswith(layer.name + ".")}
        if layer.kind == "conv":
            x = conv2d(x, p["weight"], p.get("bias"), padding=layer.settings.get("padding", 0),
                       groups=layer.settings.get("groups", 1))
        elif layer.kind == "batch":
            x = batch_norm(x, stats[f"{layer.name}.mean"], stats[f"{layer.name}.var"],
                           p["weight"], p["bias"], training=training, eps=EPS)
        elif layer.kind == "group":
            x = group_norm(x, layer.settings["groups"], p["weight"], p["bias"], eps=EPS)
        elif layer.kind == "relu":
            x = relu(x)
        else:
            x = max_pool2d(x, 2)
    return x.reshape(len(x), -1), seen


def backward(net, params, seen, grad_logits) -> dict[str, np.ndarray]:
    """Gradients of the loss w.r.t. every parameter, from dL/dlogits (training mode)."""
    grads = {}
    g = grad_logits.reshape(grad_logits.shape + (1, 1))
    for layer, x in zip(reversed(net), reversed(seen)):
        name = layer.name
        if layer.kind == "conv":
            weight = params[f"{name}.weight"]
            padding, groups = layer.settings.get("padding", 0), layer.settings.get("groups", 1)
            grads[f"{name}.weight"] = conv2d_grad_weight(x, weight.shape, g, padding=padding,
                                                         groups=groups)
            if f"{name}.bias" in params:
                grads[f"{name}.bias"] = g.sum(axis=(0, 2, 3))
            g = conv2d_grad_input(x.shape, weight, g, padding=padding, groups=groups)
        elif layer.kind == "batch":
            g, grads[f"{name}.weight"], grads[f"{name}.bias"] = batch_norm_backward(
                g, x, params[f"{name}.weight"], eps=EPS)
        elif layer.kind == "group":
            g, grads[f"{name}.weight"], grads[f"{name}.bias"] = group_norm_backward(
                g, x, layer.settings["groups"], params[f"{name}.weight"], eps=EPS)
        elif layer.kind == "relu":
            g = relu_backward(g, x)
        else:
            g = max_pool2d_backward(g, x, 2)
    return grads


def loss_and_grads(net, params, stats, x, y, label_smoothing=0.0):
    """The training-mode loss of one batch and its gradients (``stats`` are updated)."""
    logits, seen = forward(net, params, stats, x, training=True)
    return (float(cross_entropy(logits, y, label_smoothing)),
            backward(net, params, seen, cross_entropy_backward(logits, y, label_smoothing)))


def train_steps(net, params, stats, buffers, x, y, lr, momentum, steps):
    """``steps`` SGD steps on one batch; the losses before each step and after the last.

    ``params``, ``stats`` and ``buffers`` (momentum buffers, ``{}`` at the start) are updated.
    """
    losses = []
    for _ in range(steps):
        loss, grads = loss_and_grads(net, params, stats, x, y)
        losses.append(loss)
        for name, grad in grads.items():
            params[name], buffers[name] = sgd_step(params[name], grad, buffers.get(name), lr,
                                                   momentum)
    logits, _ = forward(net, params, stats, x, training=True)
    losses.append(float(cross_entropy(logits, y)))
    return np.array(losses)


def accuracy(net, params, stats, x, y) -> float:
    """Share of ``x`` classified right, in evaluation mode (running statistics)."""
    logits, _ = forward(net, params, stats, x, training=False)
    return float((logits.argmax(axis=1) == y).mean())


@dataclass
class Run:
    """A finished training run: the weights, and what happened on the way."""

    params: dict
    stats: dict
    losses: list = field(default_factory=list)       # one per step
    accuracies: list = field(default_factory=list)   # held-out, one per epoch
    seconds: float = 0.0                             # CPU time of the training itself


def train(x_train, y_train, x_test, y_test, variant="standard", norm="batch", epochs=EPOCHS,
          batch_size=32, lr=0.05, momentum=0.9, seed=0, on_epoch=None) -> Run:
    """Train the network with SGD and momentum, shuffling every epoch; evaluate after each.

    ``on_epoch(run, epoch)`` is called after each epoch (a live view hooks in here).
    """
    rng = np.random.default_rng(seed)
    net = layers(variant, norm)
    run = Run(init_params(net, rng), init_stats(net))
    buffers: dict = {}
    for epoch in range(epochs):
        start = time.process_time()
        order = rng.permutation(len(x_train))
        for first in range(0, len(order), batch_size):
            batch = order[first:first + batch_size]
            loss, grads = loss_and_grads(net, run.params, run.stats, x_train[batch],
                                         y_train[batch])
            run.losses.append(loss)
            for name, grad in grads.items():
                run.params[name], buffers[name] = sgd_step(run.params[name], grad,
                                                           buffers.get(name), lr, momentum)
        run.seconds += time.process_time() - start
        run.accuracies.append(accuracy(net, run.params, run.stats, x_test, y_test))
        if on_epoch is not None:
            on_epoch(run, epoch)
    return run


def digits_split(test_size: int = 360, seed: int = 0):
    """scikit-learn's 8x8 digits as (N, 1, 8, 8) floats in [0, 1]: a fixed, stratified split.

    The 1,797 images are shuffled once with ``seed`` inside each class, and the last
    ``test_size`` of the shuffled, class-interleaved order are held out.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.images / 16.0).reshape(-1, 1, 8, 8)
    return train_test_split(x, digits.target, test_size=test_size, random_state=seed,
                            stratify=digits.target)
