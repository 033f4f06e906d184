"""A cache of parsed lists, so the TUI and the CLI never parse the same list twice.

A parsed catalog is stored as JSON (orjson) in ``platformdirs.user_cache_dir("rlhf-reader")``
under a name that is the SHA-256 of the list's bytes, the path it was read from (a list
without a ``#`` title is named after its file) and the parser's version. The parser's version
includes a digest of the parsing modules' source, so a changed parser never reads an old
entry. Writes are atomic (temporary file, ``os.replace``); a cache file that cannot be read,
does not parse or does not match is ignored and rebuilt. The cache is an optimisation only:
every failure in here is silent and the list is simply parsed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import hashlib
import marshal
import sys
from collections.abc import Collection, Iterable, Iterator
from itertools import chain, repeat
from pathlib import Path
from typing import Any

import orjson

from rlhf_reader.library import fileio
from rlhf_reader.model import Catalog, Entry, Link, Section
from rlhf_reader.reclass import become

# Bump when the meaning of the stored data changes; parser source changes are caught anyway.
FORMAT = 6  # 4: skeleton, key index lines, one entry a line; 5: the lines in [ ], rows slim;
# 6: beside it a marshal copy of the whole catalog for read()
KEEP = 16  # cached lists kept; older ones are removed when a new one is written
_BLOCK = 1024  # entry lines made and joined at a time when writing (see _write)

_ENTRY_FIELDS = tuple(f.name for f in dataclasses.fields(Entry))
# Relative to the package root: the parser, the key rules and the model it fills.
_PARSER_MODULES = (
    "lists/catalog.py",
    "lists/shapes.py",
    "lists/text.py",
    "lists/fastpath.py",
    "keys.py",
    "lazyre.py",
    "model.py",
    "lists/catalog_cache.py",
)


def cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("rlhf-reader")) / "catalogs"


@functools.lru_cache(maxsize=1)
def parser_version() -> str:
    """What the cached data depends on: this format, markdown-it and the parsing code.

    markdown-it is identified by its ``__init__.py`` (which holds its version) without
    importing it: a list found in the cache never needs the parser.
    """
    import importlib.util

    from rlhf_reader import __version__

    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent.parent
    spec = importlib.util.find_spec("markdown_it")
    sources = [here / name for name in _PARSER_MODULES]
    if spec is not None and spec.origin:
        sources.append(Path(spec.origin))
    for source in sources:
        try:
            digest.update(source.read_bytes())
        except OSError:
            digest.update(__version__.encode())
    fields = ",".join(_ENTRY_FIELDS)
    python = f"marshal-{marshal.version}-{sys.implementation.cache_tag}"  # the .marshal copy's
    return f"{FORMAT}:{digest.hexdigest()[:16]}:{fields}:{python}"


def cache_path(raw: bytes, source: str) -> Path:
    digest = hashlib.sha256()
    digest.update(parser_version().encode())
    digest.update(b"\0" + source.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(raw)
    return cache_dir() / f"{digest.hexdigest()}.json"


def read(raw: bytes, source: str) -> Catalog | None:
    """The cached catalog of this list, or None (no cache, or one that is not usable)."""
    # Tens of thousands of new objects and no cycles: the cyclic collector is paused meanwhile.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _read(raw, source)
    finally:
        if collecting:
            gc.enable()


def _read(raw: bytes, source: str) -> Catalog | None:
    found = _read_marshal(raw, source)
    return found if found is not None else _read_json(raw, source)


def _read_marshal(raw: bytes, source: str) -> Catalog | None:
    """The catalog from the marshal copy (``_write``): the entries' fields as tuples in
    ``Entry``'s slot order, equal values one object (a section's path, a venue, an arXiv id
    that is the key), so each entry is one tuple unpacked — less than building them from
    the JSON rows (see bench/RESULTS.md). None when there is no usable copy."""
    try:
        data = marshal_path(cache_path(raw, source)).read_bytes()
        end = data.find(b"\n")
        view = memoryview(data)  # no copy of the payload
        if end < 0 or data[:end] != _marshal_header(view[end + 1 :]):
            return None  # damaged, truncated, edited or another Python's: never unmarshalled
        skeleton, rows = marshal.loads(view[end + 1 :])
        view.release()
        del data, view
        if skeleton.get("version") != parser_version() or skeleton.get("source") != source:
            return None
        return _from_tuples(skeleton, rows)
    except Exception:  # any unusable cache file is simply rebuilt
        return None


def _read_json(raw: bytes, source: str) -> Catalog | None:
    """The catalog from the JSON cache file, when the marshal copy is missing or unusable
    (it could not be written, or another Python's)."""
    try:
        found = _open(raw, source)
        if found is None:
            return None
        skeleton, index, entries = found
        # The entry lines are one JSON array in the file: parsed where they lie, with no
        # copy (a 100k list's are 31 MB; adding the brackets around them was a copy).
        rows = orjson.loads(entries)
        index.release()
        entries.release()
        del found, index, entries
        return from_data(skeleton, rows)
    except Exception:  # any unusable cache file is simply rebuilt
        return None


def _open(raw: bytes, source: str) -> tuple[dict[str, Any], memoryview, memoryview] | None:
    """This list's cache file, checked: (skeleton, key index lines, entry lines), or None."""
    data = cache_path(raw, source).read_bytes()
    view = memoryview(data)  # slices without copies (the file of a 100k list is 30 MB)
    end = data.find(b"\n")
    if end < 0 or data[:end] != _header(view[end + 1 :]):
        return None  # damaged, truncated or edited
    split = data.find(b"\n", end + 1)  # the skeleton is on the first line
    if split < 0:
        return None
    skeleton = orjson.loads(view[end + 1 : split])
    if skeleton.get("version") != parser_version() or skeleton.get("source") != source:
        return None
    entries = split + 1 + int(skeleton["index_bytes"])
    return skeleton, view[split:entries], view[entries:]


def find(path: Path, keys: Collection[str]) -> tuple[Entry, tuple[str, ...]] | None:
    """The first entry of the list at ``path`` whose key is one of ``keys``, and the notes
    on what its parser skipped — read from the cache's key index, without building the
    catalog (a CLI write names one paper of a list of 100,000). None when the list is not
    cached (or cannot be read) or no entry has one of the keys: then load it whole."""
    found = _found(path, keys)
    if not found or not found[0]:
        return None
    hits, skipped = found
    return min(hits.values(), key=lambda hit: hit[0])[1], skipped


def find_each(path: Path, keys: Collection[str]) -> tuple[dict[str, Entry], tuple[str, ...]] | None:
    """Each of ``keys``'s first entry in the list at ``path`` (the keys it lists), and the
    notes on what its parser skipped, read as :func:`find` reads one (an import's report
    names the few papers it changed); None when the list is not cached or cannot be read."""
    found = _found(path, keys)
    if found is None:
        return None
    hits, skipped = found
    return {key: entry for key, (_number, entry) in hits.items()}, skipped


def _found(
    path: Path, keys: Collection[str]
) -> tuple[dict[str, tuple[int, Entry]], tuple[str, ...]] | None:
    """For each of ``keys`` the list has, (its first entry's number, the entry), and the
    notes on what the parser skipped; None when the list is not cached or cannot be read."""
    from rlhf_reader.lists.catalog import MAX_LIST_BYTES

    try:
        with fileio.open_regular(path) as handle:
            raw = handle.read(MAX_LIST_BYTES + 1)
        if len(raw) > MAX_LIST_BYTES:
            return None
        found = _open(raw, str(path))
        if found is None:
            return None
        skeleton, index, entries = found
        text = bytes(index)  # "\n" + one line a key: "KEY"<tab>entry<tab>path<tab>at<tab>size
        hits = {}
        for key in keys:
            at = text.find(b"\n" + orjson.dumps(key) + b"\t")
            if at >= 0:
                line = text[at + 1 : text.index(b"\n", at + 1)]
                number, path_number, start, size = (int(n) for n in line.rsplit(b"\t", 4)[1:])
                section = tuple(skeleton["paths"][path_number])
                entry = _entry(orjson.loads(entries[start : start + size]), section)
                hits[key] = (number, entry)
        return hits, tuple(str(note) for note in skeleton.get("skipped", ()))
    except Exception:  # the cache is an optimisation: the caller loads the list instead
        return None


def write(raw: bytes, source: str, catalog: Catalog) -> None:
    """Store ``catalog`` for this list; silently does nothing when it cannot."""
    collecting = gc.isenabled()
    gc.disable()  # as in read(): many new lists and tuples, no cycles
    try:
        _write(raw, source, catalog)
    finally:
        if collecting:
            gc.enable()


def _write(raw: bytes, source: str, catalog: Catalog) -> None:
    try:
        data = to_data(catalog)
        if data is None:
            return
        skeleton, entries = data
        path = cache_path(raw, source)
        path.parent.mkdir(parents=True, exist_ok=True)
        # The skeleton on one line; the key index, one line a key (found by a byte search,
        # never parsed whole); then one entry a line, the lines one JSON array (``[`` first,
        # ``]`` last): ``read`` parses it as it lies, ``find`` reads one entry only.
        index = []
        blocks = []
        lines: list[bytes] = []
        offset = 1  # after the "["
        keys = skeleton.pop("keys")
        for start in range(0, len(entries), _BLOCK):
            # A block of lines at a time, joined at once: 100,000 small orjson results held
            # together left ~4 KB of heap each (390 MB at 100k), and joining them took longer.
            lines = [orjson.dumps(entry) for entry in entries[start : start + _BLOCK]]
            for number, line in enumerate(lines, start):
                first = keys.get(entries[number][0])
                if first is not None and first[0] == number:
                    index.append(b"%s\t%d\t%d\t%d\t%d\n" % (orjson.dumps(entries[number][0]),
                                 number, first[1], offset, len(line)))  # fmt: skip
                offset += len(line) + 2
            blocks.append(b",\n".join(lines))
        del keys, data, entries, lines  # (the JSON-ready rows: a 100k list's biggest part)
        index_block = b"".join(index)
        del index
        skeleton["index_bytes"] = len(index_block)
        joined = b",\n".join(blocks)
        del blocks
        # Written as parts, digested part by part: no joined copy of the whole file.
        parts = (orjson.dumps(skeleton), b"\n", index_block, b"[", joined, b"]")
        fileio.write_atomic(path, (_header_of(parts), b"\n", *parts), durable=False)
        del parts, joined, index_block
        copy = marshal.dumps((skeleton, _tuples(catalog)))
        fileio.write_atomic(marshal_path(path), (_marshal_header(copy), b"\n", copy), durable=False)
        _prune(path.parent, keep=path)
    except Exception:  # a cache we cannot write only costs time
        return


def _header(payload: bytes | memoryview) -> bytes:
    """The first line of a cache file: a magic word and the digest of the rest."""
    return _header_of((payload,))


def _header_of(parts: tuple[bytes | memoryview, ...]) -> bytes:
    """:func:`_header` of the rest of the file written as ``parts``."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    return b"rlhf-reader-catalog " + digest.hexdigest().encode()


def marshal_path(path: Path) -> Path:
    """The marshal copy of the cache file ``path`` (what ``read`` reads; ``find`` reads the
    JSON file's key index and one entry line)."""
    return path.with_suffix(".marshal")


def _marshal_header(payload: bytes | memoryview) -> bytes:
    """The first line of a marshal copy: a magic word, this Python's marshal format and the
    digest of the rest (checked before anything is unmarshalled)."""
    tag = f"rlhf-reader-catalog-marshal {marshal.version} {sys.implementation.cache_tag} "
    return tag.encode() + hashlib.sha256(payload).hexdigest().encode()


def _prune(folder: Path, keep: Path) -> None:
    files = [p for p in folder.glob("*.json") if p != keep]
    if len(files) < KEEP:
        return
    files.sort(key=lambda p: p.stat().st_mtime)
    for old in files[: len(files) - KEEP + 1]:
        for name in (old, marshal_path(old)):
            with contextlib.suppress(OSError):
                name.unlink()


# --- to and from plain data ---------------------------------------------------------------
#
# The skeleton: the catalog without its entries (each section says how many it has) and the
# section paths. The key index (written as lines by ``_write``): each key's first entry, the
# number of its section path, and the offset and length of its line among the entry lines.
# The entries: one list of fields each, in the order of ``Catalog.entries`` (a section's own
# entries, then its sub-sections'): ``true`` for an arXiv id that is the key, and the empty
# links, extra lines and description at the end of a row left out.


def to_data(catalog: Catalog) -> tuple[dict[str, Any], list[list[Any]]] | None:
    """(skeleton, entries) as JSON-ready data; None if it is not a plain parsed list."""
    entries: list[list[Any]] = []
    paths: list[list[str]] = []
    keys: dict[str, list[int]] = {}
    sections = _sections_data(catalog.sections, entries, paths, keys)
    if sections is None:
        return None
    skeleton = {
        "version": parser_version(),
        "source": catalog.source,
        "title": catalog.title,
        "sections": sections,
        "unread": [list(pair) for pair in catalog.unread],
        "skipped": list(catalog.skipped),
        "paths": paths,
        "keys": keys,
    }
    return skeleton, entries


def _sections_data(
    sections: list[Section],
    entries: list[list[Any]],
    paths: list[list[str]],
    keys: dict[str, list[int]],
) -> list[dict[str, Any]] | None:
    out = []
    for section in sections:
        data = _section_data(section, entries, paths, keys)
        if data is None:
            return None
        out.append(data)
    return out


def _section_data(
    section: Section,
    entries: list[list[Any]],
    paths: list[list[str]],
    keys: dict[str, list[int]],
) -> dict[str, Any] | None:
    path_number = len(paths)
    paths.append(list(section.path))
    for e in section.entries:
        if e.section != section.path:
            return None  # not as the parser makes them: do not cache
        keys.setdefault(e.key, [len(entries), path_number])
        links = [[link.text, link.url] for link in e.links]
        arxiv_id = True if e.arxiv_id == e.key else e.arxiv_id  # true: the key (usual)
        fields = (e.key, e.title, e.url, e.line, arxiv_id, e.authors, e.year, e.venue)
        row = [*fields, e.details, e.source, links, list(e.extra), e.description]
        while len(row) > _FIXED and not row[-1]:
            row.pop()  # no links, no extra lines, no description: left out (see _Unfrozen)
        entries.append(row)
    children = _sections_data(section.children, entries, paths, keys)
    if children is None:
        return None
    return {
        "title": section.title,
        "level": section.level,
        "path": list(section.path),
        "line": section.line,
        "count": len(section.entries),
        "children": children,
    }


def from_data(skeleton: dict[str, Any], entries: list[list[Any]]) -> Catalog:
    """The catalog ``to_data`` stored (the file's digest has vouched for its contents)."""
    paths: list[tuple[str, ...]] = []
    counts: list[int] = []
    sections = [_section(s, paths, counts) for s in skeleton["sections"]]
    built = _entries(entries, paths, counts)
    at = 0
    for section, count in zip(_walk(sections), counts, strict=True):  # the same order as the rows
        section.entries = built[at : at + count]
        at += count
    return _catalog(skeleton, sections)


def _tuples(catalog: Catalog) -> list[tuple[Any, ...]]:
    """Every entry's fields in ``Entry``'s slot order (links as (text, url) pairs), in the
    order of the rows; equal sections, venues and years one object each, and an arXiv id
    equal to the key the key itself, so that ``marshal`` writes each once."""
    shared: dict[Any, Any] = {}
    out: list[tuple[Any, ...]] = []
    for section in _walk(catalog.sections):
        out += entry_tuples(section.entries, shared)
    return out


def entry_tuples(entries: Iterable[Entry], shared: dict[Any, Any]) -> list[tuple[Any, ...]]:
    """``entries`` as tuples of their fields in ``Entry``'s slot order (links as (text, url)
    pairs), for ``marshal``; equal sections, venues and years (kept in ``shared``) one
    object each and an arXiv id equal to the key the key itself, so that each is written
    once. :func:`entries_of_tuples` makes them Entries again."""
    share = shared.setdefault
    out = []
    for e in entries:
        # Not interned: ``marshal.loads`` interns every string the copy marks so, and
        # 100,000 new keys in the interpreter's table cost 0.15-0.2 s of each load —
        # more than finding a key by identity in the joins ever saved (RESULTS.md).
        key = e.key
        arxiv_id = key if e.arxiv_id == key else e.arxiv_id
        links = tuple((link.text, link.url) for link in e.links)
        year = share(("year", e.year), e.year)
        out.append((key, e.title, e.url, share(e.section, e.section), e.line, arxiv_id,
                    e.authors, year, share(e.venue, e.venue), e.details, e.source, links,
                    e.extra, e.description))  # fmt: skip
    return out


def entries_of_tuples(rows: Iterable[tuple[Any, ...]]) -> list[Entry]:
    """The Entries :func:`entry_tuples` describes (made as the parser makes them)."""
    built: list[Any] = list(map(_Unpacked, rows))
    become(built, Entry)  # Entries from here on
    return built


def _from_tuples(skeleton: dict[str, Any], rows: list[tuple[Any, ...]]) -> Catalog:
    """The catalog ``_tuples`` stored (the file's digest has vouched for its contents)."""
    paths: list[tuple[str, ...]] = []
    counts: list[int] = []
    sections = [_section(s, paths, counts) for s in skeleton["sections"]]
    if len(rows) != sum(counts):
        raise ValueError("the cache's sections and rows disagree")
    built = entries_of_tuples(rows)
    at = 0
    for section, count in zip(_walk(sections), counts, strict=True):
        section.entries = built[at : at + count]
        at += count
        if count:  # one path object for the section and its entries, as the parser makes
            if built[at - 1].section != section.path:
                raise ValueError("an entry's section is not its section's path")
            section.path = built[at - 1].section
    return _catalog(skeleton, sections)


class _Unpacked:
    """An :class:`~rlhf_reader.model.Entry` being made from a tuple of ``_tuples``: the
    same slots, one unpacking, then made an ``Entry`` (as :class:`_Unfrozen`)."""

    __slots__ = Entry.__slots__

    def __init__(self, row: tuple[Any, ...]) -> None:
        (self.key, self.title, self.url, self.section, self.line, self.arxiv_id, self.authors,
         self.year, self.venue, self.details, self.source, links, self.extra,
         self.description) = row  # fmt: skip
        self.links = _links(links) if links else ()


def _catalog(skeleton: dict[str, Any], sections: list[Section]) -> Catalog:
    """The catalog of a stored skeleton and its sections (entries filled in)."""
    return Catalog(
        title=skeleton["title"],
        sections=sections,
        source=skeleton["source"],
        unread=tuple((int(line), str(text)) for line, text in skeleton.get("unread", ())),
        skipped=tuple(str(note) for note in skeleton.get("skipped", ())),
    )


def _walk(sections: list[Section]) -> Iterator[Section]:
    for section in sections:
        yield from section.walk()


def _entries(rows: list[list[Any]], paths: list[tuple[str, ...]], counts: list[int]) -> list[Entry]:
    """The Entries of cached rows, section ``paths[i]`` for the next ``counts[i]`` rows."""
    if len(rows) != sum(counts):
        raise ValueError("the cache's sections and rows disagree")
    section = chain.from_iterable(map(repeat, paths, counts))
    built: list[Any] = list(map(_Unfrozen, rows, section))
    become(built, Entry)  # Entries from here on
    return built


def _entry(fields: list[Any], path: tuple[str, ...]) -> Entry:
    """The entry one cached row describes (in section ``path``)."""
    return _entries([fields], [path], [1])[0]


def _links(pairs: list[list[str]]) -> tuple[Link, ...]:
    return tuple([Link(text, href) for text, href in pairs])


class _Unfrozen:
    """An :class:`~rlhf_reader.model.Entry` being made from a cached row: the same slots in
    the same order, but plain attribute stores instead of the frozen dataclass's
    ``object.__setattr__`` per field, then made an ``Entry`` by ``__class__`` assignment
    (allowed between classes of the same layout; Python checks it). At 100,000 entries the
    frozen ``__init__`` took 0.6 s of every command, this a sixth of it. Only for rows
    ``to_data`` wrote from real Entries (tests/test_scale_paths.py checks the cached
    entries equal the parsed ones, hash alike and stay frozen)."""

    __slots__ = Entry.__slots__

    def __init__(self, row: list[Any], section: tuple[str, ...]) -> None:
        if len(row) != _FIXED + 3:  # the empty fields at the end were left out
            row = [*row, *_TAIL[len(row) - _FIXED :]]
        (self.key, self.title, self.url, self.line, arxiv_id, self.authors, self.year,
         self.venue, self.details, self.source, links, extra, self.description) = row  # fmt: skip
        self.section = section
        # true: the arXiv id is the key (the usual arXiv entry; one string for both, and
        # none made by the JSON parser to be dropped at once)
        self.arxiv_id = self.key if arxiv_id is True else arxiv_id
        venue, year = self.venue, self.year
        if len(_VENUES) < 10_000:  # a few venues, each once ("arXiv" 100,000 times)
            self.venue = _VENUES.setdefault(venue, venue)
        if type(year) is int and len(_YEARS) < 10_000:  # (an int above 256 is an object)
            self.year = _YEARS.setdefault(year, year)
        self.links = _links(links) if links else ()
        self.extra = tuple(extra) if extra else ()


# A cached row: the first _FIXED fields always, then links, extra lines and description
# only up to the last that is not empty (a 100k list's rows held 200,000 empty lists).
_FIXED = 10
_TAIL: tuple[Any, ...] = ([], [], "")
_VENUES: dict[str, str] = {}
_YEARS: dict[int, int] = {}


def _section(data: dict[str, Any], paths: list[tuple[str, ...]], counts: list[int]) -> Section:
    """The section (entries set by ``from_data``); its path and entry count appended to
    ``paths`` / ``counts`` in the order of the rows."""
    path = tuple(data["path"])
    paths.append(path)
    counts.append(int(data["count"]))
    return Section(
        title=data["title"],
        level=data["level"],
        path=path,
        line=data["line"],
        children=[_section(child, paths, counts) for child in data["children"]],
    )
