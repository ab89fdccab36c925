"""``collect``: an LMS's submissions download -> ``<student_id>/<assignment_id>/<notebook>.ipynb``.

The two downloads it reads, as the LMS names their files:

Canvas, assignment page → "Download Submissions": a zip of loose files named
``<login>_<user id>_<file id>_<file name>``, with ``late`` inserted after the login when
Canvas counted the submission late (``smithbob_late_340934_208490284_hw.ipynb``); a file a
student uploaded again under the same name gets Canvas's ``-1``, ``-2`` ... suffix before its
extension. The login is the student's sortable name, lower case, without spaces or
punctuation. Sources: otter-grader's ``CanvasParser`` (otter/grade/metadata.py:
"somestudent_12345_67890_SomeStudent.ipynb -> somestudent"), the canvas-unzipper README
(mikewesthad/canvas-unzipper: ``smithbob_340934_208490284_BobsWork.zip``) and the
Canvas_submission_sort README (TimHanneman: "an extra field if the assignment was
submitted late", resubmissions numbered "before the file extension"). Canvas's zip records
no submission time: the time is unknown, and Canvas's late marker is recorded.

Moodle, assignment → "Download all submissions": a zip with one folder per student and
submission plugin, ``<Full Name>_<participant id>_assignsubmission_file_/`` holding the
files as uploaded (older Moodle, or "download as folders" off: the same prefix on each
file). Moodle builds the prefix in mod/assign/locallib.php ``download_submissions``:
``clean_filename(fullname . '_' . get_uniqueid_for_user(userid))`` after replacing ``_`` in
the name with spaces, then ``'_' . subtype . '_' . type . '_'`` (so the name holds no
underscore); with blind marking the name is "Participant". The participant id is the
number Moodle's grading worksheet shows as "Participant 1234567". The zip records no
time either; Moodle's grading worksheet (assignment → "Download grading worksheet") has
"Last modified (submission)": pass it with ``--worksheet`` and each time is taken from it.

Students are matched through the roster (:mod:`.roster`; the columns used, :func:`read_roster`).
Every file of the download is accounted for: placed, or listed with the reason it could
not be (not a notebook, unknown student, no assignment of that name, superseded by a later
upload, ...). The list is written to ``<out>/collections/<download>.csv`` and printed.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

from . import csv_table, timestamps
from . import roster as roster_csv

MAX_FILE_BYTES = 64 << 20  # a notebook larger than this is listed, not extracted (zip bombs)
CANVAS = re.compile(r"^(?P<login>[^\W_]+)(?P<late>_late)?_(?P<user>\d+)_(?P<file>\d+)_"
                    r"(?P<name>.+)$")
MOODLE = re.compile(r"^(?P<fullname>[^_/]+)_(?P<participant>\d+)_assign(?P<plugin>submission_"
                    r"[a-z]+)_(?P<rest>.*)$")
RESUBMITTED = re.compile(r"^(?P<stem>.+?)-(?P<n>\d+)$")
MOODLE_TIME = "%A, %d %B %Y, %I:%M %p"  # the worksheet's "Friday, 9 October 2026, 11:59 PM"


class CollectError(ValueError):
    """An instructor's mistake in the command's inputs: nothing was written."""


@dataclass(frozen=True)
class Placed:
    student_id: str
    assignment_id: str
    notebook: str  # the file name it is written as
    source: str  # its path in the download
    submitted: datetime | None  # None: the LMS recorded no time
    lms_late: bool  # Canvas marked it late
    data: bytes


@dataclass(frozen=True)
class Unplaced:
    source: str
    reason: str


@dataclass
class Collection:
    lms: str
    placed: list[Placed]
    unplaced: list[Unplaced]


@dataclass(frozen=True)
class Student:
    student_id: str
    canvas_id: str = ""  # roster column "ID": Canvas's user id
    login: str = ""  # the Canvas login: "SIS Login ID", or the squashed "Student" name
    participant: str = ""  # roster column "Participant": Moodle's participant id
    full_name: str = ""  # "Full name", or "First name" + "Last name"
    email: str = ""  # "Email address"


def read_roster(path: Path) -> list[Student]:
    """The roster: ``student_id`` (the submission folder's name) and the LMS's identities.

    Canvas is matched on ``ID`` (Canvas's user id, the ``ID`` column of its gradebook
    export), else on the login in the file name against ``SIS Login ID`` or the ``Student``
    name ("Smith, Bob" -> "smithbob"). Moodle is matched on ``Participant`` (the id in the
    grading worksheet's "Identifier"), else on ``Email address`` through ``--worksheet``,
    else on the full name (``Full name``, or ``First name`` and ``Last name``).
    """
    students = []
    for row in roster_csv.read(path).rows:
        name = row.get("Full name") or " ".join(
            p for p in (row.get("First name", ""), row.get("Last name", "")) if p)
        students.append(Student(
            row["student_id"], row.get("ID", ""),
            row.get("SIS Login ID", "") or _squash(row.get("Student", "")),
            row.get("Participant", "").removeprefix("Participant").strip(), name,
            row.get("Email address", "")))
    return students


def _squash(name: str) -> str:
    """Canvas's login part of a file name: "Smith, Bob" -> "smithbob"."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def read_worksheet(path: Path, zone: tzinfo) -> dict[str, tuple[datetime | None, str]]:
    """Moodle's grading worksheet: participant id -> (submission time or None, email)."""
    table = csv_table.read(path, "the worksheet", CollectError)
    need = ["Identifier", "Last modified (submission)"]
    missing = [c for c in need if c not in table.columns]
    if missing:
        raise CollectError(f"{path} is not a Moodle grading worksheet: no column(s) "
                           f"{', '.join(missing)}")
    found = {}
    for line, row in table.rows:
        participant = row["Identifier"].removeprefix("Participant").strip()
        when = row["Last modified (submission)"]
        moment = None
        if when and when != "-":
            try:
                moment = datetime.strptime(when, MOODLE_TIME).replace(tzinfo=zone)
            except ValueError:
                raise CollectError(f"{path}, line {line}: 'Last modified (submission)' {when!r} "
                                   "is not Moodle's English date form, e.g. 'Friday, 9 October "
                                   "2026, 11:59 PM'") from None
        found[participant] = (moment, row.get("Email address", ""))
    return found


def entries(download: Path) -> list[tuple[str, bytes | None, str]]:
    """(path in the download, bytes or None, why not) of every file in a zip or folder."""
    if download.is_file():
        try:
            archive = zipfile.ZipFile(download)
        except (zipfile.BadZipFile, OSError) as error:
            raise CollectError(f"{download} is neither a folder nor a zip file ({error})") from None
        found = []
        with archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                if info.file_size > MAX_FILE_BYTES:
                    found.append((info.filename, None, f"larger than {MAX_FILE_BYTES >> 20} MB"))
                    continue
                try:
                    found.append((info.filename, archive.read(info), ""))
                except (zipfile.BadZipFile, OSError, RuntimeError) as error:
                    found.append((info.filename, None, f"cannot be extracted ({error})"))
        return found
    if not download.is_dir():
        raise CollectError(f"the download {download} does not exist")
    found = []
    for root, dirs, files in os.walk(download):  # os.walk does not follow linked folders
        for name in sorted(dirs + files):
            path = Path(root) / name
            rel = path.relative_to(download).as_posix()
            if path.is_symlink():
                found.append((rel, None, "a symbolic link"))
            elif name in files and not path.is_file():
                found.append((rel, None, "not a regular file"))
            elif name in files and path.stat().st_size > MAX_FILE_BYTES:
                found.append((rel, None, f"larger than {MAX_FILE_BYTES >> 20} MB"))
            elif name in files:
                found.append((rel, path.read_bytes(), ""))
        dirs[:] = [d for d in dirs if not (Path(root) / d).is_symlink()]
    return sorted(found)


def detect(paths: list[str]) -> str:
    """Which LMS named these files: "moodle", "canvas" (or CollectError)."""
    moodle = sum(any(MOODLE.match(part) for part in p.split("/")) for p in paths)
    canvas = sum(bool(CANVAS.match(p.rsplit("/", 1)[-1])) for p in paths)
    if not moodle and not canvas:
        raise CollectError("no file in the download is named as Canvas (login_userid_fileid_name) "
                           "or Moodle (Full Name_id_assignsubmission_file_/) name them")
    return "moodle" if moodle >= canvas else "canvas"


def collect(download: Path, roster: list[Student], notebooks: dict[str, str],
            assignment: str | None = None, worksheet: dict | None = None) -> Collection:
    """Place every file of ``download``.

    ``notebooks``: a source notebook's file name -> its assignment id (to tell the
    assignment from the notebook's name); ``assignment``: every notebook is for it.
    """
    files = entries(download)
    lms = detect([p for p, _, _ in files])
    placed: dict[tuple[str, str, str], tuple[int, Placed]] = {}
    unplaced = []
    for source, data, problem in files:
        found = (_canvas if lms == "canvas" else _moodle)(source, roster, worksheet or {})
        if isinstance(found, str):
            unplaced.append(Unplaced(source, found))
            continue
        student, name, submitted, late = found
        if problem:
            unplaced.append(Unplaced(source, f"{student.student_id}: {problem}"))
            continue
        if not name.lower().endswith(".ipynb"):
            unplaced.append(Unplaced(source, f"{student.student_id}: not a notebook "
                                             f"({Path(name).suffix or 'no extension'})"))
            continue
        name, number = _resubmission(name) if lms == "canvas" else (name, 0)
        target = assignment or notebooks.get(name)
        if target is None:
            unplaced.append(Unplaced(source, f"{student.student_id}: {name} is no chapter's "
                                             "notebook; pass --assignment ID to place it"))
            continue
        key = (student.student_id, target, name)
        entry = Placed(student.student_id, target, name, source, submitted, late, data)
        if key in placed:  # the same notebook twice: the later upload (higher -N) wins
            kept_number, kept = placed[key]
            if number > kept_number:
                placed[key] = (number, entry)
                entry, kept = kept, entry
            unplaced.append(Unplaced(entry.source, f"{student.student_id}: superseded by "
                                                   f"{kept.source}"))
            continue
        placed[key] = (number, entry)
    return Collection(lms, [p for _, p in placed.values()], unplaced)


def _resubmission(name: str) -> tuple[str, int]:
    """Canvas's resubmission suffix: ("01_convolution-2.ipynb") -> ("01_convolution.ipynb", 2)."""
    stem, dot, ext = name.rpartition(".")
    match = RESUBMITTED.match(stem)
    if match is None:
        return name, 0
    return f"{match['stem']}{dot}{ext}", int(match["n"])


def _canvas(source: str, roster: list[Student], _worksheet):
    base = source.rsplit("/", 1)[-1]
    match = CANVAS.match(base)
    if match is None:
        return "not named as Canvas names submissions (login_userid_fileid_name)"
    by_id = [s for s in roster if s.canvas_id and s.canvas_id == match["user"]]
    by_login = [s for s in roster if s.login and s.login.lower() == match["login"].lower()]
    found = by_id or by_login
    if len(found) != 1:
        why = "two roster students" if found else "no roster student"
        return (f"{why} with Canvas ID {match['user']} or login {match['login']} "
                "(roster columns ID, SIS Login ID, Student)")
    return found[0], match["name"], None, bool(match["late"])


def _moodle(source: str, roster: list[Student], worksheet: dict):
    parts = source.split("/")
    hit = next(((i, m) for i, part in enumerate(parts) if (m := MOODLE.match(part))), None)
    if hit is None:
        return "not in a folder named as Moodle names them (Full Name_id_assignsubmission_file_)"
    i, match = hit
    name = "/".join(([match["rest"]] if match["rest"] else []) + parts[i + 1:])
    if match["plugin"] != "submission_file":
        return f"from Moodle's {match['plugin'].split('_')[1]} submission, not a file upload"
    if "/" in name:
        return "in a subfolder of the student's submission; only top-level files are placed"
    participant = match["participant"]
    submitted, email = worksheet.get(participant, (None, ""))
    full = match["fullname"].strip().lower()
    found = ([s for s in roster if s.participant == participant]
             or [s for s in roster if email and s.email.lower() == email.lower()]
             or [s for s in roster if s.full_name and s.full_name.lower() == full])
    if len(found) != 1:
        why = "two roster students" if found else "no roster student"
        return (f"{why} for participant {participant} ({match['fullname']}) (roster columns "
                "Participant, Email address with --worksheet, Full name or First/Last name)")
    return found[0], name, submitted, False


def existing(out: Path, collection: Collection, download: Path) -> list[str]:
    """What an earlier collection left that this one would overwrite."""
    clashes = sorted({f"{p.student_id}/{p.assignment_id}/" for p in collection.placed
                      if (out / p.student_id / p.assignment_id).exists()})
    log = log_path(out, download)
    return ([str(log.relative_to(out))] if log.exists() else []) + clashes


def log_path(out: Path, download: Path) -> Path:
    return out / "collections" / f"{download.name.removesuffix('.zip')}.csv"


def write(out: Path, collection: Collection, download: Path, force: bool = False) -> Path:
    """Write the submissions and the list of every file; return that list's path.

    Each submission folder is staged whole beside its place and renamed into it; the list
    is written last. Without ``force`` nothing an earlier collection wrote is replaced.
    """
    clashes = existing(out, collection, download)
    if clashes and not force:
        shown = ", ".join(clashes[:5]) + (f" and {len(clashes) - 5} more" if len(clashes) > 5
                                          else "")
        raise CollectError(f"{out} already holds an earlier collection ({shown}); pass --force "
                           "to replace it")
    out.mkdir(parents=True, exist_ok=True)
    from .atomic import atomic_write  # the one atomic writer of the grader's outputs
    stage = Path(tempfile.mkdtemp(prefix=".collect-", dir=out))  # hidden: grade skips it
    try:
        folders: dict[tuple[str, str], list[Placed]] = {}
        for p in collection.placed:
            folders.setdefault((p.student_id, p.assignment_id), []).append(p)
        for (student, assignment), files in sorted(folders.items()):
            new = stage / "new" / student / assignment
            new.mkdir(parents=True)
            for p in files:
                (new / p.notebook).write_bytes(p.data)
            times = [p.submitted for p in files if p.submitted is not None]
            if times:
                (new / timestamps.FILE).write_text(timestamps.format_time(max(times)) + "\n")
            target = out / student / assignment
            target.parent.mkdir(exist_ok=True)
            if target.exists():
                old = stage / "old" / student
                old.mkdir(parents=True, exist_ok=True)
                target.rename(old / assignment)
            new.rename(target)
        log = log_path(out, download)
        atomic_write(log, _log(collection))
        return log
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _log(collection: Collection) -> str:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["source", "placed", "student_id", "assignment", "notebook", "submitted",
                     "lms_late", "reason"])
    for p in sorted(collection.placed, key=lambda p: p.source):
        writer.writerow([p.source, "yes", p.student_id, p.assignment_id, p.notebook,
                         timestamps.format_time(p.submitted) if p.submitted else "unknown",
                         "yes" if p.lms_late else "", ""])
    for u in sorted(collection.unplaced, key=lambda u: u.source):
        writer.writerow([u.source, "no", "", "", "", "", "", u.reason])
    return text.getvalue()

