"""Exports byte for byte as the code before made them: ``python bench/check_export_bytes.py
BEFORE_SRC DATA [--sizes 1000 10000 100000] [--lists]``.

For each data set of ``export_data.make_all(DATA)`` (the scale lists with and without arXiv
records, every list of /work/shared/testdata/lists/ and the bundled one, each with a library
that annotates its entries) and each format, ``rlhf-reader export`` runs as a whole process:

* with the code before (``BEFORE_SRC``), no export cache: the expected bytes;
* with this worktree's code, no export cache, ``RLHF_READER_PROCESSES=1`` (one process);
* the same with ``RLHF_READER_PROCESSES=2`` and ``export_cache.PARALLEL_ROWS`` 1 (a second
  process formats part of the rows even of a small list), then again (the cache it wrote);
* unless ``--no-filters``: also to stdout (no ``-o``), and with ``--status read`` /
  ``--tag`` / ``--search`` filters, each of these three ways.

``--sizes``: the scale lists of these sizes (with and without arXiv records); ``--lists``:
every test list; ``--only NAME…``: these data sets.

Each output is compared with the expected one (the JSON backup's ``exported_at`` line left
out: it is the time of the export). Prints one line per difference and a summary; exit 1 if
any differed.
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

from export_data import make_all  # noqa: E402

AFTER = str(HERE.parent / "src")
FORMATS = ("markdown", "csv", "json", "bibtex", "ris", "csl-json")
# A run of the CLI with the parallel threshold at one row (any input is split).
FORCED = (
    "import sys; from rlhf_reader.formats import export_cache; export_cache.PARALLEL_ROWS = 1; "
    "from rlhf_reader.cli import main; sys.exit(main(sys.argv[1:]))"
)


def normal(data: bytes) -> bytes:
    return b"\n".join(line for line in data.split(b"\n") if b'"exported_at": ' not in line)


def run(home: Path, base: list[str], src: str, processes: str, out: bool) -> bytes:
    """One export (``base``: the list, library and export arguments) with the code of
    ``src``, its own cache folder per side and number of processes: its bytes."""
    xdg = home / f"xdg-{src == AFTER}-{processes}"
    env = {**os.environ, "PYTHONPATH": src, "RLHF_READER_PROCESSES": processes, "HOME": str(xdg)}
    env.update({f"XDG_{k}_HOME": str(xdg / k) for k in ("CACHE", "DATA", "CONFIG")})
    head = ["-c", FORCED] if src == AFTER and processes != "1" else ["-m", "rlhf_reader"]
    target = home / "out"
    command = [sys.executable, *head, *base, *(["-o", str(target)] if out else [])]
    done = subprocess.run(command, env=env, capture_output=True, check=False)
    if done.returncode:
        return b"exit %d: %s" % (done.returncode, done.stderr)
    return normal(target.read_bytes() if out else done.stdout)


def cold(home: Path, after: bool, processes: str) -> None:
    shutil.rmtree(home / f"xdg-{after}-{processes}" / "CACHE", True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("data", type=Path)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000, 10_000, 100_000])
    parser.add_argument("--lists", action="store_true", help="also the testdata lists")
    parser.add_argument("--formats", nargs="*", default=list(FORMATS))
    parser.add_argument("--no-filters", action="store_true", help="the whole list only")
    parser.add_argument("--only", nargs="*", help="these data sets (names as printed)")
    args = parser.parse_args()
    before = str(args.before.resolve())
    sets = [
        s
        for s in make_all(args.data)
        if (s[0].startswith("scale-") and int(s[0].split("-")[1]) in args.sizes)
        or (args.lists and s[0].startswith("list-"))
        or (args.only and s[0] in args.only)
    ]
    home = Path(tempfile.mkdtemp(prefix="rlhf-export-bytes-"))
    filters: list[list[str]] = [[]]
    if not args.no_filters:
        filters += [["--status", "read"], ["--tag", "rlhf"], ["--search", "model"]]
    bad = checked = 0
    try:
        for name, list_path, source_db in sets:
            db = home / "library.json"
            shutil.copyfile(source_db, db)
            for fmt in args.formats:
                for extra in filters:
                    base = ["--list", str(list_path), "--db", str(db), "export", "-f", fmt, *extra]
                    for out in (True, False) if not extra else (True,):
                        cold(home, False, "1")
                        expected = run(home, base, before, "1", out)
                        for processes in ("1", "2"):
                            cold(home, True, processes)
                            for label in ("cold", "warm") if processes == "2" else ("cold",):
                                got = run(home, base, AFTER, processes, out)
                                checked += 1
                                if got != expected:
                                    bad += 1
                                    where = " ".join(extra) or "all"
                                    to = "file" if out else "stdout"
                                    print(f"DIFFERS: {name} {fmt} {where} {to}", processes, label)
                print(f"{name} {fmt}: checked", flush=True)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(f"{checked} outputs compared, {bad} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
