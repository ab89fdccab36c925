"""Why chapter 08's max_pool2d_backward draws one large image: what each kind of answer
costs on it, against the 30 s a graded cell may run.

Times, on the notebook's own large case (1,100-1,300 cells a side, windows of 350-450 at
stride 1), the notebook's solution (ranks, a separable minimum by doubling), a separable
answer with a loop over the k offsets per axis, and, extrapolated from a few rows of
outputs, the answers that read every window: cell 27's pool2d (round 8's paste) and one
np.minimum per tap. Prints each as a ratio to the cell limit: the separable answers must
stay well under 1, the window-by-window ones far over it.

    python benchmarks/large_max_pool.py [--torch]

``--torch`` also runs torch's max_pool2d forward and backward on the case (minutes: torch's
CPU kernel reads every window too) and says whether the check's reference equals its
gradient exactly (it did, 2026-12-07: 530 s, 17.7 x the limit, every entry equal).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from autograder.checks import cases_for  # noqa: E402

LIMIT = 30.0  # autograder/nbgrader_config.py: c.Execute.timeout


def solution():
    """The notebook's solution cell, run as the notebook runs it."""
    cells = json.loads((ROOT / "chapters/08_beyond_2d/08_beyond_2d.ipynb").read_text())["cells"]
    source = next("".join(c["source"]) for c in cells
                  if "".join(c["source"]).startswith("def max_pool2d_backward"))
    namespace = {"np": np}
    exec(source, namespace)  # noqa: S102 - the book's own cell
    return namespace["max_pool2d_backward"]


def separable_loop(x, g, k, s, p):
    """Ranks, then a k-wide minimum per axis by a loop over the k offsets: k passes."""
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
    order = np.argsort(-xp, axis=None, kind="stable")
    rank = np.empty(xp.size, dtype=np.int64)
    rank[order] = np.arange(xp.size)
    rank = rank.reshape(xp.shape)
    oh, ow = g.shape[2:]
    rows = rank[..., 0:s * (ow - 1) + 1:s].copy()
    for b in range(1, k):
        np.minimum(rows, rank[..., b:b + s * (ow - 1) + 1:s], out=rows)
    least = rows[:, :, 0:s * (oh - 1) + 1:s].copy()
    for a in range(1, k):
        np.minimum(least, rows[:, :, a:a + s * (oh - 1) + 1:s], out=least)
    grad = np.bincount(order[least].ravel(), g.ravel(), xp.size).reshape(xp.shape)
    return grad[:, :, p:p + x.shape[2], p:p + x.shape[3]]


def timed(fn, *args):
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def main():
    x, g, k, s, p = cases_for("ch08.max_pool2d_backward")[-1]
    if "--torch" in sys.argv[1:]:
        against_torch(x, g, k, s, p)
    oh, ow = g.shape[2:]
    print(f"image {x.shape[2]} x {x.shape[3]}, window {k}, padding {p}: {oh * ow:,} outputs, "
          f"{oh * ow * (k * k - 1):.2e} comparisons window by window")
    rows = {"notebook solution (doubling)": timed(solution(), x, g, k, s, p),
            "separable, k offsets per axis": timed(separable_loop, x, g, k, s, p)}
    key = np.pad(1j * np.arange(x.size).reshape(x.shape) - x, [[0], [0], [p], [p]], "edge")
    plane = key[0, 0].T                                    # cell 27's pool2d slides axes 0, 1
    few = 2
    start = time.perf_counter()
    for i in range(few):
        for j in range(ow):
            plane[j:j + k, i:i + k].min()
    rows["cell 27's pool2d, window by window (extrapolated)"] = (
        (time.perf_counter() - start) / few * oh)
    least = key[:, :, :few, :ow].copy()
    start = time.perf_counter()
    for a in range(2):
        for b in range(k):
            np.minimum(least, key[:, :, a:a + few, b:b + ow], out=least)
    rows["one np.minimum per tap (extrapolated)"] = (
        (time.perf_counter() - start) / (2 * k) * k * k * oh / few)
    for name, seconds in rows.items():
        print(f"{name:52s} {seconds / LIMIT:8.2f} x the {LIMIT:.0f} s cell limit")


def against_torch(x, g, k, s, p):
    import torch
    import torch.nn.functional as F

    from autograder.checks.ch08_beyond_2d import _pool_backward

    start = time.perf_counter()
    xt = torch.tensor(x, requires_grad=True)
    F.max_pool2d(xt, k, s, p).backward(torch.tensor(g))
    seconds = time.perf_counter() - start
    same = np.array_equal(_pool_backward(x, g, k, s, p), xt.grad.numpy())
    print(f"torch's max_pool2d forward and backward: {seconds / LIMIT:.2f} x the cell limit; "
          f"the reference {'equals' if same else 'DIFFERS FROM'} its gradient")


if __name__ == "__main__":
    main()
