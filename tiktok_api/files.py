"""Durable small files: atomic replacement, whole-line appends and locked read-modify-write of JSON state.

Every writer of the platform goes through these, so a crash leaves either the old file or the new one, never
half of one. Temporary files are named `.tmp-<random>.<target suffix>.partial` in the target's own folder (a
rename within one file system is atomic): a dot-file whose name ends in `.partial`, so no reader's glob
(`*.json`, the fetch-file glob of tiktok_api/landing.py, dbt's read_json) ever matches one. A writer killed
before its rename leaves its temporary file behind; the next write into that folder removes those older than
`STALE_TEMPORARY_SECONDS`.

A folder that cannot be written (no permission, a read-only file system, a path under a regular file) raises
`FolderNotWritable`, whose message names the folder in one line.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

TEMPORARY_PREFIX = ".tmp-"
TEMPORARY_SUFFIX = ".partial"
# A temporary file older than this belongs to a writer that died: every writer here fills its temporary file
# and renames it within seconds (a raw fetch is written in one call once its pages are in memory; the BI copy,
# the largest, within a minute), and a live writer keeps its file's mtime fresh while it writes. Age, not a
# lock, decides because several writers may share a folder without one (two runs landing the same partition,
# the alert outbox and the report): removing only old files never pulls a file from under a live writer.
STALE_TEMPORARY_SECONDS = 3600


class FolderNotWritable(OSError):
    """A folder the platform must write to cannot be written; `str()` is one line naming it and why."""

    def __init__(self, folder: Path, reason: str, role: str | None = None) -> None:
        self.folder = Path(folder)
        self.role = role
        self.reason = reason
        super().__init__(f"cannot write to {folder}{f' ({role})' if role else ''}: {reason}")

    def __str__(self) -> str:
        return str(self.args[0])


def _reason(error: OSError) -> str:
    return (error.strerror or type(error).__name__).lower()


@contextlib.contextmanager
def _writing_in(folder: Path, role: str | None = None) -> Iterator[None]:
    """Turn an OSError of creating or writing into `folder` into a FolderNotWritable naming it."""
    try:
        yield
    except FolderNotWritable:
        raise
    except (PermissionError, NotADirectoryError, FileExistsError) as error:
        raise FolderNotWritable(folder, _reason(error), role) from error
    except OSError as error:
        if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR):
            raise FolderNotWritable(folder, _reason(error), role) from error
        raise


def writable_folder(folder: Path, role: str | None = None) -> Path:
    """Create `folder` if missing and prove it writable by creating and removing a temporary file in it.

    A real write, not os.access: root passes every permission check but not a read-only mount or a path under
    a regular file. Raises FolderNotWritable (one line: the folder, its role, the reason).
    """
    folder = Path(folder)
    with _writing_in(folder, role):
        if folder.exists() and not folder.is_dir():
            raise FolderNotWritable(folder, "not a directory", role)
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=folder, prefix=TEMPORARY_PREFIX, suffix=TEMPORARY_SUFFIX)
        os.close(fd)
        os.unlink(name)
    return folder


def is_temporary(path: Path) -> bool:
    """A temporary file of these writers, current (`.tmp-*.partial`) or of the older naming (`.tmp-*.json`)."""
    return Path(path).name.startswith(TEMPORARY_PREFIX)


def remove_stale_temporaries(folder: Path, older_than: float = STALE_TEMPORARY_SECONDS) -> list[Path]:
    """Remove the temporary files in `folder` last modified more than `older_than` seconds ago; best effort.

    Left by writers killed before their rename (either naming). Younger ones may belong to a live writer and
    stay: no reader reads them anyway.
    """
    removed: list[Path] = []
    cutoff = time.time() - older_than
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if not entry.name.startswith(TEMPORARY_PREFIX):
                continue
            with contextlib.suppress(OSError):
                if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime < cutoff:
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


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
    with _writing_in(path.parent):
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(path.parent)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=TEMPORARY_PREFIX, suffix=path.suffix + TEMPORARY_SUFFIX)
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
    with _writing_in(path.parent):
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+b")  # noqa: SIM115 - closed by the with below
    with handle:
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
    with _writing_in(lock_path.parent):
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
