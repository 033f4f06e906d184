"""The reading keys on a 10,000-entry list: ``s`` (order inside sections), ``!`` (queue) and
the PDF scan that marks the tree (run in a thread once the screen is up).

``python bench/bench_reading.py [--runs N]``: prints the median and max per measure (ms):
the key's own work on the UI thread, and for ``!`` and ``space`` also until the screen is
idle again (repainted, the notification shown). ``s`` is measured with the cursor's section
open (a first start) and with every one of the 100 sections open (all 10,000 rows laid out
and sorted again).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZE = (120, 36)


def make_big(folder: Path, pdfs: int) -> tuple[Path, Path]:
    sys.path.insert(0, str(HERE))
    from genlist import make_list

    from rlhf_reader.lists.catalog import parse
    from rlhf_reader.sources.pdf import pdf_filename

    text = make_list(10_000, 100)
    list_path = folder / "big.md"
    list_path.write_text(text, encoding="utf-8")
    db_path = folder / "big.json"
    (folder / "pdfs").mkdir()
    for entry in parse(text).entries[::50][:pdfs]:
        (folder / "pdfs" / pdf_filename(entry.key)).write_bytes(b"%PDF-1.4\n")
    return list_path, db_path


def ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


async def measure(list_path: Path, db_path: Path, runs: int) -> dict[str, list[float]]:
    from rlhf_reader.tui.app import make_app
    from rlhf_reader.tui.state import ReadingList
    from rlhf_reader.workspace import Workspace

    workspace = Workspace.open(list_path, db_path)
    times: dict[str, list[float]] = {
        "pdf scan, 10,000 keys (in a thread)": [],
        "s, one section open": [],
        "s, all 100 sections open": [],
        "!, queue of up to 20": [],
        "ctrl+down, queue of 20": [],
        "space (for comparison)": [],
        "!, then the screen idle again": [],
        "space, then the screen idle again": [],
    }
    keys = list(ReadingList.of(workspace).rows)
    for _ in range(runs):
        start = time.perf_counter()
        ReadingList.find_pdfs(workspace, keys)
        times["pdf scan, 10,000 keys (in a thread)"].append(ms(start))
    app = make_app(workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.main_screen
        tree = screen.catalog_tree

        async def timed(name: str, action: Callable[[], object]) -> None:
            start = time.perf_counter()
            action()
            times[name].append(ms(start))
            await pilot.pause()
            idle = {"!, queue of up to 20": "!, then the screen idle again"}.get(name)
            idle = idle or {"space (for comparison)": "space, then the screen idle again"}.get(name)
            if idle:
                times[idle].append(ms(start))

        await app.workers.wait_for_complete()
        await pilot.pause()
        screen.notify("warm-up")  # the first toast builds its widgets
        await pilot.pause()
        for _ in range(runs):
            await timed("s, one section open", screen.action_sort)
        for key in keys[: 20 * 10 : 10]:  # 20 papers on the queue
            tree.select_key(key)
            await timed("!, queue of up to 20", screen.action_toggle_queue)
        for _ in range(runs):
            await timed("ctrl+down, queue of 20", lambda: screen.action_queue_move("down"))
        for key in keys[300 : 300 + 10 * runs : 10]:
            tree.select_key(key)
            await timed("space (for comparison)", screen.action_toggle_read)
        with tree.building():
            for node in list(tree._section_nodes.values()):
                tree.open_section(node)
        await pilot.pause()
        for _ in range(runs):
            await timed("s, all 100 sections open", screen.action_sort)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        list_path, db_path = make_big(Path(tmp), pdfs=200)
        times = asyncio.run(measure(list_path, db_path, args.runs))
    for name, values in times.items():
        print(f"{name}: median {statistics.median(values):.1f} ms, max {max(values):.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
