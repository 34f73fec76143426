"""Reading files a student controls: regular files only, no link anywhere below the
folder the grader names, never blocking, never more than a set size.

``O_NOFOLLOW`` alone checks only a path's last component: ``minilstm -> /elsewhere``
followed by ``lstm.py`` would still be read through the link. So each folder below the
root is opened relative to the one above it (``dir_fd``), with ``O_NOFOLLOW`` and
``O_DIRECTORY``; the file itself with ``O_NOFOLLOW | O_NONBLOCK`` (a FIFO opens at once
instead of waiting for a writer) and read only after ``fstat`` says it is a regular
file.
"""

import os
import stat
from pathlib import Path, PurePosixPath

NOFOLLOW_DIR = os.O_RDONLY | os.O_NOFOLLOW | os.O_DIRECTORY
NOFOLLOW_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK


class NotRegular(ValueError):
    """A path that is a link, a FIFO, a device or a folder where a file was expected,
    or a file over its size limit."""


def read_fd(fd: int, limit: int, name: str) -> bytes:
    """At most ``limit`` bytes of the regular file open as ``fd`` (which is closed).

    Raises:
        NotRegular: not a regular file, or longer than ``limit``.
    """
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegular(f"{name} is not a regular file")
        if info.st_size > limit:
            raise NotRegular(f"{name} is over {limit} bytes")
        chunks, size = [], 0
        while size <= limit and (chunk := os.read(fd, min(65536, limit + 1 - size))):
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > limit:  # it grew while read
        raise NotRegular(f"{name} is over {limit} bytes")
    return b"".join(chunks)


def read_regular(path: Path, limit: int) -> bytes:
    """A regular file's content; the last component may not be a link.

    Args:
        path: the file (its folders are taken as they are).
        limit: the most bytes it may hold.

    Raises:
        OSError: it cannot be opened (missing, or a link).
        NotRegular: see ``read_fd``.
    """
    return read_fd(os.open(path, NOFOLLOW_FILE), limit, str(path))


def read_beneath(root: Path, relative: str, limit: int) -> bytes:
    """A regular file below ``root``, reached through no link at all.

    Args:
        root: a folder the grader chose (taken as it is).
        relative: the file's path below it, e.g. "minilstm/lstm.py".
        limit: the most bytes it may hold.

    Raises:
        OSError: a component is missing, a link, or not a folder.
        NotRegular: see ``read_fd``.
        ValueError: ``relative`` climbs out of ``root``.
    """
    parts = PurePosixPath(relative).parts
    if not parts or any(p in ("..", "/", "") for p in parts):
        raise ValueError(f"{relative!r} is not a path below the folder")
    fd = os.open(root, NOFOLLOW_DIR)
    try:
        for folder in parts[:-1]:
            below = os.open(folder, NOFOLLOW_DIR, dir_fd=fd)
            os.close(fd)
            fd = below
        file = os.open(parts[-1], NOFOLLOW_FILE, dir_fd=fd)
    finally:
        os.close(fd)
    return read_fd(file, limit, relative)
