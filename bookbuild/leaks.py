"""Find instructor-only text (nbgrader solution and hidden-test markers) in the built book.

`student` already refuses to stage a notebook with a marker left; this scans every output
file too, since a page could also quote one from elsewhere (a copied file, a cell output).
Run as `python -m bookbuild.leaks DIR`: lists the offenders, exit status 1 if any.
"""

import sys
from pathlib import Path

MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
           "HIDDEN TESTS", "BEGIN MARK SCHEME", "END MARK SCHEME")


def leaks(root: Path) -> list[str]:
    """`path: marker` for every file under `root` that contains a marker."""
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found.extend(f"{path.relative_to(root)}: {m}" for m in MARKERS if m.encode() in data)
    return found


def main(argv: list[str]) -> int:
    found = leaks(Path(argv[0]))
    for item in found:
        print(f"instructor-only text: {item}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
