"""Student version of a chapter notebook, made with nbgrader's own preprocessors."""

from pathlib import Path

import nbformat
from nbgrader import utils
from nbgrader.preprocessors import (
    CheckCellMetadata,
    ClearHiddenTests,
    ClearMarkScheme,
    ClearOutput,
    ClearSolutions,
    ComputeChecksums,
    LockCells,
)
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from autograder import requirements  # one list of what a chapter imports, for both

# The order of nbgrader's GenerateAssignment, less the steps that need the gradebook database
# (SaveCells) or course files (IncludeHeaderFooter, InstantiateTests).
PREPROCESSORS = (
    LockCells,
    ClearSolutions,
    ClearOutput,
    ClearHiddenTests,
    ClearMarkScheme,
    ComputeChecksums,
    CheckCellMetadata,
)

# MyST-NB (through nbclient) shows these cells but does not run them: on the stubs they
# would only raise NotImplementedError, and the build treats a failing cell as an error.
SKIP_TAG = "skip-execution"


def load_config(root: Path) -> Config:
    """The course's nbgrader config, so stubs and delimiters match `autograder release`."""
    path = root / "autograder" / "nbgrader_config.py"
    if not path.is_file():
        return Config()
    return PyFileConfigLoader(path.name, str(path.parent)).load_config()


def is_exercise(cell) -> bool:
    """An answer cell or a check cell: both need the student's code to run."""
    return cell.cell_type == "code" and (utils.is_solution(cell) or utils.is_grade(cell))


def student_notebook(nb, config: Config):
    """Return `nb` as students get it, with exercise cells tagged to skip execution."""
    resources = {}
    preprocessors = [cls(config=config) for cls in PREPROCESSORS]
    for preprocessor in preprocessors:
        nb, resources = preprocessor.preprocess(nb, resources)
    for cell in nb.cells:
        if is_exercise(cell):
            tags = cell.metadata.setdefault("tags", [])
            if SKIP_TAG not in tags:
                tags.append(SKIP_TAG)
    _refuse_leftover_markers(nb, preprocessors)
    return nb


def _refuse_leftover_markers(nb, preprocessors) -> None:
    """Fail loudly if a delimiter survived (e.g. a typo such as `### BEGIN SOLUTON` above it)."""
    markers = [
        getattr(p, name)
        for p in preprocessors
        for name in dir(type(p))
        if name.endswith("_delimeter")
    ]
    for index, cell in enumerate(nb.cells):
        for marker in markers:
            if marker in cell.source:
                raise ValueError(f"cell {index} still contains {marker!r} in the student version")


# The book's download button serves the staged notebook alone, without the convlab/ folder
# and requirements.txt of the chapter's release zip. Its first cell (hidden on the page, run
# by the build) names what is missing and where to get it, instead of a bare
# "No module named 'convlab'" further down.
SETUP_TAG = "remove-cell"
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


def setup_check(chapter: str, notebook: str, modules: list[str]):
    """The first cell of a downloaded notebook: a clear error naming what is missing."""
    source = SETUP_CHECK.format(chapter=chapter, notebook=notebook, modules=sorted(modules))
    return nbformat.v4.new_code_cell(source, metadata={"tags": [SETUP_TAG]})


def student_version(source: Path, config: Config) -> bytes:
    """The student version of the notebook file at `source`, as nbformat 4 JSON bytes, with
    the setup check first."""
    nb = nbformat.read(source, as_version=4)
    try:
        nb = student_notebook(nb, config)
    except Exception as error:  # nbgrader's errors do not name the notebook
        raise RuntimeError(f"{source}: cannot make the student version: {error}") from error
    convlab = Path(__file__).resolve().parents[1] / "convlab"
    modules = requirements.modules_of([nb], convlab) | {"convlab"}
    nb.cells.insert(0, setup_check(source.stem, source.name, modules))
    return (nbformat.writes(nb) + "\n").encode()
