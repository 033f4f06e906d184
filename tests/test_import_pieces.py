"""A big JSON backup laid out as ``export --format json`` writes it is read against the
library entry by entry (``merge._entries_apart``): each entry parsed as it is compared, and
those equal to the library's documents kept as their bytes. Whatever the file — the app's
own export, ``json.dumps(indent=2)``'s, a compact one, one edited by hand into shapes that
look like the layout but are not, a broken one — the outcome is the one of reading it whole:
the same items, the same held entries (and their records), the same plan, the same error.
The size from which a file is read so is lowered to the tests' small files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import run_cli

from rlhf_reader import parallel
from rlhf_reader.library import merge
from rlhf_reader.library.store import Library
from rlhf_reader.model import Annotation, Status

STAMP = "2026-01-01T00:00:00Z"
LATER = "2026-06-01T00:00:00Z"


@pytest.fixture(autouse=True)
def small(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(merge, "PARALLEL_BYTES", 0)
    monkeypatch.setenv(parallel.ENV, "1")


def annotation(key: str, **fields: Any) -> dict[str, Any]:
    return {"key": key, "status": "read", "tags": ["dpo", "rm"], "note": f"note {key}",
            "created": STAMP, "updated": STAMP, "read_at": STAMP, **fields}  # fmt: skip


KEYS = [f"2401.{i:05d}" for i in range(1, 9)]


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    """A library holding an annotation for every key but the last, an arXiv record for one
    and an addition for another."""
    lib = Library.open(tmp_path / "library.json")
    lib.put_annotations(
        Annotation(
            key=k,
            status=Status.READ,
            tags=("dpo", "rm"),
            note=f"note {k}",
            created=STAMP,
            updated=STAMP,
            read_at=STAMP,
        )
        for k in KEYS[:-1]
    )
    yield lib


def entries(library: Library) -> list[dict[str, Any]]:
    """An export's entries: every key, most equal to the library's documents, one changed,
    one new."""
    docs = library.documents("annotations")
    out = []
    for key in KEYS:
        value = dict(docs[key]) if key in docs else annotation(key)
        if key == KEYS[2]:
            value = {**value, "status": "reading", "updated": LATER}
        out.append({"key": key, "title": f"Paper {key}", "authors": ["A B", "C D"],
                    "section": ["Papers"], "links": [], "annotation": value,
                    "metadata": None, "addition": None})  # fmt: skip
    return out


def document(items: list[Any]) -> dict[str, Any]:
    return {"format": merge.JSON_FORMAT, "version": 1, "exported_at": STAMP,
            "list": {"title": "A list"}, "entries": items}  # fmt: skip


def as_exported(data: Any) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_INDENT_2)


def outcome(raw: bytes, library: Library) -> Any:
    """What reading ``raw`` against ``library`` gives: the export's parts with every held
    entry's record (parsed again when held as bytes) and the plan, or the error."""
    try:
        data = merge.parse_export(raw, "backup.json", library)
    except merge.ImportFileError as exc:
        return ("error", str(exc))
    held = sorted((k, i, merge._record_of(r)) for k, (i, r) in data.held.items())
    report = merge.plan_for(data, library)
    plan = ([c.describe() for c in report.changes], report.annotations, report.summary())
    return (data.source, data.version, data.exported_at, data.items, held, plan)


def whole(raw: bytes, library: Library, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as m:
        m.setattr(merge, "_entries_apart", lambda raw: None)
        return outcome(raw, library)


def test_the_apps_own_export_is_read_in_pieces(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = as_exported(document(entries(library)))
    apart = merge._entries_apart(raw)
    assert apart is not None
    head, pieces = apart
    assert head == {**document([]), "entries": []}
    assert [orjson.loads(p) for p in pieces] == orjson.loads(raw)["entries"]
    data = merge.parse_export(raw, "backup.json", library)
    assert sorted(data.held) == sorted(set(KEYS[:-1]) - {KEYS[2]})
    assert all(type(r) is memoryview for _, r in data.held.values())  # kept as their bytes
    assert [item.key for item in data.items] == [KEYS[2], KEYS[-1]]
    assert outcome(raw, library) == whole(raw, library, monkeypatch)
    summary = outcome(raw, library)[-1][-1]
    assert summary == "annotations: 1 added, 1 updated, 6 unchanged"


def _edits(library: Library) -> list[tuple[str, bytes, bool]]:
    """Files in the export's layout and near it, and whether each is read in pieces: each
    must read as when read whole."""
    items = entries(library)
    own = as_exported(document(items))
    nested = [{**items[0], "annotation": {**items[0]["annotation"], "tags": ["x"]}}, *items[1:]]
    lookalike = {**items[0]["annotation"], "note": '\n    },\n    {\n  ]\n  "entries": [\n'}
    with_links = as_exported(document([{**items[0], "links": [{"x": 1}, {"y": 2}]}, *items[1:]]))
    # the links' objects moved to the entries' column: the layout's "between" inside an entry
    at_column = with_links.replace(b"\n        {", b"\n    {").replace(b"\n        }", b"\n    }")
    return [
        ("own", own, True),
        ("json.dumps indent 2", json.dumps(document(items), indent=2).encode(), True),
        ("compact", orjson.dumps(document(items)), False),
        ("indent 4", json.dumps(document(items), indent=4).encode(), False),
        ("one entry", as_exported(document(items[:1])), True),
        ("no entry", as_exported(document([])), False),
        ("entries first", as_exported({"entries": items, **document(items)}), True),
        (
            "a layout lookalike in a note",
            as_exported(document([{**items[0], "annotation": lookalike}, *items[1:]])),
            True,
        ),
        (
            "'entries' as a value",
            as_exported({**document(items), "list": {"title": "entries"}}),
            True,
        ),
        (
            "'entries' as a member of another object",
            as_exported({**document(items), "list": {"entries": []}}),
            False,
        ),
        ("a nested tag changed", as_exported(document(nested)), True),
        (
            "an entry that is not an object",
            as_exported(document([*items[:3], 7, *items[3:]])),
            False,
        ),
        ("a key twice", as_exported(document([*items, items[1]])), False),
        (
            "a bad status",
            as_exported(
                document(
                    [
                        *items[:4],
                        {**items[4], "annotation": {**items[4]["annotation"], "status": "done"}},
                        *items[5:],
                    ]
                )
            ),
            False,
        ),
        (
            "a long number",
            as_exported(
                document([*items[:2], {**items[2], "n": 12345678901234567890}, *items[3:]])
            ),
            False,
        ),
        ("a newer version", as_exported({**document(items), "version": 9}), False),
        ("not the format", as_exported({**document(items), "format": "other"}), False),
        ("a BOM", b"\xef\xbb\xbf" + own, False),
        ("cut short", own[: len(own) * 2 // 3], False),
        ("trailing text", own + b"\nmore", False),
        ("an entry cut open", own.replace(b"\n    },\n    {\n", b"\n    ,\n    {\n", 1), False),
        ("a brace short", own.replace(b"\n    },\n    {\n", b"\n    },\n\n", 1), False),
        (
            "two entries arrays",
            own.replace(b'\n  "list"', b'\n  "entries": [],\n  "list"', 1),
            False,
        ),
        ("a bad byte", own.replace(b"Paper", b"Pa\xffer", 1), False),
        (
            "a hand-indented member",
            own.replace(b'\n      "title"', b'\n    },\n    {\n  "x": 1,\n      "title"', 1),
            False,
        ),
        ("objects at the entries' column", at_column, False),
    ]


def test_every_shape_reads_as_when_read_whole(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, raw, in_pieces in _edits(library):
        assert outcome(raw, library) == whole(raw, library, monkeypatch), name
        read = merge._parse_in_pieces(raw, "backup.json", library)
        assert (read is not None) == in_pieces, name


# Files found by a review to read otherwise in pieces before the checks each one names.
_HEAD = b'{"format":"rlhf-reader-export","version":1,\n  "entries": [\n'
_ODD = [
    ("two entries in one long piece", _HEAD + b'{"key":"a"},{"key":"b"}' + b" " * 1977 + b"\n  ]}"),
    ("an entry and a number in one long piece", _HEAD + b'{"key":"a"},7' + b" " * 1987 + b"\n  ]}"),
    (
        "the array closed and opened in a long piece",
        _HEAD + b'{"key":"a"}],[' + b" " * 1986 + b"\n  ]}",
    ),
    ("an empty array closed and opened in a long piece", _HEAD + b"],[" + b" " * 1997 + b"\n  ]}"),
    ("'entries' again, spelt with an escape", _HEAD + b'{"key":"a"}\n  ],"entri\\u0065s":[]}'),
    (
        "'entries' spelt with an escape, the split one nested",
        b'{"format":"rlhf-reader-export","version":1,"entri\\u0065s":[],"x":{\n'
        b'  "entries": [\n{"key":"a"}\n  ]}}',
    ),
]


def test_files_a_review_found_read_as_when_read_whole(
    library: Library, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    empty = Library.open(tmp_path / "empty.json")
    for name, raw in _ODD:
        for lib in (empty, library):
            assert outcome(raw, lib) == whole(raw, lib, monkeypatch), name
            assert merge._parse_in_pieces(raw, "backup.json", lib) is None, name


def test_an_export_with_an_entry_per_line_is_read_whole(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entries one per line at the entries' column: no "between" of the layout, so the
    array is one piece of many values, which is read whole — every entry, not the first."""
    items = entries(library)
    more = [
        {**e, "key": k, "annotation": {**e["annotation"], "key": k}}
        for k, e in ((f"2402.{i:05d}", e) for i, e in enumerate(items * 6))
    ]
    lines = b",\n".join(b"    " + orjson.dumps(e) for e in [*items, *more])
    raw = b'{\n  "format": "rlhf-reader-export",\n  "version": 1,\n  "entries": [\n'
    raw += lines + b"\n  ]\n}"
    assert len(raw) > merge._DEEP_BYTES
    found = outcome(raw, library)
    assert found == whole(raw, library, monkeypatch)
    assert len(found[3]) + len(found[4]) == 7 * len(items)


def test_an_entry_nested_near_orjsons_limit_reads_as_when_read_whole(
    library: Library, monkeypatch: pytest.MonkeyPatch
) -> None:
    """orjson reads 1,023 levels: an entry two levels inside the file may nest 1,021 deep,
    not 1,022 (then the file is read whole, and refused as too deeply nested)."""

    def seen(raw: bytes) -> Any:  # (no ==, no repr of a value 1,000 levels deep)
        found = outcome(raw, library)
        if found[0] == "error":
            return found
        return [i.key for i in found[3]], [k for k, _, _ in found[4]], found[5][2]

    own = as_exported(document(entries(library)))
    for depth, accepted in ((1000, True), (1021, True), (1022, False), (1030, False)):
        deep = b"[" * depth + b"]" * depth
        raw = own.replace(b'"title": "Paper 2401.00002"', b'"title": ' + deep, 1)
        with monkeypatch.context() as m:
            m.setattr(merge, "_entries_apart", lambda raw: None)
            expected = seen(raw)
        assert seen(raw) == expected, depth
        assert (expected[0] != "error") == accepted, depth
        assert (merge._parse_in_pieces(raw, "backup.json", library) is not None) == accepted


def test_on_two_cores_as_on_one(library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(parallel.ENV)
    monkeypatch.setattr(parallel, "_cores", lambda: 2)
    assert parallel.processes() == 2
    for name, raw, _ in _edits(library):
        assert outcome(raw, library) == whole(raw, library, monkeypatch), name


def test_held_bytes_are_read_again_when_the_library_changed_meanwhile(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process's write between the reading and the plan: the entries held as bytes
    are parsed, checked and planned against the library as it is now."""
    raw = as_exported(document(entries(library)))
    data = merge.parse_export(raw, "backup.json", library)
    assert type(data.held[KEYS[0]][1]) is memoryview
    with monkeypatch.context() as m:
        m.setattr(merge, "_entries_apart", lambda raw: None)
        read_whole = merge.parse_export(raw, "backup.json", library)
    older = Annotation(key=KEYS[0], status=Status.UNREAD, tags=("dpo",), note="",
                       created=STAMP, updated="2025-01-01T00:00:00Z")  # fmt: skip
    Library.open(tmp_path / "library.json").put_annotations([older])
    library.refresh()
    report = merge.plan_for(data, library)
    expected = merge.plan_for(read_whole, library)
    described = sorted(c.describe() for c in report.changes)
    assert described == sorted(c.describe() for c in expected.changes)
    assert report.annotations == expected.annotations
    assert f"updated annotation {KEYS[0]}: status, read_at, note, tags" in described


def test_the_import_command_reads_a_backup_as_when_read_whole(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole command: a backup of the library, changed on another machine since (one
    paper newer there), imported into the library changed here since (another paper):
    the same output and library as when the file is read whole."""
    db = tmp_path / "library.json"
    keys = ["2404.09932", "2403.03419", "2310.19852"]
    assert run_cli(capsys, db, "mark", *keys, "read")[0] == 0
    backup = tmp_path / "backup.json"
    assert run_cli(capsys, db, "export", "--format", "json", "-o", str(backup))[0] == 0
    data = orjson.loads(backup.read_bytes())
    for entry in data["entries"]:
        if entry["key"] == keys[0]:
            entry["annotation"].update(status="reading", updated="2099-01-01T00:00:00Z",
                                       tags=["from-laptop"])  # fmt: skip
    backup.write_bytes(as_exported(data))
    assert merge._entries_apart(backup.read_bytes()) is not None
    assert run_cli(capsys, db, "tag", keys[1], "+later")[0] == 0
    runs = []
    for pieces in (True, False):
        work = tmp_path / f"work-{pieces}.json"
        work.write_bytes(db.read_bytes())
        with monkeypatch.context() as m:
            if not pieces:
                m.setattr(merge, "_entries_apart", lambda raw: None)
            runs.append((run_cli(capsys, work, "import", str(backup)), work.read_bytes()))
    assert runs[0] == runs[1]
    (code, out, err), _ = runs[0]
    assert (code, err) == (0, "")
    assert f"updated annotation {keys[0]}: status, tags" in out
    assert out.rstrip().endswith("annotations: 1 updated, 2 unchanged")
