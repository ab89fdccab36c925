"""The first cell of the notebook the book's download button serves.

That button gives the staged student notebook alone, without the convlab/ folder and the
requirements.txt of the chapter's release zip. Its first cell (hidden on the page, run by
the build, where it passes) names what is missing and where to get it, instead of a bare
"No module named 'convlab'" further down.
"""

from pathlib import Path

import nbformat

from autograder.course import requirements  # the one list of what a chapter imports

HIDDEN_TAG = "remove-cell"  # MyST-NB: run, but not shown on the page
SETUP_CHECK = """\
# Setup check: this notebook needs the chapter's convlab/ folder next to it and the
# packages of its requirements.txt (both in {chapter}.zip, the chapter's release).
import importlib.util

_needed = {modules!r}
_missing = [m for m in _needed if importlib.util.find_spec(m) is None]
if _missing:
    raise ModuleNotFoundError(
        f"this notebook needs {{', '.join(_missing)}}, which this Python does not have. Fix: "
        "get {chapter}.zip from your instructor (the notebook, convlab/ and "
        "requirements.txt), unzip it, run  pip install -r {chapter}/requirements.txt  and "
        "open {chapter}/{notebook} from there (its README.md says more).")
"""
CONVLAB = Path(__file__).resolve().parents[1] / "convlab"


def setup_check(chapter: str, notebook: str, modules: set[str]):
    """A code cell that raises, naming the missing modules and the fix, if any is missing."""
    source = SETUP_CHECK.format(chapter=chapter, notebook=notebook, modules=sorted(modules))
    return nbformat.v4.new_code_cell(source, metadata={"tags": [HIDDEN_TAG]})


def with_setup_check(student_version: bytes, source: Path) -> bytes:
    """The student version of the chapter notebook `source`, its setup check first."""
    nb = nbformat.reads(student_version.decode("utf-8"), as_version=4)
    modules = requirements.modules_of([nb], CONVLAB) | {"convlab"}
    nb.cells.insert(0, setup_check(source.stem, source.name, modules))
    return (nbformat.writes(nb) + "\n").encode()
