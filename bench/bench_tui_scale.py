"""The TUI at scale, in a real terminal: ``python bench/bench_tui_scale.py [--runs N]``.

Every start is a fresh process inside tmux (a private server, 120x36), so the terminal
output is paid as a user pays it. Measured (issue 17), against a bare Textual app (Header,
Tree, Static and Textual's Footer) run alternately in the same session:

* ``ready``: spawn → the app's ``Ready`` event (the first frame is composed);
* ``idle``: spawn → the moment the process stops using CPU after start (sampled every 10 ms
  by a thread reading the process's CPU time less its own; quiet: under 5 ms in 300 ms),
  and the CPU seconds used until then;
* ``key``: a ``down`` posted at ``Ready`` → the first moment, after a refresh, nothing is
  left to paint and the tree has moved (what the user sees answer);
* ``mem``: the peak resident memory once the search index is built (the app's heaviest state
  at rest);
* the cursor moving down 40 rows on the 10k list, the detail pane included (in-process,
  headless, timed from the key to the refresh after the detail pane showed the new paper),
  twice: each key sent when the last was answered (``10k``: this locks onto Textual's 60 Hz
  frame timer, so a move that fits in a frame reads ~16.7 ms whatever it costs) and one key
  every 35 ms as a held key repeats (``10k_paced``); ``*_cpu``: the app's CPU per move.

Lists and libraries come from ``bench/scaledata.py`` (every entry annotated, half with a
note). The cache and data folders are a temporary folder, never the user's.

``--modes idle`` measures only what is named; ``--other-src DIR`` also starts the bundled list
and each size's list from another checkout's ``src/`` (compiled first, as ours is) in the same
alternation, as ``bundled@other``, ``100k@other``: a before/after A/B whose cases share every
minute's load.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from scaledata import make  # noqa: E402

SOCKET = f"rlhf-bench-{os.getpid()}"
PACE = 0.035
"""Seconds between keys in the paced cursor moves (a held key repeats every 30-40 ms)."""

CHILD = r"""
import json, os, resource, sys, threading, time
mode, kind, list_path, db_path, out = sys.argv[1:6]
T0 = float(os.environ["BENCH_T0"])

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

def report(**values):
    with open(out, "a") as f:
        f.write(json.dumps(values) + "\n")

from textual import events
from textual.app import App

def watch_idle():
    # Idle: the CPU time grew by less than 5 ms over 300 ms; report where that quiet began.
    samples = []
    while True:
        time.sleep(0.01)
        # The process's CPU less this thread's own (sampling costs about 1 % of a core).
        samples.append((time.time(), cpu() - time.thread_time()))
        del samples[:-60]  # the last 0.6 s: scanning them all would itself use the CPU
        if samples[-1][0] - T0 < 0.3 or not READY:
            continue
        start = next(i for i, s in enumerate(samples) if s[0] >= samples[-1][0] - 0.3)
        if samples[-1][1] - samples[start][1] < 0.005:
            report(idle=samples[start][0] - T0, idle_cpu=samples[start][1])
            os._exit(0)
        if samples[-1][0] - T0 > 60:
            report(idle=None)
            os._exit(0)

READY = []

def on_ready(self):
    READY.append(time.time())
    report(ready=READY[0] - T0, ready_cpu=cpu())
    if mode == "ready":
        os._exit(0)
    if mode == "key":
        tree = self.screen.query_one("Tree")
        line = tree.cursor_line
        sent = time.perf_counter()
        def answered():
            # Textual runs these callbacks once nothing is left to paint: the tree has moved
            # and that is on the screen (waiting for a further refresh would time the
            # workers' messages that come next, not the key).
            if tree.cursor_line != line:
                report(key_ms=(time.perf_counter() - sent) * 1000)
                os._exit(0)
            else:
                self.call_after_refresh(answered)
        self.post_message(events.Key("down", None))
        self.call_after_refresh(answered)
    if mode == "mem":
        def check():
            reading = getattr(getattr(self, "main_screen", None), "reading", None)
            if reading is None or reading._index is not None:
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                report(mem_mb=peak, index_s=time.time() - READY[0])
                os._exit(0)
        self.set_interval(0.05, check)

App.on_ready = on_ready
if mode == "idle":
    threading.Thread(target=watch_idle, daemon=True).start()

if kind == "baseline":
    from textual.app import ComposeResult
    from textual.widgets import Footer, Header, Static, Tree

    class Bare(App):
        def compose(self) -> ComposeResult:
            yield Header()
            tree = Tree("root")
            for i in range(40):
                tree.root.add_leaf(f"paper {i}")
            tree.root.expand()
            yield tree
            yield Static("detail")
            yield Footer()

    Bare().run()
else:
    from rlhf_reader.cli import main
    args = ["--db", db_path] + (["--list", list_path] if list_path != "-" else [])
    sys.exit(main(args))
"""


def tmux(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["tmux", "-L", SOCKET, *args], capture_output=True, text=True, check=False
    )


def run_child(mode: str, kind: str, list_path: str, db_path: str, env: dict[str, str]) -> dict:
    """One start in a fresh tmux window; what the child reported."""
    with tempfile.NamedTemporaryFile("r", suffix=".jsonl", delete=False) as handle:
        out = handle.name
    session = f"s{time.perf_counter_ns()}"
    t0 = time.time()
    command = [sys.executable, "-c", CHILD, mode, kind, list_path, db_path, out]
    env_words = [f"{k}={v}" for k, v in {**env, "BENCH_T0": repr(t0)}.items()]
    tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "36", "env", *env_words, *command)
    wanted = {"ready": "ready", "idle": "idle", "key": "key_ms", "mem": "mem_mb"}[mode]
    result: dict = {}
    deadline = time.time() + 120
    while time.time() < deadline:
        time.sleep(0.02)
        text = Path(out).read_text()
        result = {k: v for line in text.splitlines() for k, v in json.loads(line).items()}
        if wanted in result:
            break
    tmux("kill-session", "-t", session)
    os.unlink(out)
    if wanted not in result:
        raise RuntimeError(f"{kind} {mode}: no answer ({result})")
    return result


def bare_tree_app():  # type: ignore[no-untyped-def]
    """The baseline for a cursor move: Textual's Tree (10,000 leaves in 100 nodes, the first
    open) and a Static that shows the highlighted label, as the detail pane does."""
    from textual.app import App
    from textual.containers import Horizontal
    from textual.widgets import Footer, Header, Static, Tree

    class BareTree(App[None]):
        def compose(self):  # type: ignore[no-untyped-def]
            yield Header()
            with Horizontal():
                tree: Tree[None] = Tree("root")
                for s in range(100):
                    node = tree.root.add(f"Section {s}", expand=s == 0)
                    for i in range(100):
                        node.add_leaf(f"Paper {s}-{i} preference reward policy alignment")
                tree.root.expand()
                yield tree
                yield Static("detail", id="d")
            yield Footer()

        def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[None]) -> None:
            label = str(event.node.label)
            self.query_one("#d", Static).update((label + "\n") * (3 + len(label) % 7))

    return BareTree()


async def cursor_moves(
    list_path: str | None, db_path: str | None, moves: int, pace: float = 0.0
) -> tuple[list[float], list[float]]:
    """Milliseconds from a ``down`` to the refresh after the tree moved and the detail pane
    was updated (its highlight handler runs before that refresh), and the CPU milliseconds of
    each move (the app's thread: the key, the frame, and what the app does until the next
    key); ``list_path`` None: the bare Tree + Static app.

    ``pace`` 0: each key is sent as soon as the last one was answered. The next frame then
    waits for Textual's 60 Hz frame timer, whose last tick was the answer: every move that
    fits in a frame reads as ~16.7 ms, however little it costs. ``pace`` > 0: a key every
    ``pace`` seconds (a held key repeats every 30-40 ms), so each key is timed as it is
    answered, frame timer included, as a user's keys are."""
    from textual import events
    from textual.widgets import Tree

    if list_path is None or db_path is None:
        app = bare_tree_app()
    else:
        from rlhf_reader.tui.app import make_app
        from rlhf_reader.workspace import Workspace

        app = make_app(Workspace.open(Path(list_path), Path(db_path)))
        # The collector as ``tui.app.run`` leaves it (``run_test`` does not go through it):
        # paused until the first frame, then what the start made frozen; before that
        # existed, the list and library frozen before the app ran.
        if hasattr(app, "end_start_pause"):
            from contextlib import ExitStack

            from rlhf_reader.gcpause import paused

            app.start_pause = ExitStack()
            app.start_pause.enter_context(paused())
        else:
            gc.freeze()
    times: list[float] = []
    cpu: list[float] = []
    thresholds = gc.get_threshold()  # as run() leaves them for the next app measured
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause(0.5)
        await app.workers.wait_for_complete()
        tree = app.screen.query_one(Tree)
        tree.focus()
        await pilot.pause()
        for _ in range(moves):
            before = tree.cursor_line
            done = asyncio.get_running_loop().create_future()

            def check(before: int = before, done: asyncio.Future[None] = done) -> None:
                if done.done():
                    return
                if tree.cursor_line != before:
                    app.call_after_refresh(lambda: done.done() or done.set_result(None))
                else:
                    app.call_after_refresh(check)

            start, start_cpu = time.perf_counter(), time.thread_time()
            app.post_message(events.Key("down", None))
            app.call_after_refresh(check)
            await done
            times.append((time.perf_counter() - start) * 1000)
            if pace:
                await asyncio.sleep(max(0.0, start + pace - time.perf_counter()))
            cpu.append((time.thread_time() - start_cpu) * 1000)
    gc.set_threshold(*thresholds)
    return times, cpu


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "rlhf-scale")
    parser.add_argument(
        "--modes",
        nargs="*",
        default=["ready", "idle", "key", "mem", "move"],
        help="what to measure (move: the in-process cursor moves on the 10k list)",
    )
    parser.add_argument("--other-src", type=Path, help="another checkout's src/ to compare")
    args = parser.parse_args()
    compileall.compile_dir(str(HERE.parent / "src" / "rlhf_reader"), quiet=1)
    if args.other_src:
        compileall.compile_dir(str(args.other_src / "rlhf_reader"), quiet=1)
    home = Path(tempfile.mkdtemp(prefix="rlhf-bench-home-"))
    env = {
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_STATE_HOME": str(home / "state"),
        "TERM": "xterm-256color",
        "PATH": os.environ.get("PATH", ""),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if os.environ.get("PYTHONPATH"):  # another checkout's src/, to compare two versions
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    os.environ.update({k: v for k, v in env.items() if k.startswith("XDG")})
    cases = {"baseline": ("-", str(home / "unused.json")), "bundled": ("-", str(home / "b.json"))}
    envs = {kind: env for kind in ("baseline", "bundled")}
    if args.other_src:
        cases["bundled@other"] = ("-", str(home / "b-other.json"))
        envs["bundled@other"] = {**env, "PYTHONPATH": str(args.other_src.resolve())}
    for size in args.sizes:
        list_path, db_path = make(args.data, size)
        cases[f"{size // 1000}k"] = (str(list_path), str(db_path))
        envs[f"{size // 1000}k"] = env
        if args.other_src:  # the same list from the other checkout, in the same alternation
            cases[f"{size // 1000}k@other"] = (str(list_path), str(db_path))
            envs[f"{size // 1000}k@other"] = envs["bundled@other"]
    tmux("start-server")
    results: dict[str, dict[str, list[float]]] = {kind: {} for kind in cases}
    try:
        for kind, (lp, dp) in cases.items():  # warm the disk cache, the parse cache, .pyc
            run_child("ready", "baseline" if kind == "baseline" else "app", lp, dp, envs[kind])
        for _ in range(args.runs):
            for kind, (lp, dp) in cases.items():
                app_kind = "baseline" if kind == "baseline" else "app"
                modes = ["ready", "idle", "key"] + ([] if kind == "baseline" else ["mem"])
                size_name = kind.partition("@")[0]
                if size_name.endswith("k") and int(size_name[:-1]) >= 100:
                    modes = ["ready", "mem"]
                for mode in [mode for mode in modes if mode in args.modes]:
                    try:
                        got = run_child(mode, app_kind, lp, dp, envs[kind])
                    except RuntimeError:  # a start lost on the loaded machine: once more
                        got = run_child(mode, app_kind, lp, dp, envs[kind])
                    for name, value in got.items():
                        if isinstance(value, (int, float)):
                            results[kind].setdefault(name, []).append(value)
        moved: dict[str, list[float]] = {}
        ten_k = cases.get("10k")
        if ten_k and "move" in args.modes:
            for _ in range(2):  # alternately, 40 moves each time, back to back then paced
                for pace, suffix in ((0.0, ""), (PACE, "_paced")):
                    for name, where in (("10k", ten_k), ("bare_tree", (None, None))):
                        took, cpu = asyncio.run(cursor_moves(*where, 40, pace))
                        moved.setdefault(name + suffix, []).extend(took)
                        moved.setdefault(name + suffix + "_cpu", []).extend(cpu)
        moves, bare_moves = moved.get("10k", []), moved.get("bare_tree", [])
    finally:
        tmux("kill-server")
    summary = {
        kind: {name: round(median(values), 4) for name, values in found.items()}
        for kind, found in results.items()
    }
    base = summary["baseline"]
    ratios = {
        kind: {
            name: round(value / base[name], 3)
            for name, value in found.items()
            if name in ("ready", "idle", "idle_cpu") and base.get(name)
        }
        for kind, found in summary.items()
        if kind != "baseline"
    }
    load = os.getloadavg()
    print(
        json.dumps(
            {
                "machine": f"{' '.join(platform.uname()[i] for i in (0, 2, 4))}, "
                f"{os.cpu_count()} cores, Python {platform.python_version()}",
                "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                "load_average_at_end": [round(x, 2) for x in load],
                "runs": args.runs,
                "medians": summary,
                "ratios_to_bare_app": ratios,
                "cursor_move_ms": {
                    name: {
                        "moves": len(found),
                        "median": round(median(found), 2),
                        "p90": round(sorted(found)[int(len(found) * 0.9)], 2),
                        "max": round(max(found), 2),
                    }
                    for name, found in moved.items()
                    if found
                },
                "cursor_move_ratio_10k_to_bare": round(median(moves) / median(bare_moves), 3)
                if moves and bare_moves
                else None,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
