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

The blocks the cache does not hold (all of them on the first export) are formatted by
``_Maker``: from ``PARALLEL_ROWS`` rows on, in parts on more than one core
(``parallel.map_parts``: a forked child formats a part and sends its bytes back; with
``RLHF_READER_PROCESSES=1``, in threads and where forking is unsafe, all here). A keyed
block is made with a place for each key (``%s``, its rows' base keys beside it), filled in
here once the keys are given from every row's base key: a block's bytes are the same
whichever process made it. When every block is made now, the cache file is
written in a thread while the export's file is written and synced; made in parts, the
blocks' digests are taken by the child after its part (``parallel.map_parts_then``), while
this process gives the keys and writes the export, and waited for by that thread.

The cache of one export lives in ``platformdirs.user_cache_dir("rlhf-reader")/exports``,
one file per list, library, filters, format and option (the ``scope`` the caller names),
under the SHA-256 of those and of the code's version: a digest of the formatting modules'
source, this format, the Python (its Unicode tables decide ``str.isprintable``) and orjson
versions. It holds the blocks of the export that wrote it, nothing else, as UTF-8 bytes:
each block's text and the format's separator after it, one after another in the order of
that export (the blob), after an index (marshal: each block's digest → its offset, length
and CRC-32, and a keyed block's keys) and a first line with the index's length and CRC-32
and the blob's length. Only the index is read before the export: a repeated export is a
list of parts — the head, runs of stored blocks, blocks made now, the tail — which
``export.export_file`` writes into the exported file, the stored blocks copied from the
cache file a megabyte at a time without being decoded (:class:`Rendered`). Every stored
block is checked against its CRC-32 as it is read: a damaged, truncated or foreign file is
ignored (found while copying: the half-written temp file is dropped, the cache file removed
and the export made again). Writes are atomic (temporary file, ``os.replace``), the file is
0600 (it holds the reader's notes and tags, as an export does) in a 0700 folder, and only
``KEEP`` files are kept.
"""

from __future__ import annotations

import array
import contextlib
import dataclasses
import functools
import hashlib
import itertools
import marshal
import operator
import os
import re
import sys
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from itertools import compress, repeat
from pathlib import Path
from typing import Any, TypeVar

import orjson

from rlhf_reader import parallel
from rlhf_reader.formats import export as fx
from rlhf_reader.formats.cite import Work, base_key, distinct, keys_of_bases, work_of
from rlhf_reader.library import fileio
from rlhf_reader.library.records import Row
from rlhf_reader.model import Annotation, Entry
from rlhf_reader.textsafe import printable

R = TypeVar("R")

# Bump when the meaning of the stored data changes; source changes are caught anyway.
FORMAT = 2
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


# What the rows' texts depend on besides the day (see row_inputs): their entries,
# annotations, arXiv records and extras (None, or one per row), in row order.
Inputs = tuple[list[Entry], list[Annotation], list[Any], "Sequence[Any] | None"]
_ENTRY = operator.attrgetter("entry")
_ANNOTATION = operator.attrgetter("annotation")
_METADATA = operator.attrgetter("metadata")
_KEY = operator.attrgetter("key")  # (an entry's)
_ROW_KEY = operator.attrgetter("entry.key")


def row_inputs(rows: Sequence[Row], extra: Sequence[Any] | None = None) -> Inputs:
    """What each row's text depends on besides the day: its entry's fields (but those no
    formatter reads), its annotation's, its arXiv record, and ``extra[i]`` (the JSON
    backup's addition). They are the JSON data the library reads (orjson) and the list's
    entries, whose field types are fixed: their orjson text tells any two apart. (Lists
    of the rows' objects: a block takes their fields when it is digested.)"""
    entries = list(map(_ENTRY, rows))
    annotations = list(map(_ANNOTATION, rows))
    return entries, annotations, list(map(_METADATA, rows)), extra


Block = tuple[int, int, bytes | None]  # (first row, end, digest of the rows' inputs)
BLOCK_BITS = 5  # blocks of 32 rows on average
MAX_BLOCK = 512
_KEY_BYTES = functools.partial(str.encode, encoding="utf-8", errors="surrogatepass")


def blocks(
    rows: Sequence[Row],
    inputs: Inputs,
    sections: Sequence[tuple[str, ...]] | None = None,
) -> list[Block]:
    """The rows cut into blocks (:func:`cuts`), each with the digest of its rows' inputs
    (:func:`digest`)."""
    return [(start, end, digest(inputs, start, end)) for start, end in cuts(rows, inputs, sections)]


def cuts(
    rows: Sequence[Row],
    inputs: Inputs,
    sections: Sequence[tuple[str, ...]] | None = None,
) -> list[tuple[int, int]]:
    """The rows cut into blocks: each block's first row and end.

    Hashing each row on its own cost a third of a second at 100,000 rows (a hash object
    and a serialisation per row); a block of rows costs one of each. A block ends after a
    row whose key's CRC-32 has its low ``BLOCK_BITS`` bits zero (or after ``MAX_BLOCK``
    rows), and with ``sections`` (Markdown) where the section changes: the cuts depend on
    the rows around them, not on their positions, so a row inserted or removed (a paper
    added to the list, marked read under ``--status read``) changes its own block only."""
    count = len(rows)
    ends = set(compress(itertools.count(1), _cut_marks(_keys_bytes(list(map(_KEY, inputs[0]))))))
    if sections is not None:  # a cut before each row whose section is not the one before's
        ends.update(compress(itertools.count(1), map(operator.ne, sections[1:], sections)))
    ends.add(count)
    out: list[tuple[int, int]] = []
    start = 0
    for end in sorted(ends):
        while end - start > MAX_BLOCK:
            out.append((start, start + MAX_BLOCK))
            start += MAX_BLOCK
        if end > start:
            out.append((start, end))
            start = end
    return out


@functools.lru_cache(maxsize=4)
def _ends_block(bits: int) -> bytes:
    """A CRC-32's low byte → 1 when its low ``bits`` bits are zero (a block ends), else 0."""
    return bytes(int(not i & ((1 << bits) - 1)) for i in range(256))


def _cut_marks(keys: list[bytes]) -> Iterable[int]:
    """1 for each key whose CRC-32 has its low ``BLOCK_BITS`` bits zero, else 0. In C:
    the CRCs in an array, their low bytes translated (a pass in Python cost 30 ms at
    100,000 rows, a map of small functions over the numbers 20 ms)."""
    crcs = array.array("I", map(zlib.crc32, keys))
    if crcs.itemsize != 4 or not 0 <= BLOCK_BITS <= 8:  # (the numbers asked one by one)
        low_bits = functools.partial(operator.and_, (1 << BLOCK_BITS) - 1)
        return map(operator.not_, map(low_bits, crcs))
    low = crcs.tobytes()[0 if sys.byteorder == "little" else 3 :: 4]
    return low.translate(_ends_block(BLOCK_BITS))


def _keys_bytes(keys: list[str]) -> list[bytes]:
    """Each key as UTF-8 (lone surrogates kept): encoded all at once, joined by newlines
    and split again (a call per key cost 0.04 s at 100,000), unless a key holds one."""
    parts = "\n".join(keys).encode("utf-8", "surrogatepass").split(b"\n")
    return parts if len(parts) == len(keys) else list(map(_KEY_BYTES, keys))


def digest(inputs: Inputs, start: int, end: int) -> bytes | None:
    """The digest of the orjson text of the inputs of rows ``start`` to ``end``: the
    entries' fields, the annotations' fields, the arXiv records, the extras. None when
    orjson cannot write them (a lone surrogate, a huge integer): such a block's rows are
    formatted every time."""
    entries, annotations, metadata, extra = inputs
    try:
        data = orjson.dumps(
            (
                list(map(_ENTRY_INPUTS, entries[start:end])),
                list(map(_ANNOTATION_INPUTS, annotations[start:end])),
                metadata[start:end],
                None if extra is None else extra[start:end],
            )
        )
    except Exception:
        return None
    return hashlib.sha256(data).digest()[:16]


class Damaged(Exception):
    """Bytes of the cache file that are not what its index says (their CRC-32 differs, the
    file is shorter): the export is made without the cache."""


# A block's bytes in the cache file: (offset in the blob, length, CRC-32, length written).
# The stored bytes are the block's text and the format's separator after it; the last block
# of an export is written without its separator (the length written is shorter).
Unit = tuple[int, int, int, int]
Part = bytes | Unit
BUFFER = 1 << 20  # bytes read from the cache file at a time
_PREADV = hasattr(os, "preadv")


class Rendered:
    """The bytes of one export: literal parts (the head, blocks formatted now, the tail)
    and blocks of the cache file, read, checked against their CRC-32 and written without
    decoding. ``write`` into a file descriptor, ``data`` / ``text`` for the whole; then
    ``finish`` brings the cache file up to date. Close it (a context manager)."""

    def __init__(
        self,
        parts: list[Part],
        source: Any = None,
        base: int = 0,
        update: Callable[[Rendered], None] | None = None,
    ) -> None:
        self.parts = parts
        self.source = source  # the open cache file the units are read from
        self.base = base  # where its blob starts
        self._update = update
        self.path: Path | None = None  # the cache file (forgotten when damaged)
        self.maker: _Maker | None = None  # (closed with this: see ``_Maker.close``)

    def __enter__(self) -> Rendered:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.source is not None:
            self.source.close()
            self.source = None
        if self.maker is not None:
            self.maker.close()
            self.maker = None

    def chunks(self) -> Iterator[bytes | memoryview]:
        """The export's bytes, in pieces; a memoryview is valid until the next piece.
        ``Damaged`` when the cache file's bytes are not the stored ones."""
        parts = self.parts
        count = len(parts)
        buffer = bytearray()
        i = 0
        while i < count:
            part = parts[i]
            if type(part) is bytes:
                yield part
                i += 1
                continue
            # A run of units one after the other in the file: read at once (up to BUFFER).
            first = part[0]
            end = first + part[1]
            j = i + 1
            while (
                j < count
                and type(unit := parts[j]) is tuple
                and unit[0] == end
                and end - first + unit[1] <= BUFFER
                and parts[j - 1][3] == parts[j - 1][1]  # type: ignore[index]
            ):
                end += unit[1]
                j += 1
            size = end - first
            if len(buffer) < size:
                buffer = bytearray(max(size, BUFFER))
            view = memoryview(buffer)
            self._read_into(view[:size], first)
            at = 0
            for unit in parts[i:j]:
                offset, length, check, _written = unit  # type: ignore[misc]
                if zlib.crc32(view[at : at + length]) != check:
                    raise Damaged(offset)
                at += length
            last = parts[j - 1]
            yield view[: size - (last[1] - last[3])]  # type: ignore[index]
            i = j

    def _read_into(self, view: memoryview, offset: int) -> None:
        """Fill ``view`` from the blob at ``offset`` (``Damaged`` if the file is shorter)."""
        if self.source is None:
            raise Damaged(offset)
        done = 0
        while done < len(view):
            at = self.base + offset + done
            try:
                if _PREADV:  # no seek: one call
                    n = os.preadv(self.source.fileno(), [view[done:]], at)
                else:  # (Windows)
                    self.source.seek(at)
                    n = self.source.readinto(view[done:])
            except OSError as exc:
                raise Damaged(offset) from exc
            if not n:
                raise Damaged(offset)
            done += n

    def write(self, fd: int) -> None:
        """Write the export into ``fd`` (all of it, or ``Damaged`` / ``OSError``)."""
        fileio.write_all(fd, self.chunks())

    def data(self) -> bytes:
        return b"".join([bytes(chunk) for chunk in self.chunks()])

    def text(self) -> str:
        return self.data().decode("utf-8")

    def finish(self) -> None:
        """Bring the cache file up to date (after the export was written); silent."""
        update, self._update = self._update, None
        if update is not None:
            update(self)

    def write_and_finish(self, write: Callable[[], R]) -> R:
        """``write()`` (the export into its file), then :meth:`finish`; ``write``'s result.

        When no byte comes from the old cache file (the first export: every block made
        now), the cache file is written in a thread while ``write`` runs: both are mostly
        ``os.write`` and the export's ``fsync``, which let the other thread run, so the
        cache costs little of the command's time (a tenth of a second at 100,000 rows).
        It is written even when ``write`` fails: its blocks are this export's rows'
        texts, whatever became of the file. Else, in order (``write`` may find the old
        cache file damaged: then it is not to be copied)."""
        if self.source is not None or self._update is None:
            result = write()
            self.finish()
            return result
        thread = threading.Thread(target=self.finish, name="export-cache")
        thread.start()
        try:
            return write()
        finally:
            thread.join()

    def forget(self) -> None:
        """The cache file is damaged: removed, so that the next export rebuilds it."""
        self.close()
        if self.path is not None:
            with contextlib.suppress(OSError):
                self.path.unlink()


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
    for _attempt in range(2):
        rendered = render(
            rows, fmt, scope=scope, title=title, additions=additions, today=today, now=now,
            csv_raw=csv_raw,
        )  # fmt: skip
        if rendered is None:
            return None
        with rendered:
            try:
                text = rendered.text()
            except Damaged:
                rendered.forget()  # and made again, without it
                continue
            except Exception:
                return None
            rendered.finish()
            return text
    return None


def render(
    rows: list[Row],
    fmt: str,
    *,
    scope: str,
    title: str,
    additions: Mapping[str, Mapping[str, Any]] | None,
    today: date | None,
    now: str | None,
    csv_raw: bool,
) -> Rendered | None:
    """The bytes of ``export.export(rows, fmt, …)`` as a :class:`Rendered`: the rows'
    texts from the cache of ``scope`` where they are still valid, the others formatted;
    None if anything went wrong (then the caller formats the rows itself). Its ``finish``
    writes the cache file when enough changed."""
    global last
    for attempt in range(2):
        last = Stats()
        try:
            return _render(rows, fmt, scope, title, additions or {}, today, now, csv_raw)
        except Damaged as exc:  # (a block read now: Markdown's) removed, and made again
            if attempt == 0 and isinstance(exc.args[0], Path):
                with contextlib.suppress(OSError):
                    exc.args[0].unlink()
                continue
            return None
        except Exception:  # the cache only saves time: the caller formats the rows
            return None
    return None


def _render(
    rows: list[Row],
    fmt: str,
    scope: str,
    title: str,
    additions: Mapping[str, Mapping[str, Any]],
    today: date | None,
    now: str | None,
    csv_raw: bool,
) -> Rendered:
    day = today or date.today()  # once: every row of this export has the same day
    option = "raw" if fmt == "csv" and csv_raw else ""
    path = cache_path(fmt, option, scope)
    identity = f"{code_version()}\0{fmt}\0{option}\0{scope}"
    source, base, stored, stored_bases = _read(path, identity)
    try:
        rendered = _rendered(
            rows, fmt, path, identity, source, base, stored, stored_bases, title, additions,
            day, now, csv_raw,
        )  # fmt: skip
    except Damaged:
        if source is not None:
            source.close()
        raise Damaged(path) from None
    except BaseException:
        if source is not None:
            source.close()
        raise
    rendered.path = path
    return rendered


def _rendered(
    rows: list[Row],
    fmt: str,
    path: Path,
    identity: str,
    source: Any,
    base: int,
    stored: dict[bytes, tuple[Any, ...]],
    stored_bases: str,
    title: str,
    additions: Mapping[str, Mapping[str, Any]],
    day: date,
    now: str | None,
    csv_raw: bool,
) -> Rendered:
    selected = rows if fmt == "markdown" else distinct(rows)
    extra = list(map(additions.get, map(_ROW_KEY, selected))) if fmt == "json" else None
    sections = [row.entry.section for row in rows] if fmt == "markdown" else None
    inputs = row_inputs(selected, extra)
    ranges = cuts(selected, inputs, sections)
    # With no cache file to look blocks up in, every block is made: its digest is taken
    # where its rows are formatted, or for a big export in parts by a child after its part.
    cut: list[Block] = (
        [(start, end, digest(inputs, start, end)) for start, end in ranges]
        if stored
        else [(start, end, None) for start, end in ranges]
    )
    maker = _Maker(fmt, selected, inputs, day, csv_raw, digests=not stored)
    kept: dict[Any, tuple[Any, ...]] = {}  # what the cache file is to hold: this export's
    bases_digest = ""
    separator = _SEPARATOR[fmt].encode()
    trails: list[int] = []
    try:
        if fmt in _KEYED:
            units, bases_digest, new = _keyed(fmt, selected, cut, stored, stored_bases, kept, maker)
        else:
            units, new, trails = _plain(fmt, cut, stored, kept, maker)
    except BaseException:
        maker.close()
        raise
    last.rows = len(selected)
    update = functools.partial(_update, path, identity, stored, kept, new, bases_digest, maker)
    rendered = Rendered([], source, base, update)
    rendered.maker = maker
    if sections is not None:  # Markdown: each block's section, for the headings
        starts = [sections[start] for start, _end, _digest in cut]
        rendered.parts = _markdown(rows, starts, units, trails, title=title, day=day)
        return rendered
    if not units:  # the file of no rows: as the formatter writes it
        rendered.parts = [fx.export_frame(fmt, 0, title=title, now=now)[0].encode("utf-8")]
        return rendered
    head, tail = fx.export_frame(fmt, len(units), title=title, now=now)
    last_unit = units[-1]
    if type(last_unit) is bytes:
        units[-1] = last_unit[: len(last_unit) - len(separator)]
    else:
        offset, length, check, _written = last_unit
        units[-1] = (offset, length, check, length - len(separator))
    rendered.parts = [head.encode("utf-8"), *units, tail.encode("utf-8")]
    return rendered


# How each format's file joins its rows' texts (and so a block's text joins its rows').
_SEPARATOR = {"markdown": "\n", "csv": "", "json": ",\n", "bibtex": "\n\n", "ris": "\n"}
_SEPARATOR["csl-json"] = ",\n"

# A keyed format's record (``_KEYED``) writes its key once, as it is given (a key is
# [a-z0-9]+: nothing to escape), and nothing else of it depends on the key: made with the
# key "%s", a record is the template of its record with any key (with "%" doubled
# elsewhere; a record with a "%" of its own is made with this placeholder instead, which
# then takes the "%s"'s place).
_PLACEHOLDER = "rlhfreaderkeyplaceholder0q9z"

# Rows to format (of the blocks not found in the cache) from which the formatting is
# shared among processes (``parallel.map_parts``); fewer are formatted here (a fork costs
# a few milliseconds, and the child's pages copied as it touches the rows).
PARALLEL_ROWS = 4_000


def _unit(text: str, separator: str) -> bytes:
    return (text + separator).encode("utf-8")


# What ``_Maker`` makes of a block of rows: the digest of its inputs (with ``digests``,
# else None) and its bytes (the rows' texts, each followed by the format's separator);
# for Markdown and the plain formats also the number of newlines its text ends with; for
# the keyed formats the bytes are a template with ``%s`` where each row's key goes (``%``
# doubled elsewhere), then the rows' base keys (joined by newlines) and the day if a
# record's ``accessed`` was today (else "").
Made = tuple[Any, ...]


class _Maker:
    """Formats the blocks that the cache does not hold, in parts on several cores when
    there are enough of them (``parallel``: the first part here, the others in forked
    children; a child that fails is made up for here). What each block becomes depends on
    its rows only, never on the part it is in: the keys of BibTeX, RIS and CSL-JSON, which
    depend on every row before, are put into the templates afterwards, here (``_keyed``).

    A child's blocks come back as ``parallel.map_parts`` returns every result: marshalled
    into a file with no name, one by one as the child makes them (``job`` is a generator),
    that this process reads once the child says it is done."""

    def __init__(
        self, fmt: str, rows: Sequence[Row], inputs: Inputs, day: date, csv_raw: bool,
        *, digests: bool,
    ) -> None:  # fmt: skip
        self.fmt = fmt
        self.rows = rows
        self.inputs = inputs
        self.day = day
        self.csv_raw = csv_raw
        self.digests = digests  # the blocks' digests are wanted (no cache file)
        self.digest_here = digests  # … and taken with each block (else: ``later``)
        # The digests of the blocks made in parts, taken by a child after its part:
        # ``made[0]`` is then the block's number in them (see ``with_digests``).
        self.later: parallel.Later[list[bytes | None]] | None = None

    def make(self, ranges: list[tuple[int, int]]) -> list[Made]:
        """What each block of ``ranges`` (its first row and end) is made into, in order.

        Made in parts, the blocks' digests (an eighth of the formatting: orjson of the
        inputs, SHA-256) are taken by the last child once it has sent its blocks, while
        this process gives the keys, fills the templates and writes the export: only the
        cache file needs them, and it is written last (``with_digests``)."""
        count = sum(end - start for start, end in ranges)
        processes = parallel.processes() if count >= PARALLEL_ROWS else 1
        parts = _balanced(ranges, processes, count) if processes > 1 else []
        if len(parts) < 2:  # (one block: one part)
            return list(self.job(ranges))
        if not self.digests:
            return [made for part in parallel.map_parts(self.job, parts) for made in part]
        self.digest_here = False  # (before the fork: the children make them without)
        then = functools.partial(self.digests_of, ranges)
        try:
            parts_made, self.later = parallel.map_parts_then(self.job, parts, then)
        finally:
            self.digest_here = True
        made = itertools.chain.from_iterable(parts_made)
        return [(number, *block[1:]) for number, block in enumerate(made)]

    def digests_of(self, ranges: Sequence[tuple[int, int]]) -> list[bytes | None]:
        """Each block's digest (:func:`digest`), in order."""
        inputs = self.inputs
        return [digest(inputs, start, end) for start, end in ranges]

    def with_digests(
        self, kept: dict[Any, tuple[Any, ...]], new: int
    ) -> tuple[dict[Any, Any], int]:
        """``kept`` and ``new`` with each made block's number (see :meth:`make`) replaced by
        its digest (waited for: taken by a child, or here if it failed), those with none
        left out; as they are when every digest was taken with its block."""
        later, self.later = self.later, None
        if later is None:
            return kept, new
        digests = later.result()
        resolved: dict[Any, tuple[Any, ...]] = {}
        for number, value in kept.items():
            if type(number) is not int:  # (never: made in parts only with no cache file)
                resolved[number] = value
            elif (found := digests[number]) is not None:
                resolved[found] = value
            else:
                new -= 1
        return resolved, new

    def close(self) -> None:
        """No child left running (an export that failed before its cache file)."""
        later, self.later = self.later, None
        if later is not None:
            later.close()

    def job(self, ranges: Sequence[tuple[int, int]]) -> Iterator[Made]:
        """The blocks of one part, one after another (run in a child, each is marshalled
        back as it is made, and freed: see ``parallel.map_parts``)."""
        block = self._keyed_block if self.fmt in _KEYED else self._plain_block
        inputs, digests = self.inputs, self.digest_here
        return (
            (digest(inputs, start, end) if digests else None, *block(start, end))
            for start, end in ranges
        )

    def _plain_block(self, start: int, end: int) -> tuple[bytes, int]:
        fmt, rows = self.fmt, self.rows
        separator = _SEPARATOR[fmt]
        if fmt == "markdown":
            text = separator.join(map(fx.markdown_row, rows[start:end]))
            return _unit(text, separator), len(text) - len(text.rstrip("\n"))
        if fmt == "csv":
            raw = self.csv_raw
            texts = [fx.csv_row(row, raw) for row in rows[start:end]]
        else:
            extra = self.inputs[3]
            assert extra is not None
            texts = list(map(fx.json_entry, rows[start:end], extra[start:end]))
        return _unit(separator.join(texts), separator), 0

    def _keyed_block(self, start: int, end: int) -> tuple[bytes, str, str]:
        fmt, day = self.fmt, self.day
        record, separator = _KEYED[fmt], _SEPARATOR[fmt]
        today = day.isoformat()
        rows = self.rows[start:end]
        works = list(map(work_of, rows, repeat(day)))
        pieces = list(map(record, rows, works, repeat("%s")))
        text = separator.join(pieces)
        # Each record writes its key once: with no "%" of their own, the block has one "%"
        # a record (asked of the block's text at once; the separators have none).
        if text.count("%") != len(pieces):  # a "%" of its own (a tag "100%"): escaped
            text = separator.join(map(functools.partial(_template, fmt), rows, works, pieces))
        when = today if today in map(_ACCESSED, works) else ""
        return _unit(text, separator), "\n".join(map(base_key, works)), when


_ACCESSED = operator.attrgetter("accessed")


def _template(fmt: str, row: Row, work: Work, text: str) -> str:
    """The template of a row's keyed record whose text with the key "%s" is ``text``: the
    "%s" where the key goes, any "%" of the record's own doubled."""
    if text.count("%") == 1:
        return text
    text = _KEYED[fmt](row, work, _PLACEHOLDER).replace("%", "%%")
    if text.count(_PLACEHOLDER) != 1:  # (never: the cache is then not used)
        raise ValueError(f"{fmt}: a record with the key placeholder in it")
    return text.replace(_PLACEHOLDER, "%s")


def _balanced(ranges: list[tuple[int, int]], count: int, rows: int) -> list[list[tuple[int, int]]]:
    """``ranges`` in at most ``count`` runs with nearly the same number of rows each."""
    parts: list[list[tuple[int, int]]] = [[]]
    done = 0
    for block in ranges:
        if done * count >= rows * len(parts) and len(parts) < count:
            parts.append([])
        parts[-1].append(block)
        done += block[1] - block[0]
    return [part for part in parts if part]


def _plain(
    fmt: str,
    cut: Sequence[Block],
    stored: dict[bytes, tuple[Any, ...]],
    kept: dict[bytes, tuple[Any, ...]],
    maker: _Maker,
) -> tuple[list[Part], int, list[int]]:
    """The bytes of the blocks of Markdown, CSV or JSON rows (each block's text and the
    separator after it): a unit of the cache file where stored, else made (``maker``); how
    many were made; for Markdown the number of newlines each block's text ends with (the
    headings between blocks depend on it). The blocks of this export go into ``kept``:
    ``(unit,)`` stored, ``(bytes, None)`` made (the CRC-32 taken when the cache file is
    written; for Markdown those newlines after either)."""
    markdown = fmt == "markdown"
    shape = 4 if markdown else 3
    found: list[Any] = []
    for _start, _end, digest_ in cut:
        value = stored.get(digest_) if digest_ is not None else None
        found.append(value if value is not None and len(value) == shape else None)
    made = iter(maker.make([(s, e) for (s, e, _d), v in zip(cut, found, strict=True) if v is None]))
    units: list[Part] = []
    trails: list[int] = []
    new = 0
    for (start, end, digest_), value in zip(cut, found, strict=True):
        if value is not None:
            unit: Part = (*value[:3], value[1])
            last.reused += end - start
            if digest_ is not None:
                kept[digest_] = (unit, *value[3:])
            if markdown:
                trails.append(value[3])
        else:
            got, data, trail = next(made)
            if maker.digests:
                digest_ = got
            unit = data
            last.made += end - start
            if markdown:
                trails.append(trail)
            if digest_ is not None:
                kept[digest_] = (data, None, trail) if markdown else (data, None)
                new += 1
        units.append(unit)
    return units, new, trails


def _markdown(
    rows: Sequence[Row],
    starts: Sequence[tuple[str, ...]],
    units: list[Part],
    trails: Sequence[int],
    *,
    title: str,
    day: date,
) -> list[Part]:
    """The parts of the Markdown file whose blocks are ``units`` (each its rows' texts and
    a newline) and begin in the sections ``starts``: what ``export.markdown_text`` makes of
    their texts — the title, the counts, each section's heading where the section changes
    (an empty line before it unless the text before ends in one), the blocks, one newline
    at the end."""
    papers = fx.paper_counts(rows)
    lines = [
        f"# {printable(title)}",
        "",
        f"{papers.read} of {papers.total} read, {papers.reading} in progress "
        f"(exported by rlhf-reader on {day.isoformat()}).",
    ]
    blank_needed = True  # the line before is not empty and does not end in a newline
    parts: list[Part] = []
    current: tuple[str, ...] = ()
    for path, unit, trail in zip(starts, units, trails, strict=True):
        if path != current:
            for depth in fx.new_headings(current, path):
                if blank_needed:
                    lines.append("")
                lines += [f"{'#' * min(depth + 2, 6)} {printable(path[depth])}", ""]
                blank_needed = False
            current = path
        if lines:
            parts.append(("\n".join(lines) + "\n").encode("utf-8"))
            lines = []
        parts.append(unit)
        length = len(unit) if type(unit) is bytes else unit[1]
        blank_needed = not trail and length > 1  # (a text "" or ending in a newline: not)
    if lines:  # no rows: the head only
        parts.append(("\n".join(lines) + "\n").encode("utf-8"))
        return parts
    # The file ends in one newline: the last block's own trailing newlines are left out.
    final = parts[-1]
    length = len(final) if type(final) is bytes else final[1]  # type: ignore[index]
    trail = trails[-1]
    if trail + 1 >= length:  # a text of newlines only: rstrip would go on (never made)
        raise ValueError("a Markdown block of newlines only")
    if type(final) is bytes:
        parts[-1] = final[: length - trail]
    else:
        offset, length, check, _written = final  # type: ignore[misc]
        parts[-1] = (offset, length, check, length - trail)
    return parts


def _keyed(
    fmt: str,
    rows: Sequence[Row],
    cut: Sequence[Block],
    stored: dict[bytes, tuple[Any, ...]],
    stored_bases: str,
    kept: dict[bytes, tuple[Any, ...]],
    maker: _Maker,
) -> tuple[list[Part], str, int]:
    """The bytes of the blocks of BibTeX, RIS or CSL-JSON rows, their keys given across
    all rows (``keys_of_bases``, as the uncached export gives them), the digest of the
    rows' base keys, and how many blocks are new to the cache file (made, or at another
    place).

    A stored block is ``(offset, length, CRC-32, its rows' base keys, their keys, day, its
    first row's number)`` (keys joined by newlines; the day "" unless a record's
    ``accessed`` was today: then usable on that day only). Its bytes are used when its rows
    get the keys it was made with: when all rows' bases and its place are those of the
    export that stored it (the keys are then the same), else when the keys given now are
    its keys. The other blocks are made (``maker``) with a place for each key, filled in
    here once every row's base key is known."""
    record = _KEYED[fmt]
    day = maker.day
    today = day.isoformat()
    found: list[Any] = []
    for start, end, digest_ in cut:
        value = stored.get(digest_) if digest_ is not None else None
        if (
            value is not None
            and len(value) == 7
            and (not value[5] or value[5] == today)
            and len(names := value[3].split("\n")) == end - start
        ):
            found.append((value, names))
        else:
            found.append(None)
    made = maker.make([(s, e) for (s, e, _d), v in zip(cut, found, strict=True) if v is None])
    bases: list[str] = []
    fresh: list[Made | None] = []  # each block's made bytes, where made
    given = iter(made)
    for (start, end, _digest), hit in zip(cut, found, strict=True):
        if hit is not None:
            bases += hit[1]
            fresh.append(None)
            continue
        made_block = next(given)
        names = made_block[2].split("\n")
        if len(names) != end - start:
            raise ValueError("base keys")  # (never: the cache is then not used at all)
        bases += names
        fresh.append(made_block)
    del made, given  # (each template freed once filled: the file's bytes once, not twice)
    joined_bases = "\n".join(bases)
    digest_of_bases = hashlib.sha256(joined_bases.encode()).hexdigest()
    # (base_key makes [a-z0-9]+: the joined bases and keys split back as they were; asked
    # of all at once, else of each block's)
    all_plain = _plain_keys(joined_bases, len(bases))
    del joined_bases
    same_bases = digest_of_bases == stored_bases
    keys: list[str] | None = None
    key_bytes: list[bytes] | None = None
    separator = _SEPARATOR[fmt]
    units: list[Part] = []
    new = 0
    for index, ((start, end, digest_), hit) in enumerate(zip(cut, found, strict=True)):
        block, fresh[index] = fresh[index], None
        if hit is not None:
            value = hit[0]
            if same_bases and value[6] == start:
                block_keys = value[4]
            else:
                keys = keys or keys_of_bases(bases)
                block_keys = "\n".join(keys[start:end])
            if block_keys == value[4]:
                assert digest_ is not None  # (a stored block has one)
                units.append((*value[:3], value[1]))
                if value[6] != start:
                    new += 1
                    value = (*value[:6], start)
                kept[digest_] = ((*value[:3], value[1]), *value[3:])
                last.reused += end - start
                continue
        keys = keys or keys_of_bases(bases)
        if block is not None:  # made: each row's key put in its place
            if maker.digests:
                digest_ = block[0]
            if key_bytes is None:  # (every key encoded at once: one join, encode, split)
                key_bytes = "\n".join(keys).encode().split(b"\n")
                if len(key_bytes) != len(keys):  # (never: a key is [a-z0-9]+)
                    raise ValueError("keys")
            data = block[1] % tuple(key_bytes[start:end])
            block_bases, when = block[2], block[3]
        else:  # stored, but its rows have other keys now: made again, here
            works = [work_of(rows[i], day) for i in range(start, end)]
            texts = [record(rows[i], works[i - start], keys[i]) for i in range(start, end)]
            data = _unit(separator.join(texts), separator)
            block_bases = "\n".join(bases[start:end])
            when = today if any(work.accessed == today for work in works) else ""
        units.append(data)
        last.made += end - start
        if digest_ is not None and (all_plain or _PLAIN_KEYS.fullmatch(block_bases)):
            kept[digest_] = (data, None, block_bases, "\n".join(keys[start:end]), when, start)
            new += 1
    return units, digest_of_bases, new


_KEY_CHARACTERS = b"abcdefghijklmnopqrstuvwxyz0123456789\n"


def _plain_keys(joined: str, count: int) -> bool:
    """Whether ``count`` base keys joined by newlines are each ``[a-z0-9]+`` (what
    ``_PLAIN_KEYS`` matches of a block's: asked of all at once with a byte translation)."""
    if not joined.isascii() or joined.count("\n") != count - 1:
        return False
    if "\n\n" in joined or joined[:1] == "\n" or joined[-1:] == "\n" or not joined:
        return False
    return not joined.encode("ascii").translate(None, _KEY_CHARACTERS)


# Reading and writing ----------------------------------------------------------------------


def _read(path: Path, identity: str) -> tuple[Any, int, dict[bytes, tuple[Any, ...]], str]:
    """The open cache file at ``path``, where its blob starts, its blocks (digest → the
    unit's offset, length and CRC-32, for a keyed format also what ``_keyed`` describes)
    and the digest of the base keys of the export that wrote it; (None, 0, {}, "") when
    there is none or it is not usable. Only the head and the index are read: a block's
    bytes are read (and checked) when the export is written."""
    handle = None
    try:
        handle = fileio.open_regular(path)
        head = handle.readline(256)
        magic, size_text, check, blob_text = head.split(b" ")
        index_size, blob_size = int(size_text), int(blob_text)
        if magic != MAGIC or index_size < 0 or blob_size < 0:
            raise Damaged(path)
        base = len(head) + index_size
        if os.fstat(handle.fileno()).st_size != base + blob_size:
            raise Damaged(path)
        index = handle.read(index_size)
        if len(index) != index_size or int(check, 16) != zlib.crc32(index):
            raise Damaged(path)
        version, bases, found = marshal.loads(index)
        if version != identity or type(bases) is not str or type(found) is not dict:
            raise Damaged(path)
        for value in found.values():  # every unit inside the blob
            offset, length = value[0], value[1]
            if type(offset) is not int or type(length) is not int:
                raise Damaged(path)
            if offset < 0 or length < 0 or offset + length > blob_size:
                raise Damaged(path)
        return handle, base, found, bases
    except Exception:  # no file, damaged, truncated, foreign: rebuilt
        if handle is not None:
            handle.close()
        return None, 0, {}, ""


def _update(
    path: Path,
    identity: str,
    stored: dict[bytes, tuple[Any, ...]],
    kept: dict[Any, tuple[Any, ...]],
    new: int,
    bases: str,
    maker: _Maker,
    rendered: Rendered,
) -> None:
    """Write this export's blocks when enough has changed: blocks not stored (or stored at
    another place), or stored ones this export does not have. (The digests of blocks made
    in parts are waited for here: see ``_Maker.make``.)"""
    try:
        kept, new = maker.with_digests(kept, new)
    except Exception:  # a cache we cannot write only costs time
        return
    stale = len(stored) - (len(kept) - new)
    changed = new + max(stale, 0)
    if not changed:
        return
    if len(kept) > SMALL and changed * REWRITE_SHARE < len(kept):
        return  # a few blocks made again each time cost less than rewriting the file
    _write(path, identity, bases, kept, rendered)


def _write(
    path: Path, identity: str, bases: str, kept: dict[bytes, tuple[Any, ...]], rendered: Rendered
) -> None:
    """The file: a line with the magic word, the index's length and CRC-32 and the blob's
    length; the index (marshal: the version, the base keys' digest, each block's digest →
    its offset in the blob, length, CRC-32 and for a keyed format its bases, keys, day and
    place); the blob: the blocks' bytes in the order of this export, each its text and the
    format's separator. Blocks kept from the old file are copied from it (and checked)."""
    try:
        index: dict[bytes, tuple[Any, ...]] = {}
        parts: list[Part] = []
        offset = 0
        for digest, value in kept.items():
            data = value[0]
            if type(data) is bytes:  # made now: its CRC-32 taken here
                length, check, rest = len(data), zlib.crc32(data), value[2:]
            else:
                length, check, rest = data[1], data[2], value[1:]
            parts.append(data)
            index[digest] = (offset, length, check, *rest)
            offset += length
        packed = marshal.dumps((identity, bases, index))
        head = b"%s %d %08x %d\n" % (MAGIC, len(packed), zlib.crc32(packed), offset)
        copy = Rendered([head, packed, *parts], rendered.source, rendered.base)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fileio.write_atomic_with(path, copy.write, mode=0o600, durable=False)
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
