"""The 100k fast paths (issue 17) against the code they replaced: the same results.

Each test runs the replaced algorithm (kept here as the reference, as it was at 1216074)
and the fast path on real lists — the bundled one, a real awesome list, the hostile one —
with annotations of every kind, and on hand-made worst cases (control characters,
Markdown that must be escaped, keys listed twice).
"""

from __future__ import annotations

import io
import json
import random
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from rlhf_reader.commands import browse
from rlhf_reader.formats import export
from rlhf_reader.formats.cite import md_text, md_url
from rlhf_reader.library.progress import Tally, compute_stats, count
from rlhf_reader.library.records import Row, make_rows
from rlhf_reader.library.store import Library
from rlhf_reader.lists.catalog import load, parse
from rlhf_reader.model import Annotation, Catalog, Entry, Status, first_author, split_authors
from rlhf_reader.textsafe import printable, printable_block
from rlhf_reader.tui.state import ReadingList

TESTS = Path(__file__).resolve().parent
LISTS = [
    TESTS.parent / "src" / "rlhf_reader" / "data" / "awesome-rlhf.md",
    TESTS / "data" / "opendilab_awesome-RLHF_README.md",
    TESTS / "data" / "hostile.md",
]
NASTY = [
    "",
    " ",
    "plain",
    "# heading",
    "   # three spaces",
    "    # four spaces",
    "1. item",
    "12) item",
    "- dash",
    "+ plus",
    "* star",
    "===",
    "---  ",
    "=x",
    "\t- tab",
    "\u00b2. superscript",
    "\u0663. arabic digit",
    "[brackets] and \\ back",
    "esc \x1b[31m red",
    "bidi \u202e override",
    "line\u2028sep",
    "two\nlines\n# heading",
    "\r\nwindows\r\n",
]


def annotations_for(catalog: Catalog, hostile: bool = True) -> dict[str, Annotation]:
    """Every kind of annotation, some keys left without one; ``hostile``: tags a library
    refuses too (a control character)."""
    rng = random.Random(7)
    tags = ["dpo", "x\x1by" if hostile else "xy", "[t]", "survey", "a-b"]
    found = {}
    for i, entry in enumerate(catalog.entries):
        if i % 5 == 4:
            continue
        found[entry.key] = Annotation(
            entry.key,
            (Status.READ, Status.READING, Status.UNREAD)[i % 3],
            tuple(rng.sample(tags, rng.randint(0, 3))),
            rng.choice(NASTY),
            "2026-01-01T00:00:00Z",
            "2026-01-02T00:00:00Z",
            "2026-01-03T00:00:00Z" if i % 3 == 0 else None,
        )
    found["not.listed/1"] = Annotation("not.listed/1", Status.READ, ("dpo",))
    return found


def metadata_for(catalog: Catalog) -> dict[str, dict]:
    keys = [e.key for e in catalog.entries]
    return {
        key: {"key": key, "authors": ["A. One", "B [Two]"], "published": "2021-02-03"}
        for key in keys[::7]
    }


@pytest.fixture(params=LISTS, ids=lambda p: p.name)
def catalog(request: pytest.FixtureRequest) -> Catalog:
    return parse(request.param.read_text(encoding="utf-8"), source=str(request.param))


# --- rows, stats, the TUI's reading list ---------------------------------------------------


def test_make_rows_equals_rows_made_one_by_one(catalog: Catalog) -> None:
    anns, meta = annotations_for(catalog), metadata_for(catalog)
    expected = [
        Row(e, anns.get(e.key) or Annotation(key=e.key), meta.get(e.key)) for e in catalog.entries
    ]
    made = make_rows(catalog.entries, anns, meta)
    assert made == expected
    assert all(type(row) is Row for row in made)
    with pytest.raises(AttributeError):
        made[0].annotation = Annotation("x")  # type: ignore[misc]


def reference_stats(catalog: Catalog, annotations: dict[str, Annotation]) -> dict:
    """compute_stats as it was: a subtree walk and count() per section."""
    sections = []
    for section in catalog.walk():
        keys = [e.key for e in section.all_entries()]
        if keys:
            counts = count(keys, annotations)
            sections.append(
                {"title": section.title, "path": list(section.path), "level": section.level}
                | counts.as_dict()
            )
    listed = [e.key for e in catalog.entries]
    tags: dict[str, int] = {}
    for key in set(listed):
        ann = annotations.get(key)
        for tag in ann.tags if ann else ():
            tags[tag] = tags.get(tag, 0) + 1
    return {
        "overall": count(listed, annotations).as_dict(),
        "listed": len(listed),
        "duplicates": len(listed) - len(set(listed)),
        "sections": sections,
        "tags": dict(sorted(tags.items(), key=lambda kv: (-kv[1], kv[0]))),
        "not_in_list": sum(1 for key in annotations if key not in set(listed)),
    }


def test_stats_from_a_tally_and_from_the_library(catalog: Catalog, tmp_path: Path) -> None:
    anns = annotations_for(catalog)
    expected = reference_stats(catalog, anns)
    assert compute_stats(catalog, anns) == expected
    assert compute_stats(catalog, Tally.of(anns)) == expected
    anns = annotations_for(catalog, hostile=False)  # what a library accepts
    expected = reference_stats(catalog, anns)
    library = Library.open(tmp_path / "library.json")
    library.put_annotations(anns.values())
    again = Library.open(tmp_path / "library.json")  # read back from the file
    fast, slow = again.tally(), Tally.of(again.annotations())
    assert (fast.read, fast.reading) == (slow.read, slow.reading)
    assert {key: tuple(tags) for key, tags in fast.tags.items()} == slow.tags
    assert compute_stats(catalog, again.tally()) == expected


def reference_reading_list(catalog: Catalog, anns: dict, meta: dict) -> tuple:
    """ReadingList.build's fields as it computed them: per entry, every path prefix."""
    rows, entries, keys_in = {}, {}, {}
    for section in catalog.walk():
        keys_in.setdefault(section.path, set())
        path = section.path
        for entry in section.entries:
            same = entries.get(entry.key)
            if same is None:
                entries[entry.key] = [entry]
                ann = anns.get(entry.key) or Annotation(key=entry.key)
                rows[entry.key] = Row(entry, ann, meta.get(entry.key))
            else:
                same.append(entry)
            for depth in range(1, len(path) + 1):
                keys_in.setdefault(path[:depth], set()).add(entry.key)
    section_keys = {path: frozenset(keys) for path, keys in keys_in.items()}
    known = {key: row.annotation for key, row in rows.items()}
    progress = {path: count(keys, known) for path, keys in section_keys.items()}
    return rows, entries, section_keys, progress, count(rows, known)


def test_reading_list_equals_the_per_entry_build(catalog: Catalog) -> None:
    anns, meta = annotations_for(catalog), metadata_for(catalog)
    doubled = Catalog(  # a key listed twice, in two sections
        catalog.title, [*catalog.sections, *parse(LISTS[0].read_text()).sections[:1]]
    )
    for cat in (catalog, doubled):
        rows, entries, section_keys, progress, overall = reference_reading_list(cat, anns, meta)
        built = ReadingList.build(cat, anns, meta)
        assert list(built.rows.items()) == list(rows.items())
        assert built.entries == entries
        assert list(built.section_keys.items()) == list(section_keys.items())
        assert list(built.progress.items()) == list(progress.items())
        assert built.overall == overall


# --- the parse cache and split_authors -----------------------------------------------------


def test_cached_entries_are_entries(tmp_path: Path) -> None:
    from rlhf_reader.lists import catalog_cache

    for source in LISTS:
        listed = tmp_path / source.name
        shutil.copyfile(source, listed)
        parsed = load(listed)
        cached = catalog_cache.read(listed.read_bytes(), str(listed))
        assert cached is not None  # the same-layout class trick works (else: parsed again)
        assert cached == parsed
        assert all(type(e) is Entry for e in cached.entries)
        assert [s.entries for s in cached.walk()] == [s.entries for s in parsed.walk()]


def reference_split(authors: str) -> list[str]:
    text = authors.replace(" and ", ", ").replace(";", ",")
    names = []
    for part in text.split(","):
        name = part.strip()
        if name.lower().startswith("and "):
            name = name[4:].strip()
        if name:
            names.append(name)
    return names


def test_split_authors_equals_the_loop() -> None:
    pieces = ["a", "n", "d", "A", "N", "D", " ", ",", ";", "x", "\u0130", "\u03a3", "\t", "and "]
    rng = random.Random(17)
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 14)))
        assert split_authors(text) == reference_split(text), repr(text)
    for source in LISTS:
        for entry in parse(source.read_text(encoding="utf-8")).entries:
            assert split_authors(entry.authors) == reference_split(entry.authors)


def test_first_author_is_the_first_of_the_split() -> None:
    pieces = ["a", "n", "d", "A", "N", "D", " ", ",", ";", "x", "\u0130", "\t", "and ", "\u2003"]
    rng = random.Random(19)
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 14))) for _ in range(20_000)]
    for source in LISTS:
        texts += [e.authors for e in parse(source.read_text(encoding="utf-8")).entries]
    for text in texts:
        names = reference_split(text)
        assert first_author(text) == ((names[0], len(names) > 1) if names else ("", False))


# --- the Markdown export -------------------------------------------------------------------

_HEADING = re.compile(r"^(\s{0,3})(#|=+\s*$|-+\s*$|[-+*](?:\s|$)|\d+[.)](?:\s|$))")


def reference_note_line(line: str) -> str:
    match = _HEADING.match(line)
    if not match:
        return line
    indent, mark = match.group(1), match.group(2)
    rest = line[len(indent) :]
    if mark[0].isdigit():
        digits = re.match(r"\d+", rest).group()  # type: ignore[union-attr]
        return f"{indent}{digits}\\{rest[len(digits) :]}"
    return f"{indent}\\{rest}"


def reference_markdown(rows: list[Row], title: str, today: date) -> str:
    """to_markdown as it was at 1216074."""
    papers = count((r.key for r in rows), {r.key: r.annotation for r in rows})
    lines = [
        f"# {printable(title)}",
        "",
        f"{papers.read} of {papers.total} read, {papers.reading} in progress "
        f"(exported by rlhf-reader on {today.isoformat()}).",
    ]
    current: tuple[str, ...] = ()
    for row in rows:
        entry, ann = row.entry, row.annotation
        path = entry.section
        if path != current:
            common = 0
            while common < min(len(path), len(current)) and path[common] == current[common]:
                common += 1
            if common == len(path):
                common -= 1
            for depth in range(common, len(path)):
                if lines and lines[-1] != "":
                    lines.append("")
                lines += [f"{'#' * min(depth + 2, 6)} {printable(path[depth])}", ""]
            current = path
        box = "x" if ann.status is Status.READ else " "
        line = f"- [{box}] [{md_text(printable(entry.title))}]({md_url(printable(entry.url))})"
        if entry.source:
            line += f" — source: {printable(entry.source)}"
        if ann.status is Status.READING:
            line += " — *reading*"
        if ann.tags:
            line += " — " + " ".join(f"`{printable(t)}`" for t in ann.tags)
        lines.append(line)
        details = export._details_line(row)
        if details:
            lines.append(f"  - {reference_note_line(details)}")
        if ann.note.strip():
            if lines and lines[-1] != "":
                lines.append("")
            note = printable_block(ann.note).strip("\n")
            lines.extend(
                f"  > {reference_note_line(text)}".rstrip() if text.strip() else "  >"
                for text in note.split("\n")
            )
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def test_note_line_equals_the_pattern() -> None:
    samples = [*NASTY, *(chr(c) + " x" for c in range(0x3000)), "\u2003# em space"]
    for line in samples:
        assert export._note_line(line) == reference_note_line(line), repr(line)


def test_markdown_equals_the_per_field_export(catalog: Catalog) -> None:
    anns, meta = annotations_for(catalog), metadata_for(catalog)
    rows = make_rows(catalog.entries, anns, meta)
    odd = [
        Entry(f"k{i}", text or "t", f"https://x.org/{i}", ("S [1]", text), details=text)
        for i, text in enumerate(NASTY)
    ]
    odd += [
        Entry("u", "t", "https://x.org/a b(c)", ("S",), source="src \x1b"),
        Entry("e", "t", "", ("S",)),
    ]
    rows += make_rows(
        odd, {e.key: Annotation(e.key, Status.READING, ("a",), e.title) for e in odd}, {}
    )
    today = date(2026, 1, 2)
    assert export.to_markdown(rows, title="T \x1b", today=today) == reference_markdown(
        rows, "T \x1b", today
    )


# --- JSON to stdout, and the whole process -------------------------------------------------


class _Ctx:
    def __init__(self, out: io.TextIOWrapper) -> None:
        self.out = out

    def print(self, text: str = "") -> None:
        print(text, file=self.out)


@pytest.mark.parametrize("encoding", ["utf-8", "ascii", "latin-1"])
def test_print_json_writes_what_json_text_writes(
    encoding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    values = [
        [{"title": "plain", "n": 1}],
        [{"title": "caf\u00e9 \u203a"}],
        [{"title": "del \x7f and c1 \x9b and bidi \u202e"}],
        [],
        {"a": ["x\x1by"]},
        ["\ud800"],  # orjson refuses: json.dumps, as before
    ]
    for value in values:
        fast, slow = io.BytesIO(), io.BytesIO()
        fast_out = io.TextIOWrapper(fast, encoding=encoding, errors="rlhf-reader-ascii")
        slow_out = io.TextIOWrapper(slow, encoding=encoding, errors="rlhf-reader-ascii")
        monkeypatch.setattr(sys, "stdout", fast_out)  # json_text asks sys.stdout (ctx.out)
        fast_out.write("before\n")
        browse.print_json(_Ctx(fast_out), value)  # type: ignore[arg-type]
        fast_out.flush()
        monkeypatch.setattr(sys, "stdout", slow_out)
        slow_out.write("before\n")
        print(browse.json_text(value), file=slow_out)
        slow_out.flush()
        monkeypatch.undo()
        assert fast.getvalue() == slow.getvalue(), value


def test_a_whole_process_writes_and_prints_everything(tmp_path: Path) -> None:
    """The console script leaves its data to the OS at exit (gcpause.abandon): the write is
    in the file and the output complete, in a real process."""
    db = tmp_path / "library.json"
    base = [sys.executable, "-m", "rlhf_reader", "--db", str(db)]
    done = subprocess.run([*base, "mark", "2305.18290", "read"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    listed = subprocess.run([*base, "list", "--json"], capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    records = json.loads(listed.stdout)
    assert {r["key"]: r["status"] for r in records}["2305.18290"] == "read"
    stats = subprocess.run([*base, "stats", "--json"], capture_output=True, text=True)
    assert json.loads(stats.stdout)["overall"]["read"] == 1
    assert Library.open(db).annotation("2305.18290").status is Status.READ


def test_records_equal_the_row_properties(catalog: Catalog) -> None:
    from rlhf_reader.library.records import to_record

    rows = make_rows(catalog.entries, annotations_for(catalog), metadata_for(catalog))
    for row in rows:
        record = to_record(row, "2026-01-01")
        assert record["authors"] == row.authors and record["year"] == row.year
        assert record["status"] == row.annotation.status.value
        assert json.dumps(record)  # plain JSON types only


def test_shared_values_change_nothing(tmp_path: Path) -> None:
    catalog = parse(LISTS[0].read_text(encoding="utf-8"))
    library = Library.open(tmp_path / "library.json")
    library.put_annotations(annotations_for(catalog, hostile=False).values())
    before = Library.open(tmp_path / "library.json")._tables()
    again = Library.open(tmp_path / "library.json", long_lived=True)  # as the TUI opens it
    tables = again._tables()
    assert tables == before
    docs = list(tables["annotations"].values())
    assert docs[0]["created"] is docs[1]["created"]  # one string for the equal times
    assert again.annotations() == Library.open(tmp_path / "library.json").annotations()


# --- list: its lines and records a chunk of rows at a time ----------------------------------


def reference_line_for(row: Row) -> str:
    """browse.line_for as it was at 82d8987: Row.authors and Row.year, every name split."""
    authors = row.authors
    byline = ""
    if authors:
        byline = authors[0] + (" et al." if len(authors) > 1 else "")
    if row.year:
        byline = f"{byline}, {row.year}" if byline else str(row.year)
    text = f"{row.annotation.status.glyph} {row.entry.title}"
    if byline:
        text += f" — {byline}"
    return printable(f"{text}  [{row.key}]")


def reference_grouped(rows: list[Row]) -> list[str]:
    """The lines ``list`` printed one by one at 82d8987 (grouped by section)."""
    lines: list[str] = []
    current: tuple[str, ...] | None = None
    for row in rows:
        if row.entry.section != current:
            if current is not None:
                lines.append("")
            current = row.entry.section
            lines.append(printable(row.entry.section_path))
        lines.append("  " + reference_line_for(row))
    return lines


def odd_rows(catalog: Catalog) -> list[Row]:
    """The catalog's rows with annotations and arXiv records of every kind, and entries with
    hostile titles, authors and sections, some without a year, some with one from arXiv."""
    rows = make_rows(catalog.entries, annotations_for(catalog), metadata_for(catalog))
    odd = [
        Entry(f"k{i}", text or "t", f"https://x.org/{i}", ("S [1]", text), authors=text)
        for i, text in enumerate(NASTY)
    ]
    odd += [Entry("y", "t", "u", ("S",), year=1999, authors="and A, and B")]
    records = {"k3": {"key": "k3", "authors": ["Só \x1b", "B"], "published": "2020-01-01"}}
    records["k4"] = {"key": "k4", "authors": [], "published": "nope"}
    anns = {e.key: Annotation(e.key, Status.READING, ("a\x1b",), e.title) for e in odd[::2]}
    return rows + make_rows(odd, anns, records)


def test_list_lines_equal_the_lines_printed_one_by_one(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = odd_rows(catalog)
    assert [browse.line_for(row) for row in rows] == [reference_line_for(row) for row in rows]
    expected = reference_grouped(rows)
    for size in (1, 3, 7, 2000):  # chunks that end inside a section and on its last row
        made = []
        for start in range(0, len(rows), size):
            before = rows[start - 1].entry.section if start else None
            made += browse._grouped_lines(rows[start : start + size], before)
        assert made == expected, size


@pytest.mark.parametrize("encoding", ["utf-8", "ascii", "latin-1"])
def test_print_records_writes_what_print_json_wrote(
    catalog: Catalog, encoding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``list --json`` a chunk at a time: the bytes of one print_json of every to_record,
    chunks with something to escape (a control character, DEL, a lone surrogate) or not."""
    from rlhf_reader.library.records import records, to_record

    rows = odd_rows(catalog)
    lone = Entry("lone", "\ud800", "u", ("S",))
    rows = rows[:5] + make_rows([lone], {}, {}) + rows[5:]
    added = {rows[0].key: "2026-01-01", rows[-1].key: "2026-02-02"}
    lists = {rows[1].key: ["a", "b"]}
    for chunk in (4, 2000):
        monkeypatch.setattr(browse, "_CHUNK", chunk)
        for where in (None, lists):
            expected_records = [to_record(row, added.get(row.key)) for row in rows]
            if where is not None:
                for record in expected_records:
                    record["lists"] = where.get(record["key"], [])
            fast, slow = io.BytesIO(), io.BytesIO()
            fast_out = io.TextIOWrapper(fast, encoding=encoding, errors="rlhf-reader-ascii")
            slow_out = io.TextIOWrapper(slow, encoding=encoding, errors="rlhf-reader-ascii")
            monkeypatch.setattr(sys, "stdout", fast_out)
            browse.print_records(_Ctx(fast_out), rows, added, where)  # type: ignore[arg-type]
            fast_out.flush()
            monkeypatch.setattr(sys, "stdout", slow_out)
            browse.print_json(_Ctx(slow_out), expected_records)  # type: ignore[arg-type]
            slow_out.flush()
            monkeypatch.setattr(sys, "stdout", sys.__stdout__)
            assert fast.getvalue() == slow.getvalue(), (chunk, where)
    assert json.dumps(records(rows, added)) == json.dumps(
        [to_record(row, added.get(row.key)) for row in rows]
    )


def test_one_row_is_the_row_of_every_row(tmp_path: Path) -> None:
    """``show`` makes the row of its entry alone (Workspace.row): the row ``rows`` makes."""
    from rlhf_reader.workspace import Workspace

    listed = tmp_path / "list.md"
    shutil.copyfile(LISTS[0], listed)
    catalog = parse(listed.read_text(encoding="utf-8"))
    library = Library.open(tmp_path / "library.json")
    library.put_annotations(annotations_for(catalog, hostile=False).values())
    library.put_metadata(metadata_for(catalog))
    workspace = Workspace(listed, tmp_path / "library.json")
    rows = workspace.rows()
    assert [workspace.row(row.entry) for row in rows] == rows
