"""``python -m autograder``: see :mod:`autograder.cli`."""

import sys

# jsonschema (under nbformat) imports rfc3987_syntax, when installed, for its optional "iri"
# format check; that import compiles 38 lark grammars, 3-4 s of every command's start.
# Notebook schemas use no "format" keyword, so the command declines it (an ImportError,
# which jsonschema expects).
sys.modules.setdefault("rfc3987_syntax", None)

from .cli import main  # noqa: E402 - after the import guard above

sys.exit(main())
