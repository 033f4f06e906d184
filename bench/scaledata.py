"""Lists and libraries of a given size for the scale benchmarks (``bench_scale.py``).

``make(folder, n)`` writes ``list-N.md`` (``genlist.make_list(n, n // 100)``) and
``library-N.json`` with an annotation for every entry: a status, 0–3 tags and, for one in
two, a note of a few sentences (the issue's "10k annotations, notes included").
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from genlist import WORDS, make_list  # noqa: E402

TAGS = ("dpo", "survey", "safety", "theory", "to-reread", "rm", "ppo", "eval", "data", "code")


def make(folder: Path, n: int) -> tuple[Path, Path]:
    """(list path, library path) for ``n`` entries, made once per folder."""
    from rlhf_reader.library.store import Library
    from rlhf_reader.lists.catalog import parse
    from rlhf_reader.model import Annotation, Status

    folder.mkdir(parents=True, exist_ok=True)
    list_path, db_path = folder / f"list-{n}.md", folder / f"library-{n}.json"
    if list_path.exists() and db_path.exists():
        return list_path, db_path
    text = make_list(n, max(10, n // 100))
    list_path.write_text(text, encoding="utf-8")
    rng = random.Random(n)
    statuses = (Status.READ, Status.READING, Status.UNREAD)
    annotations = []
    for i, entry in enumerate(parse(text).entries):
        note = ""
        if i % 2 == 0:
            sentences = (
                " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14))).capitalize() + "."
                for _ in range(rng.randint(1, 4))
            )
            note = " ".join(sentences)
        annotations.append(
            Annotation(
                entry.key,
                statuses[i % 3],
                tuple(rng.sample(TAGS, rng.randint(0, 3))),
                note,
                "2026-01-01T00:00:00Z",
                "2026-01-01T00:00:00Z",
                "2026-01-02T00:00:00Z" if i % 3 == 0 else None,
            )
        )
    if db_path.exists():
        db_path.unlink()
    library = Library.open(db_path)
    library.put_annotations(annotations)
    library.close()
    return list_path, db_path


if __name__ == "__main__":
    for size in sys.argv[1:] or ["10000"]:
        print(*make(Path("/tmp/rlhf-scale"), int(size)))
