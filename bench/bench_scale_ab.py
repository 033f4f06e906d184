"""Before/after at 100k, alternately in one session: ``python bench/bench_scale_ab.py BEFORE_SRC``.

``BEFORE_SRC`` is the ``src`` folder of the code to compare against, e.g.
``git archive BASE src | tar -x -C /tmp/before`` → ``/tmp/before/src``; "after" is this
worktree's ``src``. Each sample runs the before and the after code back to back (the machine
is shared: noise hits both alike), with ``PYTHONPATH`` choosing the code:

* whole CLI processes (wall time, CPU time = user + system and peak RSS by
  ``/usr/bin/time``): ``--version``, ``stats``, ``export --format markdown -o FILE``,
  ``list --json``, ``mark KEY read|unread``; ``--formats`` adds ``export -o FILE`` in every
  other format (bibtex, csv, ris, csl-json, json);
* unless ``--cli-only``, the TUI in tmux (``bench_tui_scale.run_child``): spawn → first
  frame, and peak memory once the search index is built.

This environment sets ``PYTHONDONTWRITEBYTECODE=1``: run ``python -m compileall`` on the
archived tree first, or its every start compiles the modules (+0.1–0.15 s per process).

Lists and libraries from ``scaledata.make``; temporary cache and data folders (the parse
cache is warmed for both sides first). Prints one JSON line per sample and the medians.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_tui_scale  # noqa: E402
from bench_scale import timed_process  # noqa: E402
from scaledata import make  # noqa: E402

AFTER = str(HERE.parent / "src")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="the src folder of the code before")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "rlhf-scale")
    parser.add_argument("--cli-only", action="store_true", help="no TUI runs")
    parser.add_argument("--formats", action="store_true", help="every export format too")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="rlhf-bench-ab-"))
    xdg = {
        f"XDG_{name}_HOME": str(home / name.lower())
        for name in ("CACHE", "DATA", "CONFIG", "STATE")
    }
    list_path, source_db = make(args.data, args.size)
    db_path = home / "library.json"
    shutil.copyfile(source_db, db_path)  # mark writes: never the generated original
    sides = {"before": str(args.before.resolve()), "after": AFTER}
    base = ["--list", str(list_path), "--db", str(db_path)]
    commands = {
        "version": ["--version"],
        "stats": [*base, "stats"],
        "export": [*base, "export", "--format", "markdown", "-o", str(home / "out.md")],
        "list_json": [*base, "list", "--json"],
        "mark": [*base, "mark", "2000.00005", "read"],
    }
    if args.formats:
        for fmt in ("bibtex", "csv", "ris", "csl-json", "json"):
            out = str(home / f"out.{fmt}")
            commands[f"export_{fmt}"] = [*base, "export", "--format", fmt, "-o", out]
    found: dict[str, list[float]] = {}

    def add(name: str, value: float) -> None:
        found.setdefault(name, []).append(value)

    for src in sides.values():  # warm each side's parse cache (a cold parse is not measured)
        env = {**os.environ, **xdg, "PYTHONPATH": src}
        subprocess.run(
            [sys.executable, "-m", "rlhf_reader", *base, "stats"],
            env=env,
            stdout=subprocess.DEVNULL,
            check=True,
        )
    tui_env = {**xdg, "TERM": "xterm-256color", "PATH": os.environ.get("PATH", "")}
    bench_tui_scale.tmux("start-server")
    try:
        for run in range(args.runs):
            for name, command in commands.items():
                if name == "mark":  # a real change every time
                    command = [*command[:-1], "read" if run % 2 == 0 else "unread"]
                for side, src in sides.items():
                    env = {**os.environ, **xdg, "PYTHONPATH": src}
                    wall, mb, cpu = timed_process(
                        [sys.executable, "-m", "rlhf_reader", *command], env
                    )
                    add(f"{name}_s/{side}", wall)
                    add(f"{name}_cpu_s/{side}", cpu)
                    add(f"{name}_mb/{side}", mb)
                    sample = [round(wall, 2), round(cpu, 2), round(mb)]
                    print(json.dumps({"side": side, name: sample}), flush=True)
            for mode in () if args.cli_only else ("ready", "mem"):
                for side, src in sides.items():
                    env = {**tui_env, "PYTHONPATH": src}
                    got = bench_tui_scale.run_child(mode, "app", str(list_path), str(db_path), env)
                    if mode == "ready":
                        add(f"tui_first_frame_s/{side}", got["ready"])
                    else:
                        add(f"tui_peak_mb/{side}", got["mem_mb"])
                    print(json.dumps({"side": side, mode: got}), flush=True)
    finally:
        bench_tui_scale.tmux("kill-server")
    medians = {name: round(statistics.median(values), 3) for name, values in found.items()}
    names = sorted({name.split("/")[0] for name in medians})
    table = {
        name: {
            "before": medians[f"{name}/before"],
            "after": medians[f"{name}/after"],
            "ratio": round(medians[f"{name}/after"] / medians[f"{name}/before"], 2),
        }
        for name in names
    }
    print(json.dumps({"size": args.size, "runs": args.runs, "load": os.getloadavg(), **table}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
