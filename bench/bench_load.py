"""The load every command shares, before/after: ``python bench/bench_load.py BEFORE_SRC``.

Each sample is a whole process (``PYTHONPATH`` chooses the code, before and after
alternately) that opens a ``Workspace`` on a ``scaledata`` list and library and reads, in
order, the list (``list_catalog``: the parse cache), the library (``library``: read,
fingerprint, snapshot or JSON) and the rows (``rows()``: every entry joined with its
annotation) — what ``list``, ``list --json``, ``export`` and the TUI read before their own
work — then exits leaving them to the operating system, as a command does. Printed: the
CPU time (user + system) of each phase inside the process, and of the whole process from
``/usr/bin/time`` (interpreter start and imports included), medians of ``--runs``. Each
side has its own cache folder (warmed first: the parse cache and the library's verdict and
snapshot exist, as for every command after the first).
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

from bench_scale import timed_process_faults  # noqa: E402
from scaledata import make  # noqa: E402

AFTER = str(HERE.parent / "src")

CHILD = r"""
import json, resource, sys, time
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
start = cpu()
from pathlib import Path
from rlhf_reader import gcpause
from rlhf_reader.workspace import Workspace
phases = {"imports": cpu() - start}
ws = Workspace(Path(sys.argv[1]), Path(sys.argv[2]))
for name, step in (("list", lambda: ws.list_catalog), ("library", lambda: ws.library),
                   ("catalog", lambda: ws.catalog), ("rows", ws.rows)):
    before = cpu()
    value = step()
    phases[name] = cpu() - before
Path(sys.argv[3]).write_text(json.dumps(phases))
gcpause.abandon(ws, value)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="the src folder of the code before")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "rlhf-scale")
    args = parser.parse_args()
    list_path, db_path = make(args.data, args.size)
    home = Path(tempfile.mkdtemp(prefix="rlhf-bench-load-"))
    sides = {"before": str(args.before.resolve()), "after": AFTER}
    envs = {
        side: {**os.environ, "XDG_CACHE_HOME": str(home / side), "PYTHONPATH": src}
        for side, src in sides.items()
    }
    out = home / "phases.json"
    command = [sys.executable, "-c", CHILD, str(list_path), str(db_path), str(out)]
    for side in sides:  # warm: the parse cache, the verdict, the snapshot
        subprocess.run(command, env=envs[side], stdout=subprocess.DEVNULL, check=True)
    found: dict[str, list[float]] = {}
    for run in range(args.runs):
        order = list(sides) if run % 2 == 0 else list(sides)[::-1]
        for side in order:
            _wall, mb, cpu, faults = timed_process_faults(command, envs[side])
            phases = json.loads(out.read_text())
            phases |= {"process": cpu, "shared": phases["list"] + phases["library"]}
            phases["shared"] += phases["catalog"] + phases["rows"]
            for name, value in [*phases.items(), ("faults", faults), ("MB", mb)]:
                found.setdefault(f"{name}/{side}", []).append(value)
            print(json.dumps({"run": run, "side": side, **phases, "faults": faults}), flush=True)
    print(f"size {args.size}, runs {args.runs}, load {os.getloadavg()}")
    print("| phase (CPU, median) | before | after | after/before |")
    print("| --- | ---: | ---: | ---: |")
    for name in ("imports", "list", "library", "catalog", "rows", "shared", "process"):
        b = statistics.median(found[f"{name}/before"])
        a = statistics.median(found[f"{name}/after"])
        print(f"| {name} | {b:.3f} s | {a:.3f} s | {a / b:.2f}\u00d7 |" if b else f"| {name} | - |")
    for name in ("faults", "MB"):
        b = statistics.median(found[f"{name}/before"])
        a = statistics.median(found[f"{name}/after"])
        print(f"| {name} | {b:,.0f} | {a:,.0f} | {a / b:.2f}\u00d7 |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
