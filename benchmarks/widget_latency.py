"""How long does one redraw of each convlab widget panel take? Target: median <= 50 ms.

Builds every panel at its default size, then moves its sliders in-process (as
the browser would, by setting ``.value``) and times each change from the
assignment to the new PNG being in the panel's ``Image`` widget. Headless: the
Agg backend, no kernel, no browser, so this is the Python side of a redraw.

    python benchmarks/widget_latency.py [--changes 30]
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import convlab  # noqa: E402

TARGET_MS = 50.0

# Per panel: the control moves to replay, each a (control name, value) pair.
# They alternate between two settings so every change really redraws.
MOVES = {
    "ConvPanel": [("kernel_size", 2), ("kernel_size", 3), ("stride", 2), ("stride", 1),
                  ("padding", 1), ("padding", 0), ("dilation", 2), ("dilation", 1),
                  ("input_size", 7), ("input_size", 5), ("position", 4), ("position", 0)],
    "TransposedPanel": [("stride", 1), ("stride", 2), ("padding", 1), ("padding", 0),
                        ("kernel_size", 2), ("kernel_size", 3), ("position", 6),
                        ("position", 0)],
    "GroupsPanel": [("groups", 4), ("groups", 2), ("out_channels", 8), ("out_channels", 4),
                    ("highlight", 1), ("highlight", None)],
    "FilterPanel": [("stride", 2), ("stride", 1), ("kernel", "sobel x"), ("kernel", "box blur"),
                    ("padding", 2), ("padding", 0), ("image", "photo"), ("image", "test card"),
                    ("dilation", 2), ("dilation", 1), ("kernel_size", 5), ("kernel_size", 3)],
    "SeparableCostPanel": [("out_channels", 256), ("out_channels", 128), ("kernel_size", 5),
                           ("kernel_size", 3), ("in_channels", 32), ("in_channels", 64)],
}


def measure(name: str, changes: int) -> list[float]:
    """Milliseconds of each of ``changes`` slider moves on a fresh default panel."""
    panel = getattr(convlab, name)()
    timings = []
    for control, value in itertools.islice(itertools.cycle(MOVES[name]), changes):
        start = time.perf_counter()
        panel.controls[control].value = value
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=30, help="slider changes per panel")
    args = parser.parse_args()
    measure("ConvPanel", 3)  # warm caches (fonts, glyph outlines, sample images) once
    print(f"{'panel':<16} {'median ms':>10} {'p90 ms':>8}  target <= {TARGET_MS:.0f} ms")
    ok = True
    for name in MOVES:
        timings = sorted(measure(name, args.changes))
        median = statistics.median(timings)
        p90 = timings[int(0.9 * (len(timings) - 1))]
        ok &= median <= TARGET_MS
        print(f"{name:<16} {median:>10.1f} {p90:>8.1f}  {'ok' if median <= TARGET_MS else 'SLOW'}")
    print("all panels within target" if ok else "some panels are slower than the target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
