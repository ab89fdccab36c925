"""Each student's own hidden cases: seeds derived from a course secret.

With one seed for everyone, a class could pool the cases (and the expected values the
feedback shows) and answer them without the function. So each student's seed is
``HMAC(secret, student_id, assignment_id)``: different between students, and unguessable
without the secret. A kernel sees the inputs it is called with, so a student could print
them and resubmit a table of answers: each submission's cases are therefore drawn from
that seed *and a digest of the student's answer cells* (:func:`submission_seed`, computed
where the submission is graded, the same on a Dask worker as here). A regrade of the same
submission draws the same cases; any change to an answer cell draws new ones.
The secret stays with the instructor: it is created beside the course on first use,
never released, and only seeds (not the secret) travel to a grading worker.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path


class SecretError(Exception):
    """The secret file exists but cannot be trusted or used."""


def load_or_create(path: Path) -> bytes:
    """The course secret in ``path`` (created, readable by its owner only, if absent)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        raise SecretError(f"course secret {path}: cannot be read ({error.strerror})") from None
    with os.fdopen(fd) as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise SecretError(f"course secret {path}: not a regular file")
        if info.st_mode & 0o077:
            raise SecretError(f"course secret {path}: readable by others (mode "
                              f"{stat.filemode(info.st_mode)}); chmod 600 it")
        text = f.read(4096).strip()
    if len(text) < 32:
        raise SecretError(f"course secret {path}: expected at least 32 characters")
    return text.encode()


def case_seed(secret: bytes, student_id: str, assignment_id: str) -> int:
    """The seed of one student's hidden cases for one assignment (63 bits)."""
    message = f"{student_id}\0{assignment_id}".encode()
    return int.from_bytes(hmac.new(secret, message, hashlib.sha256).digest()[:8], "little") >> 1


def submission_seed(case_seed: int, answers: list[str]) -> int:
    """The seed of one submission's hidden cases: the student's ``case_seed`` and the text
    of every cell of theirs that runs (``answers``, in order) (63 bits)."""
    h = hashlib.sha256(case_seed.to_bytes(8, "little"))
    for source in answers:
        data = source.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return int.from_bytes(h.digest()[:8], "little") >> 1
