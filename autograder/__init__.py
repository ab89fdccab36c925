"""Release, grade and export the chapters: ``python -m autograder release|grade|export`` (see
cli.py, the one entry point).

The folders are the parts of the grader, and imports only go down:

- the top level orchestrates: ``cli`` (the commands), ``release`` (the student version),
  ``grade`` (one submission in, one record out), ``batch`` (many submissions on this
  machine's cores) and ``cluster`` (the same on a Dask cluster);
- ``outputs/``: what people get (feedback, report, gradebook, exports);
- ``kernel/``: running a notebook in a student kernel (assemble, execute, recorder);
- ``course/``: the course (source notebooks, submissions, secret, records, results);
- ``sandbox/``: the jails the kernels run in;
- ``checks/``: the hidden checks of every chapter, with the reference ``solutions``.

These orchestrators stay at the top because each of them uses several parts at once: a
subpackage of its own would import everything the top level does.
"""

import sys
from pathlib import Path

# jsonschema (imported by nbformat and nbgrader) imports rfc3987_syntax when it is installed,
# only to check "iri" string formats, and that module builds a Lark grammar at import: 1.5 s
# of CPU, measured, before any grading can start. Nothing the grader validates has an IRI
# format, so the checker is left out here (jsonschema skips it on ImportError, as it does
# where the package is not installed). Set before anything imports jsonschema.
sys.modules.setdefault("rfc3987_syntax", None)

PROJECT = Path(__file__).resolve().parents[1]
