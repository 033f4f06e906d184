"""Byte-identical ``list`` in every variant, before/after: ``python bench/compare_listing.py
BEFORE_SRC [--sizes 1000 10000 100000]``.

``bench/compare_outputs.py`` compares the reading commands once each; this runs ``list``
with each filter, order, query kind and --json combination the listing's fast paths answer
(and the reading commands beside it: show, cite, next, queue, locate, stats, check) with the
code of ``BEFORE_SRC`` and with this worktree's ``src`` on the same list and library, and
compares exit code, stdout and stderr exactly. Lists: every list in
``/work/shared/testdata/lists/``, the bundled list and ``tests/data/hostile.md`` (libraries as
``compare_outputs`` makes them: statuses, tags, notes with escapes and bidi controls, a queue,
one arXiv record), ``scaledata`` lists of ``--sizes`` and the same list of 1,000 with an arXiv
record (abstract, authors, dates) for one paper in three. A few commands also run with an
ASCII stdout (``PYTHONIOENCODING=ascii``). At 100,000 only ``--big`` commands run (each is
seconds).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
AFTER = str(HERE.parent / "src")

from compare_outputs import _library_for  # noqa: E402

SEARCHES = [
    "dpo",
    "preference",
    "prefrence",
    "optimzation",
    "rl",
    "a",
    "pref",
    "self-play",
    "selfplay",
    "2305",
    '"reward model"',
    '"human feedback"',
    "abstract:reward",
    'abstract:"language model"',
    "tag:dpo",
    "tag:to*",
    "-tag:dpo",
    "status:r",
    "is:read",
    "-status:unread",
    "section:group 1",
    "year:>=2023",
    "year:2020..2022",
    "-year:2024",
    "is:new",
    "is:queued",
    "has:pdf",
    "-has:pdf",
    "list:nosuch",
    "year:abc",
    "dpo year:>=2022 -tag:survey",
    "policy status:read tag:rm",
]


def commands(keys: list[str], big: bool) -> list[tuple[list[str], bool]]:
    """(arguments, run at 100k too)."""
    out: list[tuple[list[str], bool]] = [
        (["list"], True),
        (["list", "--json"], True),
        (["list", "--status", "read"], True),
        (["list", "--status", "unread", "--json"], True),
        (["list", "--tag", "dpo"], True),
        (["list", "--tag", "to-read", "--json"], False),
        (["list", "--section", "5"], True),
        (["list", "--section", "group", "--sort=title"], False),
        (["list", "--status", "reading", "--tag", "rm", "--sort=-read", "--json"], False),
        (["list", "--all-lists"], False),
        (["list", "--all-lists", "--json", "--sort=year"], False),
    ]
    for order in ("year", "-year", "title", "-title", "status", "-status", "read", "-read"):
        out.append((["list", f"--sort={order}"], order in ("-year", "title", "status", "read")))
        out.append((["list", f"--sort={order}", "--json"], order == "-year"))
    out += [(["list", "--sort=added"], False), (["list", "--sort=-added", "--json"], False)]
    for n, search in enumerate(SEARCHES):
        out.append((["list", "--search", search], n < 4 or search in ("tag:dpo", "year:>=2023")))
        if n % 3 == 0:
            out.append((["list", "--search", search, "--json", "--sort=-year"], False))
    shown = [*keys[:2], *keys[-1:]]
    out += [(["show", key, "--json"], key == shown[0]) for key in shown]
    out += [(["cite", *shown], True), (["next"], True), (["queue"], True)]
    out += [(["stats", "--json"], True), (["check"], True)]
    return [(command, at_big) for command, at_big in out if at_big or not big]


ASCII = {("list",), ("list", "--json"), ("list", "--sort=title"), ("list", "--search", "dpo")}


def run(src: str, env: dict[str, str], base: list[str], command: list[str]) -> tuple:
    done = subprocess.run(
        [sys.executable, "-m", "rlhf_reader", *base, *command],
        env={**env, "PYTHONPATH": src},
        capture_output=True,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def _with_metadata(source_db: Path, list_path: Path, db: Path) -> None:
    """A copy of the library with an arXiv record for one paper in three."""
    from export_data import _metadata

    from rlhf_reader.library.store import Library
    from rlhf_reader.lists.catalog import load

    shutil.copyfile(source_db, db)
    rng = random.Random(1)
    entries = load(list_path).entries
    records = {e.key: _metadata(rng, e, i) for i, e in enumerate(entries) if i % 3 == 0}
    library = Library.open(db)
    library.put_metadata(records)
    library.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000, 100000])
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "rlhf-scale")
    parser.add_argument("--no-lists", action="store_true", help="only the generated lists")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="rlhf-compare-listing-"))
    lists = [] if args.no_lists else sorted(Path("/work/shared/testdata/lists").glob("*.md"))
    if not args.no_lists:
        lists += [HERE.parent / "src/rlhf_reader/data/awesome-rlhf.md"]
        lists += [HERE.parent / "tests/data/hostile.md"]
    cases: list[tuple[str, Path, Path, list[str], bool]] = []
    for n, source in enumerate(lists):
        folder = home / f"list{n}"
        folder.mkdir()
        listed = folder / source.name
        shutil.copyfile(source, listed)
        db = folder / "library.json"
        cases.append((source.name, listed, db, _library_for(listed, db), False))
    from scaledata import make

    for size in args.sizes:
        listed, source_db = make(args.data, size)
        step = max(size // 7, 1)
        keys = [f"{2000 + i // 10000:04d}.{i % 100000:05d}" for i in range(1, size, step)][:3]
        db = home / f"scale-{size}.json"
        shutil.copyfile(source_db, db)
        cases.append((f"scale-{size}", listed, db, keys, size > 10000))
        if size == 1000:
            meta = home / f"scale-{size}-meta.json"
            _with_metadata(source_db, listed, meta)
            cases.append((f"scale-{size}-meta", listed, meta, keys, False))
    differences = compared = 0
    try:
        for name, listed, db, keys, big in cases:
            sides = {"before": str(args.before.resolve()), "after": AFTER}
            envs = {}
            for side in sides:
                xdg = {f"XDG_{d}_HOME": str(home / side / d.lower()) for d in ("CACHE", "DATA")}
                envs[side] = {**os.environ, **xdg, "HOME": str(home / side)}
            base = ["--list", str(listed), "--db", str(db)]
            if keys:  # both queue the same keys (the library holds the queue)
                run(AFTER, envs["after"], base, ["queue", "add", *keys[:3]])
            for command, _ in commands(keys, big):
                variants = [{}]
                if tuple(command) in ASCII:
                    variants.append({"PYTHONIOENCODING": "ascii"})
                for extra in variants:
                    before_env = {**envs["before"], **extra}
                    after_env = {**envs["after"], **extra}
                    expected = run(sides["before"], before_env, base, command)
                    got = run(sides["after"], after_env, base, command)
                    compared += 1
                    if got != expected:
                        differences += 1
                        print(f"DIFFERENT {name} {command} {extra}", flush=True)
            print(f"{name}: done ({compared} so far)", flush=True)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(f"{compared} comparisons, {differences} different")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
