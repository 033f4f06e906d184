"""A cursor move in the tree, detail pane included: ``python bench/bench_cursor.py``.

Issue 17: on a 10,000-entry list with 10,000 annotations (notes included), a move of the
cursor, the detail pane's update included, should cost at most 16 ms. Measured in-process,
headless (``App.run_test``, 120x36), against a bare Textual app in the same run (``Tree``
with 10,000 leaves and a ``Static`` showing the highlighted label over a varying number of
lines, laid out on each move: the least a tree + detail app can do), the two run
alternately so the load of the machine falls on both:

* ``step``: one ``down``/``up`` at a time, back to back: from posting the key to the first
  moment, after a refresh, the pane shows the paper under the cursor; wall milliseconds and
  CPU milliseconds of the process (``time.process_time``; nothing else runs in it: the
  workers have finished). The next key is posted right after the frame that showed the
  last one, so the wall time is bounded below by Textual's frame clock: a screen repaints at
  most every 1/60 s, and after a frame its timer waits for the next tick but one (17–33 ms);
* ``paced``: the same moves ``PACE`` apart, as a user's keys come (the app idle in between):
  wall and CPU milliseconds. A frame then follows the key at once, so the wall time is what
  a user waits for the tree *and* the pane; an app that repaints the pane in a second frame
  (as this one did before issue 17) shows it here, 17–33 ms later;
* ``burst``: 20 keys posted at once (a held key): CPU milliseconds per key until the pane
  shows the last paper and the screen has refreshed.

The moves go down then up within the first sections (papers only, half with a note). The
machine is shared: the ratios and the CPU times are the comparable figures.
``--profile`` prints the top of a cProfile of our app's steps instead (``SORT=tottime``,
``TOP=80`` in the environment to change what is shown).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import platform
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from scaledata import make  # noqa: E402

BURST = 20
PACE = 0.06
"""Seconds between two paced keys: a user's pace (a held key repeats every 30–40 ms)."""


def bare_app() -> tuple[Any, Callable[[Any], bool]]:
    """Textual's Tree (100 sections of 100 leaves, the first open) and a Static showing the
    highlighted label on 3–9 lines (its height changes, as a detail pane's does)."""
    from textual.app import App, ComposeResult
    from textual.containers import Horizontal
    from textual.widgets import Footer, Header, Static, Tree

    class BareTree(App[None]):
        def compose(self) -> ComposeResult:
            yield Header()
            with Horizontal():
                tree: Tree[None] = Tree("root")
                for s in range(100):
                    node = tree.root.add(f"Section {s}", expand=s < 2)
                    for i in range(100):
                        node.add_leaf(f"Paper {s}-{i} preference reward policy alignment")
                tree.root.expand()
                yield tree
                yield Static("detail", id="d", markup=False)
            yield Footer()

        def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[None]) -> None:
            label = str(event.node.label)
            self.query_one("#d", Static).update((label + "\n") * (3 + len(label) % 7))

    def shows_cursor(app: Any) -> bool:
        tree = app.query_one(Tree)
        node = tree.cursor_node
        text = str(app.query_one("#d", Static).content)
        return node is not None and text.startswith(str(node.label) + "\n")

    return BareTree(), shows_cursor


def our_app(list_path: Path, db_path: Path) -> tuple[Any, Callable[[Any], bool]]:
    from textual.widgets import Static

    from rlhf_reader.textsafe import printable
    from rlhf_reader.tui.app import make_app
    from rlhf_reader.tui.widgets.catalog_tree import CatalogTree
    from rlhf_reader.workspace import Workspace

    def shows_cursor(app: Any) -> bool:
        entry = app.screen.query_one(CatalogTree).current_entry
        head = app.screen.query_one("#detail-text", Static).content
        plain = getattr(head, "plain", str(head))
        return entry is not None and plain.startswith(printable(entry.title) + "\n")

    return make_app(Workspace.open(list_path, db_path)), shows_cursor


async def moves(
    make_app: Callable[[], tuple[Any, Callable[[Any], bool]]],
    steps: int,
    bursts: int,
    profile: cProfile.Profile | None = None,
    paced: int = 0,
) -> dict[str, list[float]]:
    """Wall and CPU milliseconds of ``steps`` single moves back to back, of ``paced`` single
    moves ``PACE`` apart, and CPU per key of ``bursts``."""
    from textual import events
    from textual.widgets import Tree

    app, shows_cursor = make_app()
    found: dict[str, list[float]] = {
        "wall": [],
        "cpu": [],
        "paced_wall": [],
        "paced_cpu": [],
        "burst_cpu": [],
        "burst_wall": [],
    }
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause(0.3)
        await app.workers.wait_for_complete()
        tree = app.screen.query_one(Tree)
        tree.focus()
        await pilot.pause()
        loop = asyncio.get_running_loop()

        async def press(keys: list[str]) -> None:
            done: asyncio.Future[None] = loop.create_future()
            target = tree.cursor_line + sum(1 if k == "down" else -1 for k in keys)

            def check() -> None:
                if done.done():
                    return
                if tree.cursor_line == target and shows_cursor(app):
                    app.call_after_refresh(lambda: done.done() or done.set_result(None))
                else:
                    app.call_after_refresh(check)

            for key in keys:
                app.post_message(events.Key(key, None))
            app.call_after_refresh(check)
            await done

        async def single_moves(count: int, prefix: str, pace: float) -> None:
            for n in range(count):
                key = "down" if n < count // 2 else "up"
                if pace:
                    await asyncio.sleep(pace)  # a user's next key: the app is idle by then
                wall, cpu = time.perf_counter(), time.process_time()
                if profile is not None:
                    profile.enable()
                await press([key])
                if profile is not None:
                    profile.disable()
                found[f"{prefix}cpu"].append((time.process_time() - cpu) * 1000)
                found[f"{prefix}wall"].append((time.perf_counter() - wall) * 1000)

        await single_moves(steps, "", 0)
        await single_moves(paced, "paced_", PACE)
        for n in range(bursts):
            key = "down" if n % 2 == 0 else "up"
            wall, cpu = time.perf_counter(), time.process_time()
            await press([key] * BURST)
            found["burst_cpu"].append((time.process_time() - cpu) * 1000 / BURST)
            found["burst_wall"].append((time.perf_counter() - wall) * 1000 / BURST)
    return found


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "n": len(values),
        "median": round(statistics.median(values), 2),
        "p90": round(ordered[int(len(ordered) * 0.9)], 2),
        "max": round(ordered[-1], 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3, help="alternations of the two apps")
    parser.add_argument("--steps", type=int, default=80, help="single moves per round")
    parser.add_argument("--bursts", type=int, default=4, help="bursts of 20 keys per round")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "rlhf-scale")
    parser.add_argument(
        "--profile", action="store_true", help="profile our app's steps (SORT=, TOP= env)"
    )
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="rlhf-bench-home-"))
    for var in ("XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        os.environ[var] = str(home / var.lower())
    list_path, db_path = make(args.data, args.size)

    def ours() -> tuple[Any, Callable[[Any], bool]]:
        return our_app(list_path, db_path)

    if args.profile:
        profile = cProfile.Profile()
        asyncio.run(moves(ours, args.steps, 0, profile, paced=args.steps))
        stats = pstats.Stats(profile).sort_stats(os.environ.get("SORT", "cumulative"))
        stats.print_stats(int(os.environ.get("TOP", "45")))
        return 0
    got: dict[str, dict[str, list[float]]] = {"ours": {}, "bare": {}}
    asyncio.run(moves(ours, 4, 0))  # warm the parse cache and the imports
    for _ in range(args.rounds):
        for name, factory in (("ours", ours), ("bare", bare_app)):
            found = asyncio.run(moves(factory, args.steps, args.bursts, paced=args.steps))
            for measure, values in found.items():
                got[name].setdefault(measure, []).extend(values)
    result: dict[str, Any] = {
        "machine": f"{' '.join(platform.uname()[i] for i in (0, 2, 4))}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "size": args.size,
    }
    for name, found in got.items():
        result[name] = {measure: summary(values) for measure, values in found.items()}
    result["ratio_ours_to_bare"] = {
        measure: round(
            statistics.median(got["ours"][measure]) / statistics.median(got["bare"][measure]), 3
        )
        for measure in got["ours"]
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
