"""CLI-only before/after at 100k, alternately in one session, with CPU time:
``python bench/bench_scale_cli_ab.py BEFORE_SRC [--runs 3] [--formats]``.

Like ``bench_scale_ab.py`` (``BEFORE_SRC``: ``git archive BASE src | tar -x -C /tmp/before``
→ ``/tmp/before/src``; "after" is this worktree's ``src``; each sample runs the before and
the after code back to back, ``PYTHONPATH`` choosing the code), without the TUI, and with
each process's CPU time (user + system, from ``/usr/bin/time``) beside its wall time and
peak RSS: on a machine shared with other work, CPU time says more than wall time.
``--formats`` adds ``export -o FILE`` in every other format (bibtex, csv, ris, csl-json,
json). Prints one JSON line per sample and the medians.
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

from scaledata import make  # noqa: E402

AFTER = str(HERE.parent / "src")


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float, float, float]:
    """(wall s, user s, system s, peak RSS MB) of one whole process, by ``/usr/bin/time``."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        proc = subprocess.run(
            ["/usr/bin/time", "-f", "%e %U %S %M", "-o", out.name, *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"{args} failed: {proc.stderr.decode(errors='replace')}")
        wall, user, system, rss = Path(out.name).read_text().split()[-4:]
        return float(wall), float(user), float(system), int(rss) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="the src folder of the code before")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--formats", action="store_true", help="every export format too")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "rlhf-scale")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="rlhf-bench-cli-ab-"))
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
    for src in sides.values():  # warm each side's parse cache (a cold parse is not measured)
        env = {**os.environ, **xdg, "PYTHONPATH": src}
        subprocess.run(
            [sys.executable, "-m", "rlhf_reader", *base, "stats"],
            env=env,
            stdout=subprocess.DEVNULL,
            check=True,
        )
    for run in range(args.runs):
        for name, command in commands.items():
            if name == "mark":  # a real change every time
                command = [*command[:-1], "read" if run % 2 == 0 else "unread"]
            for side, src in sides.items():
                env = {**os.environ, **xdg, "PYTHONPATH": src}
                wall, user, system, mb = timed([sys.executable, "-m", "rlhf_reader", *command], env)
                for what, value in (("wall", wall), ("cpu", user + system), ("mb", mb)):
                    found.setdefault(f"{name}_{what}/{side}", []).append(value)
                sample = [round(wall, 2), round(user + system, 2), round(mb)]
                load = round(os.getloadavg()[0], 2)
                print(json.dumps({"side": side, name: sample, "load": load}), flush=True)
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
    shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
