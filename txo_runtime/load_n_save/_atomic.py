"""Atomic file replacement shared by every writer.

A writer never opens the target. It gets a temporary path in the *same* folder (so the final
``os.replace`` is a rename on one file system, atomic on POSIX and Windows), writes there,
and only a writer that returned normally gets its file moved over the target. On any
exception — including ``KeyboardInterrupt`` — the temporary file is removed and an existing
target is left byte-identical.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_target"]

logger = logging.getLogger(__name__)

_MAX_PREFIX = 80  # keeps temp names well below the 255-byte file-name limit
_CREATE_ATTEMPTS = 100


def _create_temp(target: Path) -> Path:
    """Create an empty, unique temp file next to ``target``.

    Hand-written instead of ``tempfile.mkstemp`` because mkstemp always creates mode 0600;
    ``os.open(..., 0o666)`` lets the kernel apply the umask, giving exactly the permissions
    a plain ``open(target, "w")`` would (reading the umask with ``os.umask`` would briefly
    change it for every thread of the process). The suffix keeps the real extension so
    libraries that look at it (pandas' Excel writer) behave as for the target.
    """
    prefix = f".{target.name[:_MAX_PREFIX]}."
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(_CREATE_ATTEMPTS):
        candidate = target.with_name(f"{prefix}{secrets.token_hex(4)}.tmp{target.suffix}")
        try:
            fd = os.open(candidate, flags, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return candidate
    raise FileExistsError(errno.EEXIST, "No unused temporary file name", str(target))


def _copy_mode_of_existing(target: Path, temp: Path) -> None:
    """Overwriting a file keeps its permissions, as an in-place write would."""
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        return
    os.chmod(temp, mode)


def _fsync_file(path: Path) -> None:
    # "r+b" because Windows refuses to flush a read-only handle.
    with open(path, "r+b") as handle:
        os.fsync(handle.fileno())


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX only; Windows cannot open folders)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_quietly(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


@contextlib.contextmanager
def atomic_target(target: Path, *, fsync: bool = True) -> Iterator[Path]:
    """Yield a temp path to write; on success it atomically becomes ``target``.

    ``fsync`` flushes the data (and the folder entry) to disk before and after the rename, so
    even a power cut leaves either the old or the new file, never a truncated one.
    """
    temp = _create_temp(target)
    try:
        yield temp
        _copy_mode_of_existing(target, temp)
        if fsync:
            _fsync_file(temp)
        os.replace(temp, target)
    except BaseException:
        _remove_quietly(temp)
        raise
    if fsync:
        _fsync_folder(target.parent)
    logger.debug("Wrote %s", target)
