"""The first ``import FILE.bib`` / ``import FILE.csl.json`` of a big library's own export,
before vs after, whole processes:
``python bench/bench_first_import.py --before SRC_DIR [--runs R] [--list L --db D --files F…]``.

Each run: a copy of the library, the import cache emptied (the file imported the first
time), ``rlhf-reader --list L --db COPY import FILE``. Per file, alternating before / after,
each in one process (``RLHF_READER_PROCESSES=1``) and as it runs (the file read in parts on
the cores there are): wall and CPU seconds (user + system, every process of the run) and the
peak memory, medians of the runs. On a shared machine compare the CPU seconds, and the wall
only of runs made in the same minutes.

Before the timings, once per file and tree: what the import printed (stdout, stderr), the
library it left and the references it kept in the import cache (the file's first line names
the code that read it, so only the kept ``(format, rows)`` are compared) must be the same.
The defaults are the tenth session's 100k data (``/tmp/s7/bibdata``).
"""

from __future__ import annotations

import argparse
import compileall
import marshal
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

DATA = Path("/tmp/s7/bibdata")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--list", type=Path, default=DATA / "scale" / "list-100000.md")
    parser.add_argument("--db", type=Path, default=DATA / "scale" / "library-100000.json")
    exports = [DATA / "export-100000.bib", DATA / "export-100000.csl.json"]
    parser.add_argument("--files", type=Path, nargs="+", default=exports)
    parser.add_argument("--modes", nargs="+", default=["1", "default"],
                        help="RLHF_READER_PROCESSES values to time ('default': unset)")  # fmt: skip
    parser.add_argument("--folder", type=Path)
    args = parser.parse_args()
    compileall.compile_dir(str(args.before), quiet=1)
    compileall.compile_dir(str(HERE.parent / "src"), quiet=1)
    trees = {"before": args.before, "after": HERE.parent / "src"}
    folder = args.folder or Path(tempfile.mkdtemp(prefix="bench-first-import-"))
    folder.mkdir(parents=True, exist_ok=True)
    home = folder / "home"
    env = {k: v for k, v in os.environ.items() if k != "RLHF_READER_PROCESSES"}
    env["HOME"] = str(home)
    for name in ("data", "cache", "config"):
        env[f"XDG_{name.upper()}_HOME"] = str(home / name)
    cache = home / "cache" / "rlhf-reader" / "imports"
    work = folder / "library.json"

    def prepare() -> None:
        shutil.copyfile(args.db, work)
        shutil.rmtree(cache, ignore_errors=True)

    def command(path: Path) -> list[str]:
        return [sys.executable, "-m", "rlhf_reader", "--list", str(args.list), "--db",
                str(work), "import", str(path)]  # fmt: skip

    # the list's parse cache and the library's snapshot, made once for both trees
    shutil.copyfile(args.db, work)
    stats = [*command(args.files[0])[:-2], "stats"]
    subprocess.run(stats, env={**env, "PYTHONPATH": str(trees["after"])}, capture_output=True,
                   check=True)  # fmt: skip
    print(f"{os.uname().sysname} {os.uname().machine}, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f}; list {args.list}, library {args.db}")  # fmt: skip
    for path in args.files:
        seen = {}
        for name, src in trees.items():
            prepare()
            proc = subprocess.run(command(path), env={**env, "PYTHONPATH": str(src)},
                                  capture_output=True, check=False)  # fmt: skip
            kept = None
            for _ in range(200):  # (written by a detached process, renamed when whole)
                found = [p for p in cache.glob("*") if not p.name.startswith(".")]
                if found:
                    kept = marshal.loads(found[0].read_bytes().partition(b"\n")[2])
                    break
                time.sleep(0.05)
            seen[name] = (proc.returncode, proc.stdout, proc.stderr, work.read_bytes(), kept)
        same = [a == b for a, b in zip(seen["before"], seen["after"], strict=True)]
        print(f"{path.name}: exit, stdout, stderr, library, import cache the same: {same}")
        results: dict[str, list[tuple[float, float, float]]] = {}
        for _ in range(args.runs):
            for mode in args.modes:
                for name, src in trees.items():
                    run_env = {**env, "PYTHONPATH": str(src)}
                    if mode != "default":
                        run_env["RLHF_READER_PROCESSES"] = mode
                    prepare()
                    results.setdefault(f"{name} processes={mode}", []).append(
                        timed_process(command(path), run_env)
                    )
        for label, runs in results.items():
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[2] for r in runs)
            peak = statistics.median(r[1] for r in runs)
            load = os.getloadavg()[0]
            print(f"  {path.name:22s} {label:22s} wall {wall:5.2f} s  CPU {cpu:5.2f} s  "
                  f"peak {peak:4.0f} MB  ({len(runs)} runs; load {load:.1f})")  # fmt: skip


if __name__ == "__main__":
    main()
