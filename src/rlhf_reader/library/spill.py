"""``parallel.map_parts`` for jobs whose results are big bytes (a sync file's part: 50 MB).

A child's result comes back through a pipe, 64 KB at a time: 800 turns of two processes
for 50 MB, each a wait for the scheduler — seconds on a loaded machine. Here a child writes
its bytes into an unlinked temporary file made before the fork (in ``/dev/shm``, memory,
where there is one) and sends only their lengths through the pipe; the parent reads the
file at once. A part whose file cannot be made, or does not hold what its child said, is
run again here (as ``map_parts`` runs the part of a child that failed): the results are
the same either way.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from typing import IO, TypeVar

from rlhf_reader import parallel

P = TypeVar("P")
Bytes = bytes | memoryview

_FOLDERS = ("/dev/shm", None)  # None: tempfile's own choice


def map_parts(job: Callable[[P], tuple[bytes, ...]], parts: Sequence[P]) -> list[tuple[Bytes, ...]]:
    """``[job(part) for part in parts]``, the parts after the first in children when
    ``parallel`` allows (each result a tuple of bytes, or of memoryviews of the same)."""
    if len(parts) < 2 or parallel.processes() < 2:
        return [job(part) for part in parts]
    parent = os.getpid()
    files: list[IO[bytes] | None] = [None, *(_temporary() for _ in parts[1:])]

    def run(index: int) -> tuple[bytes, ...] | tuple[int, ...]:
        out = job(parts[index])
        spill = files[index]
        if spill is None or os.getpid() == parent:
            return out  # (here: no copy)
        fd = spill.fileno()
        for piece in out:
            view = memoryview(piece)
            while view:
                view = view[os.write(fd, view) :]
        return tuple(len(piece) for piece in out)

    try:
        results = parallel.map_parts(run, range(len(parts)))
        got: list[tuple[Bytes, ...]] = []
        for index, result in enumerate(results):
            spill = files[index]
            if spill is None or not all(type(n) is int for n in result):
                got.append(result)  # type: ignore[arg-type]  # (bytes: made here)
                continue
            read = _read(spill, result)  # type: ignore[arg-type]
            got.append(read if read is not None else job(parts[index]))
        return got
    finally:
        for spill in files:
            if spill is not None:
                spill.close()


def _temporary() -> IO[bytes] | None:
    for folder in _FOLDERS:
        if folder is not None and not os.path.isdir(folder):
            continue
        try:
            return tempfile.TemporaryFile(dir=folder)
        except OSError:
            continue
    return None


def _read(spill: IO[bytes], lengths: tuple[int, ...]) -> tuple[memoryview, ...] | None:
    """The pieces a child wrote into ``spill``; None when it does not hold them whole."""
    try:
        spill.seek(0)
        data = memoryview(spill.read())
    except OSError:
        return None
    if len(data) != sum(lengths):
        return None
    pieces = []
    start = 0
    for length in lengths:
        pieces.append(data[start : start + length])
        start += length
    return tuple(pieces)
