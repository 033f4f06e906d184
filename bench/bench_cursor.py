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

``--notes markdown`` runs our app on a copy of the library in which two papers in five (in
pairs: the 1st and 2nd of every five) have a note written in Markdown (a heading, a list, a
link, inline and fenced code, a quote; each note different), one in five a plain note, the
rest as ``scaledata`` made them; our single moves are then also reported by kind: onto a
Markdown note (from a paper or section without one), off one, between two, and the rest
(``md_onto``, ``md_off``, ``md_between``, ``md_none``; ``paced_`` for the paced moves).
``--profile`` prints the top of a cProfile of our app's steps instead (``SORT=tottime``,
``TOP=80`` in the environment to change what is shown).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import dataclasses
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


MARKDOWN_NOTE = """## {title}

The reward model **overfits** after *{steps}k* steps; see [the paper](https://arxiv.org/abs/{arxiv})
and `kl_coef={kl}`.

- {first}
- {second}
  1. nested: {third}

```python
def loss(x):
    return x * {kl}
```

> {quote}
"""


def markdown_library(folder: Path, db_path: Path) -> Path:
    """A copy of ``db_path`` (made once per folder) where entries 0 and 1 of every five have
    a Markdown note and entry 2 a plain one (see ``--notes``)."""
    import random

    from genlist import WORDS

    from rlhf_reader.library.store import Library

    target = folder / (db_path.stem + "-markdown.json")
    if target.exists():
        return target
    source = Library.open(db_path)
    annotations = source.annotations()
    source.close()
    rng = random.Random(17)

    def words(low: int, high: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high))).capitalize()

    changed = []
    for i, ann in enumerate(annotations.values()):
        if i % 5 in (0, 1):
            note = MARKDOWN_NOTE.format(
                title=words(2, 5),
                steps=rng.randint(1, 9),
                arxiv=f"2{rng.randint(100, 999)}.{rng.randint(10000, 99999)}",
                kl=rng.randint(1, 99) / 100,
                first=words(4, 9),
                second=words(12, 30),
                third=words(3, 8),
                quote=words(6, 20),
            )
        elif i % 5 == 2:
            note = words(8, 20) + "."
        else:
            continue
        changed.append(dataclasses.replace(ann, note=note))
    copy = Library.open(target)
    copy.put_annotations(list(annotations.values()))
    copy.put_annotations(changed)
    copy.close()
    return target


def has_markdown_note(app: Any) -> bool:
    """Whether the paper under our app's cursor has a note with Markdown in it."""
    from rlhf_reader.plainnote import plain_note
    from rlhf_reader.textsafe import printable_block
    from rlhf_reader.tui.widgets.catalog_tree import CatalogTree

    entry = app.screen.query_one(CatalogTree).current_entry
    if entry is None:
        return False
    note = printable_block(app.workspace.library.annotation(entry.key).note)
    return bool(note.strip()) and plain_note(note) is None


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
    kinds: bool = False,
) -> dict[str, list[float]]:
    """Wall and CPU milliseconds of ``steps`` single moves back to back, of ``paced`` single
    moves ``PACE`` apart, and CPU per key of ``bursts``; with ``kinds``, the single moves
    also by kind (``md_onto``, ``md_off``, ``md_between``, ``md_none``: see ``--notes``)."""
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
                before = kinds and has_markdown_note(app)
                wall, cpu = time.perf_counter(), time.process_time()
                if profile is not None:
                    profile.enable()
                await press([key])
                if profile is not None:
                    profile.disable()
                cpu_ms = (time.process_time() - cpu) * 1000
                wall_ms = (time.perf_counter() - wall) * 1000
                found[f"{prefix}cpu"].append(cpu_ms)
                found[f"{prefix}wall"].append(wall_ms)
                if kinds:
                    after = has_markdown_note(app)
                    kind = {
                        (False, True): "md_onto",
                        (True, False): "md_off",
                        (True, True): "md_between",
                    }.get((before, after), "md_none")
                    found.setdefault(f"{prefix}{kind}_cpu", []).append(cpu_ms)
                    found.setdefault(f"{prefix}{kind}_wall", []).append(wall_ms)

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
    parser.add_argument(
        "--notes",
        choices=("plain", "markdown"),
        default="plain",
        help="markdown: two papers in five have a Markdown note (moves reported by kind)",
    )
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="rlhf-bench-home-"))
    for var in ("XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        os.environ[var] = str(home / var.lower())
    list_path, db_path = make(args.data, args.size)
    kinds = args.notes == "markdown"
    if kinds:
        db_path = markdown_library(args.data, db_path)

    def ours() -> tuple[Any, Callable[[Any], bool]]:
        return our_app(list_path, db_path)

    if args.profile:
        profile = cProfile.Profile()
        asyncio.run(moves(ours, args.steps, 0, profile, paced=args.steps, kinds=kinds))
        stats = pstats.Stats(profile).sort_stats(os.environ.get("SORT", "cumulative"))
        stats.print_stats(int(os.environ.get("TOP", "45")))
        return 0
    got: dict[str, dict[str, list[float]]] = {"ours": {}, "bare": {}}
    asyncio.run(moves(ours, 4, 0))  # warm the parse cache and the imports
    for _ in range(args.rounds):
        for name, factory in (("ours", ours), ("bare", bare_app)):
            found = asyncio.run(
                moves(
                    factory,
                    args.steps,
                    args.bursts,
                    paced=args.steps,
                    kinds=kinds and name == "ours",
                )
            )
            for measure, values in found.items():
                got[name].setdefault(measure, []).extend(values)
    result: dict[str, Any] = {
        "machine": f"{' '.join(platform.uname()[i] for i in (0, 2, 4))}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "size": args.size,
        "notes": args.notes,
    }
    for name, found in got.items():
        result[name] = {measure: summary(values) for measure, values in found.items()}
    result["ratio_ours_to_bare"] = {
        measure: round(
            statistics.median(got["ours"][measure]) / statistics.median(got["bare"][measure]), 3
        )
        for measure in got["ours"]
        if measure in got["bare"]
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
