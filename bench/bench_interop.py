"""Interop speed: ``python bench/bench_interop.py [ENTRIES] [REPEATS]`` (default 2000, 3).

Times, on the generated list (``genlist.make_list``) with every entry annotated:

- ``cite --style`` through citeproc-py: the first rendering in a fresh process (imports and
  style loading included, as the TUI's chooser pays it once), then one paper and 100 papers
  warm, for IEEE and APA;
- ``import FILE.bib``: reading (bibtexparser v2) and planning ENTRIES references against the
  library (matching by arXiv id, DOI and title);
- ``sync``: one machine merging another's file of ENTRIES annotated papers and writing its
  own, end to end in a fresh process.

Prints a Markdown section for ``bench/RESULTS.md``.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from genlist import make_list

from rlhf_reader.formats.export import export
from rlhf_reader.library.bibimport import parse_references, plan_import
from rlhf_reader.library.records import Row, rows
from rlhf_reader.library.store import Library
from rlhf_reader.lists.catalog import load
from rlhf_reader.model import Annotation, Status


def median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def fresh_process_ms(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    entries = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        list_path = folder / "list.md"
        list_path.write_text(make_list(entries), encoding="utf-8")
        catalog = load(list_path)
        annotations = {
            e.key: Annotation(e.key, Status.READ, ("t1", "t2"), "a note", "2025-01-01T00:00:00Z",
                              "2025-01-01T00:00:00Z")
            for e in catalog.entries
        }  # fmt: skip
        all_rows: list[Row] = rows(catalog, annotations, {})
        lines = [f"## Interop ({entries} entries)", ""]
        lines.append(
            f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, {time.strftime('%Y-%m-%d')}. Median of {repeats}."
        )
        lines += ["", "| what | time |", "| --- | --- |"]
        from rlhf_reader.formats.csl import render

        first = fresh_process_ms(
            "from rlhf_reader.formats.csl import render\n"
            "from rlhf_reader.library.records import Row\n"
            "from rlhf_reader.model import Annotation, Entry\n"
            "e = Entry(key='2305.18290', title='T', url='https://arxiv.org/abs/2305.18290',"
            " section=('S',), arxiv_id='2305.18290', authors='A B', year=2023)\n"
            "render([Row(e, Annotation(key=e.key))], 'ieee')\n"
        )
        bare = fresh_process_ms("import rlhf_reader.formats.csl\n")
        lines.append(
            f"| first `cite --style ieee` in a fresh process (imports, style) | "
            f"{first - bare:.0f} ms over a bare import |"
        )
        for style in ("ieee", "apa"):
            one = median_ms(lambda s=style: render(all_rows[:1], s), repeats)
            hundred = median_ms(lambda s=style: render(all_rows[:100], s), repeats)
            lines.append(
                f"| `{style}`: 1 paper / 100 papers, warm | {one:.0f} / {hundred:.0f} ms |"
            )

        bib = export(all_rows, "bibtex").encode("utf-8")
        read_ms = median_ms(lambda: parse_references(bib, "bibtex"), repeats)
        refs = parse_references(bib, "bibtex")
        plan_ms = median_ms(
            lambda: plan_import(refs, catalog.entries, annotations, {}, []), repeats
        )
        lines.append(f"| read a {len(refs)}-entry .bib (bibtexparser v2) | {read_ms:.0f} ms |")
        lines.append(f"| plan its import (match id / DOI / title) | {plan_ms:.0f} ms |")

        other = folder / "other.json"
        library = Library.open(other)
        library.put_annotations(annotations.values())
        library.close()
        shared = folder / "shared"
        shared.mkdir()
        env = {**os.environ, "RLHF_READER_LIST": str(list_path)}
        subprocess.run(
            [sys.executable, "-m", "rlhf_reader", "--db", str(other), "sync", str(shared)],
            check=True, env=env, capture_output=True,
        )  # fmt: skip
        times = []
        for i in range(repeats):
            mine = folder / f"mine{i}.json"
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "rlhf_reader", "--db", str(mine), "sync", str(shared),
                 "--machine", f"m{i}"],
                check=True, env=env, capture_output=True,
            )  # fmt: skip
            times.append((time.perf_counter() - start) * 1000)
            (shared / f"rlhf-reader-m{i}.sync.json").unlink()
        lines.append(
            f"| `sync`: merge another machine's {entries} annotations into an empty library and "
            f"write its own file (fresh process) | {statistics.median(times):.0f} ms |"
        )
        print("\n".join(lines))


if __name__ == "__main__":
    main()
