"""Export and cite before/after, whole processes, alternately: ``python bench/bench_export_ab.py
BEFORE_SRC [--size N] [--runs R] [--meta]``.

``BEFORE_SRC``: the ``src`` folder of the code to compare against (``git archive BASE src |
tar -x -C /tmp/before``, then ``python -m compileall -q /tmp/before/src``: this environment
sets ``PYTHONDONTWRITEBYTECODE=1``); "after" is this worktree's ``src``. For each run, each
command runs with the before code and then the after code (``PYTHONPATH``), back to back:
``--version`` (the floor), ``export --format F -o FILE`` for every format, and ``cite`` of one
key and of 60 keys. Wall time, CPU time (user + system) and peak RSS from ``/usr/bin/time``
(``bench_scale.timed_process``). The list and library are ``scaledata.make``'s (every entry
annotated); ``--meta`` uses ``export_data``'s library with an arXiv record for one entry in
three. The parse cache is warmed for both sides first. Prints one JSON line per sample, then a
Markdown table of the medians.
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

from bench_scale import timed_process  # noqa: E402
from export_data import make_all  # noqa: E402

AFTER = str(HERE.parent / "src")
FORMATS = ("markdown", "csv", "json", "bibtex", "ris", "csl-json")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="the src folder of the code before")
    parser.add_argument("--size", type=int, default=100_000, choices=(1_000, 10_000, 100_000))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--meta", action="store_true", help="a third of the rows with arXiv data")
    parser.add_argument("--only", nargs="*", help="only these commands (names of the table)")
    parser.add_argument(
        "--data", type=Path, default=Path(tempfile.gettempdir()) / "rlhf-export-data"
    )
    args = parser.parse_args()
    name = f"scale-{args.size}" + ("-meta" if args.meta else "")
    _, list_path, db_path = next(s for s in make_all(args.data) if s[0] == name)
    home = Path(tempfile.mkdtemp(prefix="rlhf-export-ab-"))
    xdg = {f"XDG_{n}_HOME": str(home / n.lower()) for n in ("CACHE", "DATA", "CONFIG", "STATE")}
    base = ["--list", str(list_path), "--db", str(db_path)]
    keys = [
        f"{2000 + i // 10000:04d}.{i % 100000:05d}" for i in range(1, args.size, args.size // 60)
    ]
    commands: dict[str, list[str]] = {"--version": ["--version"]}
    for fmt in FORMATS:
        commands[f"export {fmt}"] = [*base, "export", "--format", fmt, "-o", str(home / fmt)]
    commands["cite 1 key"] = [*base, "cite", keys[0]]
    commands["cite 60 keys"] = [*base, "cite", *keys[:60]]
    if args.only:
        commands = {k: v for k, v in commands.items() if k in args.only}
    sides = {"before": str(args.before.resolve()), "after": AFTER}
    for src in sides.values():  # a warm parse cache for each side
        env = {**os.environ, **xdg, "PYTHONPATH": src}
        subprocess.run([sys.executable, "-m", "rlhf_reader", *base, "stats"], env=env,
                       stdout=subprocess.DEVNULL, check=True)  # fmt: skip
    found: dict[str, list[tuple[float, float, float]]] = {}
    for _ in range(args.runs):
        for label, command in commands.items():
            for side, src in sides.items():
                env = {**os.environ, **xdg, "PYTHONPATH": src}
                sample = timed_process([sys.executable, "-m", "rlhf_reader", *command], env)
                found.setdefault(f"{label}/{side}", []).append(sample)
                print(json.dumps({"cmd": label, "side": side, "wall_cpu_mb": sample}), flush=True)

    def med(label: str, side: str, i: int) -> float:
        return statistics.median(s[i] for s in found[f"{label}/{side}"])

    print(f"\n{name}, medians of {args.runs}, load average now {os.getloadavg()[0]:.1f}\n")
    print("| command | before wall | before CPU | before peak | after wall | after CPU | "
          "after peak | CPU after/before |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label in commands:
        b = [med(label, "before", i) for i in range(3)]
        a = [med(label, "after", i) for i in range(3)]
        print(f"| `{label}` | {b[0]:.2f} s | {b[2]:.2f} s | {b[1]:.0f} MB | {a[0]:.2f} s | "
              f"{a[2]:.2f} s | {a[1]:.0f} MB | {a[2] / b[2]:.2f}x |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
