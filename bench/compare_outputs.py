"""Byte-identical outputs, before/after: ``python bench/compare_outputs.py BEFORE_SRC``.

Runs the reading commands (``list``, ``list --json``, ``stats``, ``stats --json``, ``check``,
``next``, ``queue``, ``show``, ``show --json`` and a few filters) with the code of
``BEFORE_SRC`` and with this worktree's ``src`` on the same list and library, and compares
stdout, stderr and the exit code with ``cmp``-exactness. The after side runs every command
twice — the first run may write its caches (the library's snapshot, the parse cache's
marshal copy), the second reads them — and both must match. Lists: every list in
``/work/shared/testdata/lists/``, the bundled list and ``tests/data/hostile.md`` (each with a
library holding statuses, tags, notes with escapes / bidi / line separators, a queue and one
arXiv record whose title differs), and ``scaledata`` lists of the sizes given (``--sizes``).
``mark`` and ``tag`` run on separate copies of the library, and their outputs are compared.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
AFTER = str(HERE.parent / "src")

NOTES = [
    "plain note",
    "escapes \x1b[31mred\x1b[0m and \x07 bell",
    "bidi \u202eevil\u202c and \u2066iso\u2069",
    "line\u2028separator and\u2029para",
    "multi\nline\n\n- list\n",
    "",
]


def _library_for(list_path: Path, db: Path) -> list[str]:
    """A library for the list at ``list_path``; the keys it annotated."""
    from rlhf_reader.library.store import Library
    from rlhf_reader.lists.catalog import load
    from rlhf_reader.model import Annotation, Status

    entries = load(list_path).entries
    keys = list(dict.fromkeys(e.key for e in entries))[:40]
    library = Library.open(db)
    statuses = list(Status)
    library.put_annotations(
        Annotation(
            key,
            statuses[n % 3],
            (("dpo", "to-read"), (), ("survey",))[n % 3],
            NOTES[n % len(NOTES)],
            "2026-01-01T00:00:00Z",
            "2026-01-02T00:00:00Z",
            "2026-01-03T00:00:00Z" if statuses[n % 3] is Status.READ else None,
        )
        for n, key in enumerate(keys)
    )
    if keys:
        library.put_metadata({keys[0]: {"title": "Another \x1b title", "authors": ["A B"]}})
        library.change_queue(lambda _q: keys[1:4])
    library.close()
    return keys


def commands(keys: list[str]) -> list[list[str]]:
    shown = [*keys[:2], *keys[-1:]]
    return [
        ["list"],
        ["list", "--json"],
        ["list", "--sort=-year"],
        ["list", "--status", "read"],
        ["list", "--json", "--tag", "dpo"],
        ["list", "--search", "a"],
        ["stats"],
        ["stats", "--json"],
        ["check"],
        ["next"],
        ["queue"],
        *(["show", key] for key in shown),
        *(["show", key, "--json"] for key in shown),
    ]


def run(src: str, env: dict[str, str], base: list[str], command: list[str]) -> tuple:
    done = subprocess.run(
        [sys.executable, "-m", "rlhf_reader", *base, *command],
        env={**env, "PYTHONPATH": src},
        capture_output=True,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000, 100000])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "rlhf-scale")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="rlhf-compare-"))
    lists = sorted(Path("/work/shared/testdata/lists").glob("*.md"))
    lists += [HERE.parent / "src/rlhf_reader/data/awesome-rlhf.md"]
    lists += [HERE.parent / "tests/data/hostile.md"]
    cases: list[tuple[str, Path, Path, list[str]]] = []
    for n, source in enumerate(lists):
        folder = home / f"list{n}"
        folder.mkdir()
        listed = folder / source.name
        shutil.copyfile(source, listed)
        db = folder / "library.json"
        cases.append((source.name, listed, db, _library_for(listed, db)))
    from scaledata import make

    for size in args.sizes:
        listed, source_db = make(args.data, size)
        db = home / f"scale-{size}.json"
        shutil.copyfile(source_db, db)
        step = max(size // 7, 1)
        keys = [f"{2000 + i // 10000:04d}.{i % 100000:05d}" for i in range(1, size, step)]
        cases.append((f"scale-{size}", listed, db, keys[:3]))
    differences = compared = 0
    try:
        for name, listed, db, keys in cases:
            sides = {"before": str(args.before.resolve()), "after": AFTER}
            envs = {}
            for side in sides:
                xdg = {f"XDG_{d}_HOME": str(home / side / d.lower()) for d in ("CACHE", "DATA")}
                envs[side] = {**os.environ, **xdg, "HOME": str(home / side)}
            base = ["--list", str(listed), "--db", str(db)]
            if keys:  # both queue the same keys (the library holds the queue)
                run(AFTER, envs["after"], base, ["queue", "add", *keys[:3]])
            for number, command in enumerate(commands(keys)):
                expected = run(sides["before"], envs["before"], base, command)
                if number % 2:  # the library's snapshot made by this read, not by a write
                    for kept in (home / "after" / "cache").glob("rlhf-reader/checked/*.tables"):
                        kept.unlink()
                for attempt in ("first", "second"):
                    got = run(sides["after"], envs["after"], base, command)
                    compared += 1
                    if got != expected:
                        differences += 1
                        print(f"DIFFERENT {name} {command} ({attempt} run)", flush=True)
            for command in (["mark", *keys[:2], "read"], ["tag", *keys[:2], "+cmp", "-dpo"]):
                outs = []
                for side, src in sides.items():
                    copy = home / f"{side}-{name}.json"
                    shutil.copyfile(db, copy)
                    outs.append(run(src, envs[side], ["--list", str(listed), "--db", str(copy)],
                                    command))  # fmt: skip
                compared += 1
                if outs[0] != outs[1]:
                    differences += 1
                    print(f"DIFFERENT {name} {command}", flush=True)
            print(f"{name}: done", flush=True)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(f"{compared} comparisons, {differences} different")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
