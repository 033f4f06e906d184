"""How every part grows with the list: ``python bench/bench_scale.py [--runs N] [--sizes ...]``.

For lists of 1,000, 10,000 and 100,000 entries (``bench/scaledata.py``: every entry
annotated, half with a note), in the same session:

* in-process: parse cold (``catalog.load`` with an empty parse cache: parse + write cache),
  parse cached (``catalog.load`` from the cache), building the rows (``Workspace.rows``) and
  the search index (``SearchIndex``), and the index's memory (``SearchIndex.nbytes``);
* whole processes (wall time and peak RSS): ``--version`` (the floor every command pays),
  ``list --json``, ``mark KEY read``, ``stats``, ``export --format markdown -o FILE``;
* the TUI: spawn → first frame in tmux and its peak memory once the search index is built
  (``bench_tui_scale.run_child``).

Medians of ``--runs``; per-entry figures (µs per entry) show whether growth is linear.
The cache and data folders are temporary, never the user's.
"""

from __future__ import annotations

import argparse
import compileall
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_tui_scale import run_child, tmux  # noqa: E402
from scaledata import make  # noqa: E402

EXE = str(Path(sys.executable).with_name("rlhf-reader"))


def timed_process(args: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """(wall seconds, peak RSS in MB, CPU seconds: user + system) of one whole process. The
    peak and the CPU time come from ``/usr/bin/time`` (a child forked from this big process
    would start its peak at ours); on a shared machine the CPU time says more than the wall."""
    return timed_process_faults(args, env)[:3]


def timed_process_faults(args: list[str], env: dict[str, str]) -> tuple[float, float, float, int]:
    """:func:`timed_process` and the minor page faults: (wall s, peak RSS MB, CPU s, faults).
    The faults do not depend on the machine's load; on this VM each costs ~4.5 µs of system
    time."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        start = time.perf_counter()
        proc = subprocess.run(
            ["/usr/bin/time", "-f", "%M %U %S %R", "-o", out.name, *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            check=False,
        )
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(f"{args} failed: {proc.stderr.decode(errors='replace')}")
        rss, user, system, faults = Path(out.name).read_text().split()[-4:]
        return elapsed, int(rss) / 1024, float(user) + float(system), int(faults)


def in_process(list_path: Path, db_path: Path, runs: int) -> dict[str, float]:
    from rlhf_reader.lists import catalog_cache
    from rlhf_reader.lists.catalog import load
    from rlhf_reader.query import SearchIndex
    from rlhf_reader.workspace import Workspace

    cold, cached, rows_s, index_s = [], [], [], []
    nbytes = 0
    for _ in range(runs):
        shutil.rmtree(catalog_cache.cache_dir(), ignore_errors=True)
        start = time.perf_counter()
        load(list_path)
        cold.append(time.perf_counter() - start)
        # A big list's cache is written by a detached process (parallel.detach): the
        # cached read waits for it, or it would time a second parse.
        raw = list_path.read_bytes()
        written = catalog_cache.marshal_path(catalog_cache.cache_path(raw, str(list_path)))
        deadline = time.monotonic() + 60
        while not written.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        start = time.perf_counter()
        load(list_path)
        cached.append(time.perf_counter() - start)
        workspace = Workspace.open(list_path, db_path)
        gc.collect()
        start = time.perf_counter()
        rows = workspace.rows()
        rows_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        index = SearchIndex(rows)  # as the TUI's worker builds it
        index_s.append(time.perf_counter() - start)
        nbytes = index.nbytes()
        workspace.library.close()
        del rows, index, workspace
        gc.collect()
    return {
        "parse_cold_s": statistics.median(cold),
        "parse_cached_s": statistics.median(cached),
        "rows_s": statistics.median(rows_s),
        "index_build_s": statistics.median(index_s),
        "index_mb": nbytes / 1e6,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000, 10_000, 100_000])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "rlhf-scale")
    args = parser.parse_args()
    compileall.compile_dir(str(HERE.parent / "src" / "rlhf_reader"), quiet=1)
    home = Path(tempfile.mkdtemp(prefix="rlhf-bench-home-"))
    xdg = {
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_STATE_HOME": str(home / "state"),
    }
    os.environ.update(xdg)
    env = {**os.environ, **xdg}
    tui_env = {**xdg, "TERM": "xterm-256color", "PATH": os.environ.get("PATH", "")}
    table: dict[int, dict[str, float]] = {}
    tmux("start-server")
    try:
        for size in args.sizes:
            list_path, source_db = make(args.data, size)
            db_path = home / f"library-{size}.json"
            shutil.copyfile(source_db, db_path)  # mark writes: never the generated original
            found = in_process(list_path, db_path, args.runs)
            base = [EXE, "--list", str(list_path), "--db", str(db_path)]
            out = home / f"export-{size}.md"
            commands = {
                "version": [EXE, "--version"],
                "list_json": [*base, "list", "--json"],
                "mark": [*base, "mark", "2000.00005", "read"],
                "stats": [*base, "stats"],
                "export": [*base, "export", "--format", "markdown", "-o", str(out)],
            }
            samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name in commands}
            for _ in range(args.runs):
                for name, command in commands.items():  # alternately: noise hits all alike
                    if name == "mark":  # a real change every time
                        status = "read" if len(samples[name]) % 2 == 0 else "unread"
                        command = [*command[:-1], status]
                    samples[name].append(timed_process(command, env))
            for name, values in samples.items():
                found[f"{name}_s"] = statistics.median(v[0] for v in values)
                found[f"{name}_mb"] = max(v[1] for v in values)
            ready, mem = [], []
            for _ in range(args.runs):
                ready.append(run_child("ready", "app", str(list_path), str(db_path), tui_env))
                mem.append(run_child("mem", "app", str(list_path), str(db_path), tui_env))
            found["tui_first_frame_s"] = statistics.median(r["ready"] for r in ready)
            found["tui_peak_mb"] = max(m["mem_mb"] for m in mem)
            found["tui_index_ready_after_s"] = statistics.median(m["index_s"] for m in mem)
            table[size] = {k: round(v, 4) for k, v in found.items()}
            print(size, json.dumps(table[size]), file=sys.stderr, flush=True)
    finally:
        tmux("kill-server")
    print(
        json.dumps(
            {
                "machine": f"{' '.join(platform.uname()[i] for i in (0, 2, 4))}, "
                f"{os.cpu_count()} cores, Python {platform.python_version()}",
                "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
                "runs": args.runs,
                "table": table,
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
