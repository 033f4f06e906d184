"""The parsed-list cache: a hit skips parsing, any change or damage means a fresh parse."""

from __future__ import annotations

import marshal
import os
import shutil
from pathlib import Path

import pytest

from rlhf_reader.lists import catalog, catalog_cache
from rlhf_reader.lists.catalog import CatalogError, load, parse_bytes

TESTS = Path(__file__).resolve().parent
LISTS = [
    TESTS.parent / "src" / "rlhf_reader" / "data" / "awesome-rlhf.md",
    TESTS / "data" / "opendilab_awesome-RLHF_README.md",
    TESTS / "data" / "hostile.md",
]


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The sources ``catalog.load`` really parsed (rather than took from the cache)."""
    seen: list[str] = []
    real = catalog.parse_bytes

    def counting(raw: bytes, source: str = "<list>"):  # type: ignore[no-untyped-def]
        seen.append(source)
        return real(raw, source)

    monkeypatch.setattr(catalog, "parse_bytes", counting)
    return seen


def cache_files() -> list[Path]:
    return sorted(catalog_cache.cache_dir().glob("*.json"))


def test_cache_lives_in_the_user_cache_dir() -> None:
    assert catalog_cache.cache_dir() == (
        Path(os.environ["XDG_CACHE_HOME"]) / "rlhf-reader" / "catalogs"
    )


@pytest.mark.parametrize("source", LISTS, ids=lambda p: p.name)
def test_hit_gives_the_same_catalog_without_parsing(
    tmp_path: Path, parses: list[str], source: Path
) -> None:
    path = tmp_path / source.name
    shutil.copyfile(source, path)
    first = load(path)
    assert parses == [str(path)] and len(cache_files()) == 1
    second = load(path)
    assert parses == [str(path)]  # not parsed again
    assert second == first == parse_bytes(path.read_bytes(), str(path))
    assert second is not first
    # Entries come back as the parser makes them: tuples, Links, shared section paths.
    section = next(s for s in second.walk() if s.entries)
    entry = section.entries[0]
    assert isinstance(entry.links, tuple) and isinstance(entry.extra, tuple)
    assert entry.section is section.path


def test_changed_content_is_parsed_again(tmp_path: Path, parses: list[str]) -> None:
    path = tmp_path / "list.md"
    path.write_text("# L\n## A\n- [One](https://a.example/1)\n", encoding="utf-8")
    assert [e.title for e in load(path).entries] == ["One"]
    path.write_text("# L\n## A\n- [Two](https://a.example/2)\n", encoding="utf-8")
    assert [e.title for e in load(path).entries] == ["Two"]
    assert len(parses) == 2
    assert len(cache_files()) == 2
    # Going back to the first content hits its cache entry again.
    path.write_text("# L\n## A\n- [One](https://a.example/1)\n", encoding="utf-8")
    assert [e.title for e in load(path).entries] == ["One"]
    assert len(parses) == 2


def test_same_bytes_at_another_path_keep_their_own_source(tmp_path: Path) -> None:
    text = "## A\n- [One](https://a.example/1)\n"  # no "#" title: named after the file
    first, second = tmp_path / "first.md", tmp_path / "second.md"
    first.write_text(text, encoding="utf-8")
    second.write_text(text, encoding="utf-8")
    assert (load(first).title, load(first).source) == ("first", str(first))
    assert (load(second).title, load(second).source) == ("second", str(second))


@pytest.mark.parametrize(
    "damage",
    [
        lambda blob: b"",
        lambda blob: blob[: len(blob) // 2],
        lambda blob: b"not json at all",
        lambda blob: blob.replace(b"One", b"Two"),  # edited: the digest no longer matches
        lambda blob: b"rlhf-reader-catalog 00\n{}",
        lambda blob: blob.split(b"\n", 1)[1],  # no header line
        lambda blob: bytes(range(256)),
    ],
    ids=["empty", "truncated", "garbage", "edited", "bad-digest", "no-header", "binary"],
)
def test_damaged_cache_is_ignored_and_rebuilt(tmp_path: Path, parses: list[str], damage) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "list.md"
    path.write_text("# L\n## A\n- [One](https://a.example/1)\n", encoding="utf-8")
    expected = load(path)
    (cached,) = cache_files()
    copy = catalog_cache.marshal_path(cached)
    cached.write_bytes(damage(cached.read_bytes()))
    copy.write_bytes(damage(copy.read_bytes()))
    assert load(path) == expected
    assert len(parses) == 2  # parsed again…
    assert load(path) == expected
    assert len(parses) == 2  # …and the rebuilt cache is good


@pytest.mark.parametrize(
    "damage",
    [
        lambda blob: b"",
        lambda blob: blob[: len(blob) // 2],
        lambda blob: blob[:-3] + bytes([blob[-3] ^ 1]) + blob[-2:],  # one bit: the digest
        lambda blob: blob.replace(b"marshal %d " % marshal.version, b"marshal 99 ", 1),
        lambda blob: blob.split(b"\n", 1)[1],  # no header line
        lambda blob: bytes(range(256)),
    ],
    ids=["empty", "truncated", "bit", "format", "no-header", "binary"],
)
def test_damaged_marshal_copy_falls_back_to_the_json(
    tmp_path: Path, parses: list[str], damage
) -> None:  # type: ignore[no-untyped-def]
    """The marshal copy is unmarshalled only when its digest holds; otherwise the JSON cache
    file is read (no parse), and the catalog is the same."""
    path = tmp_path / "list.md"
    path.write_text(
        "# L\n## A\n- [One](https://a.example/1) - text\n  - [code](https://c.example)\n"
        "### B\n- [Two](https://arxiv.org/abs/2301.00001). Ann, Bob. NeurIPS, 2023.\n",
        encoding="utf-8",
    )
    expected = load(path)
    (cached,) = cache_files()
    copy = catalog_cache.marshal_path(cached)
    assert catalog_cache._read_marshal(path.read_bytes(), str(path)) == expected
    copy.write_bytes(damage(copy.read_bytes()))
    assert catalog_cache._read_marshal(path.read_bytes(), str(path)) is None
    assert load(path) == expected
    assert len(parses) == 1  # read from the JSON file, not parsed


def test_other_parser_version_is_ignored(
    tmp_path: Path, parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "list.md"
    path.write_text("# L\n## A\n- [One](https://a.example/1)\n", encoding="utf-8")
    load(path)
    catalog_cache.parser_version.cache_clear()
    monkeypatch.setattr(catalog_cache, "FORMAT", catalog_cache.FORMAT + 1)
    try:
        load(path)
        assert len(parses) == 2
    finally:
        catalog_cache.parser_version.cache_clear()


def test_unwritable_cache_is_not_an_error(tmp_path: Path, parses: list[str]) -> None:
    folder = catalog_cache.cache_dir()
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("a file where the folder should be", encoding="utf-8")
    path = tmp_path / "list.md"
    path.write_text("# L\n## A\n- [One](https://a.example/1)\n", encoding="utf-8")
    assert [e.title for e in load(path).entries] == ["One"]
    assert [e.title for e in load(path).entries] == ["One"]
    assert len(parses) == 2  # no cache, no harm
    assert folder.read_text(encoding="utf-8") == "a file where the folder should be"


def test_errors_are_not_cached(tmp_path: Path) -> None:
    path = tmp_path / "empty.md"
    path.write_text("# Nothing here\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(CatalogError, match="no entries found"):
            load(path)
    assert cache_files() == []


def test_old_cache_files_are_pruned(tmp_path: Path) -> None:
    path = tmp_path / "list.md"
    for n in range(catalog_cache.KEEP + 5):
        path.write_text(f"## A\n- [Paper {n}](https://a.example/{n})\n", encoding="utf-8")
        load(path)
    files = cache_files()
    assert len(files) == catalog_cache.KEEP
    assert not list(catalog_cache.cache_dir().glob(".tmp-*"))


def test_every_parsing_module_is_in_the_parser_version() -> None:
    """A change to any module whose code changes the parse must miss the old cache."""
    import ast

    from rlhf_reader.lists import catalog_cache

    package = Path(catalog_cache.__file__).resolve().parent.parent
    listed = set(catalog_cache._PARSER_MODULES)
    assert all((package / name).is_file() for name in listed)
    tree = ast.parse((package / "lists" / "catalog.py").read_text(encoding="utf-8"))
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "rlhf_reader.lists"
        for alias in node.names
    }
    parsing = imported - {"catalog_cache", "report"}  # the cache itself is listed; report
    # only words the error for a list with no entries
    assert {f"lists/{name}.py" for name in parsing} <= listed
    assert {"lists/shapes.py", "lists/fastpath.py", "lists/text.py"} <= listed


def test_a_list_of_several_write_blocks_reads_back_whole_and_key_by_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The JSON file's entry lines are made a block at a time (``_BLOCK``): the file read
    whole, and each key's entry found through the key index, are the parser's — on either
    side of a block's end, and for a key listed twice (its first listing)."""
    monkeypatch.setattr(catalog_cache, "_BLOCK", 7)
    lines = ["# Blocks", ""]
    for section in range(4):
        lines += [f"## Part {section}", ""]
        for n in range(9):
            number = (section * 9 + n) % 30  # the last six repeat keys of the first part
            lines.append(
                f"- [Paper {section}-{n}](https://arxiv.org/abs/2401.{number:05d}) - A. B."
            )
        lines.append("")
    path = tmp_path / "blocks.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    parsed = load(path)
    raw = path.read_bytes()
    assert catalog_cache._read_json(raw, str(path)) == parsed
    firsts = {}
    for entry in parsed.entries:
        firsts.setdefault(entry.key, entry)
    assert len(firsts) == 30 and len(parsed.entries) == 36
    for key, entry in firsts.items():
        found = catalog_cache.find(path, [key])
        assert found is not None and found[0] == entry
