"""How fast and how lean is `solutions` next to torch's CPU kernels?

Prints, for three layers measured side by side in one run, the median time of
`solutions` over the median time of `torch.nn.functional`, and the peak extra
memory `solutions` allocates (tracemalloc sees every numpy buffer) against the
size of one im2col buffer of the whole layer. Targets: ratio <= 2.0, memory <= 1 buffer.

    python benchmarks/reference_speed.py [--repeat 15] [--threads N]

``--threads N`` gives numpy's BLAS and torch the same N threads. On a machine shared
with other work, ``--threads 1`` is the steadier comparison: a thread pool waiting for
a busy core slows both libraries by amounts that vary from run to run.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import torch.nn.grad

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import solutions  # noqa: E402

MiB = 2**20


@dataclass(frozen=True)
class Fixed:
    """An argument passed as it is to both functions (not a drawn array)."""

    value: object


@dataclass(frozen=True)
class Layer:
    name: str
    ours: Callable  # the solutions function
    torch: Callable  # torch's, called with the same arguments as tensors
    inputs: tuple  # per positional argument: the shape of a float32 array drawn, or Fixed
    kwargs: dict
    buffer_bytes: int  # the one im2col buffer of the layer (or what stands for it)
    targeted: bool = True


LAYERS = (
    Layer("conv2d 3x3 p1, N=8 C=64->64 56x56", solutions.conv2d, F.conv2d,
          ((8, 64, 56, 56), (64, 64, 3, 3)), {"padding": 1}, 8 * 64 * 9 * 56 * 56 * 4),
    Layer("depthwise 3x3 p1, N=8 C=256 28x28", solutions.depthwise_conv2d,
          functools.partial(F.conv2d, groups=256),
          ((8, 256, 28, 28), (256, 1, 3, 3)), {"padding": 1}, 8 * 256 * 9 * 28 * 28 * 4),
    # the col2im buffer: every input pixel's C_out x 4 x 4 kernel copy
    Layer("conv_transpose2d 4x4 s2 p1, N=8 C=64->32 28x28", solutions.conv_transpose2d,
          F.conv_transpose2d, ((8, 64, 28, 28), (64, 32, 4, 4)), {"stride": 2, "padding": 1},
          8 * 32 * 16 * 28 * 28 * 4),
    # The functions added for chapters 07 and 08, measured the same way; no target yet.
    Layer("conv2d_grad_weight 3x3 p1, N=8 C=64->64 28x28", solutions.conv2d_grad_weight,
          torch.nn.grad.conv2d_weight, ((8, 64, 28, 28), Fixed((64, 64, 3, 3)), (8, 64, 28, 28)),
          {"padding": 1}, 8 * 64 * 9 * 28 * 28 * 4, targeted=False),
    # the windows are a view: the buffer to compare with is the padded input
    Layer("max_pool2d 3x3 s2 p1, N=8 C=64 56x56", solutions.max_pool2d, F.max_pool2d,
          ((8, 64, 56, 56), Fixed(3)), {"stride": 2, "padding": 1}, 8 * 64 * 58 * 58 * 4,
          targeted=False),
    Layer("conv3d 3x3x3 p1, N=2 C=32->32 16x28x28", solutions.conv3d, F.conv3d,
          ((2, 32, 16, 28, 28), (32, 32, 3, 3, 3)), {"padding": 1},
          2 * 32 * 27 * 16 * 28 * 28 * 4, targeted=False),
)


def calls(layer: Layer, rng) -> tuple[Callable, Callable]:
    """(ours, torch's) on the same freshly drawn inputs, ready to time."""
    args = [a.value if isinstance(a, Fixed) else rng.standard_normal(a, dtype=np.float32)
            for a in layer.inputs]
    tensors = [torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in args]
    return (functools.partial(layer.ours, *args, **layer.kwargs),
            functools.partial(layer.torch, *tensors, **layer.kwargs))


def median_seconds(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_extra_bytes(fn) -> tuple[int, int]:
    """Peak bytes allocated during ``fn`` beyond what it returns, and the result's size."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    result = fn()
    peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    return peak - result.nbytes, result.nbytes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for both numpy's BLAS and torch (default: each its own)")
    args = parser.parse_args()
    if args.threads is not None:
        # BLAS reads its thread count when numpy is imported: set it, then run again.
        wanted = {name: str(args.threads) for name in
                  ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
        if any(os.environ.get(k) != v for k, v in wanted.items()):
            os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, **wanted})
        torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    print(f"numpy {np.__version__} (BLAS threads: "
          f"{os.environ.get('OPENBLAS_NUM_THREADS', 'default')}), torch {torch.__version__} "
          f"({torch.get_num_threads()} threads)")
    print(f"{'layer':48} {'ours ms':>8} {'torch ms':>9} {'ratio':>6} "
          f"{'extra MiB':>10} {'im2col MiB':>11} {'mem/im2col':>10}")
    worst = 0.0
    worst_mem = 0.0
    for layer in LAYERS:
        name, im2col_bytes = layer.name, layer.buffer_bytes
        ours, ref = calls(layer, rng)
        np.testing.assert_allclose(ours(), ref().numpy(), rtol=1e-3, atol=1e-3)
        for _ in range(2):  # warm caches, thread pools and BLAS
            ours(), ref()
        # Alternate the two so that machine noise hits both alike.
        t_ours, t_ref = [], []
        for _ in range(args.repeat):
            t_ours.append(median_seconds(ours, 1))
            t_ref.append(median_seconds(ref, 1))
        t_ours, t_ref = statistics.median(t_ours), statistics.median(t_ref)
        extra, _ = peak_extra_bytes(ours)
        ratio = t_ours / t_ref
        if layer.targeted:
            worst, worst_mem = max(worst, ratio), max(worst_mem, extra / im2col_bytes)
        print(f"{name:48} {t_ours * 1e3:8.2f} {t_ref * 1e3:9.2f} {ratio:6.2f} "
              f"{extra / MiB:10.1f} {im2col_bytes / MiB:11.1f} {extra / im2col_bytes:10.2f}")
    print(f"first three layers: worst time ratio {worst:.2f} (target <= 2.0); "
          f"worst memory {worst_mem:.2f} im2col buffers (target <= 1.0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
