"""Durable small files: atomic replacement, whole-line appends and locked read-modify-write of JSON state.

Every writer of the platform goes through these, so a crash leaves either the old file or the new one, never
half of one. Temporary files start with `.tmp-` in the target's own folder (a rename within one file system
is atomic), and readers of a folder skip them.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

TEMPORARY_PREFIX = ".tmp-"


def fsync_dir(directory: Path) -> None:
    """Make a rename in `directory` durable; best effort (not every file system opens a directory)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def replaced_atomically(path: Path) -> Iterator[Path]:
    """A temporary path beside `path`, not yet created, that replaces `path` when the block ends without error.

    The writer inside the block creates and fills it (a DuckDB file, say); on an error it is removed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=TEMPORARY_PREFIX, suffix=path.suffix)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # the writer creates it
    try:
        yield tmp
        os.replace(tmp, path)  # readers see the old file or the new one, never half of one
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)


def atomic_write(
    path: Path, write: Callable[[IO[Any]], None], *, binary: bool = False, mode: int | None = None
) -> Path:
    """Write `path` through `write(handle)` into a temporary file beside it, fsync, then rename over it.

    `mode` sets the file's permissions before anything is written (0o600 for secrets).
    """
    with replaced_atomically(path) as tmp:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if mode is None else mode)
        if mode is not None:
            os.fchmod(fd, mode)  # the umask cannot widen it, but be exact
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8"})) as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
    return Path(path)


def atomic_write_text(path: Path, text: str, *, mode: int | None = None) -> Path:
    return atomic_write(path, lambda handle: handle.write(text), mode=mode)


def append_lines(path: Path, lines: Sequence[str]) -> None:
    """Append whole lines and fsync. A line torn by an earlier crash is closed first, never glued to."""
    if not lines:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as handle:
        prefix = b""
        if handle.tell() > 0:
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) != b"\n":
                prefix = b"\n"
        handle.write(prefix + "".join(line + "\n" for line in lines).encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())


def read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").splitlines()
    except FileNotFoundError:
        return []


@contextlib.contextmanager
def exclusive_lock(lock_path: Path, *, mode: int = 0o644) -> Iterator[None]:
    """Hold an exclusive flock on `lock_path` (created if missing) across threads and processes."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, mode)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # flock is per open file: threads of one process exclude each other too
        yield
    finally:
        os.close(fd)  # closing releases the lock


@contextlib.contextmanager
def locked_json(path: Path) -> Iterator[dict[str, Any]]:
    """Read-modify-write a small JSON state file under an exclusive lock, replaced atomically."""
    with exclusive_lock(path.with_suffix(".lock")):
        state = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        yield state
        atomic_write_text(path, json.dumps(state))
