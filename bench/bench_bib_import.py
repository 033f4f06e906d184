"""``import FILE.bib`` / ``import FILE.csl.json`` of a big library, before vs after, whole
processes: ``python bench/bench_bib_import.py [--size N] [--runs R] [--before SRC_DIR]
[--before-runs B] [--folder DIR] [--files BIB CSL]``.

On a list and library of N entries from ``scaledata.make``, the library's own ``export
--format bibtex`` and ``--format csl-json`` are imported back into a copy of the library
(every reference matches by arXiv id). For the code in this tree and, with ``--before``, an
older tree (``git archive REV src | tar -x -C DIR``; compiled here first), alternating: wall
and CPU seconds (user + system, the processes of a read in parts included) and the peak
memory, medians of the runs: the first import (no import cache) before, after in one process
(``RLHF_READER_PROCESSES=1``) and after as it runs (the file read in parts on the cores
there are), then the same file again (the import cache warm) before and after. The output
of the first run of each tree is kept and compared (``cmp``): it must be the same bytes.

Then, in this process: where the time of reading the .bib goes in one process (the reader,
by whole entries and token by token; the conversion to rows; the references made; the
authors, year, date and venue a plain entry leaves for later, made for every reference), and
the fast BibTeX reader against bibtexparser on the export (the same entries; ``--check-size``
entries, 10,000 by default: bibtexparser takes ~2 s for them).
"""

from __future__ import annotations

import argparse
import compileall
import gc
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


def run_cli(src: Path, env: dict[str, str], *args: str) -> bytes:
    proc = subprocess.run(
        [sys.executable, "-m", "rlhf_reader", *args],
        env={**env, "PYTHONPATH": str(src)},
        capture_output=True,
        check=True,
    )
    return proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--before", type=Path)
    parser.add_argument("--before-runs", type=int, default=1)
    parser.add_argument("--check-size", type=int, default=10_000)
    parser.add_argument("--folder", type=Path, help="where the data is made (kept)")
    parser.add_argument("--files", type=Path, nargs=2, metavar=("BIB", "CSL"),
                        help="the exports to import (else made here)")  # fmt: skip
    args = parser.parse_args()
    after_src = HERE.parent / "src"
    folder = args.folder or Path(tempfile.mkdtemp(prefix="bench-bib-"))
    home = folder / "home"
    env = {**os.environ, "HOME": str(home)}
    for name in ("data", "cache", "config"):
        env[f"XDG_{name.upper()}_HOME"] = str(home / name)
    if args.before:
        compileall.compile_dir(str(args.before), quiet=1)
    list_path, db = make(folder / "scale", args.size)
    files = {}
    for fmt, suffix in (("bibtex", "bib"), ("csl-json", "csl.json")):
        out = folder / f"export-{args.size}.{suffix}"
        if args.files:
            out = args.files[0] if fmt == "bibtex" else args.files[1]
        if not out.exists():
            work = folder / "export-db.json"
            shutil.copyfile(db, work)
            run_cli(after_src, env, "--list", str(list_path), "--db", str(work), "export",
                    "--format", fmt, "-o", str(out))  # fmt: skip
        files[fmt] = out

    trees = {"after": after_src}
    if args.before:
        trees["before"] = args.before
    print(f"{args.size} references, {os.uname().sysname} {os.uname().machine}, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")  # fmt: skip
    for fmt, path in files.items():
        outputs = {}
        for name, src in trees.items():  # the bytes each tree prints, once
            work = folder / f"import-{name}.json"
            shutil.copyfile(db, work)
            outputs[name] = run_cli(src, env, "--list", str(list_path), "--db", str(work),
                                    "import", str(path))  # fmt: skip
        work = folder / "import-again.json"
        shutil.copyfile(db, work)
        again = run_cli(trees["after"], env, "--list", str(list_path), "--db", str(work),
                        "import", str(path))  # fmt: skip
        print(f"import {path.name}: output after, again (import cache) == after: "
              f"{again == outputs['after']}")  # fmt: skip
        if "before" in outputs:
            same = outputs["before"] == outputs["after"]
            print(f"import {path.name}: output before == after: {same}")
        # "before" and "cold…" without the import cache (a file imported the first time;
        # "cold 1" in one process), "warm…" right after (the same file again: its
        # references kept; one cache file a path: each tree's warm run follows its cold).
        variants = []
        if "before" in trees:
            variants += [("before", trees["before"]), ("b-warm", trees["before"])]
        variants += [("cold 1", trees["after"]), ("cold", trees["after"]),
                     ("warm", trees["after"])]  # fmt: skip
        results: dict[str, list[tuple[float, float, float]]] = {n: [] for n, _ in variants}
        for i in range(max(args.runs, args.before_runs)):
            for name, src in variants:
                if name in ("before", "b-warm") and i >= args.before_runs:
                    continue
                if name not in ("before", "b-warm") and i >= args.runs:
                    continue
                if name in ("before", "cold", "cold 1"):
                    shutil.rmtree(home / "cache" / "rlhf-reader" / "imports", ignore_errors=True)
                work = folder / f"import-{name.replace(' ', '')}.json"
                shutil.copyfile(db, work)
                cli = [sys.executable, "-m", "rlhf_reader", "--list", str(list_path),
                       "--db", str(work), "import", str(path)]  # fmt: skip
                run_env = {**env, "PYTHONPATH": str(src)}
                run_env.pop("RLHF_READER_PROCESSES", None)
                if name == "cold 1":
                    run_env["RLHF_READER_PROCESSES"] = "1"
                results[name].append(timed_process(cli, run_env))
        for name, runs in results.items():
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[2] for r in runs)
            peak = statistics.median(r[1] for r in runs)
            print(f"  {fmt:9s} {name:6s} wall {wall:6.2f} s  CPU {cpu:6.2f} s  peak {peak:5.0f} MB"
                  f"  ({len(runs)} runs; load {os.getloadavg()[0]:.1f})")  # fmt: skip
    in_process(files["bibtex"], args.check_size)


def in_process(path: Path, check_size: int) -> None:
    sys.path.insert(0, str(HERE.parent / "src"))
    import bibtexparser

    from rlhf_reader.library import bibfast, bibimport

    gc.disable()  # as the CLI runs
    text = path.read_text(encoding="utf-8-sig")
    steps = []

    def timed(label: str, job: object) -> object:
        assert callable(job)
        start = time.process_time()
        result = job()
        steps.append(f"{label} {time.process_time() - start:.2f} s")
        return result

    # Where the time of reading goes, one process: the reader (entries of the line shape
    # whole, token by token otherwise: bibfast.LINES), the conversion to rows (a plain
    # entry's authors, year, date and venue left for later), the references made of rows,
    # and what making those pending fields costs when every reference is read whole.
    found = timed("reader", lambda: bibfast.entries(text))
    bibfast.LINES = False
    timed("reader token by token", lambda: bibfast.entries(text))
    bibfast.LINES = True
    assert isinstance(found, list)
    rows = timed("conversion", lambda: bibimport._converted(found))
    assert isinstance(rows, list)
    refs = timed("references", lambda: bibimport.made(rows))
    assert isinstance(refs, list)
    timed("pending fields made", lambda: [ref.authors for ref in refs])
    print(f"in process ({len(refs)} references, CPU): " + ", ".join(steps))
    sample = "\n@".join(text.split("\n@", check_size)[:check_size])  # the first entries
    start = time.process_time()
    expected = bibfast.library_entries(bibtexparser.parse_string(sample))
    slow = time.process_time() - start
    fast = bibfast.entries(sample)
    assert fast == expected, "the fast reader and bibtexparser differ"
    assert bibimport._from_bibtex(sample, "x", fast=False) == bibimport._from_bibtex(sample, "x")
    print(f"  the first {len(expected)} entries: the same as bibtexparser's "
          f"(bibtexparser {slow:.2f} s CPU for them)")  # fmt: skip


if __name__ == "__main__":
    main()
