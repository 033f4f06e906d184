"""The fast conversions of an import (library/bibimport.py) give what the general ones give.

- ``_plain_bib_reference``: a BibTeX entry whose fields are plain text becomes the same
  :class:`Reference` as through ``_bib_entry_reference`` (decode, split the names, then
  ``_bib_reference``); any other entry is left to the general path (None).
- Every .bib and CSL-JSON file of the tests, and our own 1k exports, import to the same
  references with the fast paths as with the general ones only.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from hypothesis import event, given, settings
from hypothesis import strategies as st

from rlhf_reader.library import bibimport, import_cache
from rlhf_reader.library.bibimport import _bib_entry_reference, _plain_bib_reference

TESTS = Path(__file__).resolve().parent

PIECES = [
    "a", "Rafael", "Rafailov, Rafael", "Optimization", " ", "  ", "\n", "\t", "\u00a0", "\u2028",
    "and", " and ", " AND ", " And ", "others", " and others", ",", ";", ", ", ".", ":", "-",
    "é", "Jérémy", "日本", "İ", "ß", "{", "}", "{OpenAI}", "\\'e", "\\&", "$x$", "~",
    "2305.18290", "arXiv:2305.18290", "arXiv preprint arXiv:2305.18290", "abs/2305.18290",
    "https://arxiv.org/abs/2305.18290v2", "https://example.org/p", "10.48550/arXiv.2305.18290",
    "https://doi.org/10.1/x.", "10.1145/3.4", "arxiv", "arXiv", "CoRR", "preprint",
    "Proc. NeurIPS", "2023", "1999", "23", "2023-05-01", "2023-5-1", "read", "_read", "/read",
    "reading", "status:read", "dpo", "safety, dpo", "hep-th/9901001",
]  # fmt: skip
VALUES = st.lists(st.sampled_from(PIECES), max_size=5).map("".join)
NAMES = st.sampled_from(
    [
        "title", "Title", "author", "AUTHOR", "doi", "url", "journal", "journaltitle",
        "booktitle", "eprint", "eprinttype", "archivePrefix", "archiveprefix", "note", "annote",
        "howpublished", "date", "year", "keywords", "abstract", "pages", "file",
    ]
)  # fmt: skip
ITEMS = st.lists(st.tuples(NAMES, VALUES), max_size=12)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(["k1", "x:2023"]), st.sampled_from(["misc", "Article"]), ITEMS)
def test_plain_entries_convert_as_the_general_path_converts_them(
    key: str, kind: str, items: list[tuple[str, str]]
) -> None:
    general = _bib_entry_reference(key, kind, items)
    plain = _plain_bib_reference(key, kind, items)
    event("plain" if plain is not None else "general")
    if plain is not None:
        assert plain == general


def test_a_plain_entry_takes_the_fast_path() -> None:
    items = [
        ("title", "Direct Preference Optimization"),
        ("author", "Rafailov, Rafael and Sharma, Archit and others"),
        ("year", "2023"),
        ("eprint", "2305.18290"),
        ("keywords", "dpo, read"),
    ]
    ref = _plain_bib_reference("k", "misc", items)
    assert ref is not None and ref == _bib_entry_reference("k", "misc", items)
    assert ref.authors == ("Rafael Rafailov", "Archit Sharma") and ref.arxiv_id == "2305.18290"
    # LaTeX, braces, a non-ASCII author: the general path.
    for name, value in [("title", "{DPO}"), ("title", "\\'e"), ("author", "Jérémy Scheurer")]:
        assert _plain_bib_reference("k", "misc", [*items, (name, value)]) is None


def general_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every entry through the general path, and nothing from the import cache."""
    monkeypatch.setattr(bibimport, "_plain_bib_row", lambda *args: None)
    monkeypatch.setattr(import_cache, "load", lambda *args: None)


def references(path: Path) -> Any:
    return bibimport.read_references(path)


def test_every_file_of_the_tests_imports_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = sorted([*TESTS.rglob("*.bib"), *TESTS.rglob("*.csl.json")])
    assert len(paths) >= 7
    fast = [references(path) for path in paths]
    with monkeypatch.context() as patch:
        general_only(patch)
        assert [references(path) for path in paths] == fast


def test_our_own_exports_at_1k_import_the_same(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sys.path.insert(0, str(TESTS.parent / "bench"))
    try:
        from scaledata import make
    finally:
        sys.path.pop(0)
    list_path, db = make(tmp_path, 1000)
    for fmt in ("bibtex", "csl-json"):
        out = tmp_path / f"out.{fmt}"
        code, _, err = run_cli(capsys, db, "--list", str(list_path), "export", "--format", fmt,
                               "-o", str(out))  # fmt: skip
        assert code == 0, err
        fast = references(out)
        assert len(fast[1]) == 1000
        with monkeypatch.context() as patch:
            general_only(patch)
            assert references(out) == fast


# plan_import: the replaced code (as it was at 4ee76ab) is the reference --------------------

from rlhf_reader.library.bibimport import (  # noqa: E402
    ImportPlan,
    Reference,
    Step,
    _Index,
    _merged_note,
    _status,
    _tags,
    plan_import,
    reference_key,
)
from rlhf_reader.model import Annotation, Entry, Status  # noqa: E402


def old_index(entries, metadata, additions) -> _Index:
    index = _Index()
    doi_of = {str(a.get("key")): str(a.get("doi") or "") for a in additions}
    for entry in entries:
        meta = metadata.get(entry.key) or {}
        doi = str(meta.get("doi") or "") or doi_of.get(entry.key, "")
        titles = [entry.title] + ([str(meta["title"])] if meta.get("title") else [])
        index.add(entry.key, entry.arxiv_id, doi, titles)
    return index


def old_plan_import(
    references: Sequence[Reference],
    entries: Iterable[Entry],
    annotations: Mapping[str, Annotation],
    metadata: Mapping[str, Mapping[str, Any]],
    additions: Iterable[Mapping[str, Any]],
    *,
    status_from_keywords: bool = False,
    added: str = "",
) -> ImportPlan:
    """What importing ``references`` would do to a library holding these records."""
    additions = list(additions)
    index = old_index(entries, metadata, additions)
    plan = ImportPlan()
    notes = {key: ann.note for key, ann in annotations.items()}
    known_tags: dict[str, str | None] = {}
    for ref in references:
        if not ref.title:
            plan.warnings.append(f"{ref.source_id}: no title, skipped")
            continue
        found = index.match(ref)
        tags, bad = _tags(ref, known_tags)
        for word in bad:
            plan.warnings.append(f"{ref.source_id}: keyword {word!r} is not a valid tag, skipped")
        status = _status(ref) if status_from_keywords else None
        if found is not None:
            key, how = found
            ann = annotations.get(key) or Annotation(key=key)
            have_tags = set(ann.tags)
            base = notes.get(key, "")
            note = _merged_note(base, ref.note)
            if note is not None:
                notes[key] = note
            plan.steps.append(
                Step(
                    reference=ref,
                    key=key,
                    matched_by=how,
                    tags=tuple(t for t in tags if t not in have_tags),
                    note=note,
                    note_base=base,
                    status=status if status is not None and status is not ann.status else None,
                    skipped_tags=bad,
                )
            )
            continue
        key = reference_key(ref)
        record = {
            "key": key,
            "arxiv_id": ref.arxiv_id,
            "title": ref.title,
            "url": f"https://arxiv.org/abs/{ref.arxiv_id}"
            if ref.arxiv_id
            else (ref.url or (f"https://doi.org/{ref.doi}" if ref.doi else "")),
            "authors": list(ref.authors),
            "year": ref.year,
            "venue": ref.venue,
            "doi": ref.doi or None,
            "added": added,
        }
        meta: dict[str, Any] = {
            "key": key,
            "title": ref.title,
            "authors": list(ref.authors) or None,
            "published": ref.date or (f"{ref.year}" if ref.year else None),
            "doi": ref.doi or None,
            "journal_ref": ref.venue or None,
            "source": "import",
        }
        if ref.arxiv_id:
            meta["arxiv_id"] = ref.arxiv_id
        plan.steps.append(
            Step(
                reference=ref,
                key=key,
                matched_by="",
                tags=tags,
                note=ref.note.strip() or None,
                status=status,
                addition=record,
                metadata=meta if key not in metadata else None,
                skipped_tags=bad,
            )
        )
        index.add(key, ref.arxiv_id, ref.doi, [ref.title])  # a duplicate in the file matches
        if ref.note.strip():
            notes[key] = ref.note.strip()
    return plan


TITLES = [
    "Direct Preference Optimization",
    "direct preference optimization!",
    "RLHF",
    "",
    "Ünïcode",
]
REF_KEYWORDS = [
    (),
    ("dpo",),
    ("read",),
    ("dpo", "_read"),
    ("bad tag!",),
    ("reading", "DPO"),
    ("-x",),
]
ARXIV = [None, "2305.18290", "2402.01306"]


@st.composite
def plan_cases(draw: st.DrawFn) -> Any:
    entries = [
        Entry(key=key, title=draw(st.sampled_from(TITLES)), url=f"https://arxiv.org/abs/{key}",
              section=("S",), arxiv_id=key if draw(st.booleans()) else None)
        for key in draw(st.lists(st.sampled_from(["2305.18290", "2402.01306", "x.org/a"]),
                                 unique=True))
    ]  # fmt: skip
    annotations = {
        key: Annotation(key=key, status=draw(st.sampled_from(list(Status))),
                        tags=tuple(draw(st.lists(st.sampled_from(["dpo", "rm"]), unique=True))),
                        note=draw(st.sampled_from(["", "mine", "Read it."])))
        for key in draw(st.lists(st.sampled_from(["2305.18290", "2402.01306", "x.org/a"]),
                                 unique=True))
    }  # fmt: skip
    metadata = {
        "x.org/a": {"key": "x.org/a", "title": draw(st.sampled_from(TITLES)),
                    "doi": draw(st.sampled_from([None, "10.1/A"]))}
    } if draw(st.booleans()) else {}  # fmt: skip
    additions = [{"key": "x.org/a", "doi": "10.1/a"}] if draw(st.booleans()) else []
    refs = [
        Reference(source_id=f"r{i}", title=draw(st.sampled_from(TITLES)),
                  arxiv_id=draw(st.sampled_from(ARXIV)),
                  doi=draw(st.sampled_from(["", "10.1/a", "10.2/b"])),
                  keywords=draw(st.sampled_from(REF_KEYWORDS)),
                  note=draw(st.sampled_from(["", "Read it.", "new"])))
        for i in range(draw(st.integers(0, 6)))
    ]  # fmt: skip
    return refs, entries, annotations, metadata, additions


@settings(max_examples=250, deadline=None)
@given(plan_cases(), st.booleans())
def test_plan_import_plans_what_the_replaced_code_planned(case: Any, from_keywords: bool) -> None:
    refs, entries, annotations, metadata, additions = case
    args = (refs, entries, annotations, metadata, additions)
    new = plan_import(*args, status_from_keywords=from_keywords, added="t")
    old = old_plan_import(*args, status_from_keywords=from_keywords, added="t")
    assert new.steps == old.steps and new.warnings == old.warnings
    assert [s.describe() for s in new.steps] == [s.describe() for s in old.steps]


# _csl_reference: the replaced code (as it was at 4ee76ab) is the reference ------------------

from rlhf_reader.library.bibimport import (  # noqa: E402
    _ARXIV_DOI_RE,
    _ARXIV_IN_TEXT_RE,
    _KEYWORD_SPLIT_RE,
    _NOT_A_VENUE_RE,
    _arxiv_of,
    _clean_doi,
    _csl_reference,
)


def old_csl_reference(item: Mapping[str, Any], index: int) -> Reference:
    names = []
    for author in item.get("author") or []:
        if not isinstance(author, dict):
            continue
        if author.get("literal"):
            names.append(str(author["literal"]))
        else:
            parts = [author.get("given"), author.get("non-dropping-particle"), author.get("family")]
            names.append(" ".join(str(p) for p in parts if p))
    year = None
    date = ""
    issued = item.get("issued")
    if isinstance(issued, dict):
        parts = (
            (issued.get("date-parts") or [[]])[0]
            if isinstance(issued.get("date-parts"), list)
            else []
        )
        numbers = [str(p) for p in parts] if isinstance(parts, list) else []
        if numbers and numbers[0].isdigit() and len(numbers[0]) == 4:
            year = int(numbers[0])
            if len(numbers) == 3 and numbers[1].isdigit() and numbers[2].isdigit():
                date = f"{year:04d}-{int(numbers[1]):02d}-{int(numbers[2]):02d}"
    doi = _clean_doi(str(item.get("DOI") or ""))
    url = str(item.get("URL") or "")
    archive = str(item.get("archive") or item.get("publisher") or "").lower()
    candidates = [
        str(item.get("number") or "") if "arxiv" in archive else "",
        str(item.get("archive_location") or ""),
        url,
        str(item.get("note") or "") if "arxiv" in str(item.get("note") or "").lower() else "",
    ]
    keywords = item.get("keyword") or item.get("keywords") or ""
    if isinstance(keywords, list):
        keywords = ", ".join(str(k) for k in keywords)
    venue = str(item.get("container-title") or "")
    note = str(item.get("note") or "")
    if note and _ARXIV_IN_TEXT_RE.fullmatch(note.strip()):
        note = ""
    return Reference(
        source_id=str(item.get("id") or f"item {index}"),
        title=" ".join(str(item.get("title") or "").split()),
        authors=tuple(n for n in names if n),
        year=year,
        date=date,
        arxiv_id=_arxiv_of(candidates, doi),
        doi="" if _ARXIV_DOI_RE.match(doi) else doi,
        url=url,
        venue="" if _NOT_A_VENUE_RE.match(venue) else venue,
        keywords=tuple(k for k in _KEYWORD_SPLIT_RE.split(str(keywords)) if k),
        note=note,
    )


CSL_VALUES = [None, "", "Rafael", "Rafailov", "van", "de la", 3, True, ["x"], {"a": 1}]
ITEM_VALUES = [
    None, "", "arXiv", "arxiv", "2305.18290", "arXiv:2305.18290", "10.48550/arXiv.2305.18290",
    "10.1/x", "https://arxiv.org/abs/2402.01306v1", "https://example.org", "dpo, rm", "a;b",
    ["dpo", "rm"], [], 7, {"x": 1}, "NeurIPS", "preprint", "arXiv preprint arXiv:2305.18290",
]  # fmt: skip


@st.composite
def csl_items(draw: st.DrawFn) -> dict[str, Any]:
    item: dict[str, Any] = {}
    for name in draw(st.lists(st.sampled_from(
        ["id", "title", "DOI", "URL", "archive", "publisher", "number", "archive_location",
         "note", "keyword", "keywords", "container-title"]), unique=True)):  # fmt: skip
        item[name] = draw(st.sampled_from(ITEM_VALUES))
    if draw(st.booleans()):
        item["author"] = draw(st.one_of(
            st.lists(st.one_of(
                st.dictionaries(st.sampled_from(["given", "family", "non-dropping-particle",
                                                 "literal"]), st.sampled_from(CSL_VALUES)),
                st.sampled_from(["name", 3, None]))),
            st.sampled_from(["A. Writer", None, 5])))  # fmt: skip
    if draw(st.booleans()):
        item["issued"] = draw(st.sampled_from(
            [{"date-parts": [[2023, 5, 1]]}, {"date-parts": [["2023"]]}, {"date-parts": []},
             {"date-parts": "2023"}, {"raw": "2023"}, "2023", {"date-parts": [[23, 1, 1]]}]
        ))  # fmt: skip
    return item


@settings(max_examples=500, deadline=None)
@given(csl_items(), st.integers(0, 3))
def test_csl_items_convert_as_the_replaced_code_converted_them(item: Any, index: int) -> None:
    def outcome(convert: Any) -> Any:
        try:
            return convert(item, index)
        except Exception as exc:  # (an "author" that is a number: both fail alike)
            return type(exc), str(exc)

    assert outcome(_csl_reference) == outcome(old_csl_reference)
