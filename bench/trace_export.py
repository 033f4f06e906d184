"""A wall-clock trace of one ``rlhf-reader export`` process and its children, by phase:
``TRACE_T0=$(date +%s.%N) python bench/trace_export.py -- --list L --db D export -f F -o O``.

cProfile inflates every Python call (and the rows' formatting is nothing but calls), so this
wraps only the phases — the imports, the library and the list, the rows, the cut, the
formatting in this process and in the forked child, the keys and the fill, the file's write
and the cache file's — each with the wall-clock time (``time.time``: the same clock in the
parent and the child) of its start and end, relative to ``TRACE_T0`` (the shell's clock
before the interpreter started, else this script's start). Each line goes to stderr as it
ends (``os.write``: a child ends with ``os._exit``), with its process id and its CPU time
(``time.process_time``, the process's own). Runs the CLI as the console script does
(``cli.main()`` with ``sys.argv``), so its exit path (``abandon``) is the real one.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import time

T0 = float(os.environ.get("TRACE_T0") or time.time())
_DEPTH = threading.local()


def emit(name: str, start: float, end: float, cpu: float) -> None:
    depth = getattr(_DEPTH, "value", 0)
    thread = "" if threading.current_thread() is threading.main_thread() else " [thread]"
    line = (
        f"{os.getpid():>7} {start - T0:7.3f} {end - T0:7.3f} {end - start:6.3f} "
        f"cpu {cpu:6.3f} {'  ' * depth}{name}{thread}\n"
    )
    os.write(2, line.encode())


def traced(name: str, fn):  # type: ignore[no-untyped-def]
    @functools.wraps(fn)
    def wrapped(*args, **kwargs):  # type: ignore[no-untyped-def]
        depth = getattr(_DEPTH, "value", 0)
        _DEPTH.value = depth + 1
        start, cpu = time.time(), time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            _DEPTH.value = depth
            emit(name, start, time.time(), time.thread_time() - cpu)

    return wrapped


def traced_iterator(name: str, fn):  # type: ignore[no-untyped-def]
    """``traced`` for a function that may return an iterator: timed until it is used up
    (a list, as the code before returns: timed as it is made)."""

    def used_up(items, start: float, cpu: float):  # type: ignore[no-untyped-def]
        yield from items
        emit(name, start, time.time(), time.thread_time() - cpu)

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):  # type: ignore[no-untyped-def]
        start, cpu = time.time(), time.thread_time()
        result = fn(*args, **kwargs)
        if isinstance(result, list):
            emit(name, start, time.time(), time.thread_time() - cpu)
            return result
        return used_up(result, start, cpu)

    return wrapped


def patch(owner: object, attribute: str, name: str | None = None) -> None:
    setattr(owner, attribute, traced(name or attribute, getattr(owner, attribute)))


def _traced_child(job, part, fd, say=None, then=None, later=-1):  # type: ignore[no-untyped-def]
    """``parallel._child`` with a mark after each step (its result, its write, ``then``);
    the code before this branch (no ``say``): marshalled whole, written, then it ends."""
    from rlhf_reader import parallel

    parallel._in_child = True
    status = 1
    try:
        start, cpu = time.time(), time.thread_time()
        if say is None:  # (the code before: its _child(job, part, fd))
            data = parallel.marshal.dumps(job(part))
            mark = time.time()
            view = memoryview(parallel._HEADER.pack(len(data)) + data)
            while view:
                view = view[os.write(fd, view) :]
            emit("child: result written (old)", mark, time.time(), 0.0)
        else:
            mark = time.time()
            parallel._write_result(fd, job(part))
            os.write(say, b"1")
            emit("child: result written, said", mark, time.time(), 0.0)
        if then is not None:
            mark = time.time()
            parallel._write_result(later, then())
            emit("child: then() written", mark, time.time(), 0.0)
        emit("child: whole, to os._exit", start, time.time(), time.thread_time() - cpu)
        status = 0
    except BaseException:
        pass
    finally:
        os._exit(status)


def main() -> None:
    emit("interpreter start (before this script)", T0, time.time(), time.process_time())
    start, cpu = time.time(), time.process_time()
    from rlhf_reader import cli, parallel, workspace
    from rlhf_reader.commands import browse, cite
    from rlhf_reader.formats import export, export_cache
    from rlhf_reader.library import records

    emit("imports (cli, export, export_cache)", start, time.time(), time.process_time() - cpu)
    patch(cite, "filtered_rows", "load: filtered_rows")
    from rlhf_reader.library import store
    from rlhf_reader.lists import catalog

    patch(store.Library, "open", "Library.open")
    patch(store.Library, "annotations", "library.annotations")
    patch(store.Library, "all_metadata", "library.all_metadata")
    patch(catalog, "load", "list load (catalog cache)")
    patch(workspace.Workspace, "rebuild", "catalog rebuild (own sections)")
    patch(records, "make_rows", "make_rows")
    patch(browse, "source_rows")
    patch(export_cache, "distinct")
    patch(export_cache, "row_inputs")
    patch(export_cache, "cuts")
    patch(export_cache, "_read", "cache _read")
    patch(export_cache._Maker, "make", "_Maker.make")
    export_cache._Maker.job = traced_iterator(  # type: ignore[method-assign]
        "_Maker.job (format a part)", export_cache._Maker.job
    )
    patch(export_cache, "_keyed")
    patch(export_cache, "_plain")
    patch(export_cache, "keys_of_bases")
    patch(export_cache, "_write", "cache file _write")
    patch(export, "write_atomic", "export write_atomic")
    patch(export_cache.Rendered, "write_and_finish")
    patch(parallel, "_start", "fork child")
    patch(parallel, "_finish", "wait + read child")
    patch(cli, "abandon")
    parallel._child = _traced_child
    patch(parallel.marshal, "dumps", "marshal.dumps")
    patch(parallel.marshal, "loads", "marshal.loads")
    patch(parallel.os, "waitpid", "os.waitpid")
    patch(parallel, "_exit_traced", "os._exit") if hasattr(parallel, "_exit_traced") else None
    from rlhf_reader.library import fileio

    for name in ("fsync", "_fsync", "fsync_dir"):
        if hasattr(fileio, name):
            patch(fileio, name, f"fileio.{name}")
    sys.argv = ["rlhf-reader", *sys.argv[2:]] if sys.argv[1:2] == ["--"] else sys.argv
    start, cpu = time.time(), time.process_time()
    try:
        code = traced("cli.main", cli.main)()
    finally:
        emit("end of main (process cpu)", start, time.time(), time.process_time())
    sys.exit(code)


if __name__ == "__main__":
    main()
