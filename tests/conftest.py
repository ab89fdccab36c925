"""Shared test set-up."""

import os
import sys
from pathlib import Path

# Tools installed in the venv (nbgrader's gradebook calls the `alembic` command, jupyter
# starts kernels) must be found even when pytest runs as .venv/bin/python without activation.
_VENV_BIN = str(Path(sys.executable).parent)
if _VENV_BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _VENV_BIN + os.pathsep + os.environ.get("PATH", "")


def pytest_collection_modifyitems(config, items):
    """Tests that grade as the one ordinary test user (tests/ordinary_user.py) run on one
    xdist worker (`--dist loadgroup`, Makefile): that user's processes share its per-uid
    limits, so a fork bomb graded for one test would starve a kernel another test runs at the
    same time (seen once: a correct submission's kernel failing to start under Dask)."""
    import pytest

    uses_user = {}
    for item in items:
        path = getattr(item.module, "__file__", None)
        if path not in uses_user:
            uses_user[path] = path is not None and "ordinary_user" in Path(path).read_text()
        if uses_user[path]:
            item.add_marker(pytest.mark.xdist_group("ordinary_user"))
