"""Training time per epoch of the capstone's net: the reference layers (`solutions`) next to torch.

The same network (`solutions.cnn.layers`), the same initial weights, the same digits split
and the same shuffled batches, trained side by side in one run: one epoch with
`solutions.cnn` (numpy forward and hand-written backward), one with `torch.nn.functional`
and autograd (float64, like the reference), alternately, ``--repeat`` times. Prints the
median CPU seconds per epoch of each, their ratio, and both held-out accuracies at the end.

    python benchmarks/training_speed.py [--repeat 5] [--threads 1] [--variant standard]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def torch_net(net, params):
    """The network as a function of torch tensors, with parameters that require grad."""
    import torch
    import torch.nn.functional as F

    from solutions import cnn

    tensors = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    stats = {layer.name: (torch.zeros(layer.settings["channels"], dtype=torch.float64),
                          torch.ones(layer.settings["channels"], dtype=torch.float64))
             for layer in net if layer.kind == "batch"}

    def forward(x, training):
        h = x
        for layer in net:
            p = {k.split(".")[1]: v for k, v in tensors.items()
                 if k.startswith(layer.name + ".")}
            if layer.kind == "conv":
                h = F.conv2d(h, p["weight"], p.get("bias"),
                             padding=layer.settings.get("padding", 0),
                             groups=layer.settings.get("groups", 1))
            elif layer.kind == "batch":
                mean, var = stats[layer.name]
                h = F.batch_norm(h, mean, var, p["weight"], p["bias"], training, eps=cnn.EPS)
            elif layer.kind == "group":
                h = F.group_norm(h, cnn.NORM_GROUPS, p["weight"], p["bias"], eps=cnn.EPS)
            elif layer.kind == "relu":
                h = F.relu(h)
            else:
                h = F.max_pool2d(h, 2)
        return h.reshape(len(h), -1)

    return forward, tensors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="epochs of each (default 5)")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS and torch threads (default 1: steadier on a shared machine)")
    parser.add_argument("--variant", default="standard", help="standard, separable or grouped")
    args = parser.parse_args()
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(args.threads)
    import numpy as np
    import torch
    import torch.nn.functional as F

    from solutions import cnn, sgd_step

    torch.set_num_threads(args.threads)
    x_train, x_test, y_train, y_test = cnn.digits_split()
    rng = np.random.default_rng(0)
    net = cnn.layers(args.variant)
    params, stats, buffers = cnn.init_params(net, rng), cnn.init_stats(net), {}
    forward, tensors = torch_net(net, params)
    optimiser = torch.optim.SGD(list(tensors.values()), lr=0.05, momentum=0.9)
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train)
    ours, theirs = [], []
    for _ in range(args.repeat):
        order = rng.permutation(len(x_train))
        batches = [order[i:i + 32] for i in range(0, len(order), 32)]
        start = time.process_time()
        for batch in batches:
            _, grads = cnn.loss_and_grads(net, params, stats, x_train[batch], y_train[batch])
            for name, grad in grads.items():
                params[name], buffers[name] = sgd_step(params[name], grad, buffers.get(name),
                                                       0.05, 0.9)
        ours.append(time.process_time() - start)
        start = time.process_time()
        for batch in batches:
            optimiser.zero_grad()
            index = torch.from_numpy(batch)
            F.cross_entropy(forward(xt[index], True), yt[index]).backward()
            optimiser.step()
        theirs.append(time.process_time() - start)
    with torch.no_grad():
        torch_acc = (forward(torch.from_numpy(x_test), False).argmax(1).numpy() == y_test).mean()
    ours_acc = cnn.accuracy(net, params, stats, x_test, y_test)
    a, b = statistics.median(ours), statistics.median(theirs)
    print(f"variant {args.variant}, {len(x_train)} training images, batches of 32, "
          f"{args.threads} thread(s), median of {args.repeat} epochs (CPU s)")
    print(f"  solutions (numpy): {a:.3f} s/epoch   held-out accuracy {ours_acc:.3f}")
    print(f"  torch (autograd):  {b:.3f} s/epoch   held-out accuracy {torch_acc:.3f}")
    print(f"  ratio solutions/torch: {a / b:.2f}")


if __name__ == "__main__":
    main()
