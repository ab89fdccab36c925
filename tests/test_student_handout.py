"""What a released chapter carries for the student: a derived, pinned requirements.txt and a
README.md whose commands are the ones tests/test_student_path.py runs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from autograder.course import handout, requirements
from autograder.course.submissions import InstructorError

ROOT = Path(__file__).resolve().parents[1]
CONSTRAINTS = ROOT / "constraints.txt"
CONVLAB = ROOT / "convlab"


def _notebook(tmp_path: Path, *sources: str) -> Path:
    path = tmp_path / "01_x" / "01_x.ipynb"
    path.parent.mkdir()
    nbformat.write(new_notebook(cells=[new_code_cell(s) for s in sources]), path)
    return path


def test_imports_are_found_in_code_with_ipython_lines():
    source = ("%matplotlib inline\n!ls\nimport numpy as np, os.path\n"
              "from scipy.signal import convolve2d\nfrom . import local\n"
              "def f():\n    import matplotlib.pyplot as plt\n")
    assert requirements.imported_modules(source) == {"numpy", "os", "scipy", "matplotlib"}


def test_requirements_pin_what_the_chapter_and_convlab_import_at_the_tested_versions(tmp_path):
    notebook = _notebook(tmp_path, "import numpy as np\nimport convlab", "import scipy.ndimage")
    text = requirements.requirements_txt([notebook], CONVLAB, CONSTRAINTS)
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    pinned = requirements.pins(CONSTRAINTS)
    names = {line.split("==")[0].lower() for line in lines}
    # the chapter's, convlab's (anywidget, matplotlib, pillow) and the student's tools
    assert {"numpy", "scipy", "anywidget", "matplotlib", "pillow", "jupyterlab", "notebook",
            "nbgrader", "ipykernel", "ipywidgets"} <= names
    assert "torch" not in names and "jupyter-book" not in names and "pytest" not in names
    for line in lines:  # every line is constraints.txt's own, but for pip's setuptools
        name = line.split("==")[0]
        assert line == pinned.get(requirements.canonicalize_name(name), "setuptools"), line


def test_an_import_no_package_provides_is_the_instructors_mistake(tmp_path):
    notebook = _notebook(tmp_path, "import no_such_module_anywhere")
    with pytest.raises(InstructorError, match="no_such_module_anywhere"):
        requirements.requirements_txt([notebook], CONVLAB, CONSTRAINTS)


def test_a_package_constraints_txt_does_not_pin_is_refused(tmp_path):
    notebook = _notebook(tmp_path, "import numpy")
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("\n".join(line for line in CONSTRAINTS.read_text().splitlines()
                                     if not line.startswith("numpy==")))
    with pytest.raises(InstructorError, match=r"no version for \['numpy'\].*make lock"):
        requirements.requirements_txt([notebook], CONVLAB, constraints)


def test_readme_says_how_to_install_run_and_hand_in(tmp_path):
    notebook = _notebook(tmp_path, "import numpy")
    handout.write(notebook.parent, CONVLAB, CONSTRAINTS)
    readme = (notebook.parent / "README.md").read_text()
    assert "\n".join(handout.setup_commands("01_x")) in readme
    assert "pip install -r 01_x/requirements.txt" in readme
    assert all(plugin in readme for plugin in handout.LAB_PLUGINS_OFF)
    assert "jupyter lab 01_x/01_x.ipynb" in readme
    assert "Hand in the one file `01_x/01_x.ipynb`" in readme
    assert "<your student id>/01_x/01_x.ipynb" in readme  # the layout `grade` reads
    assert (notebook.parent / "requirements.txt").read_text().count("numpy==") == 1
