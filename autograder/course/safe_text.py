"""Student-controlled text (file and folder names, notes quoting them) made safe to show the
instructor: in a terminal (``cat problems.csv``, stderr) and in a spreadsheet.

A file name from a zip upload can hold any bytes but ``/`` and NUL: escape sequences that
clear the screen or retitle the terminal, bidirectional overrides that show a name
reversed, bytes that are not UTF-8 (Python reads them as lone surrogates, which cannot
even be written out), or a leading ``=`` that a spreadsheet runs as a formula.
:func:`shown` writes each such character as an escape (``\\x1b`` for a raw byte,
``\\u202e`` for a character), doubles ``\\``, and puts ``'`` before a leading ``= + - @ '``
(what spreadsheets honour to keep a cell text); :func:`raw` undoes it exactly, so the
original bytes stay recoverable from what was written.
"""

from __future__ import annotations

import os
import re
import unicodedata

FORMULA_START = "=+-@'"
# Unicode categories that change how text around them shows rather than being seen:
# controls, format characters (bidi overrides, zero-width), surrogates, line separators.
HIDDEN_CATEGORIES = ("Cc", "Cf", "Cs", "Zl", "Zp")
_ESCAPE = re.compile(r"\\(\\|x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8})")


def _escaped(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (os.fsdecode's surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if char == "\\":
        return "\\\\"
    if unicodedata.category(char) in HIDDEN_CATEGORIES:
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
    return char


def shown(text: str) -> str:
    """``text`` as it may be printed or written into a table cell."""
    out = "".join(_escaped(c) for c in text)
    return "'" + out if out[:1] and out[0] in FORMULA_START else out


def safe(text: str) -> str:
    """Free text (a note that already quotes names with :func:`shown`, a kernel's error
    message) made safe the same way, but with ``\\`` left as it is: readable, not
    reversible."""
    out = "".join(c if c == "\\" else _escaped(c) for c in text)
    return "'" + out if out[:1] and out[0] in FORMULA_START else out


def original(text: str) -> str:
    """The text that :func:`shown` gave ``text`` for (a name's undecodable bytes as
    surrogateescape characters, as os.fsdecode gives them)."""
    if text[:1] == "'" and text[1:2] and text[1] in FORMULA_START:
        text = text[1:]

    def undo(match: re.Match) -> str:
        token = match.group(1)
        if token == "\\":
            return "\\"
        if token[0] == "x":
            return chr(0xDC00 + int(token[1:], 16))
        return chr(int(token[1:], 16))

    return _ESCAPE.sub(undo, text)


def raw(text: str) -> bytes:
    """The bytes of the file name that :func:`shown` gave ``text`` for."""
    return os.fsencode(original(text))


def has_hidden(text: str) -> bool:
    """Whether ``text`` holds a character :func:`shown` escapes (other than ``\\``): a byte
    that was not UTF-8, a control, a format character."""
    return any(_escaped(c) != c for c in text if c != "\\")


def is_plain(text: str) -> bool:
    """Whether ``text`` needs no escape at all (a usable student or file name)."""
    return shown(text) == text
