"""Atomic writes: a reader sees the old file or the new one, never half of one; and directories that
textrnn writes whole are its own.

Every directory :func:`replace_directory` (or :func:`own_directory`) makes holds the marker file
:data:`MARKER`. :func:`refusal` says why a directory must not be replaced or deleted: one that
holds other files and no marker is someone else's. While a block of :func:`replace_directory`
runs, the directory is locked (:func:`exclusive`): a second writer of it stops at once.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from textrnn.errors import TextrnnError

MARKER = ".textrnn"  # in each directory textrnn wrote whole: it may replace or delete it


def _permissions(kind: int) -> int:
    """``kind`` (0o666 for files, 0o777 for directories) less the process's umask, as ``open`` would give.

    The temporary files and directories of ``tempfile`` are private (0o600, 0o700); what replaces
    a user's file should not be.
    """
    umask = os.umask(0)
    os.umask(umask)
    return kind & ~umask


def write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("wb", dir=path.parent, prefix=f".{path.name}.", delete=False) as tmp:
        tmp.write(data)
    os.chmod(tmp.name, _permissions(0o666))
    os.replace(tmp.name, path)


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` as UTF-8, atomically."""
    write_bytes(path, text.encode("utf-8"))


def write_json(path: str | os.PathLike[str], data: Any) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def refusal(path: str | os.PathLike[str]) -> str | None:
    """Why textrnn must not replace or delete ``path``, or None where it may: ``path`` is absent, an
    empty directory, or a directory textrnn wrote (it holds :data:`MARKER`)."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return None
    if path.is_symlink() or not path.is_dir():
        return "is not a directory textrnn wrote (it is a file or a link)"
    if (path / MARKER).is_file():
        return None
    try:
        if not any(path.iterdir()):
            return None
    except OSError as err:
        return f"cannot be read ({err.strerror})"
    return f"holds files textrnn did not write (no {MARKER} marker in it)"


def own_directory(path: str | os.PathLike[str]) -> Path:
    """Make ``path`` (and its parents) with :data:`MARKER` in it, so that textrnn may delete it later."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / MARKER).touch()
    return path


@contextmanager
def exclusive(path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold ``path`` for this process while the block runs: an advisory lock on ``.<name>.lock`` beside
    it, removed when the block ends; another process holding it raises
    :class:`~textrnn.errors.TextrnnError` at once."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = path.with_name(f".{path.name}.lock")
    while True:
        handle = lock.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            if err.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            raise TextrnnError(
                f"{path}: another run is writing it (process {holder}); wait for it to end, or write elsewhere"
            ) from None
        try:  # the holder before us may have removed the file between our open and our lock: lock the new one
            if os.fstat(handle.fileno()).st_ino == lock.stat().st_ino:
                break
        except FileNotFoundError:
            pass
        handle.close()
    with handle:
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            lock.unlink(missing_ok=True)  # before the lock is let go: whoever waits on this file retries


@contextmanager
def replace_directory(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a fresh temporary directory (holding :data:`MARKER`) that replaces ``path`` only if the
    block succeeds; ``path`` is locked meanwhile (:func:`exclusive`).

    Temporary directories that an earlier, killed writer of ``path`` left behind are removed first.
    Whether ``path`` may be replaced is the caller's to check beforehand (:func:`refusal`), before
    any work: the stages do, for every path they write.
    """
    path = Path(path)
    with exclusive(path):
        for stale in path.parent.glob(f".{path.name}.*"):
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
        tmp.chmod(_permissions(0o777))
        (tmp / MARKER).touch()
        try:
            yield tmp
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        old = path.with_name(f".{path.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        if path.exists():
            path.rename(old)
        tmp.rename(path)
        shutil.rmtree(old, ignore_errors=True)
