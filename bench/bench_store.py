"""Benchmark the library store: a durable status change with 10,000 annotations.

Run by hand: ``python bench/bench_store.py [ANNOTATIONS] [CHANGES]``. It builds two libraries
with the same documents in a temp folder and times, in the same run:

* ours: ``Library.set_status([key], status)`` — lock, stat, orjson, temp file, fsync,
  ``os.replace``, fsync of the folder;
* stock: what the first version of the store did on TinyDB's ``JSONStorage`` for one status
  change — ``table.get(Query().key == key)`` then ``table.upsert(doc, Query().key == key)``
  (each re-reads and re-parses the whole file; the upsert rewrites it in place and fsyncs).

Also timed for ours: the same change when another process changed the file just before (the
cache is dropped and the file re-parsed), opening the library, and ``annotations()``.
Prints a Markdown section for ``bench/RESULTS.md``.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from tinydb import Query, TinyDB

from rlhf_reader.library.store import Library
from rlhf_reader.model import Annotation, Status

STATUSES = (Status.READ, Status.READING, Status.UNREAD)


def make_annotations(count: int) -> list[Annotation]:
    anns = []
    for i in range(count):
        anns.append(
            Annotation(
                key=f"{2301 + i // 10000 % 12:04d}.{i % 100000:05d}",
                status=STATUSES[i % 3],
                tags=("rl", f"topic-{i % 17}") if i % 2 else (),
                note=f"Notes on paper {i}: see section {i % 9}." if i % 5 == 0 else "",
                created="2026-01-01T00:00:00Z",
                updated="2026-01-01T00:00:00Z",
                read_at="2026-01-02T00:00:00Z" if i % 3 == 0 else None,
            )
        )
    return anns


def timed(fn: Callable[[int], object], runs: int) -> list[float]:
    times = []
    for i in range(runs):
        start = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - start) * 1000)
    return times


def summary(times: list[float]) -> str:
    p90 = statistics.quantiles(times, n=10)[-1] if len(times) >= 10 else max(times)
    return f"{statistics.median(times):.1f} ms (p90 {p90:.1f} ms, n={len(times)})"


def main(count: int = 10_000, runs: int = 50) -> None:
    anns = make_annotations(count)
    keys = [a.key for a in anns]
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as folder:
        ours_path = Path(folder) / "ours" / "library.json"
        stock_path = Path(folder) / "stock" / "library.json"

        start = time.perf_counter()
        lib = Library.open(ours_path)
        lib.put_annotations(anns)
        build_ms = (time.perf_counter() - start) * 1000
        size = ours_path.stat().st_size

        stock_path.parent.mkdir()
        db = TinyDB(stock_path)
        db.table("annotations").insert_multiple(a.to_dict() for a in anns)
        db.table("meta").insert({"name": "schema_version", "value": 1})
        stock_size = stock_path.stat().st_size

        def ours(i: int) -> None:
            lib.set_status([keys[i * 197 % count]], STATUSES[i % 3])

        table = db.table("annotations")

        def stock(i: int) -> None:
            key = keys[i * 197 % count]
            doc = table.get(Query().key == key)
            ann = Annotation.from_dict(dict(doc)) if doc else Annotation(key=key)
            ann.status = STATUSES[i % 3]
            table.upsert(ann.to_dict(), Query().key == key)

        # Interleave so that both see the same machine load.
        ours_times: list[float] = []
        stock_times: list[float] = []
        for i in range(runs):
            ours_times += timed(lambda _, i=i: ours(i), 1)
            stock_times += timed(lambda _, i=i: stock(i), 1)

        other = Library.open(ours_path)

        def after_other_process(i: int) -> None:
            lib.set_status([keys[(i * 31 + 7) % count]], STATUSES[i % 3])

        reload_times = []
        for i in range(min(runs, 20)):
            other.set_note(keys[i], f"changed elsewhere {i}")  # not timed
            reload_times += timed(after_other_process, 1)

        open_times = timed(lambda _: Library.open(ours_path), 10)
        all_times = timed(lambda _: lib.annotations(), 10)

    ratio = statistics.median(stock_times) / statistics.median(ours_times)
    uname = platform.uname()
    print("## Library store")
    print()
    print(
        f"{date.today().isoformat()}; `{uname.system} {uname.release} {uname.machine}`, "
        f"{os.cpu_count()} CPUs (shared), Python {platform.python_version()}; "
        f"`python bench/bench_store.py {count} {runs}`; load average at the end "
        f"{os.getloadavg()[0]:.1f} (other work shares the machine: both figures are inflated "
        "alike, the ratio is the comparable number)."
    )
    print()
    print(
        f"{count:,} annotations (ours {size / 1e6:.1f} MB, stock "
        f"{stock_size / 1e6:.1f} MB); one durable status change, median of {runs}, "
        "interleaved in the same run:"
    )
    print()
    print("| store | status change |")
    print("| --- | --- |")
    print(f"| stock TinyDB `JSONStorage` (get + upsert) | {summary(stock_times)} |")
    print(f"| `Library.set_status` (safe storage) | {summary(ours_times)} |")
    print(f"| **ratio stock / ours** | **{ratio:.1f}x** |")
    print()
    print("Also, for ours:")
    print()
    print(
        f"- same change right after another process wrote (cache re-read): {summary(reload_times)}"
    )
    print(f"- `Library.open` of the {count:,}-annotation file: {summary(open_times)}")
    print(f"- `annotations()` (all {count:,} as `Annotation`s): {summary(all_times)}")
    print(f"- all {count:,} in one `put_annotations` (and creating the file): {build_ms:.0f} ms")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*args)
