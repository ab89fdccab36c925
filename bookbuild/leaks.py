"""Find instructor-only text (nbgrader solution and hidden-test markers) in the built book.

`student` already refuses to stage a notebook with a marker left; this scans every output
file too, since a page could also quote one from elsewhere (a copied file, a cell output).
`python -m bookbuild --check-only` runs this scan (and the other) on a built book.
"""

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
