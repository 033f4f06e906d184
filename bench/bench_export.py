"""Export speed: ``python bench/bench_export.py [ENTRIES] [REPEATS]`` (default 10000, 5).

Builds the generated list (``genlist.make_list``), parses it with ``catalog.load``, gives every
entry an annotation (status, tags, a note) and half of them cached arXiv metadata, then times
each export format on all rows (median of REPEATS). The baseline, measured in the same run, is
bibtexparser v2's own writer (``bibtexparser.write_string``) on a library holding the same
BibTeX entries, as a reference for "what writing this much BibTeX costs" in Python. Also times
``rlhf-reader export --format bibtex -o FILE`` end to end in a fresh process (start-up, list
parse and library read included).

Prints a Markdown section for ``bench/RESULTS.md``. The target: 10,000 entries to BibTeX ≤ 1 s.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from genlist import make_list

from rlhf_reader.formats import cite
from rlhf_reader.formats.cite import bibtex, parse_name
from rlhf_reader.formats.export import FORMATS, export
from rlhf_reader.library.records import Row, rows
from rlhf_reader.library.store import Library
from rlhf_reader.lists.catalog import load
from rlhf_reader.model import Annotation, Status

TODAY = date(2025, 1, 1)


def timed(fn, repeats: int) -> tuple[float, object]:
    """Median seconds of ``repeats`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def make_rows(path: Path) -> tuple[list[Row], dict[str, Annotation], dict[str, dict]]:
    catalog = load(path)
    statuses = list(Status)
    anns, meta = {}, {}
    for i, entry in enumerate(catalog.entries):
        anns[entry.key] = Annotation(
            entry.key,
            statuses[i % 3],
            tuple(f"tag{j}" for j in range(i % 4)),
            f'Note {i}, with "quotes" & a second line\nline two of {entry.title[:20]}',
            "2024-01-01T00:00:00Z",
            "2024-01-02T00:00:00Z",
            "2024-01-02T00:00:00Z" if statuses[i % 3] is Status.READ else None,
        )
        if i % 2:
            meta[entry.key] = {
                "key": entry.key,
                "arxiv_id": entry.arxiv_id,
                "title": entry.title,
                "authors": entry.author_list,
                "published": f"{entry.year or 2020}-03-04T00:00:00Z",
                "primary_category": "cs.LG",
                "doi": None,
                "abstract": "An abstract. " * 40,
                "fetched_at": "2024-06-01T00:00:00Z",
            }
    return rows(catalog, anns, meta), anns, meta


def bibtexparser_baseline(text: str):
    """A bibtexparser v2 Library with the same entries, and a function that writes it."""
    import bibtexparser

    library = bibtexparser.parse_string(text)
    # What bibtexparser recommends for large libraries: no deep copy before writing.
    stack = bibtexparser.middlewares.default_unparse_stack(allow_inplace_modification=True)
    return lambda: bibtexparser.write_string(library, unparse_stack=stack)


def main() -> None:
    entries = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        list_path = folder / "big.md"
        list_path.write_text(make_list(entries, 100), encoding="utf-8")
        all_rows, anns, meta = make_rows(list_path)

        def ours_cold() -> str:
            # No help from an earlier run's caches (names, authors, key words, venues…).
            for cached in (
                parse_name,
                cite._author,
                cite._looks_like_name,
                cite._key_word,
                cite._venue,
                cite._is_day,
                cite.bib_author,
                cite.last_first,
            ):
                cached.cache_clear()
            return bibtex(all_rows, TODAY)

        ours, text = timed(ours_cold, repeats)
        baseline, _ = timed(bibtexparser_baseline(str(text)), repeats)
        others = {fmt: timed(lambda f=fmt: export(all_rows, f, today=TODAY), repeats)[0]
                  for fmt in FORMATS}  # fmt: skip

        db = folder / "library.json"
        library = Library.open(db)
        library.put_annotations(anns.values())
        library.put_metadata(meta)
        library.close()
        out = folder / "out.bib"
        command = [sys.executable, "-m", "rlhf_reader", "--list", str(list_path), "--db", str(db),
                   "export", "--format", "bibtex", "-o", str(out)]  # fmt: skip
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        cli, _ = timed(lambda: subprocess.run(command, check=True, capture_output=True, env=env), 3)
        size = out.stat().st_size

    load_avg = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print("## Export")
    print()
    machine = f"{platform.system()} {platform.release()} {platform.machine()}"
    print(
        f"{date.today().isoformat()}; `{machine}`, {os.cpu_count()} CPUs (shared), "
        f"Python {platform.python_version()}; `python bench/bench_export.py {entries} {repeats}`; "
        f"load average at the end {load_avg:.1f}."
    )
    print()
    print(
        f"{len(all_rows):,} generated entries (every one annotated, half with cached arXiv "
        f"metadata); median of {repeats}, in-process, same run:"
    )
    print()
    print("| what | time |")
    print("| --- | --- |")
    print(f"| **`cite.bibtex` (BibTeX export), target ≤ 1 s** | **{ours * 1000:.0f} ms** |")
    print(
        f"| baseline: `bibtexparser.write_string` of the same entries | {baseline * 1000:.0f} ms |"
    )
    print(f"| **ratio baseline / ours** | **{baseline / ours:.1f}x** |")
    for fmt, seconds in others.items():
        print(f"| `export(rows, {fmt!r})` | {seconds * 1000:.0f} ms |")
    print(
        f"| `rlhf-reader export --format bibtex -o FILE` end to end (new process, list parse, "
        f"library read; median of 3) | {cli * 1000:.0f} ms |"
    )
    print()
    print(f"BibTeX file: {size / 1e6:.1f} MB.")


if __name__ == "__main__":
    main()
