"""Data for the export A/B (``bench_scale_cli.py --meta``) and byte-identity checks.

``make_all(folder)`` writes, once per folder:

* ``scale-N/``: ``scaledata.make(folder, N)`` for N in 1k, 10k, 100k (every entry annotated),
  and a second library ``library-N-meta.json``: the same annotations plus an arXiv metadata
  cache for one entry in three, with the awkward cases of real data mixed in: non-ASCII and
  particle names, "et al." authors, LaTeX specials and braces in titles, control characters,
  DOIs, journal references, abstracts;
* ``lists/NAME/``: each list of /work/shared/testdata/lists/ and the bundled list, with a
  library that annotates every entry (tags, notes with Markdown marks and control characters)
  and caches metadata for one arXiv entry in three.
"""

from __future__ import annotations

import random
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scaledata  # noqa: E402

SIZES = (1_000, 10_000, 100_000)
TESTDATA = Path("/work/shared/testdata/lists")
BUNDLED = HERE.parent / "src" / "rlhf_reader" / "data" / "awesome-rlhf.md"

NAMES = (
    "Rafael Rafailov", "Jörg Müller", "Leandro von Werra", "Ronan Le Bras", "OpenAI",
    "Zoë Ø. Łukasiewicz", "J. R. R. Tolkien Jr.", "et al.", "Chen et al.", "Jean-Luc Picard",
    "Ilya Sutskever", "李 明", "Yann LeCun", "others", "A\x1bB C", "Émile Durkheim",
    "Maria de la Cruz", "Wei {Li}", "Mary O'Neil", "Sam_Bot Smith", "& Co Ltd",
)  # fmt: skip
TITLES = (
    "Direct Preference Optimization: Your Language Model is Secretly a Reward Model",
    "RLHF for {GPT}-4: 100% & more #1 $x^2$ ~approx_under",
    "PanGu-Coder2: Boosting Large Language Models for Code",
    "Über die Größe von Modellen — eine Studie",
    "The {unbalanced brace in a title",
    "A backslash \\ and a } alone",
    "Control\x07 char\x1b[31m title",
    "  spaced   out\ttitle  ",
    "[Brackets] in (parens) <angle>",
    "An  et al. study of others",
)  # fmt: skip
VENUES = (None, "NeurIPS 2023", "Transactions on ML Research (2024)", "Nature 612, 1-5 (2022)")


def _metadata(rng: random.Random, entry: object, i: int) -> dict[str, object]:
    title = entry.title if i % 4 else rng.choice(TITLES)  # type: ignore[attr-defined]
    authors = [rng.choice(NAMES) for _ in range(rng.randint(1, 25 if i % 17 == 0 else 5))]
    year = 2018 + i % 8
    return {
        "arxiv_id": entry.arxiv_id or f"{2300 + i % 99:04d}.{i % 100000:05d}",  # type: ignore[attr-defined]
        "title": title,
        "authors": authors,
        "abstract": "We study " + rng.choice(TITLES) + ".\n\nSecond paragraph\x1b.",
        "published": f"{year}-0{1 + i % 9}-1{i % 10}T10:00:00Z" if i % 11 else "",
        "updated": None,
        "primary_category": rng.choice(("cs.LG", "cs.CL", "stat.ML", "")),
        "categories": ["cs.LG"],
        "doi": f"10.1000/x_{i}" if i % 5 == 0 else None,
        "journal_ref": rng.choice(VENUES),
        "comment": None,
        "pdf_url": None,
        "fetched_at": "2026-01-01T00:00:00Z",
    }


def _annotate(entries: list, rng: random.Random) -> list:
    from rlhf_reader.model import Annotation, Status

    notes = ("", "# not a heading\n- nor a list\n1. item\n\tindented\x07", "Plain note.", " ")
    out = []
    for i, entry in enumerate(entries):
        tags = tuple(rng.sample(("dpo", "=cmd", "a_b", "x&y", "ünï", "to-read"), i % 4))
        out.append(
            Annotation(
                entry.key,
                (Status.READ, Status.READING, Status.UNREAD)[i % 3],
                tags,
                notes[i % 4],
                "2026-01-01T00:00:00Z" if i % 7 else "",
                "2026-01-01T00:00:00Z" if i % 7 else "",
                "2026-01-02T00:00:00Z" if i % 3 == 0 else None,
            )
        )
    return out


def _library(db: Path, annotations: list, metadata: dict) -> None:
    from rlhf_reader.library.store import Library

    if db.exists():
        db.unlink()
    library = Library.open(db)
    if annotations:
        library.put_annotations(annotations)
    if metadata:
        library.put_metadata(metadata)
    library.close()


def make_all(folder: Path) -> list[tuple[str, Path, Path]]:
    """(name, list, library) of every data set, made once per folder."""
    from rlhf_reader.lists.catalog import parse

    sets = []
    for n in SIZES:
        list_path, db = scaledata.make(folder / f"scale-{n}", n)
        sets.append((f"scale-{n}", list_path, db))
        meta_db = db.with_name(f"library-{n}-meta.json")
        if not meta_db.exists():
            shutil.copy(db, meta_db)
            from rlhf_reader.library.store import Library

            rng = random.Random(n + 1)
            entries = parse(list_path.read_text(encoding="utf-8")).entries
            records = {e.key: _metadata(rng, e, i) for i, e in enumerate(entries) if i % 3 == 0}
            library = Library.open(meta_db)
            library.put_metadata(records)
            library.close()
        sets.append((f"scale-{n}-meta", list_path, meta_db))
    for source in [*sorted(TESTDATA.glob("*.md")), BUNDLED]:
        name = source.stem
        sub = folder / "lists" / name
        list_path, db = sub / source.name, sub / "library.json"
        if not db.exists():
            sub.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, list_path)
            rng = random.Random(name)
            entries = parse(list_path.read_text(encoding="utf-8")).entries
            records = {
                e.key: _metadata(rng, e, i)
                for i, e in enumerate(entries)
                if e.arxiv_id and i % 3 == 0
            }
            _library(db, _annotate(entries, rng), records)
        sets.append((f"list-{name}", list_path, db))
    return sets


if __name__ == "__main__":
    for item in make_all(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/rlhf-export-data")):
        print(*item)
