"""A JSON backup imported into a library whose bytes were never checked: the library is read
without its document checks while a child makes them (``Library.open(…, check_beside=True)``,
``parallel.begin``), and their verdict is asked for once the file is read. The outcome is the
one of an open that checks as it reads: the same refusals (at the verdict, and at every
write), the same output and library, the bytes recorded as checked only once they passed, and
their snapshot saved at the command's end unless a write replaced them. The size thresholds
are lowered so that small files are checked beside."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli

from rlhf_reader import parallel
from rlhf_reader.library import merge, snapshot, store
from rlhf_reader.library.store import Library, LibraryError, annotations_of
from rlhf_reader.model import Status

STAMP = "2026-01-01T00:00:00Z"


@pytest.fixture(autouse=True)
def beside(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every library checked beside (two cores at least), and snapshots for small ones."""
    monkeypatch.delenv(parallel.ENV, raising=False)
    monkeypatch.setattr(parallel, "_cores", lambda: 2)
    monkeypatch.setattr(store, "CHECK_BESIDE_BYTES", 0)
    monkeypatch.setattr(merge, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(snapshot, "MIN_BYTES", 0)


def annotation(key: str, status: str = "read", **fields: Any) -> dict[str, Any]:
    return {"key": key, "status": status, "tags": ["dpo"], "note": f"note {key}",
            "created": STAMP, "updated": STAMP, "read_at": None, **fields}  # fmt: skip


def write_library(path: Path, docs: list[dict[str, Any]], *, version: bool = True) -> None:
    """A library file as another program would write it (never checked here)."""
    meta = {"1": {"name": "schema_version", "value": 1}} if version else {}
    tables = {"annotations": {str(i): doc for i, doc in enumerate(docs, 1)}, "metadata": {},
              "additions": {}, "meta": meta}  # fmt: skip
    path.write_text(json.dumps(tables))


def export(path: Path, docs: list[dict[str, Any]]) -> Path:
    entries = [{"key": doc["key"], "title": doc["key"], "annotation": doc} for doc in docs]
    data = {"format": merge.JSON_FORMAT, "version": 1, "exported_at": STAMP, "entries": entries}
    path.write_text(json.dumps(data, indent=2))
    return path


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Each run of the document checks here (not in a child: its list is its own)."""
    seen: list[int] = []
    real = store._check_documents

    def counting(path: Path, tables: store.Tables) -> None:
        seen.append(1)
        real(path, tables)

    monkeypatch.setattr(store, "_check_documents", counting)
    return seen


def test_a_good_library_is_recorded_checked_once_the_child_says_so(
    db_path: Path, checks: list[int]
) -> None:
    write_library(db_path, [annotation("a"), annotation("b", "unread")])
    library = Library.open(db_path, check_beside=True)
    assert checks == []  # made by the child
    assert library.documents("annotations")["a"]["note"] == "note a"
    record = store._checked_record(db_path)
    assert record is not None and not record.exists()  # not before the verdict
    library.verify()
    assert record.read_text() == store.fingerprint(db_path.read_bytes())
    assert not snapshot.path_for(record).exists()  # left for the command's end
    library.settle()
    assert snapshot.path_for(record).exists()
    library.close()
    Library.open(db_path).annotation("a")  # read from the snapshot: no checks
    assert checks == []


def test_a_write_asks_for_the_verdict_first_and_saves_its_own_snapshot(db_path: Path) -> None:
    write_library(db_path, [annotation("a")])
    library = Library.open(db_path, check_beside=True)
    library.set_status(["a"], Status.UNREAD)  # the verdict asked for under the lock
    record = store._checked_record(db_path)
    assert record is not None
    assert record.read_text() == store.fingerprint(db_path.read_bytes())  # the written bytes
    library.settle()  # nothing owed: the write's snapshot is the current one
    assert Library.open(db_path).annotation("a").status is Status.UNREAD


@pytest.mark.parametrize(
    "edit",
    [
        lambda t: t["annotations"]["2"].update(status="done"),
        lambda t: t["annotations"]["1"].update(tags=["ok", 3]),
        lambda t: t["annotations"]["2"].update(read_at=5),
        lambda t: t["annotations"].update({"x": {"key": "c"}}),
        lambda t: t["annotations"].update({"3": ["not", "a", "document"]}),
        lambda t: t.update(additions=[]),
        lambda t: t["meta"]["1"].update(value="one"),
        lambda t: t["meta"].clear(),  # an older schema: migrated (and checked) at the open
    ],
)
def test_a_bad_library_is_refused_as_an_open_that_checks_refuses_it(
    db_path: Path, edit: Any
) -> None:
    write_library(db_path, [annotation("a"), annotation("b")])
    tables = json.loads(db_path.read_text())
    edit(tables)
    db_path.write_text(json.dumps(tables))
    before = db_path.read_bytes()
    try:
        Library.open(db_path).close()
        expected = None
    except LibraryError as exc:
        expected = str(exc)
    shutil.rmtree(store._checked_record(db_path).parent, ignore_errors=True)  # type: ignore[union-attr]
    db_path.write_bytes(before)
    try:
        library = Library.open(db_path, check_beside=True)
        library.verify()
        got = None
    except LibraryError as exc:
        got = str(exc)
    assert got == expected
    if expected is None:
        return
    if "library" in locals():
        for _ in range(2):  # refused again at every call, and nothing written
            with pytest.raises(LibraryError) as refused:
                library.set_status(["a"], Status.UNREAD)
            assert str(refused.value) == expected
        assert db_path.read_bytes() == before
        record = store._checked_record(db_path)
        assert record is not None and not record.exists()


def test_one_process_checks_at_the_open(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, checks: list[int]
) -> None:
    monkeypatch.setenv(parallel.ENV, "1")
    write_library(db_path, [annotation("a")])
    Library.open(db_path, check_beside=True)
    assert checks == [1]


def test_a_child_that_fails_leaves_the_checks_to_this_process(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_library(db_path, [annotation("a", "done")])
    real = store._problem

    def failing_in_the_child(path: Path, tables: store.Tables) -> str | None:
        if parallel._in_child:
            raise MemoryError
        return real(path, tables)

    monkeypatch.setattr(store, "_problem", failing_in_the_child)
    library = Library.open(db_path, check_beside=True)
    with pytest.raises(LibraryError, match="unknown status 'done'"):
        library.verify()


def test_begun_gives_the_childs_result_or_runs_the_job_here() -> None:
    begun = parallel.begin(lambda: ("in a child" if parallel._in_child else "here", [1, 2]))
    assert begun is not None
    assert begun.result() == ("in a child", [1, 2])

    def fails_there() -> str:
        if parallel._in_child:
            raise RuntimeError("lost")
        return "here"

    again = parallel.begin(fails_there)
    assert again is not None and again.result() == "here"
    stopped = parallel.begin(lambda: "never asked")
    assert stopped is not None
    stopped.close()
    assert stopped.child is None


# the import command ------------------------------------------------------------------------


def imports(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    db: Path,
    file: Path,
    *extra: str,
) -> tuple[tuple[int, str, str], bytes]:
    """``import FILE`` into a copy of ``db`` never checked (the same path each time, named
    in messages), checked beside and in one process (which checks at the open, as before):
    the same outcome, asserted; what it was."""
    work = db.with_name("work.json")
    record = store._checked_record(work)
    assert record is not None
    results = []
    for processes in ("2", "1"):
        monkeypatch.setenv(parallel.ENV, processes)
        shutil.copyfile(db, work)
        shutil.rmtree(record.parent, ignore_errors=True)
        results.append((run_cli(capsys, work, "import", *extra, str(file)), work.read_bytes()))
    assert results[0] == results[1]
    return results[0]


@pytest.mark.parametrize("extra", [(), ("--dry-run",)])
def test_an_import_into_a_library_never_checked_is_the_same(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    extra: tuple[str, ...],
) -> None:
    docs = [annotation(f"k{i}") for i in range(30)]
    db = tmp_path / "library.json"
    write_library(db, docs)
    changed = [*docs[:-1], annotation("k29", "unread", updated="2026-02-01T00:00:00Z")]
    (code, out, err), _ = imports(capsys, monkeypatch, db, export(tmp_path / "x.json", changed),
                                  *extra)  # fmt: skip
    assert code == 0 and "updated annotation k29: status" in out and err == ""


@pytest.mark.parametrize("valid_file", [True, False])
def test_an_import_into_a_bad_library_fails_as_before(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    valid_file: bool,
) -> None:
    """The library's checks fail in the child: the file is read without it — an entry equal
    to one of its documents is checked, not held as the library's — and a valid file's
    import stops where it opens the library to write, with the open's error."""
    docs = [annotation("a", updated="yesterday"), annotation("b", "done")]
    db = tmp_path / "library.json"
    write_library(db, docs)
    file = export(tmp_path / "x.json", [annotation("c")] if valid_file else docs[:1])
    (code, out, err), library = imports(capsys, monkeypatch, db, file)
    assert code != 0 and out == ""
    assert ("unknown status 'done'" in err) == valid_file, err
    assert ("expected an ISO 8601 time, found 'yesterday'" in err) == (not valid_file), err
    assert library == db.read_bytes()


def test_a_plan_after_a_write_reads_the_documents_again(db_path: Path) -> None:
    """The documents the file was compared with are used by the plan only while the library
    is what they were made of: a write of this process in between makes them again."""
    write_library(db_path, [annotation("a"), annotation("b")])
    library = Library.open(db_path)
    entries = [{"key": "a", "annotation": annotation("a", "unread", updated="2027-01-01T00:00Z")},
               {"key": "c", "annotation": annotation("c")}]  # fmt: skip
    data = merge.export_from_data({"format": merge.JSON_FORMAT, "version": 1, "entries": entries},
                                  "f.json", checked=True, library=library)  # fmt: skip
    library.put_annotations([store._annotation(annotation("c", "reading"))])
    report = merge.plan_for(data, library)
    fresh = merge.plan_for(
        merge.export_from_data({"format": merge.JSON_FORMAT, "version": 1, "entries": entries},
                               "f.json", checked=True, library=library),
        library,
    )  # fmt: skip
    assert report.changes == fresh.changes and report.annotations == fresh.annotations
    assert [c.kind for c in report.changes] == ["updated", "unchanged"]


def test_annotations_of_documents_are_the_librarys(db_path: Path) -> None:
    docs = [annotation("a"), annotation("b", tags=[]), annotation("a", "unread"),
            {"key": "d"}]  # fmt: skip
    write_library(db_path, docs)
    library = Library.open(db_path)
    keys = ["d", "a", "missing", "b", "a"]
    made = annotations_of(library.documents("annotations"), keys)
    assert made == library.annotations(keys)
    assert list(made) == list(library.annotations(keys))


def test_the_import_leaves_the_checks_to_the_child(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], checks: list[int]
) -> None:
    docs = [annotation(f"k{i}") for i in range(5)]
    db = tmp_path / "library.json"
    write_library(db, docs)
    code, out, _ = run_cli(capsys, db, "import", str(export(tmp_path / "x.json", docs)))
    assert code == 0 and out == "annotations: 5 unchanged\n"
    assert checks == []  # (made in the child)
    record = store._checked_record(db)
    assert record is not None and record.read_text() == store.fingerprint(db.read_bytes())
    assert snapshot.path_for(record).exists()  # saved at the end: nothing was written
