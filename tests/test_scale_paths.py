"""The CLI's fast write path: a key is found through the parse cache's key index, without
building the catalog, and names the very entry ``keys.resolve`` gives over the catalog."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import run_cli

from rlhf_reader.keys import ResolveError, resolve
from rlhf_reader.lists import catalog, catalog_cache
from rlhf_reader.lists.catalog import load
from rlhf_reader.workspace import Workspace

TESTS = Path(__file__).resolve().parent
LISTS = [
    TESTS.parent / "src" / "rlhf_reader" / "data" / "awesome-rlhf.md",
    TESTS / "data" / "opendilab_awesome-RLHF_README.md",
    TESTS / "data" / "hostile.md",
]


@pytest.mark.parametrize("source", LISTS, ids=lambda p: p.name)
def test_the_key_index_names_the_entry_resolve_names(source: Path, tmp_path: Path) -> None:
    listed = tmp_path / source.name
    shutil.copyfile(source, listed)
    full = load(listed)  # parsed, and cached
    assert catalog_cache.read(listed.read_bytes(), str(listed)) == full
    entries = full.entries
    typed = {e.key for e in entries} | {e.url for e in entries} | {e.key.upper() for e in entries}
    for text in sorted(typed):
        workspace = Workspace(listed, tmp_path / "library.json")
        fast = workspace.listed_entry(text)
        try:
            expected = resolve(entries, text)
        except ResolveError:
            expected = None
        if fast is not None:  # the index answers only for keys it has: then the same entry
            assert fast == expected, text
        elif expected is not None:  # the slow path then: only when resolve went beyond keys
            assert expected.key not in {
                k for k in (text, text.lower(), text.strip()) if k in {e.key for e in entries}
            }


def test_a_list_not_cached_yet_is_loaded_whole(tmp_path: Path) -> None:
    listed = tmp_path / "list.md"
    shutil.copyfile(LISTS[0], listed)
    workspace = Workspace(listed, tmp_path / "library.json")
    assert workspace.listed_entry("2305.18290") is None  # no cache: resolve over the catalog
    load(listed)
    entry = Workspace(listed, tmp_path / "library.json").listed_entry("2305.18290")
    assert entry is not None and entry.key == "2305.18290"


def test_mark_by_key_never_builds_the_catalog(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    listed = tmp_path / "list.md"
    shutil.copyfile(LISTS[0], listed)
    title = next(e.title for e in load(listed).entries if e.key == "2305.18290")  # cached now
    built: list[str] = []
    real_from_data, real_from_tuples = catalog_cache.from_data, catalog_cache._from_tuples
    monkeypatch.setattr(
        catalog_cache, "from_data", lambda *a: built.append("cache") or real_from_data(*a)
    )
    monkeypatch.setattr(
        catalog_cache, "_from_tuples", lambda *a: built.append("cache") or real_from_tuples(*a)
    )
    monkeypatch.setattr(catalog, "parse_bytes", lambda *a: built.append("parse"))
    code, out, err = run_cli(capsys, db_path, "--list", str(listed), "mark", "2305.18290", "read")
    assert (code, err) == (0, ""), err
    assert "unread → read" in out and "[2305.18290]" in out
    assert built == []
    # A title fragment still works: then the catalog is read (from the cache).
    code, out, err = run_cli(capsys, db_path, "--list", str(listed), "mark", title, "read")
    assert code == 0 and "already read" in out and built == ["cache"]


def test_json_output_is_the_text_json_dumps_wrote(monkeypatch: pytest.MonkeyPatch) -> None:
    """``list --json`` is written by orjson now: the very text of ``json.dumps(indent=2)``
    (then control and bidi characters escaped, as before)."""
    import json
    import random

    from rlhf_reader.commands import browse

    monkeypatch.setattr(browse, "encodes_everything", lambda stream: True)
    rng = random.Random(5)
    values: list[object] = [[], {}, [{"a": [], "b": {}, "c": None, "d": True, "e": -3}]]
    for _ in range(100):
        text = "".join(chr(rng.randrange(0, 0x3000)) for _ in range(rng.randrange(12)))
        values.append([{"key": text, "tags": [text[:3]], "year": rng.randrange(3000), "n": None}])
    for value in values:
        expected = json.dumps(value, ensure_ascii=False, indent=2)
        expected = browse._JSON_UNSAFE_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", expected)
        assert browse.json_text(value) == expected
    lone = ["\ud800"]  # orjson refuses a lone surrogate: json.dumps writes it, as before
    assert browse.json_text(lone) == json.dumps(lone, ensure_ascii=False, indent=2)


@pytest.mark.parametrize("source", LISTS, ids=lambda p: p.name)
def test_entries_read_from_the_cache_equal_the_parsed_ones(source: Path, tmp_path: Path) -> None:
    """The cache builds Entries through their slot setters (``_fast_entry``): every field,
    links included, equals what the parser made, and they stay frozen and hashable."""
    import dataclasses

    list_path = tmp_path / source.name
    shutil.copyfile(source, list_path)
    parsed = load(list_path)  # parses and writes the cache
    cached = catalog_cache.read(list_path.read_bytes(), str(list_path))
    assert cached is not None
    assert cached.entries == parsed.entries
    assert [e.section for e in cached.entries] == [e.section for e in parsed.entries]
    assert {hash(e) for e in cached.entries} == {hash(e) for e in parsed.entries}
    with pytest.raises(dataclasses.FrozenInstanceError):
        cached.entries[0].title = "changed"  # type: ignore[misc]


def test_locate_reads_no_library_and_check_reads_it_first(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``locate`` names the files without reading the library (a 100k library costs a
    second); ``check`` still reads it before printing a line, as it did."""
    db = tmp_path / "library.json"
    db.write_text("not json")
    listed = tmp_path / "list.md"
    shutil.copyfile(LISTS[2], listed)
    code, out, err = run_cli(capsys, db, "--list", str(listed), "locate")
    assert (code, err) == (0, "")
    assert f"library  {db}" in out and f"list     {listed}" in out
    assert db.read_text() == "not json"
    code, out, err = run_cli(capsys, db, "--list", str(listed), "check")
    assert (code, out) == (1, "") and "not a valid library file" in err


def test_show_and_next_make_no_annotation_of_every_key(
    capsys: pytest.CaptureFixture[str], db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``show KEY`` and ``next`` look their papers' annotations up by key."""
    from rlhf_reader.library.store import Library

    run_cli(capsys, db_path, "mark", "2305.18290", "read")
    run_cli(capsys, db_path, "queue", "add", "2305.18290", "2404.09932")
    calls: list[str] = []
    real = Library.annotations
    monkeypatch.setattr(Library, "annotations", lambda self: calls.append("all") or real(self))
    code, out, _ = run_cli(capsys, db_path, "show", "2305.18290")
    assert code == 0 and "status  read" in out
    code, out, _ = run_cli(capsys, db_path, "next")
    assert code == 0 and "[2404.09932]" in out
    assert calls == []
