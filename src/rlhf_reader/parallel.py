"""Run a pure job on parts of a big input on more than one core (the CLI at 100,000 entries).

A command that formats or reads every one of 100,000 records spends seconds in Python on one
core while the machine's others idle. :func:`map_parts` runs ``job(part)`` for each part:
the first in this process, each other in a child made by ``fork`` (it shares this process's
memory as it is: the parts are not copied or pickled on the way in). A child writes its
result as ``marshal`` bytes into a file with no name (``memfd``) that the parent reads once
the child says (through a pipe) that it is written, while the child still ends, so a job's
result must be made of what ``marshal`` keeps (bytes, str, int, float, None, bool, tuples,
lists, dicts, sets). :func:`map_parts_then` also has the last child run ``then()`` after its
part, while this process goes on: work whose result is wanted only later.

Where forking is not safe or not worth it, every part runs here, one after another, with the
same results:

- no ``os.fork`` (Windows), or macOS (system libraries there are not safe after a fork);
- more than one thread in this process (the TUI's workers: a lock another thread holds at
  the fork stays held in the child forever);
- one core to run on, or ``RLHF_READER_PROCESSES=1`` in the environment.

A child that fails (an exception, a signal, a result that does not arrive whole) costs
nothing but time: its part is run again here, where an exception is raised as usual.

:func:`map_pulled` is the same with the parts taken one at a time by whichever process is
free (more parts than processes: none waits long for another), and work of this process's
own run beside the parts (``beside``: a command reads its library while children read its
file).

:func:`begin` starts a job in a child whose result this process asks for later.
:func:`detach` runs a job this process does not wait for (writing a cache of what it has
just read) in a process of its own, under the same conditions.
"""

from __future__ import annotations

import marshal
import mmap
import os
import struct
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar

P = TypeVar("P")
R = TypeVar("R")
T = TypeVar("T")

ENV = "RLHF_READER_PROCESSES"
_MAX = 4  # more processes than this gain little for the sizes here and cost memory
_HEADER = struct.Struct("<Q")  # the length of the marshal bytes that follow
_COUNT = struct.Struct("<QB")  # a result's values, and whether they are a list's items
_in_child = False  # a child runs its part on its own: no grandchildren


def processes() -> int:
    """How many processes :func:`map_parts` would use now (1: everything runs here).

    Callers split their input into this many parts (or fewer, for small inputs).
    """
    wanted = os.environ.get(ENV, "").strip()
    if wanted.isdigit() and int(wanted) >= 1:
        limit = int(wanted)
    else:
        limit = _MAX
    if limit == 1 or _in_child or not _may_fork():
        return 1
    return max(1, min(limit, _cores()))


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the cores this process may run on
    except (AttributeError, OSError):  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _may_fork() -> bool:
    return hasattr(os, "fork") and sys.platform != "darwin" and threading.active_count() == 1


def map_parts(job: Callable[[P], R], parts: Sequence[P]) -> list[R]:
    """``[job(part) for part in parts]``: each part after the first in a forked child of its
    own when :func:`processes` allows more than one (callers make at most that many
    parts), else every part here. A job may return an iterator: its result is then the
    list of its items (a child sends each as it is made, and frees it)."""
    return map_parts_then(job, parts, None)[0]


def map_parts_then(
    job: Callable[[P], R], parts: Sequence[P], then: Callable[[], T] | None
) -> tuple[list[R], Later[T]]:
    """:func:`map_parts`, and ``then()`` run by the last child once it has sent its part's
    result, while this process goes on with the results: work whose result is wanted later
    (digests a cache file needs once the export is written) is done on the core that
    would otherwise idle. ``Later.result()`` waits for it; where no child took it (one
    process, a child that failed) it runs ``then()`` here, when asked."""
    if len(parts) < 2 or processes() < 2:
        return [_listed(job(part)) for part in parts], Later(then, None)
    results: list[R] = []
    _flush()
    children = [_start(job, part) for part in parts[1:-1]]
    children.append(_start(job, parts[-1]) if then is None else _start(job, parts[-1], then))
    later = Later(then, children[-1] if then is not None else None)
    try:
        results.append(_listed(job(parts[0])))
        for child, part in zip(children, parts[1:], strict=True):
            got = _finish(child)
            if got is None and child is later.child:  # (it did not get to then())
                later.child = None
            results.append(got[0] if got is not None else _listed(job(part)))  # type: ignore[arg-type]
    except BaseException:
        later.close()
        raise
    finally:
        for child in children:
            if child is not later.child:
                _reap(child)
    return results, later


def _listed(result: R) -> R:
    """A job's result; an iterator (see :func:`map_parts`) as the list of its items."""
    return list(result) if isinstance(result, Iterator) else result  # type: ignore[return-value]


class Later(Generic[T]):
    """The result of ``then()`` (see :func:`map_parts_then`): from the child that ran it
    after its part, or run here. ``close()`` (also done by ``result()``) leaves no child
    running or unwaited."""

    def __init__(self, then: Callable[[], T] | None, child: _Child | None) -> None:
        self.then = then
        self.child = child

    def result(self) -> T:
        child, self.child = self.child, None
        got = _finish_then(child) if child is not None else None
        if got is not None:
            return got[0]  # type: ignore[return-value]
        assert self.then is not None
        return self.then()

    def close(self) -> None:
        child, self.child = self.child, None
        _reap(child)


class Begun(Generic[T]):
    """``job()`` begun by :func:`begin` in a child: :meth:`result` waits for it (or, where
    the child failed, runs it here); :meth:`close` stops it, when its result is not
    wanted."""

    def __init__(self, job: Callable[[], T], child: _Child) -> None:
        self.job = job
        self.child: _Child | None = child

    def result(self) -> T:
        child, self.child = self.child, None
        got = _finish(child) if child is not None else None
        if got is not None:
            return got[0]  # type: ignore[return-value]
        return self.job()

    def close(self) -> None:
        child, self.child = self.child, None
        _reap(child)


def begin(job: Callable[[], T]) -> Begun[T] | None:
    """``job()`` begun now in a forked child, its result asked for later
    (:meth:`Begun.result`; made of what ``marshal`` keeps) while this process goes on:
    work this process will need the answer of, such as checks of what it reads
    meanwhile. None when :func:`processes` is 1 or no child can be made: the caller then
    runs the job itself."""
    if processes() < 2:
        return None
    _flush()
    child = _start(_called, job)
    return Begun(job, child) if child is not None else None


def _called(job: Callable[[], T]) -> T:
    return job()


_INDEX = struct.Struct("<I")  # a part's number, as the processes of map_pulled take it
_MAX_PULLED = 4096  # parts map_pulled hands out (their numbers fill less than a pipe's buffer)


def map_pulled(
    job: Callable[[P], R],
    parts: Sequence[P],
    beside: Callable[[], object] | None = None,
    then: Callable[[R], object] | None = None,
) -> list[R]:
    """``[job(part) for part in parts]``, the parts taken by this process and its forked
    children (as many as :func:`processes` allows, never more than parts) one at a time,
    each the first part no process took yet: a process slowed by other work (``beside``,
    other programs on the machine) takes fewer of them, and all end at about the same time.
    ``beside()`` runs here first (its result is dropped; it must not raise), while the
    children take their parts: work this process would do after the parts anyway (reading
    a library while a file is read). ``then(result)`` runs here on each result in the
    parts' order, as soon as it and every one before it are here (between this process's
    own parts): work on the results that would otherwise wait for the last part (an import
    plans the references of a file's first parts while the children read the others). With
    one process, ``beside()``, then each part here and ``then`` on its result.

    Give a few parts per process: the last to end waits at most for one part of another.
    The parts' numbers wait in a pipe made full before the children start (a read of a few
    bytes from a pipe is whole, and one process's). A child sends each part's result as
    soon as it is made (``marshal`` bytes in its memfd, then their end through a pipe), and
    this process reads those between its own parts: at the end only the last part of a
    child is left to read. A child that fails costs time only: the parts it took and did
    not send are done here."""
    count = min(processes(), len(parts))
    if count < 2 or len(parts) > _MAX_PULLED:
        if beside is not None:
            beside()
        if then is None:
            return [job(part) for part in parts]
        return [_handed(then, job(part)) for part in parts]
    source, write_end = os.pipe()
    try:
        os.write(write_end, b"".join(_INDEX.pack(i) for i in range(len(parts))))
    finally:
        os.close(write_end)  # (an empty pipe with no writer reads as its end)
    results: list[object] = [_MISSING] * len(parts)
    children: list[_Puller] = []
    try:
        _flush()
        for _ in range(count - 1):
            child = _start_puller(job, parts, source)
            if child is not None:
                children.append(child)
        if beside is not None:
            beside()
        handed = 0  # the results given to ``then`` so far (the first ones)
        while True:
            for child in children:  # what the children sent meanwhile
                child.receive(results)
            handed = _hand_on(results, handed, then)
            index = _take(source)
            if index is None:
                break
            results[index] = job(parts[index])
        for child in children:
            child.finish(results)
            handed = _hand_on(results, handed, then)
        for index, result in enumerate(results):
            if result is _MISSING:  # taken by a child that failed
                results[index] = job(parts[index])
        _hand_on(results, handed, then)
    finally:
        os.close(source)
        for child in children:
            child.reap()
    return results  # type: ignore[return-value]


_MISSING = object()


def _take(source: int) -> int | None:
    """The number of the next part no process took yet (from :func:`map_pulled`'s pipe);
    None when none is left."""
    got = os.read(source, _INDEX.size)
    return _INDEX.unpack(got)[0] if len(got) == _INDEX.size else None


def _handed(then: Callable[[R], object], result: R) -> R:
    then(result)
    return result


def _hand_on(results: list[object], start: int, then: Callable[[R], object] | None) -> int:
    """``then`` on each of ``results`` from ``start`` on, in order, up to the first not
    here yet; where the next one to hand on is."""
    if then is None:
        return start
    while start < len(results) and results[start] is not _MISSING:
        then(results[start])  # type: ignore[arg-type]
        start += 1
    return start


_RECORD = struct.Struct("<IQ")  # a part's number and the length of its result's bytes


class _Puller:
    """A child of :func:`map_pulled`, as its parent sees it: the memfd it writes results
    to, and the pipe through which it says how far they are written."""

    __slots__ = ("done", "fd", "pid", "read", "said", "told")

    def __init__(self, pid: int, fd: int, told: int) -> None:
        self.pid, self.fd, self.told = pid, fd, told
        self.said = 0  # bytes of results written whole, as far as the child said
        self.read = 0  # bytes of results read here
        self.done = False

    def receive(self, results: list[object]) -> None:
        """Read the results the child has sent whole since the last call into ``results``."""
        if self.told < 0 or self.read < 0:
            return
        try:
            while True:
                got = os.read(self.told, _HEADER.size * 64)
                if not got:
                    break
                self.said = _HEADER.unpack_from(got, len(got) - _HEADER.size)[0]
        except BlockingIOError:
            pass
        except (OSError, struct.error):
            return
        if self.said <= self.read:
            return
        try:
            data = os.pread(self.fd, self.said - self.read, self.read)
            view, at = memoryview(data), 0
            while at < len(data):
                index, length = _RECORD.unpack_from(view, at)
                at += _RECORD.size
                value = marshal.loads(view[at : at + length])
                at += length
                if 0 <= index < len(results):
                    results[index] = value
            view.release()
        except (OSError, EOFError, ValueError, TypeError, struct.error):
            self.read = -1  # (never read again: its parts not read are done here)
            return
        self.read = self.said

    def finish(self, results: list[object]) -> None:
        """Wait for the child to end, then read what it sent."""
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        self.done = True
        self.receive(results)

    def reap(self) -> None:
        """No child left running or unwaited, no file left open."""
        for fd in (self.fd, self.told):
            if fd >= 0:
                os.close(fd)
        self.fd = self.told = -1
        if not self.done:
            try:
                os.kill(self.pid, 9)
                os.waitpid(self.pid, 0)
            except (OSError, ChildProcessError):
                pass
            self.done = True


def _start_puller(job: Callable[[P], R], parts: Sequence[P], source: int) -> _Puller | None:
    try:
        fd = _outbox()
    except OSError:
        return None
    try:
        told, tell = os.pipe()
    except OSError:
        os.close(fd)
        return None
    try:
        pid = os.fork()
    except OSError:  # no memory or too many processes: the others do its parts
        for end in (fd, told, tell):
            os.close(end)
        return None
    if pid == 0:  # the child: never returns
        _pull(job, parts, source, fd, tell)
    os.close(tell)
    os.set_blocking(told, False)
    return _Puller(pid, fd, told)


def _pull(job: Callable[[P], R], parts: Sequence[P], source: int, fd: int, tell: int) -> None:
    """A child of :func:`map_pulled`: each part it takes done, its result written to
    ``fd`` whole (its number and length first), then the end of what is written to
    ``tell``; until no part is left."""
    global _in_child
    _in_child = True
    status = 1
    try:
        written = 0
        index = _take(source)
        while index is not None:
            result = job(parts[index])
            # The next part taken before this one's result is sent (its marshal and write
            # take a while): the last parts go to a child, not to the parent, which then
            # has the results to work on (``then``; at 100,000 references the parent took
            # the last part while this child was sending, and this child idled 0.3 s).
            following = _take(source)
            data = marshal.dumps(result)  # type: ignore[arg-type]  # (module doc)
            del result
            view = memoryview(_RECORD.pack(index, len(data)) + data)
            written += len(view)
            while view:
                view = view[os.write(fd, view) :]
            os.write(tell, _HEADER.pack(written))
            index = following
        status = 0
    except BaseException:  # the parent does the parts not sent
        pass
    finally:
        os._exit(status)  # no atexit handlers, no flush of the parent's buffers


class _Child:
    __slots__ = ("done", "fd", "later", "pid", "ready")

    def __init__(self, pid: int, fd: int, ready: int, later: int) -> None:
        self.pid, self.fd, self.ready, self.later, self.done = pid, fd, ready, later, False


def _start(
    job: Callable[[P], R], part: P, then: Callable[[], object] | None = None
) -> _Child | None:
    opened: list[int] = []
    try:
        fd = _outbox()
        opened.append(fd)
        ready, say = os.pipe()
        opened += (ready, say)
        later = _outbox() if then is not None else -1
        opened.append(later)
        pid = os.fork()
    except OSError:  # no memory or too many processes: the parent does this part
        for end in opened:
            if end >= 0:
                os.close(end)
        return None
    if pid == 0:  # the child: never returns
        os.close(ready)
        _child(job, part, fd, say, then, later)
    os.close(say)
    return _Child(pid, fd, ready, later)


def _outbox() -> int:
    """A file with no name for a child's result: written whole by the child with no reader
    waiting on it (through a pipe, the child waited for the parent's own part to end, then
    passed 64 KB at a time: seconds for 100 MB on a loaded machine)."""
    try:
        return os.memfd_create("rlhf-reader-part", os.MFD_CLOEXEC)
    except (AttributeError, OSError):  # not Linux: an unlinked temporary file
        with tempfile.TemporaryFile() as handle:
            return os.dup(handle.fileno())


def _child(
    job: Callable[[P], R],
    part: P,
    fd: int,
    say: int,
    then: Callable[[], object] | None = None,
    later: int = -1,
) -> None:
    """Run ``job(part)``, write its result to ``fd`` and say so through ``say`` (the parent
    reads it while this process still ends: the end of a process that shares 100,000 rows'
    pages took 40 ms); then ``then()``'s result into ``later``."""
    global _in_child
    _in_child = True
    status = 1
    try:
        _write_result(fd, job(part))
        os.write(say, b"1")
        if then is not None:
            _write_result(later, then())
        status = 0
    except BaseException:  # the parent runs this part (or then()) again and reports
        pass
    finally:
        os._exit(status)  # no atexit handlers, no flush of the parent's buffers


def _write_result(fd: int, result: object) -> None:
    """``result`` as marshal bytes (see the module doc): how many values follow and whether
    they are the items of a list, then each value's length and bytes. A list is written
    item by item: marshalled whole, 40 MB of a child's blocks took a buffer as big, whose
    new pages cost as much as the write (60 ms at 100,000 rows); an item's buffer is small
    and used again. An iterator (a job's generator) is written as the list of its items,
    each as it is made: the memory of one is used again for the next."""
    is_list = type(result) is list or isinstance(result, Iterator)
    _write_all(fd, _COUNT.pack(0, is_list))  # (the count put in at the end)
    count = 0
    for value in result if is_list else [result]:  # type: ignore[attr-defined]
        data = marshal.dumps(value)  # type: ignore[arg-type]
        _write_all(fd, _HEADER.pack(len(data)) + data)  # (one write; a small copy)
        count += 1
    if os.pwrite(fd, _COUNT.pack(count, is_list), 0) != _COUNT.size:
        raise OSError("a short write")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _finish(child: _Child | None) -> tuple[object] | None:
    """The child's result as a 1-tuple, or None when it failed. Read once the child says it
    is written; the child is then waited for (unless it goes on with ``then``)."""
    if child is None:
        return None
    try:
        said = os.read(child.ready, 1)  # b"" when it ended without saying
        got = _read_result(child.fd) if said == b"1" else None  # (whole: its length checked)
        if child.later < 0 or got is None:
            os.waitpid(child.pid, 0)
            child.done = True
        return got
    except OSError:
        return None
    finally:
        for name in ("fd", "ready"):
            end = getattr(child, name)
            if end >= 0:
                os.close(end)
                setattr(child, name, -1)


def _finish_then(child: _Child) -> tuple[object] | None:
    """``then()``'s result from the child that ran it (waited for), or None."""
    try:
        _, status = os.waitpid(child.pid, 0)
        child.done = True
        return _read_result(child.later) if status == 0 else None
    except OSError:
        return None
    finally:
        _reap(child)


def _read_result(fd: int) -> tuple[object] | None:
    """What :func:`_write_result` wrote to ``fd``, as a 1-tuple; None when it is not whole."""
    try:
        size = os.fstat(fd).st_size
        if size < _COUNT.size:
            return None
        with mmap.mmap(fd, size, access=mmap.ACCESS_READ) as mapped:
            view = memoryview(mapped)
            try:
                count, is_list = _COUNT.unpack_from(view)
                values, at = [], _COUNT.size
                for _ in range(count):
                    (length,) = _HEADER.unpack_from(view, at)
                    at += _HEADER.size
                    if at + length > size:
                        return None
                    values.append(marshal.loads(view[at : at + length]))
                    at += length
                if at != size or (not is_list and count != 1):
                    return None
                return (values if is_list else values[0],)
            finally:
                view.release()
    except (OSError, EOFError, ValueError, TypeError, struct.error):
        return None


def _reap(child: _Child | None) -> None:
    """After an exception in the parent: no child left running or unwaited, no file open."""
    if child is None:
        return
    for name in ("fd", "ready", "later"):
        end = getattr(child, name)
        if end >= 0:
            os.close(end)
            setattr(child, name, -1)
    if child.done:
        return
    try:
        os.kill(child.pid, 9)
        os.waitpid(child.pid, 0)
    except (OSError, ChildProcessError):
        pass
    child.done = True


def detach(job: Callable[[], object]) -> bool:
    """Start ``job()`` in a process of its own that this one does not wait for; False (and
    nothing started) when :func:`processes` is 1 or no process can be made: the caller then
    runs the job itself.

    Meant for work whose result is a file another run reads and no one waits for, such as
    a cache: the process has no terminal (stdin, stdout and stderr are the null device, so
    a pipe this process writes to ends when this process ends), no other open file (a lock
    this process holds stays this process's) and a session of its own (a Ctrl-C in the
    terminal is not for it). Its errors are ignored; the job must leave nothing half-made
    (write a temporary file, then rename it).
    """
    if processes() < 2:
        return False
    _flush()
    try:
        pid = os.fork()
    except OSError:
        return False
    if pid == 0:  # the child: makes the grandchild, which init adopts, and exits
        status = 1
        try:
            os.setsid()
            if os.fork() == 0:
                _detached(job)
            status = 0
        except BaseException:  # no grandchild: the parent runs the job
            pass
        finally:
            os._exit(status)
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return False
    return status == 0


def _detached(job: Callable[[], object]) -> None:
    global _in_child
    _in_child = True
    try:
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.closerange(3, _max_fd())
        job()
    except BaseException:  # a cache not written is made again next time
        pass
    finally:
        os._exit(0)


def _max_fd() -> int:
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (ImportError, OSError, ValueError):  # pragma: no cover - POSIX has resource
        soft = 1024
    return soft if 0 < soft < 1 << 20 else 1 << 20


def _flush() -> None:
    """Buffered output would be written twice (by the parent and again by a child's exit)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass


def split(items: Sequence[P], count: int) -> list[Sequence[P]]:
    """``items`` in ``count`` (or fewer, never empty) slices of nearly equal length, in order."""
    count = max(1, min(count, len(items)))
    size, extra = divmod(len(items), count)
    out = []
    start = 0
    for i in range(count):
        end = start + size + (1 if i < extra else 0)
        out.append(items[start:end])
        start = end
    return out
