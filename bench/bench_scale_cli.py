"""Every CLI command before/after, alternately: ``python bench/bench_scale_cli.py BEFORE_SRC``
(``--only NAME…`` for some; ``--meta`` for a library with arXiv records).

Issue 17 asks every CLI command to take ≤ 2 s at 100,000 entries. For one list size
(``--size``, from ``scaledata.make``: every entry annotated, half with notes), each command
below runs as a whole process with the before code (``BEFORE_SRC``, e.g. ``git archive BASE
src | tar -x -C /tmp/before`` → ``/tmp/before/src``, compiled with ``python -m compileall``
first: this environment sets ``PYTHONDONTWRITEBYTECODE=1``) and with this worktree's ``src``,
one right after the other, ``--runs`` times; ``PYTHONPATH`` chooses the code. Wall time, CPU
time (user + system), peak RSS and minor page faults come from ``/usr/bin/time``.
Temporary cache and data folders, the parse cache warmed for both sides first; the writes
(``mark``, ``tag``) run on a copy of the library and alternate their change; three keys are
queued first (for ``next`` and ``queue``). Every export format, ``cite`` of one key and of 60,
and ``screenshot`` (the TUI's first frame, headless) are among the commands. Prints one JSON
line per sample, then a table of medians: wall, CPU, RSS and the after/before ratios.

Exports and the export cache (``formats/export_cache.py``, where the code has one): each
export is first run once per side, untimed, so ``export FMT`` is the repeated export (the
cache written by the run before). ``export FMT cold`` deletes the cache folder before each
timed run (the first export of a list: formatting everything and writing the cache);
``export FMT changed`` toggles a tag of one paper before each timed run (untimed): the
repeated export after one changed annotation.
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
KEY = "2000.00005"


FORMATS = ("markdown", "csv", "json", "bibtex", "ris", "csl-json")


def commands(home: Path, size: int) -> dict[str, list[str]]:
    step = max(size // 60, 1)
    keys = [f"{2000 + i // 10000:04d}.{i % 100000:05d}" for i in range(1, size, step)][:60]
    exports = {}
    for fmt in FORMATS:
        command = ["export", "--format", fmt, "-o", str(home / f"out.{fmt}")]
        exports[f"export {fmt}"] = command
        exports[f"export {fmt} cold"] = command
        exports[f"export {fmt} changed"] = command
    return {
        "version": ["--version"],
        "locate": ["locate"],
        "mark": ["mark", KEY, "read"],
        "tag": ["tag", KEY, "+bench"],
        "stats": ["stats"],
        "stats --json": ["stats", "--json"],
        "check": ["check"],
        "next": ["next"],
        "queue": ["queue"],
        f"show {KEY}": ["show", KEY],
        f"show {KEY} --json": ["show", KEY, "--json"],
        f"cite {KEY}": ["cite", KEY],
        "list": ["list"],
        "list --json": ["list", "--json"],
        "list --sort=-year": ["list", "--sort=-year"],
        "list --status read": ["list", "--status", "read"],
        "list --sort=title": ["list", "--sort=title"],
        "list --tag dpo": ["list", "--tag", "dpo"],
        "list --section 5": ["list", "--section", "5"],
        "list --status read --json": ["list", "--status", "read", "--json"],
        "list --search dpo": ["list", "--search", "dpo"],
        "list --search prefrence": ["list", "--search", "prefrence"],
        "list --search 'reward model'": ["list", "--search", '"reward model"'],
        "list --search year:>=2023": ["list", "--search", "year:>=2023"],
        **exports,
        "cite 60 keys": ["cite", *keys],
        "screenshot": ["screenshot", str(home / "shot.svg")],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="the src folder of the code before")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "rlhf-scale")
    parser.add_argument("--only", nargs="*", help="these commands (names as in the table)")
    parser.add_argument(
        "--meta",
        action="store_true",
        help="export_data's library instead: an arXiv record for one paper in three (1k/10k/100k)",
    )
    parser.add_argument(
        "--own-library",
        action="store_true",
        help="each side its own copy of the library and its own cache folder (a user runs "
        "one version: a side's writes are followed by its own reads, and the after side's "
        "library snapshot is not undone by the before side's writes)",
    )
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="rlhf-bench-cli-"))
    xdg = {
        f"XDG_{name}_HOME": str(home / name.lower())
        for name in ("CACHE", "DATA", "CONFIG", "STATE")
    }
    if args.meta:
        from export_data import make_all

        name = f"scale-{args.size}-meta"
        _, list_path, source_db = next(s for s in make_all(args.data) if s[0] == name)
    else:
        list_path, source_db = make(args.data, args.size)
    db_path = home / "library.json"
    shutil.copyfile(source_db, db_path)  # mark and tag write: never the generated original
    sides = {"before": str(args.before.resolve()), "after": AFTER}
    bases = {side: ["--list", str(list_path), "--db", str(db_path)] for side in sides}
    xdgs = {side: xdg for side in sides}
    if args.own_library:
        for side in sides:
            own = home / f"library-{side}.json"
            shutil.copyfile(source_db, own)
            bases[side] = ["--list", str(list_path), "--db", str(own)]
            xdgs[side] = {name: f"{value}-{side}" for name, value in xdg.items()}
    chosen = commands(home, args.size)
    if args.only:
        chosen = {name: chosen[name] for name in args.only}
    queued = ["2000.00001", "2000.00004", "2000.00002"]  # read, read, reading: next names the third
    for side in sides if args.own_library else ["after"]:
        subprocess.run(
            [sys.executable, "-m", "rlhf_reader", *bases[side], "queue", "add", *queued],
            env={**os.environ, **xdgs[side], "PYTHONPATH": sides[side]},
            stdout=subprocess.DEVNULL,
            check=True,
        )
    for side, src in sides.items():  # warm each side's parse cache (a cold parse is not measured)
        env = {**os.environ, **xdgs[side], "PYTHONPATH": src}
        base = bases[side]
        subprocess.run(
            [sys.executable, "-m", "rlhf_reader", *base, "stats"],
            env=env,
            stdout=subprocess.DEVNULL,
            check=True,
        )
        for name, command in chosen.items():  # and its export cache, where it has one
            if name.startswith("export ") and len(name.split()) == 2:
                subprocess.run(
                    [sys.executable, "-m", "rlhf_reader", *base, *command],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    check=True,
                )
    toggles = 0

    def exports_cache(side: str) -> Path:
        return Path(xdgs[side]["XDG_CACHE_HOME"]) / "rlhf-reader" / "exports"

    def prepare(name: str, side: str) -> None:
        """Before a timed run: no export cache (``cold``: the others' files are put back
        after it, see ``finish``), one tag changed (``changed``)."""
        nonlocal toggles
        cache = exports_cache(side)
        saved = cache.with_name("exports.saved")
        if name.endswith(" cold"):
            shutil.rmtree(saved, ignore_errors=True)
            if cache.exists():
                cache.rename(saved)
        elif name.endswith(" changed"):
            toggles += 1
            edit = "+changed" if toggles % 2 else "-changed"  # a real change each time
            subprocess.run(
                [sys.executable, "-m", "rlhf_reader", *bases[side], "tag", "2000.00007", edit],
                env={**os.environ, **xdgs[side], "PYTHONPATH": sides[side]},
                stdout=subprocess.DEVNULL,
                check=True,
            )

    def finish(name: str, side: str) -> None:
        cache = exports_cache(side)
        saved = cache.with_name("exports.saved")
        if name.endswith(" cold") and saved.exists():
            shutil.rmtree(cache, ignore_errors=True)
            saved.rename(cache)

    found: dict[str, list[float]] = {}
    try:
        for run in range(args.runs):
            for name, command in chosen.items():
                if name == "mark":  # a real change every time
                    command = [*command[:-1], "read" if run % 2 == 0 else "unread"]
                if name == "tag":
                    command = [*command[:-1], "+bench" if run % 2 == 0 else "-bench"]
                order = list(sides.items()) if run % 2 == 0 else list(sides.items())[::-1]
                for side, src in order:
                    env = {**os.environ, **xdgs[side], "PYTHONPATH": src}
                    prepare(name, side)
                    wall, mb, cpu, faults = timed_process_faults(
                        [sys.executable, "-m", "rlhf_reader", *bases[side], *command], env
                    )
                    for what, value in (("wall", wall), ("cpu", cpu), ("mb", mb), ("pf", faults)):
                        found.setdefault(f"{name}/{what}/{side}", []).append(value)
                    sample = {"wall": round(wall, 3), "cpu": round(cpu, 3), "mb": round(mb)}
                    sample["faults"] = faults
                    print(json.dumps({"run": run, "side": side, name: sample}), flush=True)
                    finish(name, side)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    med = {name: statistics.median(values) for name, values in found.items()}
    print(f"size {args.size}, runs {args.runs}, load {os.getloadavg()}")
    print(
        "| command | wall before | wall after | ratio | CPU before | CPU after | ratio "
        "| page faults | RSS |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in chosen:
        wb, wa = med[f"{name}/wall/before"], med[f"{name}/wall/after"]
        cb, ca = med[f"{name}/cpu/before"], med[f"{name}/cpu/after"]
        mb, ma = med[f"{name}/mb/before"], med[f"{name}/mb/after"]
        pb, pa = med[f"{name}/pf/before"], med[f"{name}/pf/after"]
        print(
            f"| `{name}` | {wb:.2f} s | {wa:.2f} s | {wa / wb:.2f}\u00d7 | {cb:.2f} s | "
            f"{ca:.2f} s | {ca / cb:.2f}\u00d7 | {pb / 1000:.0f}k → {pa / 1000:.0f}k "
            f"| {mb:.0f} → {ma:.0f} MB |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
