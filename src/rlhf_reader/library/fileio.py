"""Replace a file in one step: what every writer of user files (library, exports, the saved
list, caches) uses, so that a crash leaves the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO


def write_atomic(
    path: Path, data: bytes | tuple[bytes, ...], *, mode: int | None = None, durable: bool = True
) -> None:
    """Write ``data`` to a temp file beside ``path`` (``.NAME.XXXX.tmp``), then ``os.replace``.

    ``data`` may be several parts, written one after the other (a header and 20 MB after it
    need no joined copy).

    ``mode``: permission bits of the file; None keeps an existing file's bits, or gives a new
    file the usual ``0o666 & ~umask``. ``durable`` fsyncs the file and then its folder.
    A symlink is written through: its target gets the new content and the link stays.
    Raises ``OSError``; callers turn it into their own one-line error naming the path.
    """
    parts = (data,) if isinstance(data, bytes) else data
    write_atomic_with(path, lambda fd: write_all(fd, parts), mode=mode, durable=durable)


def write_atomic_with(
    path: Path, fill: Callable[[int], object], *, mode: int | None = None, durable: bool = True
) -> None:
    """:func:`write_atomic` of what ``fill(fd)`` writes into the temp file's descriptor (an
    export copying byte ranges of its cache file). Whatever ``fill`` raises leaves ``path``
    as it was (the temp file is removed) and is raised."""
    path = Path(os.path.realpath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            os.fchmod(fd, _mode_for(path) if mode is None else mode)
            fill(fd)
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        fsync_dir(path.parent)


def write_all(fd: int, parts: Iterable[bytes | bytearray | memoryview]) -> None:
    """Write every part into ``fd``, in order (short writes continued)."""
    for part in parts:
        view = memoryview(part)
        while view:
            view = view[os.write(fd, view) :]


def expand_user(path: str | os.PathLike[str]) -> Path:
    """``~`` and ``~user`` expanded as a shell would; an unknown user (``~nobody-here``) or
    no home folder leaves the path as written, as a shell does, instead of RuntimeError."""
    try:
        return Path(path).expanduser()
    except RuntimeError:
        return Path(path)


class NotARegularFile(OSError):
    """A path to read names a pipe, a socket or a device: refused before reading a byte.

    An ``OSError`` whose ``strerror`` says what the path is (``not a regular file (a named
    pipe)``), so that callers that turn ``OSError`` into ``PATH: cannot read: …`` need no
    change."""

    def __init__(self, path: str | os.PathLike[str], kind: str) -> None:
        super().__init__(errno.EINVAL, f"not a regular file ({kind})", os.fspath(path))
        self.kind = kind


def file_kind(mode: int) -> str:
    """What ``st_mode`` names, for messages: ``a named pipe``, ``a folder``…"""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    return "not a file"


# Opening a FIFO for reading waits for a writer; O_NONBLOCK makes the open return at once
# (and is cleared before the first read). Windows has neither FIFOs nor the flag.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """Open ``path`` for reading (binary) if it is a regular file, without ever blocking.

    A folder raises ``IsADirectoryError``; a named pipe, socket or device raises
    :class:`NotARegularFile` — checked on the open descriptor, so nothing can swap the file
    between the check and the read. Other problems raise the usual ``OSError``.
    """
    fd = os.open(path, _OPEN_FLAGS | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "is a folder", os.fspath(path))
        if not stat.S_ISREG(mode):
            raise NotARegularFile(path, file_kind(mode))
        if sys.platform != "win32" and _OPEN_FLAGS & getattr(os, "O_NONBLOCK", 0):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable; a no-op where the file system cannot."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return 0o666 & ~current_umask()


def current_umask() -> int:
    """The process umask, read without changing it (``os.umask`` is not thread-safe)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


class LockTimeout(Exception):
    """Another process held the lock for longer than the timeout."""


class ProcessLock:
    """An exclusive lock between processes on a lock file (``flock`` on POSIX, ``msvcrt``
    on Windows), re-entrant within one object: what the library holds around every
    read-modify-write. Not thread-safe by itself; its owner serialises threads."""

    def __init__(self, path: Path, *, timeout: float, poll: float = 0.002) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self.poll = poll
        self._fd: int | None = None
        self._depth = 0
        self.on_wait: Callable[[], object] | None = None
        """Called (in the acquiring thread) once per acquire that finds the lock held by
        someone else, before waiting for it: the TUI says it is waiting."""

    def acquire(self) -> None:
        if self._depth:
            self._depth += 1
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self.timeout
        try:
            told = False
            while not _try_lock(fd):
                if time.monotonic() >= deadline:
                    raise LockTimeout(str(self.path))
                if not told and self.on_wait is not None:
                    told = True
                    self.on_wait()
                time.sleep(self.poll)
        except BaseException:
            os.close(fd)
            raise
        self._fd, self._depth = fd, 1

    def release(self) -> None:
        if self._depth == 0:
            return
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fd, self._fd = self._fd, None
            _unlock(fd)
            os.close(fd)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        with contextlib.suppress(OSError):
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
