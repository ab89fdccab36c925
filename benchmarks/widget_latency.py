"""How long does one redraw of each convlab panel take in the browser? Target: median <= 16 ms.

Each panel runs as the static book shows it (its text/html in headless Chromium, offline,
no kernel; in JupyterLab the same module draws). Its controls are moved 100 times, as a
reader's slider would move them (an `input` or `change` event), and each move is timed
with `performance.now()` from the event to the redrawn picture laid out (the panel's
size read back, which forces style and layout). The picture is computed and drawn in
JavaScript (convlab/js/panels.js); Python is not involved.

    python benchmarks/widget_latency.py [--moves 100]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
from panel_page import panel_page  # noqa: E402

import convlab  # noqa: E402

TARGET_MS = 16.0  # one frame at 60 Hz

# Per panel: the control moves to replay, each a (control name, value) pair. They alternate
# between two settings so every move really redraws.
MOVES = {
    "ConvPanel": [("kernel_size", 2), ("kernel_size", 3), ("stride", 2), ("stride", 1),
                  ("padding", 1), ("padding", 0), ("dilation", 2), ("dilation", 1),
                  ("input_size", 7), ("input_size", 5), ("position", 4), ("position", 0)],
    "TransposedPanel": [("stride", 1), ("stride", 2), ("padding", 1), ("padding", 0),
                        ("kernel_size", 2), ("kernel_size", 3), ("position", 6),
                        ("position", 0)],
    "GroupsPanel": [("groups", 4), ("groups", 2), ("out_channels", 8), ("out_channels", 4),
                    ("highlight", 1), ("highlight", "all")],
    "FilterPanel": [("stride", 2), ("stride", 1), ("kernel", "sobel x"), ("kernel", "box blur"),
                    ("padding", 2), ("padding", 0), ("image", "photo"), ("image", "test card"),
                    ("dilation", 2), ("dilation", 1), ("kernel_size", 5), ("kernel_size", 3)],
    "SeparableCostPanel": [("out_channels", 256), ("out_channels", 128), ("kernel_size", 5),
                           ("kernel_size", 3), ("in_channels", 32), ("in_channels", 64)],
}

TIME_MOVES = """([index, moves, count]) => {
  const root = document.querySelectorAll('.convlab-panel')[index];
  const times = [];
  for (let i = 0; i < count; i++) {
    const [name, value] = moves[i % moves.length];
    const control = root.querySelector(`[name="${name}"]`);
    control.value = String(value);
    const start = performance.now();
    control.dispatchEvent(new Event(control.tagName === 'SELECT' ? 'change' : 'input'));
    root.getBoundingClientRect();  // style and layout of the new picture
    times.push(performance.now() - start);
  }
  return times;
}"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=100, help="control moves per panel")
    args = parser.parse_args()
    panels = [getattr(convlab, name)() for name in MOVES]
    print(f"{'panel':<20} {'median ms':>10} {'p90 ms':>8} {'max ms':>8}  "
          f"target median <= {TARGET_MS:.0f} ms")
    ok = True
    with panel_page(*panels) as (page, errors, offsite):
        page.evaluate(TIME_MOVES, [0, MOVES["ConvPanel"], 20])  # warm the JIT once
        for index, name in enumerate(MOVES):
            times = sorted(page.evaluate(TIME_MOVES, [index, MOVES[name], args.moves]))
            median = statistics.median(times)
            p90 = times[int(0.9 * (len(times) - 1))]
            ok &= median <= TARGET_MS
            print(f"{name:<20} {median:>10.2f} {p90:>8.2f} {times[-1]:>8.2f}  "
                  f"{'ok' if median <= TARGET_MS else 'SLOW'}")
    if errors or offsite:
        print(f"page errors: {errors}, off-site requests: {offsite}")
        return 1
    print("all panels within target" if ok else "some panels are slower than the target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
