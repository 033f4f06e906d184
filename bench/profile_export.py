"""Where an export's time goes: ``python bench/profile_export.py FORMAT N [--cprofile]``.

Runs ``rlhf-reader export --format FORMAT -o FILE`` in this process on ``scaledata``'s N-entry
list and library (made in /tmp/rlhf-export-data), with phase timers (wall and CPU) around the
load (``filtered_rows``), the formatting (``export_cache.render``: the rows the export cache
does not hold; the cache is removed before the measured run — the first export — unless
``--warm``) and the write (``write_atomic``), and the peak memory of the process. With
``--cprofile``, the formatting's top functions by own time (cProfile inflates every call;
the phase timers are the real time; ``RLHF_READER_PROCESSES=1`` keeps every row here).
"""

from __future__ import annotations

import cProfile
import os
import pstats
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scaledata  # noqa: E402

PHASES: dict[str, list[float]] = {}


def timer(name: str, fn):  # type: ignore[no-untyped-def]
    def wrapped(*args, **kwargs):  # type: ignore[no-untyped-def]
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            PHASES[name] = [time.perf_counter() - wall, time.process_time() - cpu]

    return wrapped


def main() -> None:
    fmt, n = sys.argv[1], int(sys.argv[2])
    profile = "--cprofile" in sys.argv
    data = Path(os.environ.get("RLHF_EXPORT_DATA", "/tmp/rlhf-export-data"))
    list_path, db = scaledata.make(data / f"scale-{n}", n)
    if "--meta" in sys.argv:
        db = db.with_name(f"library-{n}-meta.json")
    from rlhf_reader import cli
    from rlhf_reader.commands import browse, cite
    from rlhf_reader.formats import export, export_cache

    cite.filtered_rows = timer("load (filtered_rows)", browse.filtered_rows)  # type: ignore[attr-defined]
    # ``export -o FILE`` goes through the export cache (export_file → export_cache.render),
    # formatting what the cache does not hold; without -o, through export.export.
    real_export = export_cache.render
    profiler = cProfile.Profile()

    def formatting(*args, **kwargs):  # type: ignore[no-untyped-def]
        if profile:
            profiler.enable()
        try:
            return real_export(*args, **kwargs)
        finally:
            profiler.disable()

    export_cache.render = timer("format (export_cache.render)", formatting)  # type: ignore[assignment]
    export.write_atomic = timer("write (write_atomic)", export.write_atomic)
    out = Path(tempfile.mkdtemp()) / "out"
    argv = ["--list", str(list_path), "--db", str(db), "export", "--format", fmt, "-o", str(out)]
    cli.main(argv)  # warms the parse cache
    if "--warm" not in sys.argv:  # the first export: no export cache
        shutil.rmtree(export_cache.cache_dir(), ignore_errors=True)
    profiler.clear()  # (the measured run's only)
    wall, cpu = time.perf_counter(), time.process_time()
    cli.main(argv)
    total = time.perf_counter() - wall, time.process_time() - cpu
    for name, (w, c) in PHASES.items():
        print(f"{name:24} wall {w:6.2f} s  cpu {c:6.2f} s")
    print(f"{'command (2nd run)':24} wall {total[0]:6.2f} s  cpu {total[1]:6.2f} s")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if profile:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
