"""The IPython kernel a notebook runs convlab in, for the modules that register displays."""

from __future__ import annotations

import sys


def shell():
    """The running IPython shell that formats displays, or None (plain Python, or IPython
    not imported: then nothing is shown and nothing needs registering)."""
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    found = get_ipython()
    return found if found is not None and hasattr(found, "display_formatter") else None
