"""TUI startup and filter speed: ``python bench/bench_startup.py [--runs N]``.

Start-to-first-frame is measured in fresh processes, from spawning the interpreter to the
app's ``Ready`` event (posted after the first frame is composed), headless at 120x36:
  * baseline: a minimal Textual app (Header, Tree, Static, Footer);
  * bundled: ``rlhf-reader`` on the bundled list with an empty library;
  * 10k: a generated 10,000-entry list (bench/genlist.py) with 10,000 annotations.
Runs alternate between the three; the median of each is reported with its ratio to the
baseline measured in the same run. The filter's per-keystroke work (query + tree rebuild)
is timed in-process on the 10k list, typing queries one character at a time.
Each start is also timed from ``App.run`` to the first frame (the app's own start-up,
after the imports and the loading of list and library that the CLI does before it).
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZE = (120, 36)

CHILD = r"""
import sys, time
kind, list_path, db_path = sys.argv[1:4]
from textual.app import App

def on_ready(self):
    print("READY", (time.perf_counter() - RUN[0]) * 1000, flush=True)
    self.exit()

RUN = [0.0]
_run = App.run

def timed_run(self, *args, **kwargs):
    RUN[0] = time.perf_counter()  # the app's own start: after imports and loading
    return _run(self, *args, **kwargs)

App.run = timed_run

App.on_ready = on_ready  # every app below gets it: Ready follows the first composed frame

if kind == "baseline":
    from textual.app import ComposeResult
    from textual.widgets import Footer, Header, Static, Tree

    class Minimal(App):
        def compose(self) -> ComposeResult:
            yield Header()
            yield Tree("root")
            yield Static("detail")
            yield Footer()

    app = Minimal()
else:
    from rlhf_reader.cli import main
    import rlhf_reader.tui.app as tui_app

    _real_run = tui_app.run
    tui_app.run = lambda workspace: _real_run(workspace, headless=True, size=(120, 36))
    args = ["--db", db_path] + (["--list", list_path] if list_path != "-" else [])
    sys.exit(main(args))
app.run(headless=True, size=(120, 36))
"""


def time_start(kind: str, list_path: str, db_path: str) -> tuple[float, float]:
    """(spawn to first frame, App.run to first frame), in seconds."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, kind, list_path, db_path],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("READY"):
            elapsed = time.perf_counter() - start
            in_app = float(line.split()[1]) / 1000
            break
    else:
        raise RuntimeError(f"{kind}: the app never became ready")
    proc.wait()
    return elapsed, in_app


def make_big(folder: Path) -> tuple[str, str]:
    sys.path.insert(0, str(HERE))
    from genlist import make_list

    from rlhf_reader.library.store import Library
    from rlhf_reader.lists.catalog import parse
    from rlhf_reader.model import Annotation, Status

    text = make_list(10_000, 100)
    list_path = folder / "big.md"
    list_path.write_text(text, encoding="utf-8")
    db_path = folder / "big.json"
    library = Library.open(db_path)
    statuses = (Status.READ, Status.READING, Status.UNREAD)
    anns = [
        Annotation(e.key, statuses[i % 3], ("bench", f"t{i % 7}"), "", "2026-01-01T00:00:00Z")
        for i, e in enumerate(parse(text).entries)
    ]
    library.put_annotations(anns)
    library.close()
    return str(list_path), str(db_path)


async def filter_keystrokes(list_path: str, db_path: str, queries: list[str]) -> list[float]:
    from rlhf_reader.tui.app import make_app
    from rlhf_reader.workspace import Workspace

    app = make_app(Workspace.open(Path(list_path), Path(db_path)))
    times: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        screen = app.main_screen
        # The search index is built in a worker once the app is ready: wait until it is in use.
        for _ in range(500):
            await app.workers.wait_for_complete()
            if screen.reading._index is not None:
                break
            await pilot.pause(0.01)
        for query in queries:
            await pilot.press("slash")
            for end in range(1, len(query) + 1):
                start = time.perf_counter()
                screen.apply_filter(query[:end])
                times.append((time.perf_counter() - start) * 1000)
                await pilot.pause()
            await pilot.press("escape")
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    # An installed package has its bytecode compiled by pip, as Textual's has; an editable
    # checkout under PYTHONDONTWRITEBYTECODE=1 (set on this machine) would otherwise compile
    # every module of ours from source in every run, and the baseline none of Textual's.
    compileall.compile_dir(str(HERE.parent / "src" / "rlhf_reader"), quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        big_list, big_db = make_big(folder)
        cases = {
            "baseline": ("-", str(folder / "unused.json")),
            "bundled": ("-", str(folder / "empty.json")),
            "10k": (big_list, big_db),
        }
        for kind, (lp, dp) in cases.items():  # warm the disk cache and .pyc files
            time_start("baseline" if kind == "baseline" else "app", lp, dp)
        samples: dict[str, list[float]] = {kind: [] for kind in cases}
        in_app: dict[str, list[float]] = {kind: [] for kind in cases}
        for _ in range(args.runs):
            for kind, (lp, dp) in cases.items():
                whole, own = time_start("baseline" if kind == "baseline" else "app", lp, dp)
                samples[kind].append(whole)
                in_app[kind].append(own)
        queries = ["preference", "reward model", "tag:t3 policy", "status:read align", "-sparse"]
        keystrokes = asyncio.run(filter_keystrokes(big_list, big_db, queries))
    medians = {kind: statistics.median(values) * 1000 for kind, values in samples.items()}
    own = {kind: statistics.median(values) * 1000 for kind, values in in_app.items()}
    base = medians["baseline"]
    result = {
        "machine": f"{' '.join(platform.uname()[i] for i in (0, 2, 4))}, "
        f"{__import__('os').cpu_count()} cores, Python {platform.python_version()}",
        "runs": args.runs,
        "startup_ms": {k: round(v, 1) for k, v in medians.items()},
        "ratio_bundled": round(medians["bundled"] / base, 3),
        "ratio_10k": round(medians["10k"] / base, 3),
        # Best of N: noise on a shared machine only ever adds time.
        "startup_best_ms": {k: round(min(v) * 1000, 1) for k, v in samples.items()},
        "ratio_best_bundled": round(min(samples["bundled"]) / min(samples["baseline"]), 3),
        "ratio_best_10k": round(min(samples["10k"]) / min(samples["baseline"]), 3),
        "app_run_to_first_frame_ms": {k: round(v, 1) for k, v in own.items()},
        "app_ratio_bundled": round(own["bundled"] / own["baseline"], 3),
        "app_ratio_10k": round(own["10k"] / own["baseline"], 3),
        "filter_ms": {
            "keystrokes": len(keystrokes),
            "median": round(statistics.median(keystrokes), 2),
            "p95": round(sorted(keystrokes)[int(len(keystrokes) * 0.95) - 1], 2),
            "max": round(max(keystrokes), 2),
        },
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
