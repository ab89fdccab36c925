"""Release and grade the chapters: ``python -m autograder release|grade`` (see cli.py)."""

from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
