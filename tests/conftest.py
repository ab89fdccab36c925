"""Shared test set-up."""

import os
import sys
from pathlib import Path

# Tools installed in the venv (nbgrader's gradebook calls the `alembic` command, jupyter
# starts kernels) must be found even when pytest runs as .venv/bin/python without activation.
_VENV_BIN = str(Path(sys.executable).parent)
if _VENV_BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _VENV_BIN + os.pathsep + os.environ.get("PATH", "")
