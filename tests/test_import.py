"""``rlhf-reader import``: JSON export → merge into real library files; refusals leave it alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli as cli

from rlhf_reader.library.merge import ImportFileError, merge_annotation, parse_export, plan
from rlhf_reader.library.store import Library
from rlhf_reader.model import Annotation, Status
from rlhf_reader.tags import TagEdit

DPO, KTO, BLOG = "2305.18290", "2402.01306", "huggingface.co/blog/rlhf"


def annotate(db: Path) -> None:
    library = Library.open(db)
    library.set_status([DPO], Status.READ)
    library.set_status([KTO], Status.READING)
    library.change_tags([DPO], TagEdit.of(add=["dpo", "core"]))
    library.set_note(DPO, 'Key idea, "closed form"\nsecond line \x1b[31m')
    library.set_note(BLOG, "intro")
    library.put_metadata(
        {
            DPO: {
                "key": DPO,
                "title": "DPO",
                "authors": ["R R"],
                "fetched_at": "2024-05-01T00:00:00Z",
            }
        }
    )
    library.put_addition(
        {
            "key": "2501.00001",
            "arxiv_id": "2501.00001",
            "title": "Mine",
            "authors": [],
            "year": 2025,
        }
    )
    library.close()


def export_json(capsys, db: Path, path: Path) -> dict:
    code, _, err = cli(capsys, db, "export", "--format", "json", "-o", str(path))
    assert code == 0, err
    return json.loads(path.read_text(encoding="utf-8"))


def annotations_of(data: dict) -> dict[str, dict]:
    return {e["key"]: e["annotation"] for e in data["entries"] if e["annotation"]}


def test_export_import_export_round_trip(capsys, tmp_path: Path) -> None:
    source, target = tmp_path / "a.json", tmp_path / "b.json"
    annotate(source)
    first = export_json(capsys, source, tmp_path / "one.json")
    assert set(annotations_of(first)) == {DPO, KTO, BLOG}

    code, out, err = cli(capsys, target, "import", str(tmp_path / "one.json"))
    assert code == 0, err
    assert f"added annotation {DPO}" in out
    assert "annotations: 3 added" in out.splitlines()[-1]
    second = export_json(capsys, target, tmp_path / "two.json")
    assert annotations_of(second) == annotations_of(first)
    meta = {e["key"]: e["metadata"] for e in second["entries"] if e["metadata"]}
    assert meta[DPO]["fetched_at"] == "2024-05-01T00:00:00Z"
    library = Library.open(target)
    assert [a["key"] for a in library.additions()] == ["2501.00001"]
    assert library.annotation(DPO).note.endswith("\x1b[31m")  # kept exactly
    library.close()

    # A second import changes nothing.
    code, out, _ = cli(capsys, target, "import", str(tmp_path / "one.json"))
    assert code == 0
    assert out.splitlines() == [
        "annotations: 3 unchanged; metadata: 1 unchanged; additions: 1 unchanged"
    ]


def test_newer_updated_wins_tags_merge_nothing_deleted(capsys, tmp_path: Path) -> None:
    db = tmp_path / "lib.json"
    library = Library.open(db)
    library.put_annotations(
        [
            Annotation(DPO, Status.READING, ("mine",), "local note", "2024-01-01T00:00:00Z",
                       "2024-03-01T00:00:00Z"),
            Annotation(KTO, Status.READ, ("local",), "newer local", "2024-01-01T00:00:00Z",
                       "2024-06-01T00:00:00Z", "2024-06-01T00:00:00Z"),
            Annotation("only.local/x", Status.READ, (), "", "2024-01-01T00:00:00Z",
                       "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z"),
        ]
    )  # fmt: skip
    library.close()
    incoming = {
        "format": "rlhf-reader-export",
        "version": 1,
        "entries": [
            {"key": DPO, "annotation": {"key": DPO, "status": "read", "tags": ["theirs", "mine"],
             "note": "their note", "created": "2023-12-01T00:00:00Z",
             "updated": "2024-04-01T00:00:00Z", "read_at": "2024-04-01T00:00:00Z"}},
            {"key": KTO, "annotation": {"key": KTO, "status": "unread", "tags": ["old"],
             "note": "older", "created": "2024-01-01T00:00:00Z",
             "updated": "2024-02-01T00:00:00Z", "read_at": None}},
        ],
    }  # fmt: skip
    path = tmp_path / "in.json"
    path.write_text(json.dumps(incoming), encoding="utf-8")

    code, out, err = cli(capsys, db, "import", str(path))
    assert code == 0, err
    assert f"updated annotation {DPO}: status, read_at, note, tags" in out
    assert f"updated annotation {KTO}: tags" in out

    library = Library.open(db)
    dpo, kto = library.annotation(DPO), library.annotation(KTO)
    assert (dpo.status, dpo.note, dpo.read_at) == (
        Status.READ,
        "their note",
        "2024-04-01T00:00:00Z",
    )
    assert dpo.tags == ("mine", "theirs")
    assert dpo.created == "2023-12-01T00:00:00Z" and dpo.updated == "2024-04-01T00:00:00Z"
    assert (kto.status, kto.note, kto.tags) == (Status.READ, "newer local", ("local", "old"))
    assert kto.updated == "2024-06-01T00:00:00Z"
    assert library.annotation("only.local/x").status is Status.READ  # nothing deleted
    library.close()


def test_dry_run_writes_nothing(capsys, tmp_path: Path) -> None:
    source = tmp_path / "a.json"
    annotate(source)
    export_json(capsys, source, tmp_path / "e.json")

    missing = tmp_path / "new" / "lib.json"
    code, out, err = cli(capsys, missing, "import", "--dry-run", str(tmp_path / "e.json"))
    assert code == 0, err
    assert f"would be added annotation {DPO}" in out
    assert out.rstrip().endswith("(dry run: nothing written)")
    assert not missing.exists() and not missing.parent.exists()

    existing = tmp_path / "b.json"
    Library.open(existing).close()
    before = existing.read_bytes()
    names = sorted(p.name for p in tmp_path.iterdir())
    code, out, _ = cli(capsys, existing, "import", "-n", str(tmp_path / "e.json"))
    assert code == 0 and "annotations: 3 added" in out
    assert existing.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == names


BAD_FILES = {
    "not-json.json": (b"{not json", "not JSON"),
    "not-utf8.json": (b'{"format": "\xff"}', "not UTF-8"),
    "list.json": (b"[]", "expected a JSON object"),
    "marker.json": (b'{"format": "zotero", "version": 1, "entries": []}', "format: expected"),
    "version.json": (b'{"format": "rlhf-reader-export", "version": 99, "entries": []}', "newer"),
    "shape.json": (b'{"format": "rlhf-reader-export", "version": 1, "entries": {}}', "entries"),
    "status.json": (
        b'{"format": "rlhf-reader-export", "version": 1, "entries": [{"key": "a", '
        b'"annotation": {"status": "done", "updated": "2024-01-01T00:00:00Z"}}]}',
        "entries[0].annotation.status: unknown status 'done'",
    ),
    "tag.json": (
        b'{"format": "rlhf-reader-export", "version": 1, "entries": [{"key": "a", '
        b'"annotation": {"tags": ["a,b"], "updated": "2024-01-01T00:00:00Z"}}]}',
        "entries[0].annotation.tags[0]",
    ),
    "time.json": (
        b'{"format": "rlhf-reader-export", "version": 1, "entries": [{"key": "a", '
        b'"annotation": {"updated": "yesterday"}}]}',
        "entries[0].annotation.updated",
    ),
    "key.json": (
        b'{"format": "rlhf-reader-export", "version": 1, "entries": [{"key": ""}]}',
        "entries[0].key",
    ),
    "dup.json": (
        b'{"format": "rlhf-reader-export", "version": 1, "entries": [{"key": "a"}, {"key": "a"}]}',
        "appears twice",
    ),
    "nan.json": (
        b'{"format": "rlhf-reader-export", "version": 1, "entries": [{"key": "a", '
        b'"metadata": {"x": NaN}}]}',
        "NaN",
    ),
    "overflow.json": (  # a valid ISO time that is not one in UTC: comparisons overflowed
        b'{"format": "rlhf-reader-export", "version": 1, "entries": [{"key": "a", '
        b'"annotation": {"read_at": "0001-01-01T00:00:00+01:00"}}]}',
        "entries[0].annotation.read_at: expected an ISO 8601 time",
    ),
    # orjson reads the file when it can; what it would read otherwise (a 20-digit integer
    # as a float) or refuses (a lone surrogate) still gets json's exact reason.
    "bigint.json": (
        b'{"format": "rlhf-reader-export", "version": 1, "entries": [{"key": "a", '
        b'"metadata": {"x": 123456789012345678901234}}]}',
        "holds a value that cannot be stored",
    ),
    "surrogate.json": (
        b'{"format": "rlhf-reader-export", "version": 1, "entries": [{"key": "a", '
        b'"annotation": {"note": "\\ud800"}}]}',
        "holds a value that cannot be stored",
    ),
    "truncated.json": (b'{"format": "rlhf-reader-export", "version": 1, "entries": [', "not JSON"),
    "authors.json": (  # would have made every later command crash on the stored record
        b'{"format": "rlhf-reader-export", "version": 1, "entries": [{"key": "a", '
        b'"metadata": {"authors": 5}}]}',
        "entries[0].metadata: authors must be a list of strings or null, not 5",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_invalid_files_are_refused_and_nothing_changes(capsys, tmp_path: Path, name: str) -> None:
    db = tmp_path / "lib.json"
    annotate(db)
    before = db.read_bytes()
    raw, reason = BAD_FILES[name]
    path = tmp_path / name
    path.write_bytes(raw)
    code, out, err = cli(capsys, db, "import", str(path))
    assert code == 1 and out == ""
    assert err.startswith("rlhf-reader: error: import refused, library unchanged: ")
    assert str(path) in err and reason in err, err
    assert len(err.splitlines()) == 1
    assert db.read_bytes() == before
    assert path.read_bytes() == raw


def test_missing_file(capsys, tmp_path: Path) -> None:
    code, _, err = cli(capsys, tmp_path / "lib.json", "import", str(tmp_path / "none.json"))
    assert code == 1 and "no such file" in err
    assert not (tmp_path / "lib.json").exists()


def test_merge_annotation_rules() -> None:
    old = Annotation("k", Status.READ, ("a",), "x", "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z")
    new = Annotation(
        "k", Status.UNREAD, ("b",), "y", "2024-01-01T00:00:00Z", "2024-01-03T00:00:00+00:00"
    )
    merged, fields = merge_annotation(old, new)
    assert (merged.status, merged.note, merged.tags) == (Status.UNREAD, "y", ("a", "b"))
    assert fields == ["status", "note", "tags"]
    merged, fields = merge_annotation(new, old)
    assert (merged.status, merged.note, merged.tags) == (Status.UNREAD, "y", ("b", "a"))
    assert fields == ["tags"]
    merged, fields = merge_annotation(old, old)
    assert merged == old and fields == []


def test_plan_reports_per_key_and_what() -> None:
    data = parse_export(
        json.dumps(
            {
                "format": "rlhf-reader-export",
                "version": 1,
                "entries": [
                    {
                        "key": "a",
                        "annotation": {"status": "read", "updated": "2024-01-01T00:00:00Z"},
                    },
                    {"key": "b", "metadata": {"title": "B", "fetched_at": "2024-02-01T00:00:00Z"}},
                ],
            }
        )
    )
    report = plan(
        data, {}, {"b": {"key": "b", "title": "old", "fetched_at": "2024-01-01T00:00:00Z"}}, {}
    )
    assert [c.describe() for c in report.changes] == [
        "added annotation a",
        "updated metadata b: fetched_at, title",
    ]
    assert report.summary() == "annotations: 1 added; metadata: 1 updated"
    with pytest.raises(ImportFileError, match="<export>: not JSON"):
        parse_export("nope")


def test_an_annotation_without_times_is_accepted_as_oldest() -> None:
    data = parse_export(
        '{"format": "rlhf-reader-export", "version": 1, "entries": '
        '[{"key": "a", "annotation": {"status": "read", "updated": ""}}]}'
    )
    local = Annotation("a", Status.READING, (), "", "", "2024-01-01T00:00:00Z")
    report = plan(data, {"a": local}, {}, {})
    assert [c.kind for c in report.changes] == ["unchanged"]
    assert plan(data, {}, {}, {}).annotations[0].status is Status.READ


def test_json_backup_keeps_what_the_list_does_not_show(capsys, tmp_path: Path) -> None:
    # Annotated on another list (or an entry since dropped): the unfiltered backup keeps it
    # and its arXiv cache, so importing the backup into a new library restores them.
    source, target = tmp_path / "a.json", tmp_path / "b.json"
    library = Library.open(source)
    library.set_status(["elsewhere.example/paper", DPO], Status.READ)
    library.set_note("elsewhere.example/paper", "from my other list")
    library.put_metadata({"2101.00001": {"title": "Cached only", "authors": ["A B"]}})
    library.close()
    data = export_json(capsys, source, tmp_path / "backup.json")
    by_key = {e["key"]: e for e in data["entries"]}
    assert by_key["elsewhere.example/paper"]["annotation"]["note"] == "from my other list"
    assert by_key["2101.00001"]["metadata"]["title"] == "Cached only"
    code, _, err = cli(capsys, target, "import", str(tmp_path / "backup.json"))
    assert code == 0, err
    restored = Library.open(target)
    assert restored.annotation("elsewhere.example/paper").note == "from my other list"
    assert restored.metadata("2101.00001")["title"] == "Cached only"
    # A filtered export is only what passes the filters.
    code, out, _ = cli(capsys, source, "export", "-f", "json", "--status", "read")
    assert [e["key"] for e in json.loads(out)["entries"]] == [DPO]


def test_endless_import_file_is_refused(
    capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rlhf_reader.library import merge

    monkeypatch.setattr(merge, "MAX_IMPORT_BYTES", 10_000)
    code, out, err = cli(capsys, tmp_path / "lib.json", "import", "/dev/zero")
    assert (
        code == 1
        and out == ""
        and "/dev/zero: cannot read: not a regular file (a character device)" in err
    )
    assert not (tmp_path / "lib.json").exists()


def test_fast_and_exact_readers_agree() -> None:
    """orjson's reading (the fast path) gives what json gives, BOM and all."""
    from rlhf_reader.library.merge import load_json

    body = (
        '{"format": "rlhf-reader-export", "version": 1, "exported_at": "x", "entries": '
        '[{"key": "a", "year": 2024, "metadata": {"n": 18446744073709551615, "f": -0.0, '
        '"e": 1e308, "s": "caf\\u00e9 \\ud83d\\ude00"}, "annotation": null}]}'
    )
    for raw in (body.encode(), b"\xef\xbb\xbf" + body.encode()):
        assert load_json(raw) == json.loads(body)
        assert parse_export(raw).items[0].metadata == {
            **json.loads(body)["entries"][0]["metadata"],
            "key": "a",
        }
