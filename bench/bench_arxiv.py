"""What batching buys: the bundled list's 85 arXiv ids fetched in batches of 100 (ours)
against one id per request (what per-paper tools do), from the local fake arXiv API.

arXiv asks for ≥ 3 s between requests. The waits are recorded, not slept (an injected
sleep), so the run is quick; the wall time measures everything else (HTTP, parsing).

    python bench/bench_arxiv.py [REPEATS]
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "src"), str(REPO / "tests")]

from arxiv_server import ARXIV_DATA, ArxivServer  # noqa: E402

from rlhf_reader.lists.catalog import load  # noqa: E402
from rlhf_reader.sources.arxiv_meta import ArxivFetcher, FetchSettings  # noqa: E402


def run(server: ArxivServer, ids: list[str], batch_size: int) -> tuple[int, float, float]:
    """(requests, seconds of polite waiting, wall seconds without the waiting)."""
    waits: list[float] = []
    settings = FetchSettings(url=server.url, interval=3.0, batch_size=batch_size)
    fetcher = ArxivFetcher(settings, sleep=waits.append)
    before = server.count
    start = time.perf_counter()
    report = fetcher.fetch(ids)
    wall = time.perf_counter() - start
    fetcher.close()
    assert len(report.records) == len(ids), report.summary()
    return server.count - before, sum(waits), wall


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    catalog = load(REPO / "src" / "rlhf_reader" / "data" / "awesome-rlhf.md")
    ids = list(dict.fromkeys(e.arxiv_id for e in catalog.entries if e.arxiv_id))
    server = ArxivServer().start()
    server.add_papers(ARXIV_DATA / "bundled.xml")
    try:
        rows = {}
        for name, size in (("batched (≤ 100 ids per request)", 100), ("one id per request", 1)):
            results = [run(server, ids, size) for _ in range(repeats)]
            requests = results[0][0]
            waited = results[0][1]
            wall = statistics.median(r[2] for r in results)
            rows[name] = (requests, waited, wall)
    finally:
        server.stop()
    print(f"{len(ids)} ids, median of {repeats}")
    print("| strategy | requests | polite waiting | HTTP + parsing | total at arXiv's pace |")
    print("| --- | --- | --- | --- | --- |")
    for name, (requests, waited, wall) in rows.items():
        total = waited + wall
        print(f"| {name} | {requests} | {waited:.0f} s | {wall * 1000:.0f} ms | {total:.1f} s |")
    (b_req, b_wait, b_wall), (o_req, o_wait, o_wall) = rows.values()
    print(
        f"ratio one-per-request / batched: {o_req / b_req:.0f}x requests, "
        f"{(o_wait + o_wall) / (b_wait + b_wall):.0f}x time"
    )
    print(
        f"machine: {platform.system()} {platform.release()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )


if __name__ == "__main__":
    main()
