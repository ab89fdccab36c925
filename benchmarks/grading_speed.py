"""Grading speed: `python -m autograder grade --jobs 2` vs sequential `nbgrader autograde`.

The same batch (8 correct submissions of one chapter: the source notebook with its hidden
tests removed, i.e. a released notebook with every answer filled in) is graded both
ways in one run. Prints both times, the speed-up (target >= 2.4x on 2 cores, measured on a
quiet machine) and seconds per notebook.

    .venv/bin/python benchmarks/grading_speed.py [--chapter 01_convolution] [--students 8]

Without --chapter it uses 01_convolution when that chapter exists and parses, else the
test fixture chapter.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbgrader.preprocessors import ClearHiddenTests

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from autograder.checks import CHECKS  # noqa: E402 - after the path set-up
from autograder.course.source import SourceError, parse_template  # noqa: E402
from autograder.course.student import nbgrader_config  # noqa: E402

FIXTURE = PROJECT / "tests" / "fixtures" / "chapters"


def pick_chapter(name: str | None) -> tuple[Path, str]:
    """(chapters folder, assignment id)."""
    if name:
        return PROJECT / "chapters", name
    real = PROJECT / "chapters" / "01_convolution" / "01_convolution.ipynb"
    if real.exists():
        try:
            parse_template(real.read_text(), CHECKS)
            return PROJECT / "chapters", "01_convolution"
        except (SourceError, ValueError) as error:
            print(f"01_convolution is not gradable yet ({error}); using the fixture")
    return FIXTURE, "00_fixture"


def answered(source: Path) -> str:
    """The source notebook as a perfect student would hand it in."""
    nb = nbformat.read(source, as_version=4)
    clear = ClearHiddenTests(config=nbgrader_config())
    for cell in nb.cells:
        clear._remove_hidden_test_region(cell)
    return nbformat.writes(nb)


def timed(argv: list[str], cwd: Path) -> float:
    """Wall-clock seconds of a command (the host's other load counts too: run it quietly)."""
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv[:4])} failed:\n{done.stderr[-3000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chapter")
    parser.add_argument("--students", type=int, default=8)
    args = parser.parse_args()
    chapters, assignment = pick_chapter(args.chapter)
    source = chapters / assignment / f"{assignment}.ipynb"
    submission = answered(source)
    template = parse_template(source.read_text(), CHECKS)
    with tempfile.TemporaryDirectory(prefix="grading-speed-") as tmp:
        course = Path(tmp)
        (course / "source").mkdir()
        (course / "source" / assignment).symlink_to(chapters / assignment)
        (course / "nbgrader_config.py").write_text(
            "c = get_config()\n"
            f"load_subconfig({str(PROJECT / 'autograder' / 'nbgrader_config.py')!r})\n"
            f"c.CourseDirectory.root = {str(course)!r}\n"
            "c.CourseDirectory.source_directory = 'source'\n"
            "c.CourseDirectory.release_directory = 'release'\n"
            "c.CourseDirectory.submitted_directory = 'submitted'\n"
            "c.CourseDirectory.autograded_directory = 'autograded'\n"
            "c.CourseDirectory.feedback_directory = 'feedback'\n"
            f"c.CourseDirectory.db_url = 'sqlite:///{course / 'gradebook.db'}'\n")
        nbgrader = [str(Path(sys.executable).parent / "nbgrader")]
        timed(nbgrader + ["generate_assignment", assignment, "--force"], course)
        for i in range(args.students):
            folder = course / "submitted" / f"student{i:02d}" / assignment
            folder.mkdir(parents=True)
            (folder / f"{assignment}.ipynb").write_text(submission)

        plain = timed(nbgrader + ["autograde", assignment, "--force"], course)
        ours = timed([sys.executable, "-m", "autograder", "grade", str(course / "submitted"),
                      "--out", str(course / "graded"), "--jobs", "2", "--force",
                      "--chapters", str(chapters)], PROJECT)

        rows = list(csv.DictReader((course / "graded" / "grades.csv").open()))
        full = sum(float(r["score"]) == template.max_score for r in rows)
        n = args.students
        print(f"chapter {assignment}: {n} correct submissions, {template.max_score:g} points each")
        print(f"plain nbgrader autograde (sequential): {plain:7.1f} s  {plain / n:5.2f} s/notebook")
        print(f"python -m autograder grade --jobs 2:   {ours:7.1f} s  {ours / n:5.2f} s/notebook")
        print(f"speed-up: {plain / ours:.2f}x (target >= 2.4x); full marks from the autograder: "
              f"{full}/{n}")
        shutil.rmtree(course / "graded", ignore_errors=True)


if __name__ == "__main__":
    main()
