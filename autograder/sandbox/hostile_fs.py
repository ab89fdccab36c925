"""Reading what a student's kernel wrote, without letting the kernel steer the read.

The kernel owns the files the grader reads back (recorded outputs) and the directory its
sockets live in. A path into its world can be a symlink (to the instructor's files), a
FIFO (an ``open`` that never returns), a huge file, or a directory swapped between two
steps. So the grader opens each directory it reads from *once*, before any student code
runs, and afterwards only opens single names relative to that descriptor
(``openat``), never following a link and never blocking, and reads regular files only,
with a size bound.
"""

from __future__ import annotations

import errno
import os
import stat

_NO_FOLLOW = os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NOCTTY


class UnsafeFile(OSError):
    """A name in the kernel's world that is not a plain, small enough, regular file."""


def open_directory(path: str) -> int:
    """A descriptor of the directory ``path`` (itself not a symlink); the caller closes it."""
    return os.open(path, os.O_RDONLY | os.O_DIRECTORY | _NO_FOLLOW)


def open_path(directory: int, name: str) -> int:
    """An ``O_PATH`` descriptor of ``name`` in ``directory`` (pins the inode, e.g. a socket)."""
    _check_name(name)
    return os.open(name, os.O_PATH | _NO_FOLLOW, dir_fd=directory)


def read_regular(directory: int, name: str, max_bytes: int) -> bytes:
    """The bytes of the regular file ``name`` in ``directory``.

    Raises FileNotFoundError if there is none, :class:`UnsafeFile` (saying why) if it is
    a link, a FIFO, a device, a directory or larger than ``max_bytes``.
    """
    _check_name(name)
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | _NO_FOLLOW, dir_fd=directory)
    except FileNotFoundError:
        raise
    except OSError as error:  # whatever the kernel made of the name
        raise UnsafeFile("is a symbolic link" if error.errno == errno.ELOOP else
                         f"cannot be opened safely ({error.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFile(f"is not a regular file (mode {stat.filemode(info.st_mode)})")
        if info.st_size > max_bytes:
            raise UnsafeFile(f"is larger than {max_bytes} bytes")
        chunks, size = [], 0
        while chunk := os.read(fd, min(1 << 20, max_bytes + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:  # it grew while we read
                raise UnsafeFile(f"is larger than {max_bytes} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _check_name(name: str) -> None:
    if not name or "/" in name or name in (".", ".."):
        raise ValueError(f"expected a single file name, got {name!r}")
