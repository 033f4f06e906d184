"""A BibTeX / CSL-JSON import does less work for the same result (ninth session): a plain
entry's authors, year, date and venue are made only when read (an addition), the plan looks
the arXiv id up first and makes no dict of every note, a plan without changes writes nothing,
the reader takes entries written a field a line whole. The output and the library written
are those of the replaced way: every entry through the general conversion, the token pass,
the plan as it was (``test_bib_convert.old_plan_import``)."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest
from conftest import TEST_DATA, run_cli
from test_bib_convert import old_plan_import

from rlhf_reader.library import bibfast, bibimport, import_cache
from rlhf_reader.library.bibimport import Reference, made

TESTS = Path(__file__).resolve().parent
_NOW_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def test_a_plain_entry_makes_its_other_fields_when_first_read() -> None:
    items = [
        ("title", "Direct Preference Optimization"),
        ("author", "Rafailov, Rafael and Sharma, Archit and others"),
        ("year", "2023"),
        ("journal", "Proc. NeurIPS"),
        ("eprint", "2305.18290"),
    ]
    row = bibimport._plain_bib_row("k", "misc", items)
    assert row is not None and row[-1] is not None  # the raw values kept, not made
    (ref,) = made([row])
    assert type(ref) is Reference and ref.arxiv_id == "2305.18290"
    with pytest.raises(AttributeError):  # the slot is not set yet
        object.__getattribute__(ref, "authors")
    assert ref.year == 2023  # one read makes all four
    assert object.__getattribute__(ref, "authors") == ("Rafael Rafailov", "Archit Sharma")
    assert ref.venue == "Proc. NeurIPS" and ref.date == "" and ref._rest is None
    assert ref == bibimport._bib_entry_reference("k", "misc", items)
    assert hash(ref) == hash(bibimport._bib_entry_reference("k", "misc", items))
    with pytest.raises(AttributeError):
        ref.no_such_field  # type: ignore[attr-defined]  # noqa: B018


def old_way(monkeypatch: pytest.MonkeyPatch) -> None:
    """The replaced way: every entry through the general path, the token pass alone, the old
    plan, never the import cache."""
    monkeypatch.setattr(bibimport, "_plain_bib_row", lambda *args: None)
    monkeypatch.setattr(bibfast, "LINES", False)
    monkeypatch.setattr(bibimport, "plan_import", old_plan_import)
    monkeypatch.setattr(import_cache, "load", lambda *args: None)


def import_both_ways(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    path: Path,
    *args: str,
    start: Path | None = None,
    list_path: Path | None = None,
) -> tuple[str, str, str]:
    """``[--list LIST] import PATH ARGS`` the new way and the old way, each into its own copy of the
    library ``start`` (or none): the same exit, output, warnings and library (timestamps
    aside); what the new way printed and wrote."""
    results = []
    for way in ("new", "old"):
        db = tmp_path / f"{way}.json"
        if start is not None:
            shutil.copyfile(start, db)
        with monkeypatch.context() as patch:
            if way == "old":
                old_way(patch)
            where = ["--list", str(list_path)] if list_path else []
            code, out, err = run_cli(capsys, db, *where, "import", str(path), *args)
        library = _NOW_RE.sub("NOW", db.read_text(encoding="utf-8")) if db.exists() else ""
        results.append((code, out, err, library))
    assert results[0] == results[1]
    return results[0][1], results[0][2], results[0][3]


@pytest.mark.parametrize(
    "path",
    sorted([*TESTS.rglob("*.bib"), *TESTS.rglob("*.csl.json")]),
    ids=lambda p: p.name,
)
def test_every_file_of_the_tests_imports_as_before(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, path: Path
) -> None:
    import_both_ways(capsys, monkeypatch, tmp_path, path, "--status-from-keywords")


def test_our_export_with_every_case_imports_as_before(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Our own export of a 300-entry list and library, then changed: a reference that matches
    nothing (an addition: its lazy fields written), two references for one entry (the notes
    follow each other), LaTeX in a title and a note (an annotation changed by what pylatexenc
    makes of it), a keyword that is no tag (a warning), a non-ASCII author."""
    sys.path.insert(0, str(TESTS.parent / "bench"))
    try:
        from scaledata import make
    finally:
        sys.path.pop(0)
    list_path, db = make(tmp_path / "scale", 300)
    out = tmp_path / "export.bib"
    code, _, err = run_cli(capsys, db, "--list", str(list_path), "export", "-o", str(out))
    assert code == 0, err
    entries = out.read_text(encoding="utf-8").split("\n@")
    entries[3] = entries[3].replace("\n}", "\n  annote = {Read with J{\\'e}r{\\'e}my \\& co},\n}")
    entries[5] = entries[5].replace("title = {", "title = {The \\emph{real} ", 1)
    entries[7] = entries[7].replace("author = {", "author = {Scheurer, Jérémy and ", 1)
    entries[9] = re.sub(r"\n  keywords = \{[^}]*\},", "", entries[9])
    entries[9] = entries[9].replace("\n}", "\n  keywords = {-bad, fresh, read},\n}")
    twice = entries[11].replace("{", "{again", 1).replace("\n}", "\n  annote = {Second},\n}")
    entries.insert(12, twice)
    entries.append(
        "misc{nobody,\n  title = {A Paper Nobody Lists},\n  author = {Doe, Jane and Roe, R.},\n"
        "  year = {2021},\n  date = {2021-03-04},\n  booktitle = {Proc. Things},\n"
        "  doi = {10.1234/nobody},\n  note = {see it},\n}\n"
    )
    changed = tmp_path / "changed.bib"
    changed.write_text("\n@".join(entries), encoding="utf-8")
    printed, warned, library = import_both_ways(
        capsys, monkeypatch, tmp_path, changed, "--status-from-keywords", start=db,
        list_path=list_path,
    )  # fmt: skip
    assert "add doi.org/10.1234/nobody: A Paper Nobody Lists (My additions; note)" in printed
    assert '"authors":["Jane Doe","R. Roe"],"year":2021,"venue":"Proc. Things"' in library
    assert '"published":"2021-03-04"' in library
    assert "Read with Jérémy & co" in library, printed
    assert "keyword '-bad' is not a valid tag" in warned
    assert "(again" in printed and "Second" in library
    assert "302 references: 301 matched (3 with changes), 1 added" in printed


def test_an_import_that_changes_nothing_writes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "db.json"
    bib = TEST_DATA / "import" / "zotero.bib"
    code, _, err = run_cli(capsys, db, "import", str(bib))
    assert code == 0, err
    before = os.stat(db)
    code, out, err = run_cli(capsys, db, "import", str(bib))
    assert code == 0, err and "0 with changes), 0 added" in out
    after = os.stat(db)
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == (
        before.st_ino,
        before.st_mtime_ns,
        before.st_size,
    )
