"""The export cache (formats/export_cache.py): a cached export is the uncached export, byte
for byte, whatever changed between two exports; a cache file that cannot be used is ignored.

Real lists and real TinyDB libraries in tmp_path (the cache folder is the test's own, see
conftest's ``isolated_home``); BibTeX is read back with bibtexparser.
"""

from __future__ import annotations

import dataclasses
import marshal
import os
import re
import threading
import zlib
from datetime import date
from pathlib import Path
from typing import Any

import bibtexparser
import pytest
from conftest import run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rlhf_reader.formats import export_cache
from rlhf_reader.formats.export import FORMATS, backup_rows, export, export_file
from rlhf_reader.library import fileio
from rlhf_reader.library.records import Row
from rlhf_reader.library.store import Library
from rlhf_reader.model import Annotation, Entry, Link, Status
from rlhf_reader.workspace import Workspace

NOW = "2025-03-14T09:26:53Z"
DAY = date(2025, 3, 14)
REPO = Path(__file__).resolve().parent.parent
FORMATTERS = ("formats/export.py", "formats/cite.py", "formats/csl.py", "library/records.py")

# A small vocabulary, so that titles, first authors and years collide: BibTeX keys then get
# suffixes, and a change to one row's base key moves the suffixes of rows after it.
WORDS = ("Direct", "Preference", "Reward", "Models", "The", "A", "RLHF", "of", "Safe")
AUTHORS = ("Ann Lee", "Bo Chen", "Carl von Ahn", "OpenAI", "Dana Le Bras", "et al.")
SECTIONS = ("Papers", "Papers › Surveys", "Blogs")


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of two rows on average (and at most three), so that a change to a small list
    leaves most of its blocks as they were: the reuse is what these tests check."""
    monkeypatch.setattr(export_cache, "BLOCK_BITS", 1)
    monkeypatch.setattr(export_cache, "MAX_BLOCK", 3)
    monkeypatch.setattr(export_cache, "KEEP", 100)  # (a test exports in 14 ways at a time)
    # Runs of stored blocks read 512 bytes at a time: a run of a few blocks, a block longer
    # than that read on its own.
    monkeypatch.setattr(export_cache, "BUFFER", 512)


# A list file from a description ---------------------------------------------------------


@dataclasses.dataclass
class Item:
    title: str
    authors: tuple[str, ...]
    year: int
    number: int  # the arXiv number; 0: a blog post (a web page: BibTeX @online, urldate)
    section: int


def list_text(items: list[Item]) -> str:
    lines = ["# Test list", ""]
    for index, name in enumerate(SECTIONS):
        lines += ["", f"{'#' * (2 + name.count('›'))} {name.split(' › ')[-1]}", ""]
        for item in items:
            if item.section != index:
                continue
            url = (
                f"https://arxiv.org/abs/2301.{item.number:05d}"
                if item.number
                else f"https://blog.example.org/{item.title.replace(' ', '-').lower()}"
            )
            lines.append(f"- [{item.title}]({url})")
            if item.authors:
                lines.append(f"  - {', '.join(item.authors)}. arXiv, {item.year}.")
    return "\n".join(lines) + "\n"


titles = st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join)
items = st.builds(
    Item,
    title=titles,
    authors=st.lists(st.sampled_from(AUTHORS), max_size=3).map(tuple),
    year=st.sampled_from((2022, 2023)),
    number=st.integers(0, 30),  # repeats: a paper listed twice (in two sections)
    section=st.integers(0, len(SECTIONS) - 1),
)
notes = st.sampled_from(("", "Read it.", "# heading\n- item\n1. one", "tab\there", "  ", "=x"))
tags = st.lists(st.sampled_from(("dpo", "=cmd", "x&y", "ünï", "to-read")), max_size=3, unique=True)
records = st.fixed_dictionaries(
    {
        "title": titles,
        "authors": st.lists(st.sampled_from(AUTHORS), min_size=1, max_size=3),
        "published": st.sampled_from(("2023-05-29T17:57:46Z", "2022-01-01T00:00:00Z", "")),
        "doi": st.sampled_from((None, "10.1000/x")),
        "journal_ref": st.sampled_from((None, "NeurIPS 2023", "Nature 612 (2022)")),
        "primary_category": st.sampled_from(("cs.LG", "")),
        "abstract": st.sampled_from(("", "We study\n\nthings\x1b.")),
    }
)
changes = st.one_of(
    st.tuples(st.just("status"), st.integers(0, 99), st.sampled_from(list(Status))),
    st.tuples(st.just("tags"), st.integers(0, 99), tags),
    st.tuples(st.just("note"), st.integers(0, 99), notes),
    st.tuples(st.just("meta"), st.integers(0, 99), records),
    st.tuples(st.just("dates"), st.integers(0, 99), st.sampled_from(("", "2024-02-03T00:00:00Z"))),
    st.tuples(st.just("insert"), st.integers(0, 99), items),
    st.tuples(st.just("delete"), st.integers(0, 99), st.none()),
    st.tuples(st.just("retitle"), st.integers(0, 99), titles),
    st.tuples(st.just("move"), st.integers(0, 99), st.integers(0, len(SECTIONS) - 1)),
    st.tuples(st.just("addition"), st.integers(40, 45), titles),
    st.tuples(st.just("unlisted"), st.integers(50, 52), notes),
    st.tuples(st.just("day"), st.integers(0, 2), st.none()),  # (the day: 14 + the number)
)


class Setup:
    """A list file and a library in a folder, changed step by step."""

    def __init__(self, folder: Path, listed: list[Item]) -> None:
        self.folder = folder
        self.items = listed
        self.list_path = folder / "list.md"
        self.list_path.write_text(list_text(listed), encoding="utf-8")
        self.library = Library.open(folder / "library.json")
        self.day = DAY

    def rows(self) -> tuple[list[Row], list[Row], dict[str, Any]]:
        """(the rows of the list with the reader's sections, those and every unlisted key
        the library holds — the JSON backup's rows, the additions by key)."""
        workspace = Workspace(self.list_path, self.library.path)
        try:
            rows = workspace.rows()
            additions = {str(a.get("key")): a for a in workspace.library.additions()}
            return rows, backup_rows(rows, workspace.library, additions), additions
        finally:
            workspace.library.close()

    def keys(self) -> list[str]:
        rows, _, _ = self.rows()
        return list(dict.fromkeys(row.key for row in rows))

    def apply(self, change: tuple[str, int, Any]) -> None:
        kind, at, value = change
        if kind in ("insert", "delete", "retitle", "move"):
            self._edit_list(kind, at, value)
            return
        if kind == "day":
            self.day = date(2025, 3, 14 + at)
            return
        if kind == "addition":
            added = f"2025-01-{at - 30:02d}T00:00:00Z"
            record = {"key": f"2402.{at:05d}", "title": value, "authors": ["Ann Lee"]}
            self.library.put_addition({**record, "year": 2024, "added": added})
            return
        if kind == "unlisted":  # what the JSON backup keeps of keys the list lacks
            key = f"2499.{at:05d}"
            self.library.put_annotations([Annotation(key, Status.READ, ("x",), value)])
            self.library.put_metadata({key: {"arxiv_id": key, "title": f"Gone {at}"}})
            return
        keys = self.keys()
        if not keys:
            return
        key = keys[at % len(keys)]
        if kind == "status":
            self.library.set_status([key], value)
        elif kind == "tags":
            ann = self.library.annotation(key)
            self.library.put_annotations([dataclasses.replace(ann, tags=tuple(value))])
        elif kind == "note":
            self.library.set_note(key, value)
        elif kind == "dates":
            ann = self.library.annotation(key)
            self.library.put_annotations([dataclasses.replace(ann, created=value, read_at=None)])
        elif kind == "meta":
            self.library.put_metadata({key: {"arxiv_id": key, **value}})

    def _edit_list(self, kind: str, at: int, value: Any) -> None:
        if kind == "insert":
            self.items.insert(at % (len(self.items) + 1), value)
        elif self.items:
            index = at % len(self.items)
            if kind == "delete":
                if len(self.items) > 1:  # (a list without entries is refused)
                    del self.items[index]
            elif kind == "retitle":
                self.items[index] = dataclasses.replace(self.items[index], title=value)
            else:
                self.items[index] = dataclasses.replace(self.items[index], section=value)
        self.list_path.write_text(list_text(self.items), encoding="utf-8")


def exports_agree(setup: Setup, scope: str) -> int:
    """Export every format with the cache and without: the same text. The rows reused."""
    rows, backup, additions = setup.rows()
    reused = 0
    filtered = [row for row in rows if row.annotation.status is not Status.UNREAD]
    for fmt in FORMATS:
        options: list[tuple[list[Row], bool, str]] = [(rows, False, "all")]
        if fmt == "json":
            options = [(backup, False, "backup"), (rows, False, "filtered")]
        elif fmt == "csv":
            options.append((rows, True, "raw"))
        options.append((filtered, False, "not unread"))
        for chosen, raw, name in options:
            kwargs: dict[str, Any] = {
                "additions": additions, "today": setup.day, "now": NOW, "csv_raw": raw,
                "title": "Test list",
            }  # fmt: skip
            expected = export(chosen, fmt, **kwargs)
            got = export(chosen, fmt, cache_scope=f"{scope}\0{name}", **kwargs)
            assert got == expected, (fmt, name)
            # Into a file, the stored blocks copied as bytes (the CLI's and the TUI's way).
            out = setup.folder / "out"
            export_file(out, chosen, fmt, cache_scope=f"{scope}\0{name}", **kwargs)
            assert out.read_bytes() == expected.encode(), (fmt, name)
            assert export_cache.last.rows == (len(chosen) if fmt == "markdown" else
                                              len({row.key for row in chosen}))  # fmt: skip
            reused += export_cache.last.reused
    return reused


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    listed=st.lists(items, min_size=1, max_size=14),
    steps=st.lists(st.lists(changes, min_size=1, max_size=3), min_size=1, max_size=4),
    rewrite=st.booleans(),
)
def test_cached_exports_equal_uncached_after_random_changes(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    listed: list[Item],
    steps: list[list[tuple[str, int, Any]]],
    rewrite: bool,
) -> None:
    """Random statuses, tags, notes, dates, arXiv records, additions, annotations of keys
    the list lacks, list edits (insert, delete, retitle, move: keys listed twice, base keys
    that collide) and another day between exports: every format, with and without a
    filter, cached, is the uncached text. ``rewrite`` False: the cache file is only
    rewritten when most of it changed (as at 100,000 rows), so stale blocks stay in it."""
    monkeypatch.setattr(export_cache, "SMALL", 0 if not rewrite else 10_000)
    monkeypatch.setattr(export_cache, "REWRITE_SHARE", 1 if not rewrite else 32)
    folder = Path(os.path.realpath(tmp_path)) / f"case-{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    setup = Setup(folder, list(listed))
    try:
        exports_agree(setup, str(folder))
        for group in steps:
            for change in group:
                setup.apply(change)
            exports_agree(setup, str(folder))
        # Nothing changed since the last export: every row comes from the cache.
        assert exports_agree(setup, str(folder)) > 0 or not rewrite
    finally:
        setup.library.close()


def test_a_repeated_export_formats_only_what_changed(tmp_path: Path) -> None:
    """Unchanged: every row reused; one note changed: only its block is made again, and the
    text is the uncached one."""
    listed = [Item(f"{WORDS[i % 9]} {WORDS[(i * 4) % 9]}", ("Ann Lee",), 2023, i + 1, i % 3)
              for i in range(40)]  # fmt: skip
    setup = Setup(tmp_path, listed)
    try:
        for fmt in FORMATS:
            rows, _, additions = setup.rows()
            kwargs: dict[str, Any] = {"today": DAY, "now": NOW, "additions": additions}
            export(rows, fmt, cache_scope="s", **kwargs)
            assert export_cache.last.made == len(rows) and export_cache.last.written
            assert export(rows, fmt, cache_scope="s", **kwargs) == export(rows, fmt, **kwargs)
            assert export_cache.last.reused == len(rows) and not export_cache.last.written
        setup.library.set_note(setup.keys()[17], "A new note.")
        rows, _, additions = setup.rows()
        for fmt in FORMATS:
            kwargs = {"today": DAY, "now": NOW, "additions": additions}
            assert export(rows, fmt, cache_scope="s", **kwargs) == export(rows, fmt, **kwargs)
            assert 0 < export_cache.last.made <= export_cache.MAX_BLOCK
            assert export_cache.last.reused == len(rows) - export_cache.last.made
    finally:
        setup.library.close()


def test_bibtex_keys_stay_unique_when_a_base_key_changes(tmp_path: Path) -> None:
    """Ten papers with the same base key (lee2023direct, …a, …b): a title fetched from arXiv
    for the eighth moves the suffixes of the two after it — the cached BibTeX has the keys
    of the uncached one, and bibtexparser reads ten distinct keys."""
    listed = [Item("Direct Preference", ("Ann Lee",), 2023, i + 1, 0) for i in range(10)]
    setup = Setup(tmp_path, listed)
    try:
        rows, _, _ = setup.rows()
        first = export(rows, "bibtex", today=DAY, cache_scope="s")
        setup.library.put_metadata({rows[7].key: {"arxiv_id": rows[7].key, "title": "Other"}})
        rows, _, _ = setup.rows()
        cached = export(rows, "bibtex", today=DAY, cache_scope="s")
        assert export_cache.last.reused > 0
        assert cached == export(rows, "bibtex", today=DAY) != first
        keys = [entry.key for entry in bibtexparser.parse_string(cached).entries]
        assert len(set(keys)) == 10
        assert keys[6:] == ["lee2023directf", "lee2023other", "lee2023directg", "lee2023directh"]
    finally:
        setup.library.close()


def test_a_web_page_record_made_on_another_day_is_made_again(tmp_path: Path) -> None:
    """A blog post without a date of its own is cited as accessed today (urldate, Y2,
    accessed): its cached record is used on the day it was made only."""
    setup = Setup(tmp_path, [Item("Safe Reward", ("Ann Lee",), 2023, 0, 2)])
    try:
        rows, _, _ = setup.rows()
        for fmt in ("bibtex", "ris", "csl-json"):
            export(rows, fmt, today=DAY, cache_scope="s")
            later = date(2025, 4, 1)
            text = export(rows, fmt, today=later, cache_scope="s")
            assert text == export(rows, fmt, today=later) != export(rows, fmt, today=DAY)
            assert export_cache.last.made == 1
    finally:
        setup.library.close()


def test_fields_the_cache_leaves_out_change_no_export() -> None:
    """The entry fields the cache does not digest (``line``, ``extra``, ``description``) are
    read by no formatter: rows differing in them only export the same, in every format."""
    entry = Entry(
        key="2301.00001", title="Direct [x] Preference", url="https://arxiv.org/abs/2301.00001",
        section=("Papers",), line=3, arxiv_id="2301.00001", authors="Ann Lee, Bo Chen",
        year=2023, venue="NeurIPS 2023", details="Ann Lee, Bo Chen. NeurIPS 2023.",
        source="blog", links=(Link("code", "https://github.com/x/y"),),
        extra=("  - more",), description="What it does.",
    )  # fmt: skip
    other = dataclasses.replace(entry, line=99, extra=(), description="Else.")
    ann = Annotation(entry.key, Status.READ, ("dpo",), "A note.", NOW, NOW, NOW)
    meta = {"arxiv_id": entry.key, "title": "T", "authors": ["Ann Lee"], "abstract": "A."}
    for fmt in FORMATS:
        for record in (None, meta):
            assert export([Row(entry, ann, record)], fmt, today=DAY, now=NOW) == export(
                [Row(other, ann, record)], fmt, today=DAY, now=NOW
            )
    assert set(export_cache.UNREAD_ENTRY_FIELDS) <= {f.name for f in dataclasses.fields(Entry)}
    pattern = re.compile(r"\.(" + "|".join(export_cache.UNREAD_ENTRY_FIELDS) + r")\b")
    for name in FORMATTERS:
        source = (REPO / "src" / "rlhf_reader" / name).read_text(encoding="utf-8")
        assert not pattern.search(source), f"{name} reads a field the export cache leaves out"


# Cache files that cannot be used ----------------------------------------------------------


def cache_file(fmt: str, scope: str = "s") -> Path:
    return export_cache.cache_path(fmt, "", scope)


@pytest.fixture
def setup(tmp_path: Path) -> Any:
    listed = [Item(f"{WORDS[i % 9]} Models", AUTHORS[i % 6 : i % 6 + 2], 2023, i % 7, i % 3)
              for i in range(12)]  # fmt: skip
    made = Setup(tmp_path, listed)
    made.library.set_note(made.keys()[0], "# note\n- x")
    yield made
    made.library.close()


def damaged(data: bytes) -> list[bytes]:
    """Ways a cache file can be broken: truncated, a byte changed (in the middle, in the
    index, in the last block's separator), emptied, not ours, the head lying about the
    lengths."""

    def flipped(at: int) -> bytes:
        return data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]

    head, _, rest = data.partition(b"\n")
    magic, size, check, blob = head.split(b" ")
    return [
        data[: len(data) - 7],
        data[: len(data) // 2],
        flipped(len(data) // 2),
        flipped(len(head) + 3),
        flipped(len(data) - 1),
        b"",
        b"\n",
        b"not a cache file at all",
        b"%s %d %s %s\n" % (magic, int(size) + 1, check, blob) + rest,
        b"%s %s %s %d\n" % (magic, size, check, int(blob) - 1) + rest[:-1],
        b"rlhf-reader-export-cache x y z\n" + rest,
        data + b"more",
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_damaged_cache_file_is_ignored_and_rebuilt(setup: Setup, fmt: str) -> None:
    rows, backup, additions = setup.rows()
    chosen = backup if fmt == "json" else rows
    kwargs: dict[str, Any] = {"today": DAY, "now": NOW, "additions": additions}
    expected = export(chosen, fmt, **kwargs)
    assert export(chosen, fmt, cache_scope="s", **kwargs) == expected
    path = cache_file(fmt)
    good = path.read_bytes()
    out = setup.folder / "out"
    for bad in damaged(good):
        path.write_bytes(bad)
        assert export(chosen, fmt, cache_scope="s", **kwargs) == expected
        assert export_cache.last.reused == 0 and export_cache.last.written
        assert export(chosen, fmt, cache_scope="s", **kwargs) == expected  # rebuilt: used
        assert export_cache.last.made == 0
        # Written to a file: the blocks copied from the cache file, checked as they are.
        path.write_bytes(bad)
        export_file(out, chosen, fmt, cache_scope="s", **kwargs)
        assert out.read_bytes() == expected.encode()
        assert export_cache.last.reused == 0 and export_cache.last.written
        export_file(out, chosen, fmt, cache_scope="s", **kwargs)
        assert out.read_bytes() == expected.encode()
        assert export_cache.last.made == 0


def test_stored_blocks_read_without_preadv(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the system has no ``preadv`` (Windows): seek and read, the same bytes."""
    monkeypatch.setattr(export_cache, "_PREADV", False)
    rows, _, _ = setup.rows()
    out = setup.folder / "out.csv"
    for _ in range(2):
        export_file(out, rows, "csv", cache_scope="s")
        assert out.read_bytes() == export(rows, "csv").encode()
    assert export_cache.last.reused == export_cache.last.rows > 0


@pytest.mark.parametrize("fmt", ["bibtex", "markdown"])
def test_an_export_into_a_pipe_from_a_damaged_cache_gets_the_export_once(
    setup: Setup, fmt: str
) -> None:
    """A named pipe cannot take back what it was given: the stored blocks are read and
    checked before the first byte goes into it; a damaged cache file is found before,
    and the reader gets the export, once."""
    rows, _, _ = setup.rows()
    expected = export(rows, fmt, today=DAY).encode()
    export(rows, fmt, today=DAY, cache_scope="s")
    good = cache_file(fmt).read_bytes()
    pipe = setup.folder / "pipe"
    os.mkfifo(pipe)
    for data in (good, damaged(good)[2]):
        cache_file(fmt).write_bytes(data)
        got: list[bytes] = []
        reader = threading.Thread(target=lambda sink: sink.append(pipe.read_bytes()), args=(got,))
        reader.start()
        export_file(pipe, rows, fmt, today=DAY, cache_scope="s")
        reader.join(timeout=10)
        assert got == [expected]
        assert export_cache.last.reused == (export_cache.last.rows if data == good else 0)


def test_a_damaged_cache_leaves_the_exported_file_as_it_was_until_the_export_is_made(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stored blocks are copied into the temp file beside the export: when one turns
    out damaged, the temp file is dropped (the old export is never half replaced) and no
    temp file is left behind."""
    rows, _, _ = setup.rows()
    out = setup.folder / "out.ris"
    out.write_text("the old export\n")
    export(rows, "ris", today=DAY, cache_scope="s")
    cache_file("ris").write_bytes(damaged(cache_file("ris").read_bytes())[2])
    seen: list[bytes] = []
    real = fileio.write_atomic_with

    def watched(path: Path, fill: Any, **kwargs: Any) -> None:
        if Path(path) == out:
            seen.append(out.read_bytes())  # what a reader sees while it is written
        real(path, fill, **kwargs)

    monkeypatch.setattr(fileio, "write_atomic_with", watched)
    export_file(out, rows, "ris", today=DAY, cache_scope="s")
    assert seen == [b"the old export\n", b"the old export\n"]  # (the damaged try, the export)
    assert out.read_text(encoding="utf-8") == export(rows, "ris", today=DAY)
    assert sorted(p.name for p in setup.folder.iterdir() if p.name.startswith(".")) == []


def test_a_cache_file_of_other_code_or_another_scope_is_not_used(setup: Setup) -> None:
    """A file that checks out (its length and CRC are right) but was written by other code,
    for another format, or holds blocks that are not what this code writes: ignored."""
    rows, _, _ = setup.rows()
    expected = export(rows, "bibtex", today=DAY)
    export(rows, "bibtex", today=DAY, cache_scope="s")
    export(rows, "ris", today=DAY, cache_scope="s")
    good = cache_file("bibtex").read_bytes()
    cache_file("bibtex").write_bytes(cache_file("ris").read_bytes())  # another format's file
    assert export(rows, "bibtex", today=DAY, cache_scope="s") == expected
    assert export_cache.last.reused == 0

    def forged(change: Any) -> bytes:
        """The good file with its index changed, its lengths and CRC-32 made right."""
        head, _, rest = good.partition(b"\n")
        size = int(head.split(b" ")[1])
        version, bases, index = marshal.loads(rest[:size])
        packed = marshal.dumps(change(version, bases, index))
        blob = rest[size:]
        return b"rlhf-reader-export-cache %d %08x %d\n" % (
            len(packed), zlib.crc32(packed), len(blob)
        ) + packed + blob  # fmt: skip

    version = export_cache.code_version()
    first = next(iter(marshal.loads(good.partition(b"\n")[2][: int(good.split(b" ")[1])])[2]))
    for change in (
        lambda v, b, i: (v.replace(version[:2], "0:", 1), b, i),  # another FORMAT: other code
        lambda v, b, i: (v, b, {d: u[:3] for d, u in i.items()}),  # a plain format's blocks
        lambda v, b, i: (v, "0" + b, i),  # (only a shortcut: the keys are checked anyway)
        lambda v, b, i: (v, b, {**i, first: (10**6, *i[first][1:])}),  # beyond the blob
        lambda v, b, i: (v, b, {**i, first: (*i[first][:2], i[first][2] ^ 1, *i[first][3:])}),
        lambda v, b, i: [v, b, i],  # not the shape written
    ):
        cache_file("bibtex").write_bytes(forged(change))
        assert export(rows, "bibtex", today=DAY, cache_scope="s") == expected
        cache_file("bibtex").write_bytes(forged(change))
        out = export_file(setup.folder / "out.bib", rows, "bibtex", today=DAY, cache_scope="s")
        assert out.read_text(encoding="utf-8") == expected


def test_a_cache_folder_that_cannot_be_written(setup: Setup, isolated_home: Path) -> None:
    """The cache folder's place is taken by a file: every export still works, uncached."""
    export_cache.cache_dir().parent.mkdir(parents=True, exist_ok=True)
    export_cache.cache_dir().write_text("in the way")
    rows, _, _ = setup.rows()
    for fmt in FORMATS:
        for _ in range(2):
            assert export(rows, fmt, today=DAY, now=NOW, cache_scope="s") == export(
                rows, fmt, today=DAY, now=NOW
            )
            assert export_cache.last.reused == 0 and not export_cache.last.written


def test_a_cache_path_that_is_not_a_file(setup: Setup) -> None:
    """A folder or a named pipe where the cache file should be: not read (a pipe would
    block), not replaced; the export is made without it."""
    rows, _, _ = setup.rows()
    expected = export(rows, "csv", today=DAY)
    path = cache_file("csv")
    path.parent.mkdir(parents=True)
    path.mkdir()
    assert export(rows, "csv", today=DAY, cache_scope="s") == expected
    path.rmdir()
    os.mkfifo(path)
    assert export(rows, "csv", today=DAY, cache_scope="s") == expected


def test_the_cache_file_is_private_and_old_ones_are_pruned(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """0600 (it holds the reader's notes), in a 0700 folder; at most KEEP files."""
    monkeypatch.setattr(export_cache, "KEEP", 5)
    rows, _, _ = setup.rows()
    for n in range(export_cache.KEEP + 3):
        export(rows, "markdown", today=DAY, cache_scope=f"scope {n}")
    files = list(export_cache.cache_dir().glob("*.cache"))
    assert len(files) == export_cache.KEEP
    assert cache_file("markdown", f"scope {export_cache.KEEP + 2}") in files
    assert {f.stat().st_mode & 0o777 for f in files} == {0o600}
    assert export_cache.cache_dir().stat().st_mode & 0o777 == 0o700


# The CLI ----------------------------------------------------------------------------------


def test_cli_export_uses_the_cache_and_writes_the_uncached_bytes(
    setup: Setup,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``export`` of each format (and filtered, and CSV raw) twice, with an addition and
    annotations of keys the list lacks in the library: both files are those of an export
    with the cache switched off; the second reuses every row."""
    setup.apply(("addition", 41, "Safe Models"))
    setup.apply(("unlisted", 50, "gone but kept"))
    setup.apply(("meta", 3, {"title": "Fetched Title", "authors": ["Bo Chen"]}))
    setup.library.set_status(setup.keys()[:4], Status.READ)
    setup.apply(("tags", 2, ["x", "=cmd"]))
    db = setup.library.path
    base = ["--list", str(setup.list_path)]
    cached, rendered = export_cache.export, export_cache.render
    export_cache.last = export_cache.Stats()
    runs = [["--format", fmt] for fmt in FORMATS]
    runs += [["--format", "csv", "--csv-raw"], ["--format", "bibtex", "--status", "read"]]
    runs += [["--format", "json", "--tag", "x"]]
    for number, args in enumerate(runs):
        outputs = []
        for attempt in ("cold", "warm", "off"):
            if attempt == "off":  # what export() does when the cache cannot help
                monkeypatch.setattr(export_cache, "export", lambda *a, **k: None)
                monkeypatch.setattr(export_cache, "render", lambda *a, **k: None)
            out = tmp_path / f"out-{number}-{attempt}"
            code, _, err = run_cli(capsys, db, *base, "export", *args, "-o", str(out))
            assert code == 0, err
            text = out.read_bytes()
            if "json" in args:  # the clock
                text = re.sub(rb'"exported_at": "[^"]*"', b"", text)
            outputs.append(text)
            if attempt == "warm":
                assert export_cache.last.made == 0
                assert export_cache.last.reused == export_cache.last.rows > 0
        monkeypatch.setattr(export_cache, "export", cached)
        monkeypatch.setattr(export_cache, "render", rendered)
        assert outputs[0] == outputs[1] == outputs[2], args
