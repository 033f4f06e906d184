"""The shared load path made faster (branch ``load``): each replaced function is kept here as
it was and compared with its replacement on random input."""

from __future__ import annotations

import shutil
from collections import Counter
from itertools import chain
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rlhf_reader.library import progress
from rlhf_reader.library.progress import Tally, _tally, compute_stats
from rlhf_reader.library.store import Library
from rlhf_reader.lists import catalog_cache
from rlhf_reader.lists.catalog import load
from rlhf_reader.model import Catalog, Entry, Section

TESTS = Path(__file__).resolve().parent
LISTS = [
    TESTS.parent / "src" / "rlhf_reader" / "data" / "awesome-rlhf.md",
    TESTS / "data" / "opendilab_awesome-RLHF_README.md",
    TESTS / "data" / "hostile.md",
    *sorted(Path("/work/shared/testdata/lists").glob("*.md")),
]


# --- compute_stats: the tags counted over every key's tags, less those not listed ----------


def old_compute_stats(catalog: Catalog, tally: Tally) -> dict[str, Any]:
    """compute_stats as it was (a Counter over the annotated keys' tags, in set order)."""
    read, reading = tally.read, tally.reading
    listed = 0
    rows: list[tuple[Section, set[str]]] = []

    def keys_of(section: Section) -> set[str]:
        nonlocal listed
        listed += len(section.entries)
        slot = len(rows)
        rows.append((section, set()))
        keys = {entry.key for entry in section.entries}
        for child in section.children:
            keys |= keys_of(child)
        rows[slot] = (section, keys)
        return keys

    all_keys: set[str] = set()
    for root in catalog.sections:
        all_keys |= keys_of(root)
    sections = [
        {"title": section.title, "path": list(section.path), "level": section.level}
        | _tally(keys, read, reading)
        for section, keys in rows
        if keys
    ]
    tags_of = tally.tags
    annotated = all_keys.intersection(tags_of)
    tags = Counter(chain.from_iterable(map(tags_of.__getitem__, annotated)))
    return {
        "overall": _tally(all_keys, read, reading),
        "listed": listed,
        "duplicates": listed - len(all_keys),
        "sections": sections,
        "tags": dict(sorted(tags.items(), key=lambda kv: (-kv[1], kv[0]))),
        "not_in_list": len(tags_of) - len(annotated),
    }


KEYS = st.sampled_from([f"k{i}" for i in range(30)])
TAGS = st.lists(st.sampled_from(["dpo", "rm", "eval", "ünï", "a"]), max_size=4)


@st.composite
def catalogs(draw: st.DrawFn) -> Catalog:
    def section(path: tuple[str, ...], depth: int) -> Section:
        keys = draw(st.lists(KEYS, max_size=6))
        children = []
        if depth < 2:
            for n in range(draw(st.integers(0, 3))):
                children.append(section((*path, f"s{n}"), depth + 1))
        entries = [Entry(k, k.upper(), f"https://x/{k}", path) for k in keys]
        return Section(path[-1], len(path), path, entries=entries, children=children)

    roots = [section((f"r{n}",), 0) for n in range(draw(st.integers(0, 3)))]
    return Catalog("T", roots)


@st.composite
def tallies(draw: st.DrawFn) -> Tally:
    tags = draw(st.dictionaries(KEYS, TAGS, max_size=30))
    read = draw(st.frozensets(st.sampled_from(sorted(tags) or ["none"]), max_size=30))
    reading = draw(st.frozensets(st.sampled_from(sorted(tags) or ["none"]), max_size=30))
    return Tally(frozenset(read & tags.keys()), frozenset((reading - read) & tags.keys()), tags)


@settings(max_examples=100, deadline=None)
@given(catalogs(), tallies())
def test_compute_stats_counts_as_before(catalog: Catalog, tally: Tally) -> None:
    assert compute_stats(catalog, tally) == old_compute_stats(catalog, tally)
    assert list(compute_stats(catalog, tally)["tags"]) == list(
        old_compute_stats(catalog, tally)["tags"]
    )


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(KEYS, TAGS, max_size=30), st.frozensets(KEYS, max_size=30))
def test_tags_counted_over_any_share_of_annotated_keys(
    tags_of: dict[str, list[str]], listed: frozenset[str]
) -> None:
    annotated = set(listed).intersection(tags_of)
    expected = Counter(chain.from_iterable(map(tags_of.__getitem__, annotated)))
    assert progress._tags_counted(tags_of, annotated) == expected


# --- Library.tally: one pass over the documents ------------------------------------------


def old_tally(docs: list[dict[str, Any]]) -> Tally:
    read: set[str] = set()
    reading: set[str] = set()
    tags = {doc["key"]: doc.get("tags", ()) for doc in docs}
    for doc in docs:
        status = doc.get("status")
        if status == "read":
            read.add(doc["key"])
        elif status == "reading":
            reading.add(doc["key"])
    return Tally(frozenset(read), frozenset(reading), tags)


DOCS = st.lists(
    st.fixed_dictionaries(
        {"key": KEYS},
        optional={"status": st.sampled_from(["read", "reading", "unread"]), "tags": TAGS},
    ),
    max_size=20,
    unique_by=lambda doc: doc["key"],
)


@settings(max_examples=100, deadline=None)
@given(DOCS)
def test_library_tally_as_before(tmp_path_factory: pytest.TempPathFactory, docs: list) -> None:  # type: ignore[type-arg]
    import orjson

    db = tmp_path_factory.mktemp("tally") / "library.json"
    tables = {
        "annotations": {str(n + 1): doc for n, doc in enumerate(docs)},
        "metadata": {},
        "additions": {},
        "meta": {"1": {"name": "schema_version", "value": 1}},
    }
    db.write_bytes(orjson.dumps(tables))
    assert Library.open(db).tally() == old_tally(docs)


# --- the parse cache's marshal copy --------------------------------------------------------


@pytest.mark.parametrize("source", LISTS, ids=lambda p: p.name)
def test_marshal_copy_json_file_and_parse_agree(source: Path, tmp_path: Path) -> None:
    listed = tmp_path / source.name
    shutil.copyfile(source, listed)
    parsed = load(listed)  # parsed, and cached in both forms
    raw, name = listed.read_bytes(), str(listed)
    from_copy = catalog_cache._read_marshal(raw, name)
    assert from_copy is not None
    assert from_copy == parsed == catalog_cache._read_json(raw, name)
    for entry, other in zip(from_copy.entries, parsed.entries, strict=True):
        assert type(entry) is Entry and hash(entry) == hash(other)
        assert entry.key == other.key
        assert all(type(link).__name__ == "Link" for link in entry.links)
    with pytest.raises(AttributeError):
        from_copy.entries[0].title = "changed"  # type: ignore[misc]  (still frozen)


# --- check: the duplicates counted first ---------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(catalogs())
def test_check_duplicates_as_catalog_duplicates(catalog: Catalog) -> None:
    from rlhf_reader.commands.browse import _duplicates

    found = _duplicates(catalog.entries)
    assert found == catalog.duplicates()
    assert list(found) == list(catalog.duplicates())


# --- list: the lines of every entry from the statuses, not from rows ---------------------


@pytest.mark.parametrize("source", LISTS[:3], ids=lambda p: p.name)
def test_plain_list_prints_what_the_rows_print(
    source: Path, tmp_path: Path, db_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """``list`` without filters prints from the statuses; the lines are those of the rows
    (the path every filtered or sorted ``list`` takes), arXiv records and keys listed twice
    included."""
    from conftest import run_cli

    from rlhf_reader.commands import browse
    from rlhf_reader.model import Status

    listed = tmp_path / source.name
    shutil.copyfile(source, listed)
    keys = list(dict.fromkeys(e.key for e in load(listed).entries))
    library = Library.open(db_path)
    library.set_status(keys[::3], Status.READ)
    library.set_status(keys[1::5], Status.READING)
    library.put_metadata(
        {
            keys[0]: {"title": "T", "authors": ["Ann One", "Bob Two"], "published": "2019-01-02"},
            keys[2]: {"title": "U", "authors": []},
        }
    )
    assert library.statuses() == {k: a.status for k, a in library.annotations().items()}
    library.close()
    plain = run_cli(capsys, db_path, "--list", str(listed), "list")
    monkeypatch.setattr(browse, "_plain_list", lambda ctx: False)
    by_rows = run_cli(capsys, db_path, "--list", str(listed), "list")
    assert plain == by_rows and plain[0] == 0 and plain[1]
