"""What a student gets beside a released notebook: its requirements.txt and a README.md.

The README says, for that chapter, how to install (from the requirements.txt alone), how to
switch off the nbgrader parts a student cannot use, how to work and validate, and what to
hand in, in the layout `python -m autograder grade` reads.
"""

from __future__ import annotations

from pathlib import Path

from .requirements import requirements_txt

# nbgrader's instructor and exchange parts: the course list, the assignment list (fetch and
# submit through an exchange folder a student's machine does not have), the formgrader and
# the create-assignment toolbar. Left on, the Nbgrader menu's lists open on "Error fetching
# courses!". Validate (its toolbar button and `nbgrader validate`) stays.
LAB_PLUGINS_OFF = ("@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:course-list",
                   "@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                   "@jupyter/nbgrader:menu")
SERVER_EXTENSIONS_OFF = ("nbgrader.server_extensions.assignment_list",
                         "nbgrader.server_extensions.course_list",
                         "nbgrader.server_extensions.formgrader")


def setup_commands(chapter: str) -> list[str]:
    """The shell lines that make a student's environment for `chapter`, in order."""
    return [
        "python3 -m venv .venv",
        ". .venv/bin/activate",
        f"pip install -r {chapter}/requirements.txt",
        "jupyter labextension disable --level=sys_prefix " + " ".join(LAB_PLUGINS_OFF),
        "jupyter server extension disable --sys-prefix " + " ".join(SERVER_EXTENSIONS_OFF),
    ]


README = """\
# {chapter}

This folder is one chapter of *Convolutions in Deep Learning*: the notebook
`{notebook}`, the helper package `convlab/` it imports (diagrams, animations and
widgets; keep it next to the notebook), and `requirements.txt`, the exact versions of
everything the notebook needs.

## Set up, once (Python 3.11 or newer)

From the folder that holds `{chapter}/` (where you unzipped `{chapter}.zip`):

```bash
{setup}
```

On Windows, activate with `.venv\\Scripts\\activate` instead of the second line. The last
two lines switch off nbgrader's course and assignment lists and its instructor tools,
which need your instructor's server; the **Validate** button stays.

## Work

```bash
jupyter lab {chapter}/{notebook}      # or: jupyter notebook {chapter}/{notebook}
```

Run all cells: the figures and widgets appear and the run stops at the first exercise
(`NotImplementedError`). Write your answer in place of `raise NotImplementedError()` and
run the check cell below it: each visible check prints `✓`, or `✗` with what it expected
and what it got. Before you hand in, press **Validate** in the notebook's toolbar (or run
`nbgrader validate {chapter}/{notebook}`): it reruns the notebook from the top and lists
the checks that still fail. Grading adds hidden checks on many random cases.

## Hand in

Hand in the one file `{chapter}/{notebook}`, saved, under that name: upload it to the
assignment `{chapter}` on your course's site (Canvas or Moodle). Do not hand in
`convlab/` or `requirements.txt`. If your instructor collects folders instead, the grader
reads `<your student id>/{chapter}/{notebook}` (for example
`alice/{chapter}/{notebook}`): one notebook per assignment folder.
"""


def readme(chapter: str, notebook: str) -> str:
    return README.format(chapter=chapter, notebook=notebook,
                         setup="\n".join(setup_commands(chapter)))


def write(folder: Path, convlab: Path, constraints: Path) -> None:
    """Write requirements.txt and README.md into a released chapter's `folder`."""
    notebooks = sorted(folder.glob("*.ipynb"))
    (folder / "requirements.txt").write_text(
        requirements_txt(notebooks, convlab, constraints), encoding="utf-8")
    names = ", ".join(nb.name for nb in notebooks)
    (folder / "README.md").write_text(readme(folder.name, names), encoding="utf-8")
