"""Per-keystroke cost of the command palette's paper search: ``python bench/bench_palette.py
[ENTRIES]``.

Builds the generated list (``genlist.make_list``), opens the real app headless on it (a
library in a temp folder), then drives ``PaperCommands`` as the palette does: ``startup``
once (what opening the palette costs), then ``search`` for each successive prefix of each
query (what each keystroke costs), collecting every hit. Times are wall clock, median of
``REPEAT`` runs per prefix; the slowest prefix of each query is reported too.
"""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from genlist import make_list

from rlhf_reader.tui.app import make_app
from rlhf_reader.tui.commands import PaperCommands
from rlhf_reader.workspace import Workspace

REPEAT = 3
clock = time.process_time
"""CPU time of this process: the palette's search runs on the UI thread, and the machine is
shared (wall-clock figures there measure the other jobs as much as this code)."""
QUERIES = [
    "preference optimization",  # title words: many hits
    "e",  # one letter: nearly every paper, the densest result
    "calibration theory 4242",  # words of one title, not side by side
    "2000.04242",  # an arXiv id
    "ensemble theory",  # author names (the generated authors are word pairs)
    "fetch",  # a command: every paper must score below it
    "zzzz",  # nothing matches: every paper looked at
]


async def measure(entries: int) -> None:
    folder = Path(tempfile.mkdtemp())
    list_path = folder / "list.md"
    list_path.write_text(make_list(entries, max(10, entries // 100)), encoding="utf-8")
    app = make_app(Workspace.open(list_path, folder / "library.json"))
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        screen = app.main_screen
        opened = []
        for _ in range(REPEAT):
            provider = PaperCommands(screen)
            start = clock()
            await provider.startup()
            opened.append(clock() - start)
        print(
            f"open (startup, {len(getattr(provider, 'papers', []))} listings): "
            f"{statistics.median(opened) * 1000:.1f} ms"
        )
        print("| query | hits | median per keystroke | slowest prefix |")
        print("| --- | --- | --- | --- |")
        for query in QUERIES:
            per_prefix = []
            hits = 0
            for end in range(1, len(query) + 1):
                prefix = query[:end]
                times = []
                for _ in range(REPEAT):
                    start = clock()
                    found = [hit async for hit in provider.search(prefix)]
                    times.append(clock() - start)
                per_prefix.append(statistics.median(times))
                hits = len(found)
            print(
                f"| `{query}` | {hits} | {statistics.median(per_prefix) * 1000:.1f} ms "
                f"| {max(per_prefix) * 1000:.1f} ms |"
            )
    print(
        f"\n{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{time.strftime('%Y-%m-%d')}; {entries} entries"
    )


if __name__ == "__main__":
    asyncio.run(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))
