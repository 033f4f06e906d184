"""The fast paths of ``import`` and ``sync`` give what the code they replaced gave.

- ``merge.export_from_data`` checks plain entries on a fast path (no messages built, no
  dataclass ``__init__``); the replaced checks (copied below) are the reference: the same
  items, or the same refusal, on hypothesis-made files of valid and invalid values.
- ``merge.plan_for`` compares an entry whose annotation is in the store's form with the
  library's document, without an Annotation of every key; the replaced ``plan_for`` and
  ``plan`` (copied below) are the reference, on libraries that also hold what only a
  hand-edited file has (tags not clean or twice, a missing field).
- ``sync`` skips building its own export when nothing it reads changed, and only then.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rlhf_reader.library import merge
from rlhf_reader.library.merge import (
    Change,
    ExportData,
    ImportFileError,
    ImportItem,
    MergeReport,
    _kind,
    _metadata,
    _normal_tag,
    _parse_time,
    _record,
    _time,
    export_from_data,
    merge_annotation,
    plan_for,
)
from rlhf_reader.library.store import Library, validate_note
from rlhf_reader.model import Annotation, Status

TESTS = Path(__file__).resolve().parent
BUNDLED = TESTS.parent / "src" / "rlhf_reader" / "data" / "awesome-rlhf.md"

# The replaced code, as it was (c392712) ------------------------------------------------------

_STATUSES = {status.value: status for status in Status}


def old_export_from_data(data: Any, source: str) -> ExportData:
    def fail(where: str, problem: str) -> ImportFileError:
        return ImportFileError(f"{source}: {where}: {problem}")

    entries = data["entries"]
    items = []
    seen: set[str] = set()
    for index, record in enumerate(entries):
        where = f"entries[{index}]"
        if not isinstance(record, dict):
            raise fail(where, f"expected an object, found {_kind(record)}")
        key = record.get("key")
        if not isinstance(key, str) or not key.strip():
            raise fail(f"{where}.key", f"expected a non-empty string, found {key!r}")
        if key in seen:
            raise fail(f"{where}.key", f"{key!r} appears twice")
        seen.add(key)
        items.append(
            ImportItem(
                key=key,
                annotation=old_annotation(
                    record.get("annotation"), key, f"{where}.annotation", fail
                ),
                metadata=_metadata(record.get("metadata"), key, f"{where}.metadata", fail),
                addition=_record(record.get("addition"), key, f"{where}.addition", fail),
            )
        )
    return ExportData(source, 1, data.get("exported_at", ""), tuple(items))


def old_annotation(value: object, key: str, where: str, fail: Any) -> Annotation | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise fail(where, f"expected an object or null, found {_kind(value)}")
    if value.get("key", key) != key:
        raise fail(f"{where}.key", f"{value.get('key')!r} does not match the entry key {key!r}")
    status = value.get("status", "unread")
    if not isinstance(status, str):
        raise fail(f"{where}.status", f"expected a string, found {_kind(status)}")
    parsed_status = _STATUSES.get(status)
    if parsed_status is None:
        try:
            parsed_status = Status.parse(status)
        except ValueError as exc:
            raise fail(f"{where}.status", str(exc)) from None
    tags = value.get("tags", [])
    if not isinstance(tags, list):
        raise fail(f"{where}.tags", f"expected a list, found {_kind(tags)}")
    clean_tags = []
    for i, tag in enumerate(tags):
        if not isinstance(tag, str):
            raise fail(f"{where}.tags[{i}]", f"expected a string, found {_kind(tag)}")
        try:
            clean_tags.append(_normal_tag(tag))
        except ValueError as exc:
            raise fail(f"{where}.tags[{i}]", str(exc)) from None
    note = value.get("note", "")
    if not isinstance(note, str):
        raise fail(f"{where}.note", f"expected a string, found {_kind(note)}")
    try:
        validate_note(note)
    except ValueError as exc:
        raise fail(f"{where}.note", str(exc)) from None
    stamps: dict[str, str] = {}
    for name in ("created", "updated", "read_at"):
        stamp = value.get(name)
        if stamp in (None, ""):
            stamps[name] = ""
            continue
        if not isinstance(stamp, str) or _parse_time(stamp) is None:
            raise fail(f"{where}.{name}", f"expected an ISO 8601 time, found {stamp!r}")
        stamps[name] = stamp
    return Annotation(
        key=key,
        status=parsed_status,
        tags=tuple(dict.fromkeys(clean_tags)),
        note=note,
        created=stamps["created"],
        updated=stamps["updated"],
        read_at=stamps["read_at"] or None,
    )


def old_plan(data, annotations, metadata, additions, *, keep_notes=False) -> MergeReport:
    report = MergeReport()
    for item in data.items:
        if item.annotation is not None:
            local = annotations.get(item.key)
            merged, fields = merge_annotation(local, item.annotation, keep_notes=keep_notes)
            if local is None:
                report.changes.append(Change(item.key, "annotation", "added"))
                report.annotations.append(merged)
            elif fields:
                report.changes.append(Change(item.key, "annotation", "updated", tuple(fields)))
                report.annotations.append(merged)
            else:
                report.changes.append(Change(item.key, "annotation", "unchanged"))
        if item.metadata is not None:
            have = metadata.get(item.key)
            if have is None:
                report.changes.append(Change(item.key, "metadata", "added"))
                report.metadata[item.key] = item.metadata
            elif _time(item.metadata.get("fetched_at")) > _time(have.get("fetched_at")):
                differ = tuple(
                    sorted(k for k in item.metadata if item.metadata.get(k) != have.get(k))
                )
                report.changes.append(Change(item.key, "metadata", "updated", differ))
                report.metadata[item.key] = item.metadata
            else:
                report.changes.append(Change(item.key, "metadata", "unchanged"))
        if item.addition is not None:
            if item.key in additions:
                report.changes.append(Change(item.key, "addition", "unchanged"))
            else:
                report.changes.append(Change(item.key, "addition", "added"))
                report.additions.append(item.addition)
    return report


def old_plan_for(data: ExportData, library: Library, *, keep_notes: bool = False) -> MergeReport:
    additions = {str(a.get("key")): a for a in library.additions()}
    return old_plan(
        data, library.annotations(), library.all_metadata(), additions, keep_notes=keep_notes
    )


# What files hold ----------------------------------------------------------------------

KEYS = ["2305.18290", "2402.01306", "a", "b", " ", ""]
STAMPS = [
    None, "", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "2026-01-01",
    "2026-01-01T01:00+01:00", "0001-01-01T00:00+01:00", "garbage", " 2026-01-03T00:00:00Z ",
    5, ["x"], True,
]  # fmt: skip
TAGS = ["dpo", "DPO", "rm", "a b", " x ", "-bad", "+bad", "", "a,b", "x" * 41, "t\x07", 3, None,
        ["x"], {"a": 1}]  # fmt: skip
STATUSES = ["read", "unread", "reading", " Read", "READING", "bogus", "", 1, None, ["read"]]
NOTES = ["", "a note", "x" * 300, 5, None, ["n"]]

plain_tags = st.lists(st.sampled_from(["dpo", "rm", "survey", "theory"]), max_size=3)
any_tags = st.one_of(plain_tags, st.lists(st.sampled_from(TAGS), max_size=3), st.just("dpo"))


@st.composite
def annotation_objects(draw: st.DrawFn, key: str) -> Any:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from([None, "x", 3, ["a"]]))
    plain = draw(st.booleans())
    value: dict[str, Any] = {
        "key": key if plain or draw(st.integers(0, 5)) else "other",
        "status": draw(st.sampled_from(["read", "unread", "reading"] if plain else STATUSES)),
        "tags": draw(plain_tags if plain else any_tags),
        "note": draw(st.sampled_from(["", "a note"] if plain else NOTES)),
        "created": draw(st.sampled_from(STAMPS[:4] if plain else STAMPS)),
        "updated": draw(st.sampled_from(STAMPS[:4] if plain else STAMPS)),
        "read_at": draw(st.sampled_from(STAMPS[:4] if plain else STAMPS)),
    }
    for name in draw(st.lists(st.sampled_from(sorted(value)), max_size=2, unique=True)):
        del value[name]
    return value


@st.composite
def records(draw: st.DrawFn, key: str | None = None) -> Any:
    if key is None:
        key = draw(st.sampled_from(KEYS))
    if draw(st.integers(0, 19)) == 0:
        return draw(st.sampled_from([None, "entry", 7, [key]]))
    record: dict[str, Any] = {"key": key, "title": "T"}
    if draw(st.integers(0, 19)) == 0:
        record["key"] = draw(st.sampled_from([None, 3, ["k"]]))
    record["annotation"] = draw(annotation_objects(key))
    record["metadata"] = draw(
        st.sampled_from(
            [None, {"title": "M", "fetched_at": "2026-01-01T00:00:00Z"},
             {"key": key, "authors": ["A"], "fetched_at": "2027-01-01T00:00:00Z"},
             {"authors": "A"}, {"title": ["x"]}, {"key": "other"}, "m"]
        )
    )  # fmt: skip
    record["addition"] = draw(
        st.sampled_from([None, {"title": "Added"}, {"key": "other"}, 4, {"key": key, "x": [1]}])
    )
    return record


def outcome(make: Any) -> Any:
    try:
        return make()
    except ImportFileError as exc:
        return ("refused", str(exc))


@settings(max_examples=400, deadline=None)
@given(st.lists(records(), max_size=6))
def test_checking_an_export_gives_what_the_replaced_checks_gave(entries: list[Any]) -> None:
    data = {"format": merge.JSON_FORMAT, "version": 1, "exported_at": "", "entries": entries}
    new = outcome(lambda: export_from_data(data, "f.json", checked=True))
    old = outcome(lambda: old_export_from_data(data, "f.json"))
    assert new == old
    if isinstance(new, ExportData):
        for item in new.items:  # real dataclasses, not the fast path's stand-ins
            assert type(item) is ImportItem
            assert item.annotation is None or type(item.annotation) is Annotation


# Planning against a library -------------------------------------------------------------

LIB_KEYS = ["k1", "k2", "k3", "k4", "k5"]


@st.composite
def stored_docs(draw: st.DrawFn) -> dict[str, dict[str, Any]]:
    """Library documents, some as only a hand edit makes them (tags not clean or twice)."""
    docs = {}
    for key in draw(st.lists(st.sampled_from(LIB_KEYS), unique=True)):
        doc: dict[str, Any] = {
            "key": key,
            "status": draw(st.sampled_from(["read", "unread", "reading"])),
            "tags": draw(
                st.one_of(plain_tags, st.lists(st.sampled_from(["dpo", "DPO", "a b"]), max_size=3))
            ),
            "note": draw(st.sampled_from(["", "a note", "other note"])),
            "created": draw(st.sampled_from(STAMPS[2:4])),
            "updated": draw(st.sampled_from(STAMPS[1:4])),
            "read_at": draw(st.sampled_from([None, "2026-01-02T00:00:00Z"])),
        }
        if draw(st.integers(0, 5)) == 0:
            del doc[draw(st.sampled_from(["note", "read_at", "tags"]))]
        docs[key] = doc
    return docs


@st.composite
def imports(draw: st.DrawFn, docs: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries that are mostly the library's documents, some changed, some new."""
    entries = []
    for key in draw(st.lists(st.sampled_from([*LIB_KEYS, "n1", "n2"]), unique=True)):
        record: dict[str, Any] = {"key": key}
        if key in docs and draw(st.integers(0, 2)):
            annotation = dict(docs[key])
            if draw(st.booleans()):
                name = draw(st.sampled_from(["status", "tags", "note", "updated", "read_at"]))
                annotation[name] = {
                    "status": "read", "tags": ["dpo", "new"], "note": "changed",
                    "updated": "2026-01-05T00:00:00Z", "read_at": None,
                }[name]  # fmt: skip
            record["annotation"] = annotation
        else:
            record["annotation"] = draw(st.one_of(st.none(), annotation_objects(key)))
        record["metadata"] = draw(
            st.sampled_from([None, {"title": "M", "fetched_at": "2026-01-01T00:00:00Z"},
                             {"title": "N", "fetched_at": "2028-01-01T00:00:00Z"}])
        )  # fmt: skip
        record["addition"] = draw(st.sampled_from([None, {"title": "Added"}]))
        entries.append(record)
    return entries


def library_with(path: Path, docs: dict[str, dict[str, Any]]) -> Library:
    """A library file holding exactly ``docs`` (written as the file, as a hand edit could)."""
    tables = {
        "annotations": {str(i): doc for i, doc in enumerate(docs.values(), 1)},
        "metadata": {"1": {"key": "k1", "title": "Old", "fetched_at": "2027-01-01T00:00:00Z"}},
        "additions": {"1": {"key": "k2", "title": "Mine"}},
        "meta": {"1": {"name": "schema_version", "value": 1}},
    }
    path.write_text(json.dumps(tables), encoding="utf-8")
    return Library.open(path)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_planning_gives_what_the_replaced_plan_gave(tmp_path: Path, data: st.DataObject) -> None:
    docs = data.draw(stored_docs())
    entries = data.draw(imports(docs))
    export = {"format": merge.JSON_FORMAT, "version": 1, "exported_at": "", "entries": entries}
    try:
        parsed = export_from_data(export, "f.json", checked=True)
    except ImportFileError:
        return  # refused before any plan (the same as before: see the test above)
    library = library_with(tmp_path / "library.json", docs)
    try:
        for keep_notes in (False, True):
            new = plan_for(parsed, library, keep_notes=keep_notes)
            old = old_plan_for(parsed, library, keep_notes=keep_notes)
            assert new.changes == old.changes
            assert all(type(change) is Change for change in new.changes)
            assert new.annotations == old.annotations
            assert new.metadata == old.metadata and new.additions == old.additions
            assert new.summary() == old.summary()
    finally:
        library.close()


def _clean(docs: dict[str, dict[str, Any]]) -> bool:
    """Every document as the store writes it (no hand edit): tags clean, each once."""
    try:
        return all(
            doc.get("tags", []) == list(dict.fromkeys(_normal_tag(t) for t in doc.get("tags", [])))
            for doc in docs.values()
        )
    except ValueError:
        return False


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_entries_held_as_the_library_holds_them_plan_as_before(
    tmp_path: Path, data: st.DataObject
) -> None:
    """Read against the library, the entries equal to its documents are held (no item made)
    and counted unchanged: the plan is the replaced one's, but for the order of its
    ``unchanged`` changes. A document only a hand edit makes (a tag in capitals, twice, with
    a space) equal in the file is left as it is, where the replaced code merged or refused
    it; the store's own documents give the same plan."""
    docs = data.draw(stored_docs())
    entries = data.draw(imports(docs))
    export = {"format": merge.JSON_FORMAT, "version": 1, "exported_at": "", "entries": entries}
    library = library_with(tmp_path / "library.json", docs)
    try:
        held = outcome(lambda: export_from_data(export, "f.json", checked=True, library=library))
        whole = outcome(lambda: export_from_data(export, "f.json", checked=True))
        if not _clean(docs):
            return
        assert isinstance(held, ExportData) == isinstance(whole, ExportData)
        if not isinstance(held, ExportData):
            assert held == whole
            return
        assert held.keys() == whole.keys() and held.size == whole.size
        for keep_notes in (False, True):
            new = plan_for(held, library, keep_notes=keep_notes)
            old = old_plan_for(whole, library, keep_notes=keep_notes)
            key = lambda c: (c.key, c.what)  # noqa: E731
            assert sorted(new.changes, key=key) == sorted(old.changes, key=key)
            assert all(type(change) is Change for change in new.changes)
            assert new.annotations == old.annotations
            assert new.metadata == old.metadata and new.additions == old.additions
            assert new.summary() == old.summary()
    finally:
        library.close()


def test_held_entries_are_checked_when_the_library_changed_before_the_plan(
    tmp_path: Path,
) -> None:
    """Another process wrote between reading the file and planning it (under the lock): the
    entries held are compared with the library as it is now; those no longer its documents
    are checked (a bad one refuses the file, naming it) and merged."""
    docs = {
        "k1": {"key": "k1", "status": "read", "tags": ["dpo"], "note": "",
               "created": STAMPS[2], "updated": STAMPS[2], "read_at": None},
        "k2": {"key": "k2", "status": "unread", "tags": ["DPO", "a,b"], "note": "",
               "created": STAMPS[2], "updated": STAMPS[2], "read_at": None},
    }  # fmt: skip
    entries = [{"key": k, "annotation": dict(d)} for k, d in docs.items()]
    export = {"format": merge.JSON_FORMAT, "version": 1, "exported_at": "", "entries": entries}
    path = tmp_path / "library.json"
    library = library_with(path, docs)
    try:
        data = export_from_data(export, "f.json", checked=True, library=library)
        assert set(data.held) == {"k1", "k2"} and not data.items
        assert plan_for(data, library).summary() == "annotations: 2 unchanged"
        other = Library.open(path)
        other.set_status(["k1"], Status.READING)  # newer than the file's
        other.close()
        library.refresh()
        report = plan_for(data, library)  # k1 merged (the library's is newer), k2 still held
        assert report.summary() == "annotations: 2 unchanged"
        assert library.annotation("k1").status is Status.READING
        other = Library.open(path)
        other.set_status(["k2"], Status.READ)
        other.close()
        library.refresh()
        with pytest.raises(ImportFileError, match=r"f.json: entries\[1\].annotation.tags\[1\]"):
            plan_for(data, library)
    finally:
        library.close()


# sync: the own file's check without its export -----------------------------------------


def test_sync_sees_an_unchanged_own_file_without_building_the_export(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rlhf_reader.library import sync as syncing

    listed, shared, db = tmp_path / "list.md", tmp_path / "shared", tmp_path / "a.json"
    shutil.copyfile(BUNDLED, listed)
    shared.mkdir()
    built: list[int] = []
    real = syncing.own_export
    monkeypatch.setattr(syncing, "own_export", lambda *a: built.append(1) or real(*a))
    own = shared / "rlhf-reader-a.sync.json"

    def sync() -> str:
        code, out, err = run_cli(capsys, db, "--list", str(listed), "sync", str(shared))
        assert (code, err) == (0, ""), err
        return out

    assert run_cli(capsys, db, "mark", "2305.18290", "read")[0] == 0
    assert "wrote" in run_cli(capsys, db, "--list", str(listed), "sync", "--machine", "a",
                              str(shared))[1]  # fmt: skip
    assert built == [1]
    written = own.read_bytes()
    assert "is up to date" in sync() and built == [1]  # from the record: nothing built
    assert "is up to date" in sync() and built == [1]
    assert own.read_bytes() == written

    # A change in the library: the export is built and the file written with it.
    assert run_cli(capsys, db, "mark", "2305.18290", "reading")[0] == 0
    assert "wrote" in sync() and len(built) == 2
    entry = next(e for e in json.loads(own.read_text())["entries"] if e["key"] == "2305.18290")
    assert entry["annotation"]["status"] == "reading"
    assert "is up to date" in sync() and len(built) == 2

    # A change in the list (a title): nothing to write, the file holds the library's
    # records only (every machine reads its own list).
    text = listed.read_text(encoding="utf-8")
    listed.write_text(text.replace("Direct Preference", "Direct Preference Revised", 1))
    assert "is up to date" in sync() and len(built) == 2
    assert own.read_bytes() != written and "title" not in entry

    # The own file changed by something else (an old copy put back): written again.
    own.write_bytes(written)
    assert "wrote" in sync() and len(built) == 3
    assert (
        json.loads(own.read_text())["sync"]["entries_sha256"]
        != json.loads(written)["sync"]["entries_sha256"]
    )

    # Any write of the library by another process (here a setting): the export is built
    # once, found the same, and recorded for the library as it is now.
    other = Library.open(db)
    other.set_meta("some_setting", 1)
    other.close()
    assert "is up to date" in sync() and len(built) == 4
    assert "is up to date" in sync() and len(built) == 4


def test_sync_without_a_record_builds_the_export_as_before(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rlhf_reader.library import sync as syncing

    listed, shared, db = tmp_path / "list.md", tmp_path / "shared", tmp_path / "a.json"
    shutil.copyfile(BUNDLED, listed)
    shared.mkdir()
    monkeypatch.setattr(syncing, "_record_path", lambda own: None)  # no cache folder
    args = ("--list", str(listed), "sync", "--machine", "a", str(shared))
    assert "wrote" in run_cli(capsys, db, *args)[1]
    assert "is up to date" in run_cli(capsys, db, *args)[1]
    assert run_cli(capsys, db, "mark", "2305.18290", "read")[0] == 0
    assert "wrote" in run_cli(capsys, db, *args)[1]
    # A record that is not one (garbage in the cache): ignored.
    monkeypatch.undo()
    record = syncing._record_path(shared / "rlhf-reader-a.sync.json")
    assert record is not None
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_bytes(b"\x00not json")
    assert "is up to date" in run_cli(capsys, db, *args)[1]
    assert run_cli(capsys, db, "mark", "2305.18290", "unread")[0] == 0
    assert "wrote" in run_cli(capsys, db, *args)[1]


def test_a_write_while_the_export_is_built_leaves_no_record(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process changed the library while the export was made: the record would pair
    the new library with an export that may lack the change, so none is made; the next
    sync makes the export again and writes the change."""
    from rlhf_reader.library import sync as syncing

    listed, shared, db = tmp_path / "list.md", tmp_path / "shared", tmp_path / "a.json"
    shutil.copyfile(BUNDLED, listed)
    shared.mkdir()
    real = syncing.own_export
    built: list[int] = []
    meanwhile: list[bool] = []

    def export_then_write(library: Any, *rest: Any) -> Any:
        export = real(library, *rest)
        built.append(1)
        if meanwhile and not meanwhile.pop():
            other = Library.open(db)  # (as another process would)
            other.set_status(["2402.01306"], Status.READING)
            other.close()
        return export

    monkeypatch.setattr(syncing, "own_export", export_then_write)
    args = ("--list", str(listed), "sync", "--machine", "a", str(shared))
    assert "wrote" in run_cli(capsys, db, *args)[1] and len(built) == 1
    assert run_cli(capsys, db, "mark", "2305.18290", "read")[0] == 0
    meanwhile.append(False)
    assert "wrote" in run_cli(capsys, db, *args)[1] and len(built) == 2  # (no record)
    own = json.loads((shared / "rlhf-reader-a.sync.json").read_text())
    assert "2402.01306" not in {e["key"] for e in own["entries"]}
    assert "wrote" in run_cli(capsys, db, *args)[1] and len(built) == 3  # built, recorded
    own = json.loads((shared / "rlhf-reader-a.sync.json").read_text())
    assert "2402.01306" in {e["key"] for e in own["entries"]}
    assert "is up to date" in run_cli(capsys, db, *args)[1] and len(built) == 3


def test_a_first_sync_made_before_a_write_of_another_process_is_made_again(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first sync makes its export before it saves the machine id; another process's
    write in between is read by that save, and the export is made again with it."""
    from rlhf_reader.library import sync as syncing

    listed, shared, db = tmp_path / "list.md", tmp_path / "shared", tmp_path / "a.json"
    shutil.copyfile(BUNDLED, listed)
    shared.mkdir()
    assert run_cli(capsys, db, "mark", "2305.18290", "read")[0] == 0
    real = syncing.own_export
    built: list[int] = []

    def export_then_write(library: Any, *rest: Any) -> Any:
        export = real(library, *rest)
        built.append(1)
        if len(built) == 1:
            other = Library.open(db)
            other.set_status(["2402.01306"], Status.READING)
            other.close()
        return export

    monkeypatch.setattr(syncing, "own_export", export_then_write)
    args = ("--list", str(listed), "sync", "--machine", "a", str(shared))
    assert "wrote" in run_cli(capsys, db, *args)[1] and len(built) == 2
    own = json.loads((shared / "rlhf-reader-a.sync.json").read_text())
    assert {"2305.18290", "2402.01306"} <= {e["key"] for e in own["entries"]}
    assert "is up to date" in run_cli(capsys, db, *args)[1] and len(built) == 2


def test_an_import_is_one_write_of_the_library(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Annotations, arXiv records and additions of a JSON export: written together (it was
    one write for each addition)."""
    from test_store_batch import counted_writes

    source, target = tmp_path / "source.json", tmp_path / "target.json"
    assert run_cli(capsys, source, "mark", "2305.18290", "read")[0] == 0
    for n in range(4):
        assert run_cli(capsys, source, "add", f"10.5555/x.{n}", "--title", f"Mine {n}")[0] == 0
    backup = tmp_path / "backup.json"
    assert run_cli(capsys, source, "export", "--format", "json", "-o", str(backup))[0] == 0
    assert run_cli(capsys, target, "mark", "2402.01306", "reading")[0] == 0
    writes = counted_writes(monkeypatch)
    code, out, err = run_cli(capsys, target, "import", str(backup))
    assert code == 0, err
    assert out.splitlines()[-1] == "annotations: 1 added; metadata: 4 added; additions: 4 added"
    assert [w for w in writes if w.name == "target.json"] == [target.resolve()]
    library = Library.open(target)
    assert len(library.additions()) == 4 and len(library.annotations()) == 2
    library.close()
