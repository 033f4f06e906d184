"""How long a status key blocks the TUI's UI thread: ``python bench/bench_writes.py``.

Issue 17 ("the UI never blocks"): at 100,000 entries a write re-writes and fsyncs the 28 MB
library file. Each case is a fresh process (headless ``run_test``, 120x36) on a COPY of the
library, with this checkout's ``src/`` or another's (``--other-src``, e.g. the before-tree),
alternated. Once the app is up and idle (search index built), each round measures:

* ``frame_ms``: ``space`` posted → the first refresh after which the paper's row shows the new
  status (what the reader sees answer);
* ``next_key_ms``: ``space`` and ``down`` posted together → the refresh after which the cursor
  has moved (a key pressed while the write is under way: how long it waits);
* ``blocked_ms``: the longest the UI thread ran nothing (the largest gap between the ticks
  of a 2 ms timer) in the second after the ``space``: how long the UI thread was blocked;
* ``cpu_s``: the process's CPU time (user+sys) over the round, the writer's thread included.

Between rounds the writes are let finish (the writer is idle) and the cursor goes back up.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = r"""
import asyncio, gc, json, resource, sys, time
from pathlib import Path
from textual import events
list_path, db_path, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

async def main():
    from rlhf_reader.tui.app import make_app
    from rlhf_reader.workspace import Workspace
    # as the CLI opens the TUI: a long-lived workspace, the collector frozen after the load
    workspace = Workspace(Path(list_path), Path(db_path), long_lived=True)
    workspace.catalog
    app = make_app(workspace)
    gc.freeze()
    out = {"frame_ms": [], "next_key_ms": [], "blocked_ms": [], "cpu_s": []}
    async with app.run_test(size=(120, 36)) as pilot:
        main = app.main_screen
        while main.reading._index is None:  # the search index, built in a thread at start
            await pilot.pause(0.1)
        await app.workers.wait_for_complete()
        await pilot.pause(0.5)
        tree = main.catalog_tree
        ticks = []
        app.set_interval(0.002, lambda: ticks.append(time.perf_counter()))

        async def settle():
            writer = getattr(app, "writer", None)
            while writer is not None and not writer.idle:
                await pilot.pause(0.02)
            while getattr(getattr(main, "writes", None), "busy", False):
                await pilot.pause(0.02)
            await pilot.pause(0.3)

        async def after_refresh_until(check):
            done = asyncio.get_running_loop().create_future()
            def look():
                if done.done():
                    return
                if check():
                    done.set_result(time.perf_counter())
                else:
                    app.call_after_refresh(look)
            app.call_after_refresh(look)
            return await done

        for _ in range(rounds):
            key = tree.current_entry.key
            was = main.reading.status(key)
            label = lambda: tree._entry_nodes[key][0].label.plain[0]
            before_label = label()
            c0 = cpu()
            ticks.clear()
            t0 = time.perf_counter()
            app.post_message(events.Key("space", " "))
            t1 = await after_refresh_until(lambda: label() != before_label)
            out["frame_ms"].append((t1 - t0) * 1000)
            await pilot.pause(1.0)
            gaps = [b - a for a, b in zip(ticks, ticks[1:])]
            first = (ticks[0] - t0) if ticks else 1.0
            out["blocked_ms"].append(max([first, *gaps]) * 1000)
            await settle()
            out["cpu_s"].append(cpu() - c0)
            # space and down at once: how long the second key waits
            line = tree.cursor_line
            t0 = time.perf_counter()
            app.post_message(events.Key("space", " "))
            app.post_message(events.Key("down", None))
            t1 = await after_refresh_until(lambda: tree.cursor_line != line)
            out["next_key_ms"].append((t1 - t0) * 1000)
            await settle()
            app.post_message(events.Key("up", None))
            await pilot.pause(0.2)
    print(json.dumps(out))

asyncio.run(main())
"""


def run_child(
    src: Path, list_path: Path, library: Path, rounds: int, env: dict[str, str], child: str = CHILD
) -> dict:
    """One headless app (``child``'s code) on a copy of ``library``, with the code in ``src``;
    the measures it printed."""
    work = Path(tempfile.mkdtemp(prefix="rlhf-bench-tui-"))
    db = work / "library.json"
    shutil.copy2(library, db)  # never the data set itself
    try:
        done = subprocess.run(
            [sys.executable, "-c", child, str(list_path), str(db), str(rounds)],
            capture_output=True,
            text=True,
            env={**env, "PYTHONPATH": str(src)},
            check=False,
            timeout=900,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_cases(
    child: str,
    trees: dict[str, Path],
    data: Callable[[int], tuple[Path, Path]],
    sizes: list[int],
    rounds: int,
    runs: int,
) -> None:
    """Each size (``data``: its list and library) with each tree, alternated, ``runs``
    processes each; prints the medians and maxima of every measure as JSON."""
    for tree in trees.values():
        compileall.compile_dir(str(tree / "rlhf_reader"), quiet=1)
    home = Path(tempfile.mkdtemp(prefix="rlhf-bench-home-"))
    env = {
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_STATE_HOME": str(home / "state"),
        "HOME": str(home),
        "PATH": os.environ.get("PATH", ""),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    results: dict[str, dict[str, list[float]]] = {}
    for size in sizes:
        list_path, library = data(size)
        for _ in range(runs):
            for name, src in trees.items():
                got = run_child(src, list_path, library, rounds, env, child)
                found = results.setdefault(f"{size // 1000}k {name}", {})
                for measure, values in got.items():
                    found.setdefault(measure, []).extend(values)
    shutil.rmtree(home, ignore_errors=True)
    summary = {
        case: {
            measure: {"median": round(statistics.median(v), 3), "max": round(max(v), 3)}
            for measure, v in found.items()
        }
        for case, found in results.items()
    }
    print(
        json.dumps(
            {
                "machine": f"{' '.join(platform.uname()[i] for i in (0, 2, 4))}, "
                f"{os.cpu_count()} cores, Python {platform.python_version()}",
                "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
                "rounds_per_case": rounds * runs,
                "results": summary,
            },
            indent=2,
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=1, help="processes per case, alternated")
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--data", type=Path, default=Path("/tmp/s5/scale"))
    parser.add_argument("--other-src", type=Path, help="another checkout's src/ (before)")
    args = parser.parse_args()
    trees = {"after": HERE.parent / "src"}
    if args.other_src:
        trees = {"before": args.other_src, **trees}

    def data(size: int) -> tuple[Path, Path]:
        return args.data / f"list-{size}.md", args.data / f"library-{size}.json"

    run_cases(CHILD, trees, data, args.sizes, args.rounds, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
