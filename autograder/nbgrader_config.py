"""nbgrader configuration of the course.

`python -m autograder release|grade` load it; it also makes plain nbgrader work from the
project root (``nbgrader generate_assignment 01_convolution --config
autograder/nbgrader_config.py``), with the chapters as nbgrader's ``source`` step.
"""

import os

c = get_config()  # noqa: F821 - injected by traitlets when it executes this file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # noqa: F821

c.CourseDirectory.root = ROOT
c.CourseDirectory.source_directory = "chapters"
c.CourseDirectory.release_directory = os.path.join("build", "nbgrader", "release")
c.CourseDirectory.submitted_directory = os.path.join("build", "nbgrader", "submitted")
c.CourseDirectory.autograded_directory = os.path.join("build", "nbgrader", "autograded")
c.CourseDirectory.feedback_directory = os.path.join("build", "nbgrader", "feedback")
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(ROOT, "build", "nbgrader", "gradebook.db")
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.zip"]

# The chapters' exercise markers (nbgrader's defaults, spelled out because the grader
# parses the same markers to find solutions and hidden checks).
c.ClearSolutions.begin_solution_delimeter = "BEGIN SOLUTION"
c.ClearSolutions.end_solution_delimeter = "END SOLUTION"
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearHiddenTests.begin_test_delimeter = "BEGIN HIDDEN TESTS"
c.ClearHiddenTests.end_test_delimeter = "END HIDDEN TESTS"

# Plain `nbgrader autograde` (the benchmark's baseline) uses nbgrader's own limits.
c.Execute.timeout = 30
