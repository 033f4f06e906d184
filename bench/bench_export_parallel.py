"""The first export of a list (no export cache) and the repeated one, three ways, alternately:
``python bench/bench_export_parallel.py BEFORE_SRC [--size N] [--runs 5] [--formats F…]``.

``rlhf-reader export -f FMT -o FILE`` runs as a whole process with the code before
(``BEFORE_SRC``, compiled first: this environment sets ``PYTHONDONTWRITEBYTECODE=1``), with
this worktree's code and ``RLHF_READER_PROCESSES=1`` (one process), and with this
worktree's code as it comes (``parallel.processes()``: the cores, at most 4), one right
after the other, in an order that turns each run. ``cold``: the export cache folder removed
before the run (the first export of the list: every row formatted, the cache file
written); ``warm``: the cache file of the run before (the repeated export). Each side has
its own copy of ``scaledata``'s library and its own cache folders (the parse cache and the
library's snapshot warmed first). Wall and CPU time (user + system of the process and its
children, from ``/usr/bin/time``) and minor page faults (a forked child's writes to the
memory it shares copy pages: ~4.5 µs each on this VM). On a machine shared with other work
the wall time of two processes understates what the second core gains; the CPU time shows
what it costs.
Prints one JSON line per sample, then a table of medians.
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

from bench_scale import timed_process_faults  # noqa: E402
from scaledata import make  # noqa: E402

AFTER = str(HERE.parent / "src")
FORMATS = ("markdown", "csv", "json", "bibtex", "ris", "csl-json")
SIDES = ("before", "after, 1 process", "after")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="the src folder of the code before")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--formats", nargs="*", default=list(FORMATS))
    parser.add_argument("--modes", nargs="*", default=["cold", "warm"])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "rlhf-scale")
    args = parser.parse_args()
    list_path, source_db = make(args.data, args.size)
    home = Path(tempfile.mkdtemp(prefix="rlhf-bench-export-"))
    envs: dict[str, dict[str, str]] = {}
    bases: dict[str, list[str]] = {}
    for number, side in enumerate(SIDES):
        folder = home / f"side{number}"
        env = {**os.environ, "HOME": str(folder)}
        env.update({f"XDG_{k}_HOME": str(folder / k.lower()) for k in ("CACHE", "DATA", "CONFIG")})
        env["PYTHONPATH"] = str(args.before.resolve()) if side == "before" else AFTER
        env.pop("RLHF_READER_PROCESSES", None)
        if side == "after, 1 process":
            env["RLHF_READER_PROCESSES"] = "1"
        envs[side] = env
        db = home / f"library{number}.json"
        shutil.copyfile(source_db, db)
        bases[side] = [
            sys.executable,
            "-m",
            "rlhf_reader",
            "--list",
            str(list_path),
            "--db",
            str(db),
        ]
        subprocess.run([*bases[side], "stats"], env=env, stdout=subprocess.DEVNULL, check=True)
    found: dict[str, list[float]] = {}
    load_before = os.getloadavg()
    try:
        for fmt in args.formats:
            for mode in args.modes:
                for run in range(args.runs):
                    order = SIDES[run % 3 :] + SIDES[: run % 3]
                    for side in order:
                        cache = Path(envs[side]["XDG_CACHE_HOME"]) / "rlhf-reader" / "exports"
                        out = home / f"out-{SIDES.index(side)}"
                        command = [*bases[side], "export", "-f", fmt, "-o", str(out)]
                        if mode == "cold":
                            shutil.rmtree(cache, ignore_errors=True)
                        elif run == 0:  # the cache file of an export before
                            subprocess.run(command, env=envs[side], stdout=subprocess.DEVNULL)
                        wall, mb, cpu, faults = timed_process_faults(command, envs[side])
                        name = f"{fmt} {mode}"
                        found.setdefault(f"{name}/wall/{side}", []).append(wall)
                        found.setdefault(f"{name}/cpu/{side}", []).append(cpu)
                        found.setdefault(f"{name}/pf/{side}", []).append(faults)
                        sample = {"wall": round(wall, 3), "cpu": round(cpu, 3), "mb": round(mb)}
                        sample["faults"] = faults
                        print(json.dumps({"run": run, "side": side, name: sample}), flush=True)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    med = {name: statistics.median(values) for name, values in found.items()}
    print(f"size {args.size}, runs {args.runs}, load {load_before} before, {os.getloadavg()} after")
    print("| export | wall before | wall after, 1 process | wall after | CPU before "
          "| CPU after, 1 process | CPU after | minor faults |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for fmt in args.formats:
        for mode in args.modes:
            name = f"{fmt} {mode}"
            walls = " | ".join(f"{med[f'{name}/wall/{side}']:.2f} s" for side in SIDES)
            cpus = " | ".join(f"{med[f'{name}/cpu/{side}']:.2f} s" for side in SIDES)
            faults = " / ".join(f"{med[f'{name}/pf/{side}'] / 1000:.0f}k" for side in SIDES)
            print(f"| {name} | {walls} | {cpus} | {faults} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
