"""Per-keystroke cost of the filter bar: ``python bench/bench_filter.py [ENTRIES]``.

Builds the generated list (``genlist.make_list``), parses it with ``catalog.load``, gives
every entry an annotation (status, 0–3 tags, a note of real words from the bundled list) in
memory, builds a ``SearchIndex`` and then "types" queries one character at a time, timing
``SearchIndex.filter`` for each successive prefix (a fresh index per query, so no cache from an
earlier query helps). The baseline is ``select(rows, search=prefix)`` (``Query.matches`` on
every row) on the same prefixes, measured in the same run.

``--abstracts``: every entry also has fetched arXiv metadata with a 150-word abstract of real
words (plain query words then search abstracts too; the index keeps a second word table).
``--no-baseline`` skips the row-by-row baseline (seconds per keystroke with abstracts).
"""

from __future__ import annotations

import os
import platform
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from genlist import make_list

from rlhf_reader.library.records import Row, rows
from rlhf_reader.lists.catalog import load
from rlhf_reader.model import Annotation, Status
from rlhf_reader.query import QueryError, SearchIndex, select, words_of

BUNDLED = Path(__file__).resolve().parents[1] / "src" / "rlhf_reader" / "data" / "awesome-rlhf.md"
TAGS = "safety dpo ppo survey theory to-read important x reward-model benchmark rlaif data".split()
REPEAT = 3  # each query is typed this many times, on a fresh index each time
QUERIES = [
    "prefrence optimization tag:safety",
    "prefrence optimization tag:x",
    'status:unread year:>=2023 -reward "direct preference"',
    "section:section 4 -tag:survey alignmnet",
    "rl is:new",
    "e",  # one letter: thousands of hits, the densest result
    "2000.0123",  # a key
]


def annotations(catalog_rows: list[Row], seed: int = 11) -> dict[str, Annotation]:
    rng = random.Random(seed)
    vocab = sorted(w for e in load(BUNDLED).entries for w in words_of(e.title) if w.isalpha())
    anns = {}
    for row in catalog_rows:
        anns[row.key] = Annotation(
            key=row.key,
            status=rng.choice(list(Status)),
            tags=tuple(rng.sample(TAGS, rng.randint(0, 3))),
            note=" ".join(rng.choice(vocab) for _ in range(rng.randint(0, 25))),
        )
    return anns


def type_query(build, query: str) -> list[float]:
    """Milliseconds of ``filter`` for each prefix of ``query``, on a fresh index."""
    index = build()
    times = []
    for end in range(1, len(query) + 1):
        start = time.perf_counter()
        try:
            index.filter(query[:end])
        except QueryError:
            pass  # half-typed field such as "tag:"; the bar keeps the last result
        times.append((time.perf_counter() - start) * 1000)
    return times


def baseline(all_rows: list[Row], query: str, new_keys: set[str]) -> list[float]:
    times = []
    for end in range(1, len(query) + 1):
        start = time.perf_counter()
        try:
            select(all_rows, search=query[:end], new_keys=new_keys)
        except QueryError:
            pass
        times.append((time.perf_counter() - start) * 1000)
    return times


def abstracts(catalog_rows: list[Row], seed: int = 12) -> dict[str, dict]:
    rng = random.Random(seed)
    vocab = sorted(w for e in load(BUNDLED).entries for w in words_of(e.title) if w.isalpha())
    return {
        row.key: {"abstract": " ".join(rng.choice(vocab) for _ in range(150))}
        for row in catalog_rows
    }


def main() -> None:
    numbers = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(numbers[0]) if numbers else 10_000
    with_abstracts = "--abstracts" in sys.argv[1:]
    with_baseline = "--no-baseline" not in sys.argv[1:]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "list.md"
        path.write_text(make_list(n, 100), encoding="utf-8")
        catalog = load(path)
    plain = rows(catalog, {}, {})
    all_rows = rows(catalog, annotations(plain), abstracts(plain) if with_abstracts else {})
    new_keys = {row.key for row in all_rows[-300:]}
    print(f"# Python {platform.python_version()}, {platform.platform()}, {os.cpu_count()} CPUs")
    print("# load average before: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"{len(all_rows)} rows" + (", each with a 150-word abstract" if with_abstracts else ""))

    builds = []
    for _ in range(3):
        start = time.perf_counter()
        index = SearchIndex(all_rows, new_keys=new_keys)
        builds.append((time.perf_counter() - start) * 1000)
    print(f"index build: min {min(builds):.0f} ms, median {statistics.median(builds):.0f} ms")
    print(f"vocabulary: {len(index._main.word_masks)} distinct words")

    def build() -> SearchIndex:
        return SearchIndex(all_rows, new_keys=new_keys)

    every: list[float] = []
    every_base: list[float] = []
    for query in QUERIES:
        times = [t for _ in range(REPEAT) for t in type_query(build, query)]
        base = baseline(all_rows, query, new_keys) if with_baseline else [float("nan")]
        every += times
        every_base += base
        hits = len(build().filter(query))
        print(
            f"{query!r}: {len(query)} keystrokes x {REPEAT}, {hits} hits; index median "
            f"{statistics.median(times):.2f} ms, max {max(times):.2f} ms; baseline median "
            f"{statistics.median(base):.1f} ms, max {max(base):.1f} ms"
        )
    print(
        f"ALL {len(every)} timed keystrokes: index median {statistics.median(every):.2f} ms, "
        f"p95 {sorted(every)[int(len(every) * 0.95)]:.2f} ms, max {max(every):.2f} ms; "
        f"baseline median {statistics.median(every_base):.1f} ms, max {max(every_base):.1f} ms; "
        f"speed-up (median) {statistics.median(every_base) / statistics.median(every):.0f}x"
    )

    index = build()
    index.filter("prefrence optimization")
    changed = []
    for row in all_rows[:200]:
        ann = row.annotation
        new_ann = replace(ann, tags=(*ann.tags, "fresh"), note=ann.note + " newword")
        start = time.perf_counter()
        index.update(replace(row, annotation=new_ann))
        changed.append((time.perf_counter() - start) * 1000)
    start = time.perf_counter()
    index.filter("prefrence optimization")
    after = (time.perf_counter() - start) * 1000
    print("# load average after: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(
        f"update(row): median {statistics.median(changed):.3f} ms, max {max(changed):.3f} ms; "
        f"first filter after updates {after:.2f} ms"
    )


if __name__ == "__main__":
    main()
