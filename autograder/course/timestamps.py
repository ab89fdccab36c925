"""When a submission was made: nbgrader's ``timestamp.txt`` in the submission's folder.

``collect`` writes it from the LMS's metadata (ISO 8601 with the offset); an instructor may
write one by hand. No file means the time is unknown: such a submission is never marked
late, and the grade outputs say the time is unknown. nbgrader's own form
(``2026-10-09 23:59:01.000000 UTC``) is read too.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from ..sandbox.hostile_fs import UnsafeFile, open_directory, read_regular

FILE = "timestamp.txt"


class TimestampError(ValueError):
    """A timestamp.txt that is not a time."""


def format_time(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def parse(text: str, zone: tzinfo = UTC) -> datetime:
    """An ISO 8601 time; without an offset it is in ``zone``."""
    text = text.strip()
    if text.endswith(" UTC"):
        text = text.removesuffix(" UTC") + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise TimestampError(f"{text[:60]!r} is not an ISO 8601 time such as "
                             "2026-10-09T23:59:01+02:00") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def read(folder: Path, zone: tzinfo = UTC) -> datetime | None:
    """The submission's time, None when unknown; a link or a bad file is an error."""
    try:
        directory = open_directory(str(folder))
    except OSError:
        return None
    try:
        data = read_regular(directory, FILE, 200)
    except FileNotFoundError:
        return None
    except (UnsafeFile, OSError) as error:
        raise TimestampError(f"{folder / FILE}: {error}") from None
    finally:
        os.close(directory)
    try:
        return parse(data.decode("utf-8"), zone)
    except (UnicodeDecodeError, TimestampError) as error:
        raise TimestampError(f"{folder / FILE}: {error}") from None
