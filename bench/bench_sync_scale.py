"""Import and sync of a big library, before vs after, whole processes:
``python bench/bench_sync_scale.py [--size N] [--runs R] [--before SRC_DIR]``.

On a list and library of N entries from ``scaledata.make`` (every entry annotated), for the
code in this tree and, with ``--before``, an older tree (``git archive REV src | tar -x -C
DIR``; compiled here first), alternating runs:

- ``import`` of the library's own JSON export with four changes in it, then again (nothing
  new: every entry equal to the library's);
- a sync round: machine *a* alone, *b* (two papers changed) merging *a*, *a* merging *b*'s
  changes, then *b* and *a* again with nothing new.

Prints wall and CPU seconds (user + system, the children's included: on two cores CPU can
exceed wall) and the peak memory, medians of the runs. With ``--before``, first checks that
both trees give the same outcome of the import into a library never opened and of the
import again (exit, stdout, stderr, the library with the time stamps of the run masked, as
``compare_interop.py`` masks them), on copies in one work folder (the same paths in
messages); no timing if one differs. ``--one-process`` adds the code in this tree with
``RLHF_READER_PROCESSES=1`` (everything in one process, as in the TUI) as a column.
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

STEPS = ("import json", "import json again", "sync a alone", "sync b merges a",
         "sync a merges b", "sync b, nothing new", "sync a, nothing new")  # fmt: skip


def one_round(src: Path, list_path: Path, db: Path, work: Path, env: dict[str, str]) -> list:
    env = {**env, "PYTHONPATH": str(src)}
    if work.name == "after-1":
        env["RLHF_READER_PROCESSES"] = "1"
    cli = [sys.executable, "-m", "rlhf_reader", "--list", str(list_path)]

    def run(db_path: Path, *args: str) -> tuple[float, float, float]:
        return timed_process([*cli, "--db", str(db_path), *args], env)

    shutil.rmtree(work, ignore_errors=True)
    (work / "shared").mkdir(parents=True)
    changed, a, b = work / "changed.json", work / "a.json", work / "b.json"
    for path in (changed, a, b):
        shutil.copyfile(db, path)
    first = "2000.00001"
    run(changed, "mark", first, "2000.00002", "unread")
    run(changed, "note", "2000.00004", "a new note")
    run(changed, "export", "--format", "json", "-o", str(work / "x.json"))
    run(b, "mark", first, "2000.00002", "unread")
    shared = str(work / "shared")
    return [
        run(a, "import", str(work / "x.json")),
        run(a, "import", str(work / "x.json")),
        run(a, "sync", "--machine", "a", shared),
        run(b, "sync", "--machine", "b", shared),
        run(a, "sync", shared),
        run(b, "sync", shared),
        run(a, "sync", shared),
    ]


def same_outcomes(trees: dict[str, Path], list_path: Path, db: Path, home: Path) -> bool:
    """Whether every tree's ``import`` steps (see :func:`one_round`) print, exit and leave the
    library as the first tree's do; prints each step's verdict."""
    from compare_interop import masked

    seen: dict[str, list[tuple[int, bytes, bytes, bytes]]] = {}
    work = home / "same"
    for name, src in trees.items():
        env = {**os.environ, "PYTHONPATH": str(src), "HOME": str(home / "same-home" / name)}
        for part in ("CACHE", "DATA", "CONFIG"):
            env[f"XDG_{part}_HOME"] = str(home / "same-home" / name / part.lower())
        env.pop("RLHF_READER_PROCESSES", None)
        cli = [sys.executable, "-m", "rlhf_reader", "--list", str(list_path)]
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        changed, a = work / "changed.json", work / "a.json"
        shutil.copyfile(db, changed)
        started = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()).encode()
        for args in (("mark", "2000.00001", "2000.00002", "unread"),
                     ("note", "2000.00004", "a new note"),
                     ("export", "--format", "json", "-o", str(work / "x.json"))):  # fmt: skip
            subprocess.run([*cli, "--db", str(changed), *args], env=env, capture_output=True,
                           check=True)  # fmt: skip
        shutil.copyfile(db, a)
        outcomes = []
        for _ in range(2):  # into a library never opened, then again
            proc = subprocess.run([*cli, "--db", str(a), "import", str(work / "x.json")],
                                  env=env, capture_output=True, check=False)  # fmt: skip
            library = masked(a.read_bytes(), started)
            outcomes.append((proc.returncode, proc.stdout, proc.stderr, library))
        seen[name] = outcomes
    shutil.rmtree(work, ignore_errors=True)
    first, *others = seen.values()
    ok = True
    for i, step in enumerate(("import json", "import json again")):
        for other in others:
            same = [x == y for x, y in zip(first[i], other[i], strict=True)]
            print(f"{step}: exit, stdout, stderr, library the same: {same}")
            ok = ok and all(same)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", type=Path, help="an older tree's src folder")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "rlhf-scale")
    parser.add_argument(
        "--one-process", action="store_true", help="also this tree with RLHF_READER_PROCESSES=1"
    )
    args = parser.parse_args()
    trees = {"after": HERE.parent / "src"}
    if args.one_process:
        trees = {"after-1": HERE.parent / "src", **trees}
    if args.before:
        trees = {"before": args.before, **trees}
    for src in trees.values():
        compileall.compile_dir(str(src), quiet=1)
    home = Path(tempfile.mkdtemp(prefix="rlhf-bench-home-"))
    env = {**os.environ, **{f"XDG_{n}_HOME": str(home / n.lower()) for n in ("CACHE", "DATA")}}
    list_path, db = make(args.data, args.size)
    if args.before and not same_outcomes(trees, list_path, db, home):
        print("outcomes differ: no timing")
        return 1
    results: dict[str, list[list[tuple[float, float, float]]]] = {name: [] for name in trees}
    for _ in range(args.runs):
        for name, src in trees.items():
            results[name].append(one_round(src, list_path, db, home / name, env))
    print(f"{args.size:,} entries, medians of {args.runs}: wall s / CPU s / peak MB\n")
    print("| step | " + " | ".join(trees) + " |")
    print("| --- |" + " --- |" * len(trees))
    for i, step in enumerate(STEPS):
        cells = []
        for name in trees:
            wall, mb, cpu = (statistics.median(r[i][j] for r in results[name]) for j in range(3))
            cells.append(f"{wall:.2f} / {cpu:.2f} / {mb:.0f}")
        print(f"| {step} | " + " | ".join(cells) + " |")
    shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
