"""A cache of formatted export rows, so that a repeated export formats only what changed.

At 100,000 entries formatting is most of an export (``work_of``, the BibTeX or RIS record of
every row): the cache keeps the rows' formatted texts between runs, and the next export of
the same list in the same format formats only the rows whose inputs changed (a paper marked,
tagged or noted, arXiv metadata fetched) and reuses the rest. Like the parse cache
(``lists/catalog_cache.py``) it is an optimisation only: the exported text is the same with
or without it, and every failure in here is silent — the rows are simply formatted.

What a row's text depends on (read off the formatters in ``export.py`` and ``cite.py``):
the row's entry (every field but ``line``, ``extra`` and ``description``, which no
formatter reads: a paper inserted above does not change every row after it), its
annotation (every field), its arXiv metadata, for the JSON backup its addition, for
BibTeX, RIS and CSL-JSON its key (given across all rows) and the day (``accessed`` of a web
page without a date of its own is today).

The rows are cut into blocks of about 32 (:func:`blocks`: where a cut falls depends on the
keys around it, not on positions), and each block's text is stored under the SHA-256 (128
bits) of its rows' inputs as orjson writes them: a changed input is another digest, so a
stale text is never found; a block with a changed row is made again, whole.

The keys of BibTeX, RIS and CSL-JSON depend on every row: a key already given gets a
suffix (``cite.keys_of_bases``). A keyed block therefore also keeps its rows' base keys
and the keys its text was made with; every export gives the keys anew from all rows' bases,
in order, as the uncached export does, and uses a block's text only where its keys are the
keys it has now. A block with a record whose ``accessed`` was today is used on that day
only. Everything else of a file (the Markdown headings and counts, the JSON backup's head,
the CSV header) is made every time.

The cache of one export lives in ``platformdirs.user_cache_dir("rlhf-reader")/exports``,
one file per list, library, filters, format and option (the ``scope`` the caller names),
under the SHA-256 of those and of the code's version: a digest of the formatting modules'
source, this format, the Python (its Unicode tables decide ``str.isprintable``) and orjson
versions. It holds the blocks of the export that wrote it, nothing else. Its first line
holds the length and CRC-32 of the rest: a damaged, truncated or foreign file is ignored
and replaced. Writes are atomic (temporary file, ``os.replace``), the file is 0600 (it holds
the reader's notes and tags, as an export does), and only ``KEEP`` files are kept.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import itertools
import operator
import re
import sys
import zlib
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from itertools import compress
from pathlib import Path
from typing import Any

import orjson

from rlhf_reader.formats import export as fx
from rlhf_reader.formats.cite import Work, base_key, distinct, keys_of_bases, work_of
from rlhf_reader.library import fileio
from rlhf_reader.library.records import Row
from rlhf_reader.model import Annotation, Entry

# Bump when the meaning of the stored data changes; source changes are caught anyway.
FORMAT = 1
KEEP = 16  # cache files kept (six formats of a list, filtered exports, other lists)
MAGIC = b"rlhf-reader-export-cache"
# A file is rewritten when at least this share of its blocks changed (1/32: at 100,000 rows
# rewriting costs about what formatting 3,000 rows does), or when it is small (blocks).
REWRITE_SHARE = 32
SMALL = 256

# Relative to the package root: the code a row's text is made by.
_FORMATTING_MODULES = (
    "formats/export_cache.py",
    "formats/export.py",
    "formats/cite.py",
    "textsafe.py",
    "lazyre.py",
    "model.py",
    "library/records.py",
    "reclass.py",
)
# Entry fields no formatter reads (tests/test_export_cache.py checks that none does).
UNREAD_ENTRY_FIELDS = ("line", "extra", "description")
_ENTRY_INPUTS = operator.attrgetter(
    *[f.name for f in dataclasses.fields(Entry) if f.name not in UNREAD_ENTRY_FIELDS]
)
_ANNOTATION_INPUTS = operator.attrgetter(*[f.name for f in dataclasses.fields(Annotation)])

# Formats whose records carry a key given across all rows: each row's record.
_KEYED: dict[str, Callable[[Row, Work, str], str]] = {
    "bibtex": fx.bibtex_record,
    "ris": fx.ris_record,
    "csl-json": fx.csl_record,
}
# Base keys (cite.base_key makes [a-z0-9]+) joined by newlines.
_PLAIN_KEYS = re.compile(r"[a-z0-9]+(?:\n[a-z0-9]+)*")


@dataclasses.dataclass
class Stats:
    """What the last cached export did (for tests and the benchmarks)."""

    rows: int = 0
    reused: int = 0
    made: int = 0
    written: bool = False


last = Stats()


def cache_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("rlhf-reader")) / "exports"


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """What a cached text depends on besides its row: this format, the formatting code,
    Python (``str.isprintable`` follows its Unicode version) and orjson."""
    from rlhf_reader import __version__

    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent.parent
    for name in _FORMATTING_MODULES:
        try:
            digest.update((here / name).read_bytes())
        except OSError:
            digest.update(__version__.encode())
    return f"{FORMAT}:{digest.hexdigest()[:16]}:{sys.version}:{orjson.__version__}"


def cache_path(fmt: str, option: str, scope: str) -> Path:
    digest = hashlib.sha256()
    for part in (code_version(), fmt, option, scope):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return cache_dir() / f"{digest.hexdigest()}.cache"


def row_inputs(rows: Sequence[Row], extra: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
    """What each row's text depends on besides the day: its entry's fields (but those no
    formatter reads), its annotation's, its arXiv record, and ``extra[i]`` (the JSON
    backup's addition). They are the JSON data the library reads (orjson) and the list's
    entries, whose field types are fixed: their orjson text tells any two apart."""
    entries = map(_ENTRY_INPUTS, [row.entry for row in rows])
    annotations = map(_ANNOTATION_INPUTS, [row.annotation for row in rows])
    metadata = [row.metadata for row in rows]
    if extra is None:
        return list(zip(entries, annotations, metadata, strict=True))
    return list(zip(entries, annotations, metadata, extra, strict=True))


Block = tuple[int, int, str | None]  # (first row, end, digest of the rows' inputs)
BLOCK_BITS = 5  # blocks of 32 rows on average
MAX_BLOCK = 512
_KEY_BYTES = functools.partial(str.encode, encoding="utf-8", errors="surrogatepass")


def blocks(
    rows: Sequence[Row],
    inputs: Sequence[tuple[Any, ...]],
    sections: Sequence[tuple[str, ...]] | None = None,
) -> list[Block]:
    """The rows cut into blocks, each with the digest of its rows' inputs.

    Hashing each row on its own cost a third of a second at 100,000 rows (a hash object
    and a serialisation per row); a block of rows costs one of each. A block ends after a
    row whose key's CRC-32 has its low ``BLOCK_BITS`` bits zero (or after ``MAX_BLOCK``
    rows), and with ``sections`` (Markdown) where the section changes: the cuts depend on
    the rows around them, not on their positions, so a row inserted or removed (a paper
    added to the list, marked read under ``--status read``) changes its own block only. A
    block that orjson cannot write (a lone surrogate, a huge integer) has no digest: its
    rows are formatted every time."""
    count = len(rows)
    crcs = map(zlib.crc32, map(_KEY_BYTES, [row.entry.key for row in rows]))
    # (in C: a pass over the rows in Python cost 30 ms at 100,000)
    low_bits = functools.partial(operator.and_, (1 << BLOCK_BITS) - 1)
    cuts = set(compress(itertools.count(1), map(operator.not_, map(low_bits, crcs))))
    if sections is not None:  # a cut before each row whose section is not the one before's
        cuts.update(compress(itertools.count(1), map(operator.ne, sections[1:], sections)))
    cuts.add(count)
    out: list[Block] = []
    start = 0
    for end in sorted(cuts):
        while end - start > MAX_BLOCK:
            out.append(_block(inputs, start, start + MAX_BLOCK))
            start += MAX_BLOCK
        if end > start:
            out.append(_block(inputs, start, end))
            start = end
    return out


def _block(inputs: Sequence[tuple[Any, ...]], start: int, end: int) -> Block:
    try:
        data = orjson.dumps(inputs[start:end])
    except Exception:
        return start, end, None
    return start, end, hashlib.sha256(data).hexdigest()[:32]


def export(
    rows: list[Row],
    fmt: str,
    *,
    scope: str,
    title: str,
    additions: Mapping[str, Mapping[str, Any]] | None,
    today: date | None,
    now: str | None,
    csv_raw: bool,
) -> str | None:
    """``export.export(rows, fmt, …)`` with the rows' texts from the cache of ``scope``
    where they are still valid (and the cache brought up to date); None if anything went
    wrong (then the caller formats the rows itself)."""
    global last
    last = Stats()
    try:
        return _export(rows, fmt, scope, title, additions or {}, today, now, csv_raw)
    except Exception:  # the cache only saves time: the caller formats the rows
        return None


def _export(
    rows: list[Row],
    fmt: str,
    scope: str,
    title: str,
    additions: Mapping[str, Mapping[str, Any]],
    today: date | None,
    now: str | None,
    csv_raw: bool,
) -> str:
    day = today or date.today()  # once: every row of this export has the same day
    option = "raw" if fmt == "csv" and csv_raw else ""
    path = cache_path(fmt, option, scope)
    identity = f"{code_version()}\0{fmt}\0{option}\0{scope}"
    stored, stored_bases = _read(path, identity)
    selected = rows if fmt == "markdown" else distinct(rows)
    extra = [additions.get(row.key) for row in selected] if fmt == "json" else None
    sections = [row.entry.section for row in rows] if fmt == "markdown" else None
    cut = blocks(selected, row_inputs(selected, extra), sections)
    kept: dict[str, Any] = {}  # what the cache file is to hold: this export's blocks
    bases_digest = ""
    if fmt in _KEYED:
        chunks, bases_digest = _keyed(fmt, selected, cut, stored, stored_bases, kept, day)
    else:
        chunks = _plain(fmt, selected, cut, stored, kept, extra, csv_raw)
    if sections is not None:  # Markdown: each block's section, for the headings
        starts = [sections[start] for start, _end, _digest in cut]
        text = fx.markdown_text(fx.paper_counts(rows), starts, chunks, title=title, today=day)
    elif fmt == "csv":
        text = fx.csv_text(chunks)
    elif fmt == "json":
        text = fx.json_backup_text(chunks, title=title, now=now or fx.json_stamp())
    elif fmt == "bibtex":
        text = fx.bibtex_text(chunks)
    elif fmt == "ris":
        text = fx.ris_text(chunks)
    else:
        text = fx.csl_text(chunks)
    last.rows = len(selected)
    _update(path, identity, stored, kept, bases_digest)
    return text


# How each format's file joins its rows' texts (and so a block's text joins its rows').
_SEPARATOR = {"markdown": "\n", "csv": "", "json": ",\n", "bibtex": "\n\n", "ris": "\n"}
_SEPARATOR["csl-json"] = ",\n"


def _plain(
    fmt: str,
    rows: Sequence[Row],
    cut: Sequence[Block],
    stored: dict[str, Any],
    kept: dict[str, Any],
    extra: Sequence[Any] | None,
    csv_raw: bool,
) -> list[str]:
    """The texts of the blocks of Markdown, CSV or JSON rows: stored, else made. A block's
    text is its rows' texts joined as the file joins them; the blocks of this export go
    into ``kept``."""
    if fmt == "markdown":
        make: Callable[[int, Row], str] = lambda _i, row: fx.markdown_row(row)  # noqa: E731
    elif fmt == "csv":
        make = lambda _i, row: fx.csv_row(row, csv_raw)  # noqa: E731
    else:
        assert extra is not None
        make = lambda i, row: fx.json_entry(row, extra[i])  # noqa: E731
    separator = _SEPARATOR[fmt]
    chunks: list[str] = []
    for start, end, digest in cut:
        text = stored.get(digest) if digest is not None else None
        if type(text) is str:
            last.reused += end - start
        else:
            text = separator.join([make(i, rows[i]) for i in range(start, end)])
            last.made += end - start
        chunks.append(text)
        if digest is not None:
            kept[digest] = text
    return chunks


def _keyed(
    fmt: str,
    rows: Sequence[Row],
    cut: Sequence[Block],
    stored: dict[str, Any],
    stored_bases: str,
    kept: dict[str, Any],
    day: date,
) -> tuple[list[str], str]:
    """The texts of the blocks of BibTeX, RIS or CSL-JSON rows, their keys given across
    all rows (``keys_of_bases``, as the uncached export gives them), and the digest of the
    rows' base keys.

    A stored block is ``[its rows' base keys, their keys, its text, day, its first row's
    number]`` (keys joined by newlines; the day "" unless a record's ``accessed`` was
    today: then usable on that day only). Its text is used when its rows get the keys it
    was made with: when all rows' bases and its place are those of the export that stored
    it (the keys are then the same), else when the keys given now are its keys."""
    record = _KEYED[fmt]
    today = day.isoformat()
    bases: list[str] = []
    works: dict[int, Work] = {}
    found: list[Any] = []
    for start, end, digest in cut:
        value = stored.get(digest) if digest is not None else None
        if (
            type(value) is list
            and len(value) == 5
            and (not value[3] or value[3] == today)
            and len(names := value[0].split("\n")) == end - start
        ):
            bases += names
            found.append(value)
            continue
        for i in range(start, end):
            work = works[i] = work_of(rows[i], day)
            bases.append(base_key(work))
        found.append(None)
    digest_of_bases = hashlib.sha256("\n".join(bases).encode()).hexdigest()
    same_bases = digest_of_bases == stored_bases
    keys: list[str] | None = None
    separator = _SEPARATOR[fmt]
    chunks: list[str] = []
    for (start, end, digest), value in zip(cut, found, strict=True):
        if value is not None:
            if same_bases and value[4] == start:
                block_keys = value[1]
            else:
                keys = keys or keys_of_bases(bases)
                block_keys = "\n".join(keys[start:end])
            if block_keys == value[1]:
                chunks.append(value[2])
                kept[digest] = value if value[4] == start else [*value[:4], start]  # type: ignore[index]
                last.reused += end - start
                continue
            for i in range(start, end):  # other keys now: made again
                works[i] = work_of(rows[i], day)
        keys = keys or keys_of_bases(bases)
        texts = [record(rows[i], works[i], keys[i]) for i in range(start, end)]
        chunks.append(separator.join(texts))
        last.made += end - start
        block_bases = "\n".join(bases[start:end])
        # (base_key makes [a-z0-9]+: the joined bases and keys split back as they were)
        if digest is not None and _PLAIN_KEYS.fullmatch(block_bases):
            when = today if any(works[i].accessed == today for i in range(start, end)) else ""
            kept[digest] = [block_bases, "\n".join(keys[start:end]), chunks[-1], when, start]
    return chunks, digest_of_bases


# Reading and writing ----------------------------------------------------------------------


def _read(path: Path, identity: str) -> tuple[dict[str, Any], str]:
    """The blocks of the cache file at ``path`` (digest → its text, or for a keyed format
    the list ``_keyed`` describes) and the digest of the base keys of the export that wrote
    it; ({}, "") when there is none or it is not usable."""
    try:
        with fileio.open_regular(path) as handle:
            data = handle.read()
        end = data.find(b"\n")
        magic, size, check = data[:end].split(b" ")
        payload = memoryview(data)[end + 1 :]
        if magic != MAGIC or int(size) != len(payload) or int(check, 16) != zlib.crc32(payload):
            return {}, ""
        split = data.index(b"\n", end + 1)
        head = orjson.loads(payload[: split - end - 1])
        if head["version"] != identity or type(head["bases"]) is not str:
            return {}, ""
        blob = str(payload[split - end :], "utf-8", "surrogatepass")
        found: dict[str, Any] = {}
        at = 0
        for digest, length, *rest in head["blocks"]:
            text = blob[at : at + length]
            at += length
            found[digest] = [*rest[:2], text, *rest[2:]] if rest else text
        if at != len(blob):
            return {}, ""
        return found, head["bases"]
    except Exception:  # no file, damaged, truncated, foreign: rebuilt
        return {}, ""


def _update(
    path: Path, identity: str, stored: dict[str, Any], kept: dict[str, Any], bases: str
) -> None:
    """Write this export's blocks when enough has changed: blocks not stored, or stored
    ones this export does not have (or not at the same place)."""
    new = sum(1 for digest, value in kept.items() if stored.get(digest) != value)
    stale = len(stored) - (len(kept) - new)
    changed = new + max(stale, 0)
    if not changed:
        return
    if len(kept) > SMALL and changed * REWRITE_SHARE < len(kept):
        return  # a few blocks made again each time cost less than rewriting the file
    _write(path, {"version": identity, "bases": bases, "blocks": kept})


def _write(path: Path, document: dict[str, Any]) -> None:
    """The file: a line with the magic word, the length and the CRC-32 of the rest; a line
    of JSON (the version, the base keys' digest, each block's digest, text length and for a
    keyed format its bases, keys, day and place); the blocks' texts, one after another."""
    try:
        heads: list[list[Any]] = []
        texts: list[str] = []
        for digest, value in document.pop("blocks").items():
            if type(value) is str:
                heads.append([digest, len(value)])
                texts.append(value)
            else:
                bases, keys, text, day, place = value
                heads.append([digest, len(text), bases, keys, day, place])
                texts.append(text)
        document["blocks"] = heads
        blob = "".join(texts).encode("utf-8", "surrogatepass")
        line = orjson.dumps(document) + b"\n"
        size, check = len(line) + len(blob), zlib.crc32(blob, zlib.crc32(line))
        data = b"".join((b"%s %d %08x\n" % (MAGIC, size, check), line, blob))
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fileio.write_atomic(path, data, mode=0o600, durable=False)
        last.written = True
        _prune(path.parent, keep=path)
    except Exception:  # a cache we cannot write only costs time
        return


def _prune(folder: Path, keep: Path) -> None:
    files = [p for p in folder.glob("*.cache") if p != keep]
    if len(files) < KEEP:
        return
    files.sort(key=lambda p: p.stat().st_mtime)
    for old in files[: len(files) - KEEP + 1]:
        with contextlib.suppress(OSError):
            old.unlink()
