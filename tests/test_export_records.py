"""The keyed exports' records (BibTeX, RIS, CSL-JSON) answer what the code before answered.

Ninth session: the records are written with less work per row (a RIS record's values
checked at once, a CSL-JSON item written member by member instead of a dict encoded by
orjson, BibTeX titles checked by their shape, names that hash in C, a row's names looked
up at once, a block's templates checked at once). Each ``ref_*`` below is the code as it
was before (copied), the reference: random rows (``test_export_fastpaths.ROWS``: LaTeX
specials, braces, non-ASCII, control characters, odd white space, "et al.", with and
without arXiv records), the awkward values of real data, and the rows of real lists must
give the same text both ways.
"""

from __future__ import annotations

import random
import zlib
from datetime import date
from pathlib import Path

import pytest
from conftest import BUNDLED_LIST, TEST_DATA
from hypothesis import given, settings
from hypothesis import strategies as st
from test_export_fastpaths import NAMES, ROWS, TEXT, ref_bib_title, ref_work_of

from rlhf_reader.formats import cite, export, export_cache
from rlhf_reader.formats.cite import Name, Work, last_first, venue_name, work_of
from rlhf_reader.library.records import Row
from rlhf_reader.lists.catalog import parse
from rlhf_reader.model import Annotation, Entry, Status
from rlhf_reader.textsafe import printable, printable_block

TODAY = date(2025, 3, 14)
KEYS = ("%s", "smith2020direct", export_cache._PLACEHOLDER, "entry")


# References: the code before (eighth session) -------------------------------------------


def ref_bibtex_entry(work: Work, key: str, tags: list[str]) -> str:
    lines = ["", f"  title = {{{ref_bib_title(work.title)}}},"]
    if work.names:
        authors = " and ".join(map(cite.bib_author, work.names))
        lines.append(f"  author = {{{authors}{' and others' if work.et_al else ''}}},")
    venue_kind = work.venue_kind
    if venue_kind == "conference":
        kind = "inproceedings"
        lines.append(f"  booktitle = {{{ref_bib_title(venue_name(work))}}},")
    elif venue_kind == "journal":
        kind = "article"
        lines.append(f"  journal = {{{ref_bib_title(venue_name(work))}}},")
    else:
        kind = "misc" if work.arxiv_id else "online"
    lines[0] = f"@{kind}{{{key},"
    if work.year:
        lines.append(f"  year = {{{work.year}}},")
    url = cite._url_field(work.url)
    if work.arxiv_id:
        lines.append(
            f"  eprint = {{{work.arxiv_id}}},\n  eprinttype = {{arxiv}},\n"
            "  archivePrefix = {arXiv},"
        )
        if work.primary_class:
            lines.append(f"  primaryClass = {{{cite.bib_escape(work.primary_class)}}},")
        lines.append(f"  url = {{{url}}},")
    else:
        lines.append(f"  url = {{{url}}},")
        if not venue_kind:
            lines.append(f"  urldate = {{{work.accessed}}},")
            if work.venue:
                lines.append(f"  note = {{{cite.bib_escape(work.venue)}}},")
    doi = work.any_doi
    if doi:
        lines.append(f"  doi = {{{cite._url_field(doi)}}},")
    if tags:
        lines.append(f"  keywords = {{{cite.bib_escape(', '.join(tags))}}},")
    lines.append("}")
    return "\n".join(lines)


def ref_bibtex_record(row: Row, work: Work, key: str) -> str:
    return ref_bibtex_entry(work, key, [printable(t) for t in row.annotation.tags])


def ref_one_line(text: str) -> str:
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(printable_block(text).split())


def ref_ris_record(row: Row, work: Work, key: str) -> str:
    kind = export._kind(work)
    fields: list[tuple[str, str]] = [("TY", kind), ("ID", key), ("TI", work.title)]
    fields += [("AU", last_first(n)) for n in work.names]
    if work.year:
        fields.append(("PY", str(work.year)))
        if work.month and work.day:
            fields.append(("DA", f"{work.year:04d}/{work.month:02d}/{work.day:02d}"))
    if kind in ("CONF", "JOUR"):
        fields.append(("T2", venue_name(work)))
    elif work.is_arxiv:
        fields += [("PB", "arXiv"), ("SN", f"arXiv:{work.arxiv_id}"), ("M3", "Preprint")]
    elif work.venue:
        fields.append(("T2", work.venue))
    fields.append(("UR", work.url))
    if work.any_doi:
        fields.append(("DO", work.any_doi))
    if work.is_arxiv:
        fields.append(("M2", f"arXiv: {work.arxiv_id}"))
    if kind in ("ELEC", "COMP", "VIDEO"):
        fields.append(("Y2", work.accessed.replace("-", "/")))
    abstract = (row.metadata or {}).get("abstract")
    if abstract:
        fields.append(("AB", ref_one_line(str(abstract))))
    fields += [("KW", printable(t)) for t in row.annotation.tags]
    if row.annotation.note.strip():
        fields.append(("N1", ref_one_line(row.annotation.note)))
    out = [f"{tag}  - {ref_one_line(value)}" for tag, value in fields]
    out += ["ER  - ", ""]
    return "\n".join(out)


def ref_csl_record(row: Row, work: Work, key: str) -> str:
    """The item as a dict, encoded as the array's item (``csl_item`` is unchanged)."""
    return export._item_json(export.csl_item(row, work, key), "  ")


def ref_template(fmt: str, row: Row, work: Work) -> str:
    """A keyed block's template of one record, as ``_Maker._keyed_block`` made it."""
    record = export_cache._KEYED[fmt]
    text = record(row, work, "%s")
    if text.count("%") != 1:
        placeholder = export_cache._PLACEHOLDER
        text = record(row, work, placeholder).replace("%", "%%").replace(placeholder, "%s")
    return text


RECORDS = {
    "bibtex": (export.bibtex_record, ref_bibtex_record),
    "ris": (export.ris_record, ref_ris_record),
    "csl-json": (export.csl_record, ref_csl_record),
}


def assert_same_records(rows: list[Row], today: date = TODAY) -> None:
    """Every keyed record of every row, with each kind of key, both ways."""
    for row in rows:
        work = work_of(row, today)
        assert type(work) is Work and work == ref_work_of(row, today)
        for key in KEYS:
            for new, ref in RECORDS.values():
                assert new(row, work, key) == ref(row, work, key)


# Properties ----------------------------------------------------------------------------------

ASCII_TITLE = st.lists(
    st.sampled_from(
        ["a", "B", "RLHF", "Self-Play", " ", "  ", "x", "GPT-4", ":", "{", "}", "%", "\\", "_",
         "~", "^", "$", "#", "&", "1", "(", "Z", "é", "-A", "a B", "aB"]
    ),
    max_size=12,
).map("".join)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.one_of(ASCII_TITLE, TEXT))
def test_plain_title_is_what_the_pattern_says(title: str) -> None:
    """The title's shape (bytes translated, three counts) finds what the pattern found."""
    expected = title.isascii() and not cite._TITLE_WORK_RE.search(title)
    assert cite._plain_title(title) == expected
    assert cite.bib_title(title) == ref_bib_title(title)


@settings(max_examples=80, deadline=None)
@given(ROWS)
def test_records_of_random_rows(rows: list[Row]) -> None:
    assert_same_records(rows)


@settings(max_examples=60, deadline=None)
@given(NAMES, st.lists(TEXT, max_size=3), TEXT, st.booleans())
def test_names_tags_and_notes(authors: list[str], tags: list[str], note: str, meta: bool) -> None:
    """Authors from the list and from arXiv, tags and notes of every kind, and the same
    rows again (the row's names then found at once: ``cite._PLAIN_NAMES``)."""
    entry = Entry(
        key="k",
        title="T",
        url="https://example.org/x",
        section=("S",),
        authors=", ".join(authors),
        arxiv_id="2301.00001" if meta else None,
    )
    annotation = Annotation("k", Status.READ, tuple(tags), note, "2025-01-01T00:00:00Z")
    rows = [Row(entry, annotation, {"authors": authors} if meta and authors else None)]
    assert_same_records(rows)
    assert_same_records(rows)


AUTHOR_PIECES = st.sampled_from(
    ["Ann Lee", "Bo Chen", ", ", ",", " and ", "and ", "And ", ";", " ", "  ", "et al.",
     "Lee Jr.", "von Werra", "OpenAI", "", "\t", "Ann Lee,", " Bo Chen", "and and Cy Dee"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(AUTHOR_PIECES, max_size=6).map("".join), min_size=1, max_size=4))
def test_list_authors_looked_up_without_splitting(texts: list[str]) -> None:
    """A list's authors are looked up by their ", "-separated parts once every part is a
    known ordinary name (``cite._PLAIN_NAMES``): the names are those split_authors and
    the loop give, whatever the commas, "and"s, semicolons and spaces around them."""
    for _ in range(2):  # the second time the names are known
        for text in texts:
            row = Row(Entry("k", "T", "u", ("S",), authors=text), Annotation("k"))
            work = work_of(row, TODAY)
            assert (work.names, work.et_al) == (ref_work_of(row, TODAY).names,
                                                ref_work_of(row, TODAY).et_al)  # fmt: skip
    for key in cite._PLAIN_NAMES:
        assert cite.split_authors(key) == [key]


def ref_keys_of_bases(bases: list[str]) -> list[str]:
    used: set[str] = set()
    keys = []
    for base in bases:
        key, n = base, 0
        while key in used:
            key = base + cite._suffix(n)
            n += 1
        used.add(key)
        keys.append(key)
    return keys


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["smith", "smitha", "smithb", "smithab", "lee", "leea", "x"])))
def test_keys_of_bases(bases: list[str]) -> None:
    """Keys counted in C when no base plus a suffix is another's key; else one at a time."""
    assert cite.keys_of_bases(bases) == ref_keys_of_bases(bases)


def test_keys_of_a_base_used_more_than_the_suffixes_of_two_letters() -> None:
    bases = ["smith"] * 800 + ["lee", "smithzz"] * 3
    keys = cite.keys_of_bases(bases)
    assert keys == ref_keys_of_bases(bases) and keys[703] == "smithaaa"


def ref_cuts(keys: list[str], bits: int = 5) -> list[tuple[int, int]]:
    """Where ``export_cache.cuts`` cut before (a CRC-32 per key in Python)."""
    crcs = [zlib.crc32(key.encode("utf-8", "surrogatepass")) for key in keys]
    ends = {i + 1 for i, crc in enumerate(crcs) if not crc & ((1 << bits) - 1)}
    ends.add(len(keys))
    out, start = [], 0
    for end in sorted(ends):
        while end - start > export_cache.MAX_BLOCK:
            out.append((start, start + export_cache.MAX_BLOCK))
            start += export_cache.MAX_BLOCK
        if end > start:
            out.append((start, end))
            start = end
    return out


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(TEXT, st.sampled_from(["k\nx", "2301.00001", "\udc80"])), max_size=90))
def test_cuts_where_they_were(keys: list[str]) -> None:
    """Blocks end after the same keys (keys with a newline, lone surrogates, duplicates)."""
    rows = [Row(Entry(key, "T", "u", ("S",)), Annotation(key)) for key in keys]
    inputs = export_cache.row_inputs(rows)
    assert export_cache.cuts(rows, inputs) == ref_cuts(keys)


@pytest.mark.parametrize("bits", [5, 2, 0, 9])
def test_cuts_of_many_rows(monkeypatch: pytest.MonkeyPatch, bits: int) -> None:
    """Many rows, a run longer than a block can be, and other block sizes (the tests of
    the parallel export make smaller blocks; more than eight bits: asked one by one)."""
    monkeypatch.setattr(export_cache, "BLOCK_BITS", bits)
    many = [f"{i}" for i in range(3000)] + ["x"] * 1200
    rows = [Row(Entry(key, "T", "u", ("S",)), Annotation(key)) for key in many]
    assert export_cache.cuts(rows, export_cache.row_inputs(rows)) == ref_cuts(many, bits)


def test_plain_names_emptied_when_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """The dict of ordinary author strings is emptied when it holds its maximum; the
    names found are the same before and after."""
    monkeypatch.setattr(cite, "_PLAIN_NAMES", {})
    monkeypatch.setattr(cite, "_PLAIN_MAX", 3)
    entry = Entry("k", "T", "u", ("S",), authors="Ann Lee, Bo Chen, Cy Dee, Di Eck, et al.")
    row = Row(entry, Annotation("k"))
    first = work_of(row, TODAY)
    assert len(cite._PLAIN_NAMES) <= 3
    assert work_of(row, TODAY) == first == ref_work_of(row, TODAY)
    assert first.et_al and [n.family for n in first.names] == ["Lee", "Chen", "Dee", "Eck"]


def test_awkward_values() -> None:
    """What the fast paths step aside for: a lone surrogate (orjson refuses it), quotes
    and backslashes, a bool or huge year, a "%" of a tag's own, a separator-like
    character, leading and trailing spaces in a note, an abstract over several lines."""
    entry = Entry(
        key="k",
        title='A "quoted" \\ title\u2016 | x',
        url="https://example.org/a b",
        section=("S",),
        authors="Jörg von der Müller Jr., \ud800 Lone, OpenAI",
        arxiv_id="2301.00001",
        year=2**70,
        venue="NeurIPS 2023",
    )
    annotation = Annotation("k", Status.READ, ("100%", "a_b", "\x1b[31m"), " spaced note  ")
    meta = {
        "title": "Tab\there",
        "authors": ["A \ud800", "B C"],
        "abstract": "First line.\n\nSecond\x1b line\u2028.",
        "doi": "10.1/x y",
        "journal_ref": "Journal of Things 3 (2022)",
        "published": "2023-05-29T17:57:46Z",
    }
    rows = [
        Row(entry, annotation),
        Row(entry, annotation, meta),
        Row(Entry("w", "Web page", "https://github.com/x/y", ("S",), year=2024), Annotation("w")),
        Row(Entry("v", "Talk", "https://youtu.be/x", ("S",), venue="A blog"), Annotation("v")),
    ]
    assert_same_records(rows)
    work = work_of(rows[0], TODAY)
    for year in (True, 2**70, 0, -5):
        odd = Work(**{**{f: getattr(work, f) for f in Work.__slots__}, "year": year})
        for new, ref in RECORDS.values():
            assert new(rows[0], odd, "%s") == ref(rows[0], odd, "%s")


def test_name_is_a_tuple_that_compares_as_before() -> None:
    """``Name`` hashes in C (a named tuple) and compares by its fields, as before."""
    name = cite.parse_name("Leandro von Werra")
    assert name == Name(given="Leandro", family="Werra", particle="von")
    assert hash(name) == hash(Name("Leandro", "Werra", "von"))
    assert name.last == "von Werra" and name.full == "Leandro von Werra"
    assert repr(Name(literal="OpenAI")) == (
        "Name(given='', family='', particle='', suffix='', literal='OpenAI')"
    )
    assert {name: 1}[Name("Leandro", "Werra", "von")] == 1


def real_rows(path: Path, seed: int) -> list[Row]:
    """A list's rows with annotations and, for one arXiv entry in three, an arXiv record
    with the awkward values of real data (as bench/export_data.py makes them)."""
    rng = random.Random(seed)
    entries = parse(path.read_text(encoding="utf-8")).entries
    names = ["Rafael Rafailov", "Jörg Müller", "et al.", "Chen et al.", "Wei {Li}", "OpenAI"]
    titles = ["RLHF for {GPT}-4: 100% & more", "PanGu-Coder2: Boosting", "Über Größe"]
    rows = []
    for i, entry in enumerate(entries):
        tags = tuple(rng.sample(("dpo", "=cmd", "a_b", "x&y", "ünï", "100%"), i % 4))
        note = ("", "# heading\n- item\n\tindented\x07", "Plain note.", " ")[i % 4]
        created = "2026-01-01T00:00:00Z" if i % 7 else ""
        annotation = Annotation(entry.key, Status.READ, tags, note, created, created)
        meta = None
        if entry.arxiv_id and i % 3 == 0:
            meta = {
                "arxiv_id": entry.arxiv_id,
                "title": entry.title if i % 4 else rng.choice(titles),
                "authors": [rng.choice(names) for _ in range(rng.randint(1, 6))],
                "abstract": "We study " + rng.choice(titles) + ".\n\nSecond\x1b.",
                "published": f"20{10 + i % 15}-0{1 + i % 9}-1{i % 10}T10:00:00Z",
                "primary_category": rng.choice(("cs.LG", "stat.ML", "")),
                "doi": f"10.1000/x_{i}" if i % 5 == 0 else None,
                "journal_ref": rng.choice((None, "NeurIPS 2023", "Nature 612 (2022)")),
            }
        rows.append(Row(entry, annotation, meta))
    return rows


REAL_LISTS = [BUNDLED_LIST, *sorted((TEST_DATA / "lists").glob("*_README.md"))]


@pytest.mark.parametrize("path", REAL_LISTS, ids=lambda p: p.stem[:24])
def test_records_of_real_lists(path: Path) -> None:
    """Every row of the bundled list and of the real lists in tests/data, each keyed
    record both ways, and each block's template as ``_keyed_block`` made it before."""
    rows = real_rows(path, len(path.name))
    assert_same_records(rows)
    inputs = export_cache.row_inputs(rows)
    ranges = export_cache.cuts(rows, inputs)
    for fmt in RECORDS:
        maker = export_cache._Maker(fmt, rows, inputs, TODAY, False, digests=False)
        separator = export_cache._SEPARATOR[fmt]
        for (start, end), made in zip(ranges, maker.job(ranges), strict=True):
            block = rows[start:end]
            works = [ref_work_of(row, TODAY) for row in block]
            texts = [ref_template(fmt, row, w) for row, w in zip(block, works, strict=True)]
            assert made[1] == (separator.join(texts) + separator).encode()
            assert made[2] == "\n".join(map(cite.base_key, works))
            today = TODAY.isoformat()
            assert made[3] == (today if any(w.accessed == today for w in works) else "")


def test_a_block_with_a_percent_of_its_own() -> None:
    """A tag "100%" in one row of a block: that record's "%" doubled, the others' not."""
    rows = [
        Row(Entry(f"k{i}", f"Title {i}", f"https://e.org/{i}", ("S",)), Annotation(f"k{i}"))
        for i in range(5)
    ]
    rows[2] = Row(rows[2].entry, Annotation("k2", tags=("100%",), note="50% done"))
    inputs = export_cache.row_inputs(rows)
    for fmt in RECORDS:
        maker = export_cache._Maker(fmt, rows, inputs, TODAY, False, digests=False)
        data = next(maker.job([(0, 5)]))[1]
        keys = tuple(f"key{i}".encode() for i in range(5))
        text = (data % keys).decode()
        works = [work_of(row, TODAY) for row in rows]
        ref = RECORDS[fmt][1]
        pairs = enumerate(zip(rows, works, strict=True))
        expected = [ref(row, work, f"key{i}") for i, (row, work) in pairs]
        assert text == export_cache._SEPARATOR[fmt].join(expected) + export_cache._SEPARATOR[fmt]
        assert "100" in text and "%" in text and all(f"key{i}" in text for i in range(5))
