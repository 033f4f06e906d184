"""Byte-identical ``import`` and ``sync``, before/after:
``python bench/compare_interop.py BEFORE_SRC [--sizes 1000 10000] [--no-lists]``.

For the code of ``BEFORE_SRC`` and of this worktree's ``src``, each with its own HOME and
cache folders, in the same work folder (so that paths in messages are the same):

- ``import`` of a JSON backup (with changes), of the library's BibTeX and CSL-JSON exports:
  ``--dry-run``, then twice for real (the second finds the import cache warm on the after
  side), ``--status-from-keywords`` once — stdout, stderr, exit code and the library file
  after each;
- a sync round of two machines (a alone, b merging a, a merging b, b ``--dry-run``, b, a):
  the same, plus both sync files (``exported_at`` / ``written_at`` masked);

on ``scaledata`` libraries of the sizes given, and (unless ``--no-lists``) on the bundled
list and each list of ``/work/shared/testdata/lists`` with a small annotated library, into
an empty and into an annotated library, and on the .bib / CSL-JSON files of ``tests/``.
Time stamps of the moment of the run (``now``) are masked in libraries. Prints each
difference; exit status 1 if there is one.
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
AFTER = ROOT / "src"
LISTS = Path("/work/shared/testdata/lists")
BUNDLED = AFTER / "rlhf_reader" / "data" / "awesome-rlhf.md"
_NOW = re.compile(rb'"(?:exported_at|written_at|added|updated|created|read_at)": ?"[0-9T:.Z+-]+"')


class Runner:
    def __init__(self, src: Path, home: Path, work: Path) -> None:
        self.src, self.home, self.work = src, home, work
        self.env = {**os.environ, "HOME": str(home), "PYTHONPATH": str(src)}
        for name in ("DATA", "CACHE", "CONFIG", "STATE"):
            self.env[f"XDG_{name}_HOME"] = str(home / name.lower())

    def run(self, *args: str) -> tuple[int, bytes, bytes]:
        proc = subprocess.run(
            [sys.executable, "-m", "rlhf_reader", *args],
            env=self.env,
            cwd=self.work,
            capture_output=True,
        )
        return proc.returncode, proc.stdout, proc.stderr


def masked(data: bytes, started: bytes) -> bytes:
    """``data`` with the time stamps of this run (from ``started`` on) masked."""

    def mask(match: re.Match[bytes]) -> bytes:
        value = match.group(0).rsplit(b'"', 2)[1]
        return match.group(0).replace(value, b"NOW") if value >= started else match.group(0)

    return _NOW.sub(mask, data)


def scenario(
    runner: Runner, list_path: Path, library: Path, inputs: list[Path], started: bytes
) -> list[tuple[str, bytes]]:
    """Every output of one tree, named."""
    out: list[tuple[str, bytes]] = []
    work = runner.work
    base = ["--list", str(list_path)]

    def record(name: str, result: tuple[int, bytes, bytes], *files: Path) -> None:
        code, stdout, stderr = result
        out.append((f"{name}: exit", str(code).encode()))
        out.append((f"{name}: stdout", stdout))
        out.append((f"{name}: stderr", stderr))
        for path in files:
            data = path.read_bytes() if path.exists() else b"<missing>"
            out.append((f"{name}: {path.name}", masked(data, started)))

    for source in inputs:
        for start in ("empty", "annotated"):
            db = work / "lib.json"
            for stale in work.glob("lib.json*"):
                stale.unlink()
            if start == "annotated":
                shutil.copyfile(library, db)
            name = f"{source.name} into {start}"
            record(f"{name} --dry-run", runner.run(*base, "--db", str(db), "import", "--dry-run",
                                                   str(source)), db)  # fmt: skip
            record(f"{name} 1", runner.run(*base, "--db", str(db), "import", str(source)), db)
            record(f"{name} 2", runner.run(*base, "--db", str(db), "import", str(source)), db)
            keywords = ("import", "--status-from-keywords", str(source))
            record(f"{name} keywords", runner.run(*base, "--db", str(db), *keywords), db)
    shared = work / "shared"
    shutil.rmtree(shared, ignore_errors=True)
    shared.mkdir()
    a, b = work / "a.json", work / "b.json"
    for path, origin in ((a, library), (b, library.with_name("b-" + library.name))):
        for stale in work.glob(path.name + "*"):
            stale.unlink()
        shutil.copyfile(origin, path)
    files = [shared / "rlhf-reader-a.sync.json", shared / "rlhf-reader-b.sync.json"]
    steps = [
        ("sync a alone", a, ["--machine", "a"]),
        ("sync b merges a", b, ["--machine", "b"]),
        ("sync a merges b", a, []),
        ("sync b dry run", b, ["--dry-run"]),
        ("sync b", b, []),
        ("sync a", a, []),
    ]
    for name, db, extra in steps:
        record(name, runner.run(*base, "--db", str(db), "sync", *extra, "shared"), a, b, *files)
    return out


def compare(before: list[tuple[str, bytes]], after: list[tuple[str, bytes]], label: str) -> int:
    problems = 0
    if [n for n, _ in before] != [n for n, _ in after]:
        print(f"DIFFERENT STEPS in {label}")
        return 1
    for (name, old), (_, new) in zip(before, after, strict=True):
        if old != new:
            problems += 1
            at = (
                next(i for i, (x, y) in enumerate(zip(old, new, strict=False)) if x != y)
                if any(x != y for x, y in zip(old, new, strict=False))
                else min(len(old), len(new))
            )
            start = max(0, at - 150)
            print(
                f"DIFFERENT {label}: {name} (at byte {at})\n  before: {old[start : at + 150]!r}"
                f"\n  after:  {new[start : at + 150]!r}"
            )
    return problems


def make_inputs(runner: Runner, list_path: Path, library: Path, folder: Path) -> list[Path]:
    """The library's JSON backup (one paper changed), BibTeX and CSL-JSON exports."""
    work = folder / "make.json"
    for stale in folder.glob("make.json*"):
        stale.unlink()
    shutil.copyfile(library, work)
    base = ["--list", str(list_path), "--db", str(work)]
    made = []
    for fmt, name in (("bibtex", "export.bib"), ("csl-json", "export.csl.json")):
        runner.run(*base, "export", "--format", fmt, "-o", str(folder / name))
        made.append(folder / name)
    listed = runner.run(*base, "list", "--json")[1]
    keys = re.findall(rb'"key": ?"([^"]+)"', listed)
    if keys:
        runner.run(*base, "mark", keys[0].decode(), "read")
        runner.run(*base, "tag", keys[-1].decode(), "+imported")
    runner.run(*base, "export", "--format", "json", "-o", str(folder / "backup.json"))
    return [folder / "backup.json", *made]


def other_machine(runner: Runner, list_path: Path, db: Path) -> None:
    """``b-<library>``: the library with two papers marked and a note written (made once,
    so that both trees sync the same files)."""
    other = db.with_name("b-" + db.name)
    for stale in db.parent.glob(other.name + "*"):
        stale.unlink()
    shutil.copyfile(db, other)
    base = ["--list", str(list_path), "--db", str(other)]
    keys = re.findall(rb'"key": ?"([^"]+)"', runner.run(*base, "list", "--json")[1])[:3]
    for key in keys[:2]:
        runner.run(*base, "mark", key.decode(), "reading")
    if keys:
        runner.run(*base, "note", keys[-1].decode(), "a note written on b")


def annotated_library(runner: Runner, list_path: Path, db: Path) -> None:
    base = ["--list", str(list_path), "--db", str(db)]
    keys = re.findall(rb'"key": ?"([^"]+)"', runner.run(*base, "list", "--json")[1])
    if not keys:
        return
    runner.run(*base, "mark", *[k.decode() for k in keys[:3]], "read")
    runner.run(*base, "tag", keys[1 % len(keys)].decode(), "+dpo", "+survey")
    runner.run(*base, "note", keys[-1].decode(), "a note\nwith two lines")
    runner.run(*base, "add", "2501.00001", "--title", "Mine")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--no-lists", action="store_true")
    args = parser.parse_args()
    compileall.compile_dir(str(args.before), quiet=1)
    compileall.compile_dir(str(AFTER), quiet=1)
    from scaledata import make

    root = Path(tempfile.mkdtemp(prefix="compare-interop-"))
    started = subprocess.run(["date", "-u", "+%Y-%m-%dT%H:%M:%S"], capture_output=True,
                             text=True, check=True).stdout.strip().encode()  # fmt: skip
    cases: list[tuple[str, Path, Path | None, list[Path]]] = []
    for size in args.sizes:
        list_path, db = make(root / "scale", size)
        cases.append((f"scale {size}", list_path, db, []))
    if not args.no_lists:
        extra = sorted([*(ROOT / "tests").rglob("*.bib"), *(ROOT / "tests").rglob("*.csl.json")])
        cases.append(("bundled", BUNDLED, None, extra))
        for path in sorted(LISTS.glob("*.md")):
            cases.append((path.name, path, None, []))
    problems = 0
    for label, list_path, db, extra in cases:
        folder = root / re.sub(r"\W+", "-", label)
        folder.mkdir(parents=True, exist_ok=True)
        maker = Runner(args.before, root / "make-home", folder)
        if db is None:
            db = folder / "library.json"
            annotated_library(maker, list_path, db)
        inputs = [*make_inputs(maker, list_path, db, folder), *extra]
        other_machine(maker, list_path, db)
        results = {}
        for name, src in (("before", args.before), ("after", AFTER), ("after again", AFTER)):
            work = root / "work"
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
            home = root / ("home-before" if name == "before" else "home-after")
            if name == "after":
                shutil.rmtree(home, ignore_errors=True)  # cold caches first, warm after
            results[name] = scenario(Runner(src, home, work), list_path, db, inputs, started)
        found = compare(results["before"], results["after"], f"{label} (cold)")
        found += compare(results["before"], results["after again"], f"{label} (warm)")
        steps = len(results["before"])
        print(f"{label}: {steps} outputs compared twice, {found} different", flush=True)
        problems += found
    shutil.rmtree(root, ignore_errors=True)
    print("ALL THE SAME" if not problems else f"{problems} DIFFERENCES")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
