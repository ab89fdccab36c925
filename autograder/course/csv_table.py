"""An instructor's CSV file (the roster, Moodle's grading worksheet, the overrides), read one way.

Each comes from a spreadsheet or an LMS export and is read whole before anything is written,
so a bad file leaves no output half-written. The header's names and every cell are stripped of
spaces; blank rows (a spreadsheet leaves them at the end) are skipped; a short row's missing
cells are empty. Refused, with the file and the line: a file that is not UTF-8 (Excel's "CSV
UTF-8" byte-order mark is skipped; any other encoding is refused rather than guessed, since a
guess that mangles one accented name misfiles that student), an open quote (it would swallow
the rest of the file into one cell), a row with more cells than the header has columns (an
unquoted comma inside a name), and a column named twice.

Each caller raises its own error type (``error``), the one its command already reports.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Table:
    columns: list[str]  # the header's non-empty names, in order
    rows: list[tuple[int, dict[str, str]]]  # (its line in the file, column -> cell)


def read(path: Path, what: str, error: type[Exception]) -> Table:
    """``path`` read as :func:`parse` does; ``what`` names it in messages ("the roster")."""
    try:
        data = path.read_bytes()
    except OSError as problem:
        raise error(f"cannot read {what} {path}: {problem.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as problem:
        line = data[:problem.start].count(b"\n") + 1
        raise error(f"{what} {path}, line {line}: not UTF-8 text (byte "
                    f"{data[problem.start]:#04x}): save it as 'CSV UTF-8'") from None
    return parse(text, path, what, error)


def parse(text: str, path: Path, what: str, error: type[Exception]) -> Table:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        table = list(reader)
    except csv.Error as problem:
        raise error(f"{what} {path}, line {reader.line_num}: {problem}") from None
    header = [c.strip() for c in table[0]] if table else []
    twice = sorted({c for c in header if c and header.count(c) > 1})
    if twice:
        raise error(f"{what} {path} has the column(s) {', '.join(map(repr, twice))} twice in "
                    "its header")
    rows = []
    for line, cells in enumerate(table[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            raise error(f"{what} {path}, line {line}: {len(cells)} cells but the header has "
                        f"{len(header)} columns (a comma inside a name needs quotes)")
        given = dict(zip(header, (c.strip() for c in cells), strict=False))
        rows.append((line, {c: given.get(c, "") for c in header if c}))
    return Table([c for c in header if c], rows)
