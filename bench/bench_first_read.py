"""The first read of a big list, nothing cached, before vs after, whole processes:
``python bench/bench_first_read.py BEFORE_SRC [--sizes N…] [--runs R] [--data DIR]``.

For each size (lists and libraries from ``scaledata.make``) and each tree (this one and
``BEFORE_SRC``, a ``src`` folder, compiled here first), alternating, each run with an empty
cache folder (no parse cache, no library snapshot, no record of the library's check):

- ``stats``: wall and CPU seconds (user + system, of the process and the children it waited
  for: the processes ``parallel.map_parts`` forks; not the detached writer of the cache,
  whose CPU is on another core), the peak memory, and ``cache`` — when the list's parse
  cache was complete, from the start (written by the command itself, or after it returned
  by the process it detached);
- ``tui``: a new reader's first start of the TUI on the list with an empty library, in
  tmux (120x36): spawn → the first entry row on the screen.

The figures go to bench/RESULTS.md by hand, with the machine, the date and the load.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_scale import timed_process  # noqa: E402
from scaledata import make  # noqa: E402

SOCKET = f"rlhf-first-{os.getpid()}"


def fresh(home: Path) -> dict[str, str]:
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    env = {**os.environ, "HOME": str(home)}
    for name in ("cache", "data", "config", "state"):
        env[f"XDG_{name.upper()}_HOME"] = str(home / name)
    return env


def cache_done(home: Path, start: float, limit: float = 120) -> float:
    """Seconds from ``start`` until a ``.marshal`` parse cache exists under ``home``."""
    folder = home / "cache" / "rlhf-reader" / "catalogs"
    while time.perf_counter() - start < limit:
        if folder.is_dir() and any(folder.glob("*.marshal")):
            return time.perf_counter() - start
        time.sleep(0.01)
    return float("nan")


def stats_run(src: Path, home: Path, list_path: Path, db: Path) -> tuple[float, ...]:
    env = {**fresh(home), "PYTHONPATH": str(src)}
    work = home / "library.json"
    shutil.copyfile(db, work)
    cli = [sys.executable, "-m", "rlhf_reader", "--list", str(list_path), "--db", str(work)]
    start = time.perf_counter()
    wall, peak, cpu = timed_process([*cli, "stats"], env)
    return wall, cpu, peak, cache_done(home, start)


def tmux(*args: str) -> str:
    done = subprocess.run(["tmux", "-L", SOCKET, *args], capture_output=True, text=True)
    return done.stdout


def tui_run(src: Path, home: Path, list_path: Path, marker: str) -> float:
    env = fresh(home)
    command = [sys.executable, "-m", "rlhf_reader", "--list", str(list_path),
               "--db", str(home / "library.json")]  # fmt: skip
    exports = [f"{k}={env[k]}" for k in env if k.startswith("XDG_") or k == "HOME"]
    start = time.perf_counter()
    tmux("new-session", "-d", "-s", "first", "-x", "120", "-y", "36",
         "env", *exports, f"PYTHONPATH={src}", *command)  # fmt: skip
    shown = float("nan")
    while time.perf_counter() - start < 120:
        if marker in tmux("capture-pane", "-p", "-t", "first"):
            shown = time.perf_counter() - start
            break
        time.sleep(0.02)
    tmux("kill-session", "-t", "first")
    cache_done(home, start)  # (its writer done before the next run starts)
    return shown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path, help="the other tree's src folder")
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "rlhf-scale")
    parser.add_argument("--no-tui", action="store_true")
    args = parser.parse_args()
    trees = {"after": HERE.parent / "src", "before": args.before}
    for src in trees.values():
        compileall.compile_dir(str(src), quiet=1)
    work = Path(tempfile.mkdtemp(prefix="rlhf-first-"))
    print(f"{os.uname().sysname} {os.uname().machine}, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f}")  # fmt: skip
    tmux("start-server")
    try:
        for size in args.sizes:
            list_path, db = make(args.data, size)
            marker = "Section 0"  # the tree (scaledata names its sections so)
            results: dict[str, dict[str, list[float]]] = {
                name: {"wall": [], "cpu": [], "peak": [], "cache": [], "tui": []} for name in trees
            }
            for _ in range(args.runs):
                for name, src in trees.items():
                    wall, cpu, peak, cache = stats_run(src, work / name, list_path, db)
                    got = results[name]
                    got["wall"].append(wall)
                    got["cpu"].append(cpu)
                    got["peak"].append(peak)
                    got["cache"].append(cache)
                    if not args.no_tui:
                        got["tui"].append(tui_run(src, work / name, list_path, marker))
            for name, got in results.items():
                line = (f"{size:>7} {name:6s} stats wall {statistics.median(got['wall']):5.2f} s"
                        f"  CPU {statistics.median(got['cpu']):5.2f} s"
                        f"  peak {statistics.median(got['peak']):4.0f} MB"
                        f"  cache written at {statistics.median(got['cache']):5.2f} s")  # fmt: skip
                if got["tui"]:
                    line += f"  | TUI first frame {statistics.median(got['tui']):5.2f} s"
                print(line, f"({args.runs} runs, load {os.getloadavg()[0]:.1f})")
    finally:
        tmux("kill-server")
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
