"""How long the TUI's UI thread stops when another process writes the library:
``python bench/bench_follow.py [--sizes …] [--other-src SRC]``.

Issue 17 ("the UI never blocks"): the open TUI looks at the library file every second and
shows what another process (the CLI, a second window) wrote. At 100,000 entries, re-reading a
28 MB library and making 100,000 rows again takes a second or more. Each case is a fresh
process (headless ``run_test``, 120x36) on a COPY of the library, with this checkout's
``src/`` or another's (``--other-src``, e.g. the before-tree), alternated. Once the app is up
and idle (search index built), each round runs ``rlhf-reader mark KEY read|unread`` as a
separate process on the paper under the cursor (alternating), then measures:

* ``shown_ms``: the CLI process ended → the paper's row shows the new status (looked at
  every 10 ms; the poll comes once a second: 0–1,000 ms of it is waiting for the poll);
* ``blocked_ms``: the longest the UI thread ran nothing (the largest gap between the ticks
  of a 2 ms timer) from the CLI's end until 2 s after the change was shown;
* ``cpu_s``: the process's CPU time (user+sys) over the round.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_writes import run_cases  # noqa: E402
from scaledata import make  # noqa: E402

CHILD = r"""
import asyncio, gc, json, resource, subprocess, sys, time
from pathlib import Path
list_path, db_path, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

def cli(*args):
    subprocess.run([sys.executable, "-m", "rlhf_reader", "--list", list_path, "--db", db_path,
                    *args], check=True, capture_output=True)

async def main():
    from rlhf_reader.tui.app import make_app
    from rlhf_reader.workspace import Workspace
    workspace = Workspace(Path(list_path), Path(db_path), long_lived=True)
    workspace.catalog
    app = make_app(workspace)
    gc.freeze()
    out = {"shown_ms": [], "blocked_ms": [], "cpu_s": []}
    async with app.run_test(size=(120, 36)) as pilot:
        main = app.main_screen
        while main.reading._index is None:
            await pilot.pause(0.1)
        await app.workers.wait_for_complete()
        await pilot.pause(0.5)
        tree = main.catalog_tree
        ticks = []
        app.set_interval(0.002, lambda: ticks.append(time.perf_counter()))

        async def shown(check):
            # Looked at every 10 ms (a callback after each refresh would keep the UI
            # thread busy at every idle, taking the GIL from the writer's thread).
            while not check():
                await asyncio.sleep(0.01)
            return time.perf_counter()

        for n in range(rounds):
            key = tree.current_entry.key
            label = lambda: tree._entry_nodes[key][0].label.plain[0]
            before = label()
            status = "unread" if before == "●" else "read"
            c0 = cpu()
            await asyncio.to_thread(cli, "mark", key, status)
            t0 = time.perf_counter()
            ticks.clear()
            t1 = await shown(lambda: label() != before)
            out["shown_ms"].append((t1 - t0) * 1000)
            await pilot.pause(2.0)
            gaps = [b - a for a, b in zip(ticks, ticks[1:])]
            out["blocked_ms"].append(max([(ticks[0] - t0) if ticks else 1.0, *gaps]) * 1000)
            out["cpu_s"].append(cpu() - c0)
    print(json.dumps(out))

asyncio.run(main())
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--runs", type=int, default=1, help="processes per case, alternated")
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "rlhf-scale")
    parser.add_argument("--other-src", type=Path, help="another checkout's src/ (before)")
    args = parser.parse_args()
    trees = {"after": HERE.parent / "src"}
    if args.other_src:
        trees = {"before": args.other_src, **trees}
    run_cases(CHILD, trees, partial(make, args.data), args.sizes, args.rounds, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
