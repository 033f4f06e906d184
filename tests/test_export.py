"""Exports read by real consumers: catalog.parse, csv, citeproc-py, a RIS reader; atomic writes;
and ``rlhf-reader export`` end to end."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
import threading
from datetime import date
from pathlib import Path

import pytest
from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON
from conftest import run_cli as cli

from rlhf_reader.formats.export import (
    CSV_COLUMNS,
    FORMATS,
    JSON_FORMAT,
    ExportError,
    default_filename,
    export,
    write_atomic,
)
from rlhf_reader.library.records import Row, rows
from rlhf_reader.library.store import Library
from rlhf_reader.lists.catalog import load, parse
from rlhf_reader.model import Annotation, Catalog, Status
from rlhf_reader.tags import TagEdit
from rlhf_reader.textsafe import printable

TESTS = Path(__file__).resolve().parent
BUNDLED_LIST = TESTS.parent / "src/rlhf_reader/data/awesome-rlhf.md"
HOSTILE = TESTS / "data" / "hostile.md"
TODAY = date(2025, 3, 14)
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
NOTE = 'Read twice, "carefully", then:\n- compare with PPO, KTO\n\n# not a heading\n1. one & two'


def annotated(catalog: Catalog) -> dict[str, Annotation]:
    """Statuses, tags and tricky notes on a few entries of ``catalog``."""
    keys = list(dict.fromkeys(e.key for e in catalog.entries))
    return {
        keys[0]: Annotation(
            keys[0], Status.READ, ("survey", "safety"), NOTE, "2024-01-01T00:00:00Z",
            "2024-01-02T00:00:00Z", "2024-01-02T00:00:00Z",
        ),
        keys[1]: Annotation(keys[1], Status.READING, ("dpo",), "", "2024-01-03T00:00:00Z",
                            "2024-01-03T00:00:00Z"),
        keys[-1]: Annotation(keys[-1], Status.UNREAD, (), "x,y\r\n\"z\"", "2024-01-04T00:00:00Z",
                             "2024-01-04T00:00:00Z"),
    }  # fmt: skip


@pytest.fixture(scope="module")
def bundled() -> tuple[Catalog, list[Row]]:
    catalog = load(BUNDLED_LIST)
    return catalog, rows(catalog, annotated(catalog), {})


def entry_facts(catalog: Catalog) -> list[tuple[object, ...]]:
    return [(e.key, e.title, e.url, e.section, e.authors, e.venue, e.year) for e in catalog.entries]


# Markdown -------------------------------------------------------------------------------------


def test_markdown_reparses_to_the_same_sections_and_entries(bundled) -> None:
    catalog, all_rows = bundled
    text = export(all_rows, "markdown", title=catalog.title, today=TODAY)
    again = parse(text)
    assert again.title == catalog.title
    assert [s.path for s in again.walk()] == [s.path for s in catalog.walk()]
    assert entry_facts(again) == entry_facts(catalog)


def test_markdown_is_a_task_list_with_status_tags_and_quoted_notes(bundled) -> None:
    catalog, all_rows = bundled
    text = export(all_rows, "markdown", title=catalog.title, today=TODAY)
    lines = text.splitlines()
    first, second = catalog.entries[0], catalog.entries[1]
    assert f"- [x] [{first.title}]({first.url}) — `survey` `safety`" in lines
    assert f"- [ ] [{second.title}]({second.url}) — *reading* — `dpo`" in lines
    assert '  > Read twice, "carefully", then:' in lines
    assert "  > \\- compare with PPO, KTO" in lines  # no list item, no entry
    assert "  > \\# not a heading" in lines  # no heading, no section
    assert "  > 1\\. one & two" in lines
    assert lines[0] == f"# {catalog.title}"
    assert "1 of 95 read, 1 in progress" in text  # 100 listings, 95 papers
    assert text.count("- [ ] ") + text.count("- [x] ") == len(catalog.entries)


def test_markdown_of_a_filtered_selection_and_of_metadata(bundled) -> None:
    _, all_rows = bundled
    picked = [r for r in all_rows if r.entry.section[-1] in ("Talks", "Datasets")]
    again = parse(export(picked, "markdown", title="Mine"))
    assert [e.key for e in again.entries] == [r.key for r in picked]
    assert [s.path for s in again.walk() if s.entries] == [
        ("Papers", "Datasets"),
        ("Blogs/Talks/Reports", "Talks"),
    ]
    dpo = next(r for r in all_rows if r.key == "2305.18290")
    meta = {"authors": ["Rafael Rafailov", "Chelsea Finn"], "published": "2023-05-29T00:00:00Z"}
    with_meta = Row(dpo.entry, dpo.annotation, meta)
    (entry,) = parse(export([with_meta], "markdown")).entries
    assert entry.authors == "Rafael Rafailov, Chelsea Finn" and entry.year == dpo.entry.year


def test_markdown_of_the_hostile_list_has_no_raw_controls_and_reparses() -> None:
    catalog = load(HOSTILE)
    text = export(rows(catalog, {}, {}), "markdown", title=catalog.title)
    assert not RAW_CONTROL.search(text)
    again = parse(text)
    assert [e.key for e in again.entries] == [e.key for e in catalog.entries]
    # Control characters are shown as \\xNN text, by design; everything else is the same.
    visible = [tuple(printable(t) for t in s.path) for s in catalog.walk()]
    assert [s.path for s in again.walk()] == visible


# BibTeX ---------------------------------------------------------------------------------------


def test_bibtex_export_is_the_citation_module(bundled) -> None:
    import bibtexparser

    catalog, all_rows = bundled
    lib = bibtexparser.parse_string(export(all_rows, "bibtex"))
    assert lib.failed_blocks == []
    assert len(lib.entries) == len({e.key for e in catalog.entries})


# CSV ------------------------------------------------------------------------------------------


def test_csv_reads_back_to_the_same_values(bundled) -> None:
    _, all_rows = bundled
    text = export(all_rows, "csv")
    assert text.startswith(",".join(CSV_COLUMNS) + "\r\n")
    records = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(records) == len({row.key for row in all_rows}) == 95  # one row a paper
    first_listings: dict[str, Row] = {}
    for row in all_rows:
        first_listings.setdefault(row.key, row)
    papers = list(first_listings.values())
    for record, row in zip(records, papers, strict=True):
        assert record["key"] == row.key
        assert record["title"] == row.entry.title
        assert record["authors"].split("; ") == (row.authors or [""])
        assert record["year"] == str(row.year or "")
        assert record["url"] == row.entry.url
        assert record["arxiv_id"] == (row.entry.arxiv_id or "")
        assert record["section"] == row.entry.section_path
        assert record["status"] == row.annotation.status.value
        assert record["read_at"] == (row.annotation.read_at or "")
        assert record["tags"] == "; ".join(row.annotation.tags)
        assert record["note"] == row.annotation.note.replace("\r\n", "\n")
    assert records[0]["note"] == NOTE  # commas, quotes, newlines
    assert records[-1]["note"] == 'x,y\n"z"'


# RIS ------------------------------------------------------------------------------------------


def read_ris(text: str) -> list[dict[str, list[str]]]:
    """A strict RIS reader: ``TAG  - value`` lines, TY starts and ER ends each record."""
    records: list[dict[str, list[str]]] = []
    current: dict[str, list[str]] | None = None
    for line in text.splitlines():
        if not line.strip():
            continue
        match = re.fullmatch(r"([A-Z][A-Z0-9])  - (.*)", line)
        assert match, f"not a RIS line: {line!r}"
        tag, value = match.groups()
        if tag == "TY":
            assert current is None, "TY inside a record"
            current = {}
        assert current is not None, f"{tag} outside a record"
        current.setdefault(tag, []).append(value)
        if tag == "ER":
            records.append(current)
            current = None
    assert current is None, "last record has no ER"
    return records


def test_ris_has_one_record_per_entry(bundled) -> None:
    catalog, all_rows = bundled
    records = read_ris(export(all_rows, "ris", today=TODAY))
    distinct = list(dict.fromkeys(e.key for e in catalog.entries))
    assert len(records) == len(distinct)
    by_url = {r["UR"][0]: r for r in records}
    dpo = by_url["https://arxiv.org/abs/2305.18290"]
    assert dpo["TY"] == ["CONF"] and dpo["T2"] == ["NeurIPS"]  # the list says NeurIPS
    assert dpo["TI"] == [
        "Direct Preference Optimization: Your Language Model is Secretly a Reward Model"
    ]
    assert dpo["AU"][:2] == ["Rafailov, Rafael", "Sharma, Archit"]
    assert dpo["PY"] == ["2023"]
    assert dpo["ER"] == [""]
    for record in records:
        for tag in ("TY", "TI", "UR", "ER"):
            assert tag in record
    first = by_url[f"https://arxiv.org/abs/{catalog.entries[0].arxiv_id}"]
    assert first["KW"] == ["survey", "safety"]
    assert first["N1"] == [" ".join(NOTE.split())]
    assert by_url["https://huggingface.co/blog/rlhf"]["TY"] == ["ELEC"]
    assert by_url["https://github.com/OpenLLMAI/OpenRLHF"]["TY"] == ["COMP"]
    with_au = [r for r in records if "AU" in r and "PY" in r]
    assert len(with_au) > 80


# CSL-JSON -------------------------------------------------------------------------------------


def test_csl_json_renders_with_citeproc_py(bundled) -> None:
    catalog, all_rows = bundled
    items = json.loads(export(all_rows, "csl-json", today=TODAY))
    assert len(items) == len({e.key for e in catalog.entries})
    dpo = next(i for i in items if i.get("archive_location") == "arXiv:2305.18290")
    assert dpo["type"] == "paper-conference" and dpo["container-title"] == "NeurIPS"
    assert dpo["author"][0] == {"family": "Rafailov", "given": "Rafael"}
    assert dpo["issued"] == {"date-parts": [[2023]]}
    assert dpo["URL"] == "https://arxiv.org/abs/2305.18290"
    blog = next(i for i in items if i["URL"] == "https://huggingface.co/blog/rlhf")
    assert blog["type"] == "webpage" and blog["accessed"] == {"date-parts": [[2025, 3, 14]]}

    # citeproc-py does not know CSL 1.0.2's "software"; render those as webpages there.
    for item in items:
        if item["type"] == "software":
            item["type"] = "webpage"
    source = CiteProcJSON(items)
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, source, formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    rendered = [str(entry) for entry in bibliography.bibliography()]
    assert len(rendered) == len(items)
    text = "\n".join(rendered)
    assert "Rafailov, R." in text
    assert "Direct Preference Optimization" in text
    assert "(2023)" in text
    assert "huggingface.co/blog/rlhf" in text


def test_csl_json_names_dates_and_doi() -> None:
    catalog = load(BUNDLED_LIST)
    dpo = next(r for r in rows(catalog, {}, {}) if r.key == "2305.18290")
    meta = {
        "authors": ["Leandro von Werra", "OpenAI"],
        "published": "2023-05-29T17:57:46Z",
        "doi": "10.1/x",
        "title": "T",
    }
    (item,) = json.loads(export([Row(dpo.entry, dpo.annotation, meta)], "csl-json"))
    assert item["author"] == [{"family": "von Werra", "given": "Leandro"}, {"literal": "OpenAI"}]
    assert item["issued"] == {"date-parts": [[2023, 5, 29]]}
    assert item["DOI"] == "10.1/x" and item["archive_location"] == "arXiv:2305.18290"


# JSON -----------------------------------------------------------------------------------------


def test_json_backup_keeps_everything_exactly() -> None:
    catalog = load(HOSTILE)
    first = catalog.entries[0]
    note = "esc \x1b[2J bel \x07 csi \x9b ok"
    anns = {first.key: Annotation(first.key, Status.READ, ("x",), note, "2024-01-01T00:00:00Z",
                                  "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z")}  # fmt: skip
    meta = {first.key: {"key": first.key, "title": "T\x1b", "fetched_at": "2024-01-01T00:00:00Z"}}
    text = export(
        rows(catalog, anns, meta), "json", title=catalog.title, now="2025-01-01T00:00:00Z"
    )
    assert not RAW_CONTROL.search(text)
    data = json.loads(text)
    assert data["format"] == JSON_FORMAT and data["version"] == 1
    assert data["exported_at"] == "2025-01-01T00:00:00Z"
    assert len(data["entries"]) == len({e.key for e in catalog.entries})
    one = data["entries"][0]
    assert one["annotation"]["note"] == note
    assert one["metadata"]["title"] == "T\x1b"
    assert one["title"] == first.title and one["section"] == list(first.section)
    assert all(e["annotation"] is None for e in data["entries"][1:])


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "json"])
def test_no_raw_control_characters_in_files(fmt: str) -> None:
    catalog = load(HOSTILE)
    first = catalog.entries[0]
    anns = {first.key: Annotation(first.key, Status.READ, ("x",), "n\x1b[31m\x07\x9b")}
    text = export(rows(catalog, anns, {}), fmt, title=catalog.title)
    assert not RAW_CONTROL.search(text.replace("\r\n", "\n"))


def test_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown export format 'docx'"):
        export([], "docx")
    assert default_filename("csl-json") == "reading-list.csl.json"


# writing --------------------------------------------------------------------------------------


def test_write_atomic_replaces_and_keeps_mode(tmp_path: Path) -> None:
    path = tmp_path / "out.bib"
    write_atomic(path, "one\n")
    assert path.read_text() == "one\n"
    os.chmod(path, 0o640)
    write_atomic(path, "two ünï\n")
    assert path.read_text(encoding="utf-8") == "two ünï\n"
    assert path.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bib"]  # no temp file left


def test_write_atomic_errors_name_the_path(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="does not exist"):
        write_atomic(tmp_path / "missing" / "out.md", "x")
    with pytest.raises(ExportError, match="is a folder"):
        write_atomic(tmp_path, "x")
    blocker = tmp_path / "file"
    blocker.write_text("keep")
    with pytest.raises(ExportError, match="file"):
        write_atomic(blocker / "out.md", "x")
    assert blocker.read_text() == "keep"


# the CLI --------------------------------------------------------------------------------------


def test_cli_export_filters_and_files(capsys, tmp_path: Path) -> None:
    db = tmp_path / "library.json"
    library = Library.open(db)
    library.set_status(["2305.18290"], Status.READ)
    library.change_tags(["2402.01306"], TagEdit.of(add=["kto"]))
    library.close()

    code, out, err = cli(capsys, db, "export", "--format", "csv", "--status", "read")
    assert code == 0 and err == ""
    records = list(csv.DictReader(io.StringIO(out)))
    assert [r["key"] for r in records] == ["2305.18290"]

    target = tmp_path / "refs.bib"
    code, out, err = cli(capsys, db, "export", "--tag", "kto", "-o", str(target))
    assert code == 0, err
    assert out == f"wrote 1 entry (bibtex) to {target}\n"
    assert target.read_text(encoding="utf-8").startswith("@misc{ethayarajh2024kto,")

    code, out, _ = cli(capsys, db, "export", "-o", str(tmp_path / "all.csl.json"))
    assert "(csl-json)" in out
    code, out, _ = cli(capsys, db, "export", "--section", "datasets")
    assert out.startswith("# awesome-rlhf\n") and out.count("- [ ] ") == 2

    code, out, err = cli(capsys, db, "export", "-o", str(tmp_path / "nope" / "x.md"))
    assert code == 1 and out == ""
    assert err.startswith("rlhf-reader: error: ") and "nope" in err and "does not exist" in err

    code, _, err = cli(capsys, db, "export", "--format", "docx")
    assert code == 2 and "invalid choice" in err


def test_cli_export_to_terminal_is_safe(capsys, tmp_path: Path) -> None:
    for fmt in ("markdown", "bibtex", "csv", "ris", "csl-json", "json"):
        code, out, _ = cli(capsys, tmp_path / "l.json", "--list", str(HOSTILE), "export", "-f", fmt)
        assert code == 0
        assert not RAW_CONTROL.search(out.replace("\r\n", "\n")), fmt


def test_markdown_survives_notes_and_details_that_look_like_structure() -> None:
    source = (
        "# My list\n\n## Part\n\n"
        "- [ICLR] [Tagged paper](https://example.org/tagged)\n"
        "  - \\# Not a heading, A Person. Venue, 2020.\n"
        "- [No details](https://example.org/bare)\n"
        "- [Last](https://example.org/last)\n"
        "  - Ann Author, 2021.\n"
    )
    catalog = parse(source)
    keys = [e.key for e in catalog.entries]
    note = "plain\n*\n1.\ntitle\n===\nsub\n---\n+ plus\n  # indented\n<!-- comment\n[x]: http://a.b"
    anns = {k: Annotation(k, Status.READ, ("t",), note) for k in keys}
    text = export(rows(catalog, anns, {}), "markdown", title=catalog.title)
    again = parse(text)
    assert [s.path for s in again.walk()] == [("Part",)]
    assert entry_facts(again) == entry_facts(catalog)
    assert "- [x] [Tagged paper](https://example.org/tagged) — source: ICLR — `t`" in text
    assert "  - \\# Not a heading, A Person. Venue, 2020." in text


def test_write_export_for_the_tui(tmp_path: Path) -> None:
    from rlhf_reader.formats.export import write_export

    catalog = load(BUNDLED_LIST)
    path, count = write_export(tmp_path / "out.ris", rows(catalog, {}, {}), "ris")
    assert path == (tmp_path / "out.ris").resolve()
    assert count == len({e.key for e in catalog.entries})
    assert len(read_ris(path.read_text(encoding="utf-8"))) == count


def test_the_tuis_export_keeps_its_texts_in_the_export_cache(tmp_path: Path) -> None:
    from rlhf_reader.formats import export_cache
    from rlhf_reader.formats.export import write_export

    catalog = load(BUNDLED_LIST)
    made = rows(catalog, {}, {})
    for fmt in ("bibtex", "markdown"):
        first, _ = write_export(tmp_path / f"a.{fmt}", made, fmt, cache="tui-scope")
        assert list(export_cache.cache_dir().iterdir())  # the conftest's cache folder
        again, _ = write_export(tmp_path / f"b.{fmt}", made, fmt, cache="tui-scope")
        assert export_cache.last.reused == export_cache.last.rows > 0  # copied from it
        plain, _ = write_export(tmp_path / f"c.{fmt}", made, fmt)
        assert first.read_bytes() == again.read_bytes() == plain.read_bytes()


def test_write_atomic_writes_through_a_symlink_and_into_a_pipe(tmp_path: Path) -> None:
    # The link stays a link (like the library); a FIFO or device is written into, never
    # replaced by a regular file (``-o /dev/null`` as root once replaced the device).
    real = tmp_path / "real.md"
    real.write_text("old")
    link = tmp_path / "link.md"
    link.symlink_to(real)
    assert write_atomic(link, "new\n") == link
    assert link.is_symlink() and real.read_text() == "new\n"
    dangling = tmp_path / "dangling.md"
    dangling.symlink_to(tmp_path / "target.md")
    write_atomic(dangling, "made\n")
    assert dangling.is_symlink() and (tmp_path / "target.md").read_text() == "made\n"

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    write_atomic(fifo, "through the pipe\n")
    reader.join()
    assert received == [b"through the pipe\n"]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    with pytest.raises(ExportError, match="is not a folder"):
        write_atomic(real / "out.md", "x")


def test_cli_export_to_a_file_name_that_is_not_utf8(capsys, tmp_path: Path) -> None:
    # argv bytes that are not UTF-8 arrive as lone surrogates; a strict UTF-8 stdout
    # (LANG=en_US.UTF-8) cannot print them, so the message shows the byte as \xe9.
    name = os.fsdecode(os.fsencode(str(tmp_path)) + b"/caf\xe9.md")
    code, out, err = cli(capsys, tmp_path / "l.json", "export", "-o", name)
    assert code == 0, err
    assert out.endswith("caf\\xe9.md\n")
    out.encode("utf-8")  # strict: no surrogate left
    assert (tmp_path / "caf\udce9.md").read_text(encoding="utf-8").startswith("# awesome-rlhf")


def test_cli_export_never_replaces_the_library(capsys, tmp_path: Path) -> None:
    db = tmp_path / "library.json"
    Library.open(db).set_status(["2305.18290"], Status.READ)
    before = db.read_bytes()
    link = tmp_path / "link.json"
    link.symlink_to(db)
    for target in (db, link, tmp_path / "library.json.bak"):
        code, out, err = cli(capsys, db, "export", "-f", "json", "-o", str(target))
        assert (code, out) == (1, ""), target
        assert "is the library file or its backup" in err
    assert db.read_bytes() == before


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("x.csv", "csv"),
        ("dir.v2/X.BIB", "bibtex"),
        ("a.md", "markdown"),
        ("a.markdown", "markdown"),
        ("a.ris", "ris"),
        ("a.json", "json"),
        ("a.csl.json", "csl-json"),
        ("a.txt", None),
        ("README", None),
    ],
)
def test_the_format_a_file_name_means(name: str, fmt: str | None) -> None:
    from rlhf_reader.formats.export import format_for_name

    assert format_for_name(name) == fmt
