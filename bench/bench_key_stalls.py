"""The longest stop of the UI thread after each key, on a big list: ``python
bench/bench_key_stalls.py [--size 100000] [--keys …] [--other-src SRC]``.

The brief: "The UI never blocks: network and file work that can take >50 ms runs in a
Textual worker". At 100,000 entries a key whose work grows with the list (counting, sorting,
rebuilding rows, copying records) stops the UI thread for as long as that work takes. Each
case is a fresh process (headless ``run_test``, 120x36) on a COPY of the library, with this
checkout's ``src/`` or another's (``--other-src``), alternated. Once the app is up and idle
(search index built), the cursor is put on a paper, and for each key: a 2 ms timer ticks,
the key is pressed, the app is left alone for ``--settle`` seconds, then a screen the key
opened is closed with escape. ``blocked_ms`` is the largest gap between ticks from the key
until the end of the settle time (the escape's own work is not counted). pyperclip is
replaced by a list (no real clipboard) and the network is not used (arXiv is asked at a
closed port of 127.0.0.1: ``f`` and ``F`` plan, then fail); keys that fetch (``f``, ``F``,
``a``, ``U``, ``d``) are not in the default set; ``@changed`` stands for how ``a``
and ``U`` end (``messages.WorkspaceChanged``: the list's view made again).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from scaledata import make  # noqa: E402

DEFAULT_KEYS = [
    "space", "space", "i", "i", "A", "A", "y", "c", "C", "exclamation_mark",
    "exclamation_mark", "s", "s", "s", "s", "p", "question_mark", "e", "t", "n", "L",
    "N", "u", "m", "@changed",
]  # fmt: skip

CHILD = r"""
import asyncio, gc, json, sys, time
from pathlib import Path
list_path, db_path, settle = sys.argv[1], sys.argv[2], float(sys.argv[3])
keys = sys.argv[4:]

import pyperclip
copied = []
pyperclip.copy = copied.append
pyperclip.paste = lambda: copied[-1] if copied else ""

async def main():
    from rlhf_reader.tui.app import make_app
    from rlhf_reader.workspace import Workspace
    workspace = Workspace(Path(list_path), Path(db_path), long_lived=True)
    workspace.catalog
    app = make_app(workspace)
    gc.freeze()
    out = []
    async with app.run_test(size=(120, 36)) as pilot:
        main = app.main_screen
        while main.reading._index is None:
            await pilot.pause(0.1)
        await app.workers.wait_for_complete()
        await pilot.pause(0.5)
        await pilot.press("l", "l", "j")
        await pilot.pause(0.3)
        ticks = []
        app.set_interval(0.002, lambda: ticks.append(time.perf_counter()))
        for key in keys:
            screens = len(app.screen_stack)
            await pilot.pause(0.2)
            ticks.clear()
            t0 = time.perf_counter()
            if key == "@changed":  # what a and U end with: the view made again
                from rlhf_reader.tui import messages
                main.post_message(messages.WorkspaceChanged())
            else:
                await pilot.press(key)
            await asyncio.sleep(settle)
            gaps = [b - a for a, b in zip(ticks, ticks[1:])]
            first = (ticks[0] - t0) if ticks else settle
            out.append([key, round(max([first, *gaps]) * 1000, 1)])
            for _ in range(3):
                if len(app.screen_stack) <= screens:
                    break
                await pilot.press("escape")
                await pilot.pause(0.3)
            await app.workers.wait_for_complete()
    print(json.dumps(out))

asyncio.run(main())
"""


def run(src: Path, list_path: Path, db: Path, settle: float, keys: list[str]) -> list:
    with tempfile.TemporaryDirectory(prefix="rlhf-stall-") as tmp:
        copy = Path(tmp) / db.name
        copy.write_bytes(db.read_bytes())
        env = dict(os.environ, PYTHONPATH=str(src), HOME=tmp, XDG_DATA_HOME=f"{tmp}/data",
                   XDG_CACHE_HOME=f"{tmp}/cache", XDG_CONFIG_HOME=f"{tmp}/config",
                   RLHF_READER_ARXIV_URL="http://127.0.0.1:9/api/query")  # fmt: skip
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(list_path), str(copy), str(settle), *keys],
            env=env, capture_output=True, text=True, check=False, timeout=900,
        )  # fmt: skip
        if done.returncode:
            raise SystemExit(done.stderr[-3000:])
        return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--settle", type=float, default=3.0)
    parser.add_argument("--keys", nargs="*", default=DEFAULT_KEYS)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "rlhf-scale")
    parser.add_argument("--other-src", type=Path)
    args = parser.parse_args()
    list_path, db = make(args.data, args.size)
    sides = {"this": HERE.parent / "src"}
    if args.other_src:
        sides["other"] = args.other_src
    results: dict[str, list[list]] = {name: [] for name in sides}
    for n in range(args.runs):
        for name, src in sides.items() if n % 2 == 0 else reversed(sides.items()):
            got = run(src, list_path, db, args.settle, args.keys)
            print(json.dumps({"run": n, "side": name, "stalls": got}), flush=True)
            results[name].append(got)
    print(f"size {args.size}, runs {args.runs}, load {os.getloadavg()}")
    print("| key (in order) | " + " | ".join(f"{name} ms" for name in sides) + " |")
    print("| --- |" + " ---: |" * len(sides))
    for i, key in enumerate(args.keys):
        cells = [statistics.median(run[i][1] for run in results[name]) for name in sides]
        print(f"| `{key}` | " + " | ".join(f"{c:,.0f}" for c in cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
