"""The exports' fast paths answer what the general code answers (property tests).

Each ``ref_*`` below is the plain code a fast path replaced (as it was before), kept here as the
reference: random titles, names, venues and notes with LaTeX specials, braces, non-ASCII,
control characters, odd white space and "et al." forms must give the same text both ways.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from conftest import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from rlhf_reader.formats import cite, export
from rlhf_reader.formats.cite import (
    ET_AL_RE,
    Name,
    Work,
    base_key,
    bib_escape,
    bib_title,
    looks_like_names,
    parse_name,
    unique_keys,
    work_of,
)
from rlhf_reader.library.records import Row
from rlhf_reader.model import Annotation, Entry, Status
from rlhf_reader.textsafe import printable, printable_block

TODAY = date(2025, 3, 14)

# Text made of the characters the fast paths test for, mixed with ordinary ones.
PIECES = st.sampled_from(
    [
        "a", "B", "rlhf", "RLHF", "PanGu-Coder2", "GPT-4", " ", "  ", "\t", "\n", "{", "}",
        "\\", "%", "&", "#", "_", "$", "~", "^", "\"", "\r", "é", "Ü", "ß", "ł", "İ", "Σ",
        "ﬁ", "\x1b",
        "\x07", "\x85", "\u2028", "\u00a0", "et al.", "et al", "others", "and others", ",",
        ".", ":", "-", "(", ")", "[", "]", "<", ">", "=", "@", "1", "2023", "von", "de la",
        "Jr.", "李", "ǅ", "\U0001d400", "\udc80",
    ]
)  # fmt: skip
TEXT = st.lists(st.one_of(PIECES, st.text(max_size=3)), max_size=12).map("".join)
NAMES = st.lists(TEXT, max_size=6)


# References: the code before the fast paths ------------------------------------------------


def ref_clean(text: object) -> str:
    return printable(" ".join(str(text or "").split()))


def ref_key_word(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", cite.ascii_fold(text).lower())


def ref_looks_like_names(names: list[str]) -> bool:
    for name in names:
        words = name.split()
        if len(words) > 5 or cite._NON_NAME_RE.search(name.lstrip("=@")):
            return False
        lower = [w for w in words[1:] if w[:1].islower() and w.lower() not in cite.PARTICLES]
        if len(lower) >= 2:
            return False
    return True


def ref_names(raw_names: list[str], from_meta: bool) -> tuple[tuple[Name, ...], bool]:
    et_al = False
    names: list[Name] = []
    for raw in raw_names:
        cleaned = ref_clean(raw)
        lowered = cleaned.lower()
        if "al" in lowered or "others" in lowered:
            if ET_AL_RE.match(cleaned.strip(" .")) or ET_AL_RE.match(cleaned):
                et_al = True
                continue
            match = cite._TRAILING_ET_AL_RE.match(cleaned)
            if match:
                et_al, cleaned = True, match.group(1)
        if cleaned:
            names.append(parse_name(cleaned))
    if not from_meta and not ref_looks_like_names([n.full for n in names]):
        return (), False
    return tuple(names), et_al


def ref_venue(listed: str, journal_ref: str) -> tuple[str, str]:
    listed = "" if cite._NOT_A_VENUE_RE.match(listed) else listed
    if listed and cite._looks_published(listed):
        return listed, cite.venue_kind(listed)
    if journal_ref:
        return journal_ref, cite.venue_kind(journal_ref)
    return listed, ""


def ref_work_of(row: Row, today: date) -> Work:
    """``work_of`` as it was: one path for rows with and without an arXiv record."""
    entry, meta = row.entry, row.metadata or {}
    title = ref_clean(meta.get("title") or entry.title)
    from_meta = bool(meta.get("authors"))
    raw = [str(a) for a in meta["authors"]] if from_meta else entry.author_list
    names, et_al = ref_names(raw, from_meta)
    published = str(meta.get("published") or "")
    match = cite._DAY_RE.match(published)
    if match:
        year, month, day = int(match.group(1)), int(match.group(2)), int(match.group(3))
    else:
        year, month, day = row.year, None, None
    arxiv_id = entry.arxiv_id or (str(meta["arxiv_id"]) if meta.get("arxiv_id") else None)
    url = f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else printable(entry.url.strip())
    venue, kind = ref_venue(ref_clean(entry.venue), ref_clean(meta.get("journal_ref")))
    accessed = (row.annotation.read_at or row.annotation.created or "")[:10]
    if not cite._DAY_RE.fullmatch(accessed):
        accessed = today.isoformat()
    return Work(
        key=entry.key,
        title=title,
        names=names,
        et_al=et_al,
        year=year,
        month=month,
        day=day,
        url=url,
        arxiv_id=arxiv_id,
        primary_class=ref_clean(meta.get("primary_category")),
        doi=ref_clean(meta.get("doi")),
        venue=venue,
        accessed=accessed,
        venue_kind=kind,
    )


def ref_bib_title(title: str) -> str:
    balanced = cite._braces_balance(title)
    out = []
    for word in title.split(" "):
        rest = word[1:]
        if rest == rest.lower():
            out.append(bib_escape(word, balanced))
            continue
        lead, core, trail = re.match(r"^(\W*)(.*?)(\W*)$", word, re.DOTALL).groups()  # type: ignore[union-attr]
        if core[1:] != core[1:].lower():
            core = f"{{{bib_escape(core, balanced)}}}"
            out.append(f"{bib_escape(lead, balanced)}{core}{bib_escape(trail, balanced)}")
        else:
            out.append(bib_escape(word, balanced))
    return " ".join(out)


def ref_title_word(title: str) -> str:
    """The title part of ``base_key`` as it was: split the whole title, then look."""
    word = short = first = ""
    for raw in cite._TITLE_SPLIT_RE.split(title):
        candidate = ref_key_word(raw)
        if not candidate:
            continue
        first = first or candidate
        if candidate in cite.STOP_WORDS:
            continue
        if len(candidate) > 1:
            word = candidate
            break
        short = short or candidate
    return word or short or first


def ref_unique_keys(works: list[Work]) -> list[str]:
    used: set[str] = set()
    keys = []
    for work in works:
        base = base_key(work)
        key, n = base, 0
        while key in used:
            key = base + cite._suffix(n)
            n += 1
        used.add(key)
        keys.append(key)
    return keys


def ref_one_line(text: str) -> str:
    return " ".join(printable_block(text).split())


def ref_csv(rows: list[Row], raw: bool) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=export.CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in cite.distinct(rows):
        ann = row.annotation
        record = {
            "key": printable(row.key),
            "title": printable(row.entry.title),
            "authors": "; ".join(printable(a) for a in row.authors),
            "year": str(row.year or ""),
            "url": printable(row.entry.url),
            "arxiv_id": row.entry.arxiv_id or "",
            "section": printable(row.entry.section_path),
            "status": ann.status.value,
            "read_at": ann.read_at or "",
            "tags": "; ".join(printable(t) for t in ann.tags),
            "note": printable_block(ann.note),
        }
        if not raw:
            record = {k: export.neutralise_cell(v) for k, v in record.items()}
        writer.writerow(record)
    return buffer.getvalue()


# Properties ----------------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(st.one_of(TEXT, st.none(), st.integers()))
def test_clean(text: object) -> None:
    assert cite._clean(text) == ref_clean(text)
    if isinstance(text, str):
        assert export._one_line(text) == ref_one_line(text)


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_key_word_and_bib_title(text: str) -> None:
    assert cite._key_word(text) == ref_key_word(text)
    work = Work("k", text, (), False, None, None, None, "", None, "", "", "", "2025-01-01")
    assert base_key(work) == (ref_title_word(text) or "entry")
    assert bib_title(text) == ref_bib_title(text)
    cleaned = ref_clean(text)
    assert bib_title(cleaned) == ref_bib_title(cleaned)


@settings(max_examples=150, deadline=None)
@given(NAMES, st.booleans())
def test_names(raw: list[str], from_meta: bool) -> None:
    assert looks_like_names(raw) == ref_looks_like_names(raw)
    entry = Entry(key="k", title="T", url="https://example.org/x", section=("S",))
    meta = {"authors": raw} if from_meta and raw else None
    work = work_of(Row(entry, Annotation(key="k"), meta), TODAY)
    if meta is None:  # the list's authors: what the entry's details give
        expected = ref_names(entry.author_list, False)
    else:
        expected = ref_names(raw, True)
    assert (work.names, work.et_al) == expected


@settings(max_examples=150, deadline=None)
@given(NAMES, st.booleans())
def test_names_from_the_list(raw: list[str], _: bool) -> None:
    authors = ", ".join(raw)
    entry = Entry(key="k", title="T", url="u", section=("S",), authors=authors)
    work = work_of(Row(entry, Annotation(key="k")), TODAY)
    assert (work.names, work.et_al) == ref_names(entry.author_list, False)


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(TEXT, st.sampled_from(["arXiv 2024", "NeurIPS 2023", "a blog post", "JMLR"])),
    st.one_of(TEXT, st.sampled_from(["", "Nature 1 (2020)", "Proc. ICML"])),
)
def test_venue(listed: str, journal_ref: str) -> None:
    listed, journal_ref = ref_clean(listed), ref_clean(journal_ref)
    assert cite._venue(listed, journal_ref) == ref_venue(listed, journal_ref)


WORDS = st.sampled_from(["smith", "smitha", "smithb", "smith2020", "lee", "a", "Lee"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(WORDS, st.sampled_from([None, 2020]), WORDS), max_size=60))
def test_unique_keys(specs: list[tuple[str, int | None, str]]) -> None:
    """Bases that collide with other bases plus a suffix (``smith`` + ``a`` = ``smitha``)."""
    works = [
        Work(
            key=str(i),
            title=title,
            names=(Name(family=family, given="A"),),
            et_al=False,
            year=year,
            month=None,
            day=None,
            url="",
            arxiv_id=None,
            primary_class="",
            doi="",
            venue="",
            accessed="2025-01-01",
        )
        for i, (family, year, title) in enumerate(specs)
    ]
    assert unique_keys(works) == ref_unique_keys(works)


def test_unique_keys_many_collisions() -> None:
    """700 works of one base: a … z, aa … (the quadratic case, now linear), same keys."""
    work = Work("k", "Same title", (Name("A", "Smith"),), False, 2020, None, None, "", None,
                "", "", "", "2025-01-01")  # fmt: skip
    works = [work] * 700
    keys = unique_keys(works)
    assert keys == ref_unique_keys(works)
    assert keys[:3] == ["smith2020same", "smith2020samea", "smith2020sameb"]
    assert keys[27] == "smith2020sameaa" and len(set(keys)) == 700


def make_row(
    n: int,
    title: str,
    authors: list[str],
    tags: list[str],
    note: str,
    meta: bool,
    status: Status,
    abstract: str,
    venue: str,
) -> Row:
    entry = Entry(
        key=f"k{n}",
        title=title,
        url=f"https://example.org/{n}",
        section=("S", title[:5]),
        authors=", ".join(authors),
        arxiv_id=f"2301.{n:05d}" if n % 2 else ("" if n % 4 == 0 else None),
        venue=venue,
        year=2000 + n if n % 3 else None,
    )
    record = {
        "title": title,
        "authors": authors,
        "abstract": abstract,
        "journal_ref": venue,
        "published": "2023-05-29T17:57:46Z" if n % 5 else "",
        "arxiv_id": "2401.00001" if n % 7 == 0 else None,
        "doi": "10.1/x" if n % 6 == 0 else None,
        "primary_category": title[:4],
        "score": 1e-07 if n % 3 == 0 else 2,  # a float: the backup writes it as json does
    }
    created = "2025-01-01T00:00:00Z" if n % 4 else ""
    annotation = Annotation(f"k{n}", status, tuple(tags), note, created)
    return Row(entry, annotation, record if meta else None)


ROWS = st.lists(
    st.builds(
        make_row,
        st.integers(0, 40),
        TEXT,
        NAMES,
        st.lists(TEXT, max_size=3),
        TEXT,
        st.booleans(),
        st.sampled_from(list(Status)),
        TEXT,
        st.one_of(TEXT, st.sampled_from(["NeurIPS 2023", "arXiv"])),
    ),
    max_size=8,
)


@settings(max_examples=60, deadline=None)
@given(ROWS, st.booleans())
def test_csv_and_json(rows: list[Row], raw: bool) -> None:
    for row in rows:
        work = work_of(row, TODAY)
        assert type(work) is Work and work == ref_work_of(row, TODAY)
    assert export.to_csv(rows, raw=raw) == ref_csv(rows, raw)
    now = "2025-01-01T00:00:00Z"
    data = {
        "format": "rlhf-reader-export",
        "version": 1,
        "exported_at": now,
        "list": {"title": "T\x1b"},
        "entries": [export.json_record(row) for row in cite.distinct(rows)],
    }
    assert export.to_json(rows, now=now, title="T\x1b") == export.json_text(data)
    items = [
        export.csl_item(row, work_of(row, TODAY), key)
        for row, key in zip(
            cite.distinct(rows),
            unique_keys([work_of(row, TODAY) for row in cite.distinct(rows)]),
            strict=True,
        )
    ]
    assert export.to_csl_json(rows, TODAY) == export.json_text(items)
    assert export.csl_items(rows, TODAY) == items


def test_json_keeps_what_orjson_would_write_differently() -> None:
    """Floats, big ints, non-string keys and lone surrogates in the free-form arXiv cache and
    additions: the backup writes them as ``json`` does."""
    entry = Entry(key="k", title="T", url="u", section=("S",))
    meta = {"score": 1e-07, "big": 2**70, "nan": float("inf"), "s": "\ud800", "n": {"x": 1e16}}
    rows = [Row(entry, Annotation(key="k"), meta)]
    additions = {"k": {"key": "k", "weird": 0.1}}
    now = "2025-01-01T00:00:00Z"
    expected = export.json_text(
        {
            "format": "rlhf-reader-export",
            "version": 1,
            "exported_at": now,
            "list": {"title": "T"},
            "entries": [export.json_record(rows[0], additions["k"])],
        }
    )
    assert export.to_json(rows, additions=additions, title="T", now=now) == expected
    assert '"score": 1e-07' in expected and json.loads(expected.replace("\\ud800", ""))


def test_ascii_fold_reference() -> None:
    """(The key words' reference folds as ``cite.ascii_fold`` does: NFKD, then ASCII.)"""
    assert ref_key_word("Ünïcödé-Straße") == "unicodestrasse"
    assert unicodedata.normalize("NFKD", "é")[0] == "e"


def test_cite_many_keys_resolves_as_one_at_a_time(
    capsys: pytest.CaptureFixture[str], db_path: Path
) -> None:
    """``cite K1 K2 …`` looks keys up in one index of the catalog: the same entries as
    resolving each alone (a key, an arXiv URL, an id with a version, a title fragment, the
    same paper twice), and a text naming nothing fails with the same message."""
    typed = ["2305.18290", "https://arxiv.org/abs/2307.12966v2", "KTO", "2305.18290"]
    alone = []
    for text in typed:
        code, out, _ = run_cli(capsys, db_path, "cite", text, "--format", "markdown")
        assert code == 0
        alone.append(out.strip())
    code, out, _ = run_cli(capsys, db_path, "cite", *typed, "--format", "plain")
    assert code == 0
    code, out, _ = run_cli(capsys, db_path, "cite", *typed, "--format", "markdown")
    assert code == 0 and out.strip().split("\n\n") == alone[:3]  # one per distinct paper
    code, _, err_one = run_cli(capsys, db_path, "cite", "no such paper at all")
    code_many, out, err_many = run_cli(
        capsys, db_path, "cite", "2305.18290", "no such paper at all"
    )
    assert code == code_many == 1 and out == "" and err_many == err_one
