"""Release, grade and export the chapters: ``python -m autograder release|grade|export`` (see
cli.py)."""

from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
