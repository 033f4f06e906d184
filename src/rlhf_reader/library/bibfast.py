"""A fast reader for the BibTeX nearly every .bib file is written in, bibtexparser for the rest.

bibtexparser (v2, the default parse stack: string references resolved, enclosing braces and
quotes removed) costs ~0.15 ms an entry: 15-20 s for 100,000. :func:`entries` gives what
:func:`library_entries` makes of ``bibtexparser.parse_string(text)``, the same list, for the
shape our exports, Zotero / Better BibTeX, Google Scholar, arXiv, DBLP and Semantic Scholar
write: ``@type{key,`` then ``name = {braced {nested} value}`` / ``"quoted"`` / a bare word or
number, separated by commas, ``}`` closing, free text between entries. Anything else is
bibtexparser's.

A file that is only entries of that shape, with text between them that starts no block, is
read in one pass (``_common``: one regex, token by token, the way bibtexparser's splitter
goes through it mark by mark). Any other file is read in chunks (``_chunked``):

Why a part of a file can go to bibtexparser on its own: bibtexparser's splitter walks from
"mark" to mark (``{ } " , = \\n`` unless right after a backslash, and ``@word`` before ``{``
or ``(``). An ``@word{`` that starts a line (white space before it) ends whatever block the
splitter is in — it aborts a block still open, whatever it was looking for — and starts the
next; so does the first ``@word{`` after a block that closed. A chunk runs from such a mark
to the next line-start one, and is split the same alone as inside the file. A chunk that
begins with an entry of the common shape is read here up to that entry's end (the next chunk
begins at the next ``@word{``); any other chunk (``@comment``, ``@preamble``, an entry in
parentheses, a value with ``#`` or a backslash before a comma…) is given to bibtexparser
alone. What joins the chunks is the library's: an entry whose key came before is dropped (a
duplicate), an entry with a field name twice is dropped. The whole file goes to bibtexparser
when that would not be the same: an ``@string`` anywhere (it changes the entries before it
too), a block bibtexparser cannot split (its warnings carry line numbers of the whole file),
an error, or no entry at all (the import's refusal names the line of the first broken block).

``tests/test_bib_fast.py`` compares the two on generated BibTeX with every case above.

A big file is read in parts on several cores (bibimport): :func:`cuts` says where,
:func:`read_part` reads a part the way the one pass reads it inside the whole file, or
refuses (``tests/test_import_parallel.py`` tries every cut of generated files).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

# One entry as the import reads it: (key, entry type, [(field name, value), …]), names and
# type as written (bibtexparser lowers the type), values without their enclosing.
RawEntry = tuple[str, str, list[tuple[str, str]]]
# What read_part keeps of an entry instead (bibimport: its row), from its key, type, fields.
Convert = Callable[[str, str, list[tuple[str, str]]], Any]

# bibtexparser's block start (splitter._BLOCK_START); \w and \s are Unicode, \s is exactly
# str.isspace (what the splitter's strip() and line-start test use).
_BLOCK_START = r"@\w*[ \t]*(?=[{(])"
_ANY_BLOCK_RE = re.compile(_BLOCK_START)

# Text in a key or a field name: no mark, no backslash (it escapes the mark after it), no @.
_NAME = r'[^{}",=@\\]*+'
# A backslash escapes the character after it (the splitter's "(?<!\\)" on every mark): a run
# of backslashes and the character after it, taken whole.
_ESCAPE = r"(?>\\+[^\\]?)"


def _braced(depth: int) -> str:
    """The inside of ``{…}`` with up to ``depth`` levels of braces nested in it."""
    inner = rf"(?:[^{{}}\\]++|{_ESCAPE})*+"
    for _ in range(depth):
        inner = rf"(?:[^{{}}\\]++|{_ESCAPE}|\{{{inner}\}})*+"
    return inner


_BRACED = _braced(6)
# In quotes braces do not count; a quote is the end unless it is the `{"}` escape.
_QUOTED = rf'(?:[^"\\]++|{_ESCAPE}|(?<=\{{)"(?=\}}))*+'
# A bare value: a number, a macro name, `a # b`; everything up to the comma or brace.
_BARE = r'[^{}",\\]*+'
_VALUE = rf'\s*+(?:\{{{_BRACED}\}}\s*+|"{_QUOTED}"\s*+|{_BARE})'
_FIELD = rf"{_NAME}={_VALUE}"

_ENTRY_RE = re.compile(rf"@(\w*[ \t]*)\{{({_NAME})(?:\}}|,((?:{_FIELD},)*+(?:{_FIELD})?)\s*+\}})")
_FIELDS_RE = re.compile(
    rf'({_NAME})=\s*+(?:\{{({_BRACED})\}}|"({_QUOTED})"|({_BARE}))\s*+(?:,|\}}|\Z)'
)
_SPECIAL_BLOCKS = ("@comment", "@preamble", "@string")


# The whole file in one pass, one token at a time: an entry's start ``@type{key,``, a field
# with the comma or brace after it, text without an @ between entries, or another @.
_TOKEN_RE = re.compile(
    rf"(@\w*[ \t]*)\{{({_NAME}),"
    rf'|({_NAME})=\s*+(?:(\{{{_BRACED}\}}|"{_QUOTED}")|({_BARE}))\s*+(,(?:\s*+\}})?|\}})'
    rf"|([^@]++|@(?:\w*[ \t]*[{{(])?)"
)
# A block start at the start of a line inside a value: the splitter stops the entry there.
_LINE_MARK_RE = re.compile(r"\n[^\S\n]*@\w*[ \t]*[{(]")


def entries(text: str) -> list[RawEntry] | None:
    """The entries of ``text`` as bibtexparser reads them, or None: read the whole file with
    bibtexparser (see the module's docstring)."""
    return read(text)[0]


def read(text: str) -> tuple[list[RawEntry] | None, bool]:
    """:func:`entries`, and whether the one pass read the whole file (nothing of it left
    to bibtexparser, which may print warnings)."""
    found = _common(text)
    if found is not None:
        return found, True
    return _chunked(text), False


def _common(
    text: str, start: int = 0, stop: int = -1, part: bool = False, convert: Convert | None = None
) -> list[Any] | None:
    """The entries of a file that is only entries of the common shape and text without a
    block between them, read in one pass (what bibtexparser's splitter does with it, mark by
    mark); None for any other file. ``part``: read ``text[start:stop]`` as :func:`read_part`
    does. The entries written a field a line at its start are read a whole entry at a time
    (:func:`_lines`), the rest token by token. ``convert``: see :func:`read_part`."""
    result: list[Any] = []
    seen: set[str] = set()
    stop = len(text) if stop < 0 else stop
    start = _lines(text, start, stop, result, seen, convert)
    fields: list[tuple[str, str]] | None = None
    names: set[str] = set()
    key = kind = ""
    tokens = _TOKEN_RE.findall(text, start, stop)
    for head, raw_key, name, enclosed, bare, end, other in tokens:
        if fields is not None:  # in an entry: only fields
            if not end:
                return None
            name = name.strip()
            if bare:
                if "@" in bare:
                    return None
                value = bare.strip()
            else:
                value = enclosed[1:-1]
                if "@" in value and _LINE_MARK_RE.search(value):
                    return None
                if '"' in value and enclosed[0] == '"':
                    value = _strip_enclosing(enclosed)
            if name in names:
                fields = _DUPLICATE_FIELDS
            elif fields is not _DUPLICATE_FIELDS:
                names.add(name)
                fields.append((name, value))
            if end != ",":  # the entry's closing brace
                if key not in seen and fields is not _DUPLICATE_FIELDS:
                    seen.add(key)
                    result.append(
                        (key, kind, fields) if convert is None else convert(key, kind, fields)
                    )
                fields = None
        elif head:
            lowered = head.lower()
            if lowered.startswith(_SPECIAL_BLOCKS):
                return None
            key, kind, fields, names = raw_key.strip(), lowered[1:].strip(), [], set()
        elif not other or (other[0] == "@" and other != "@"):
            return None  # a field between entries, or a block that is not an entry
        elif part and "=" in other:
            return None  # (see read_part)
    if fields is not None or not (result or part):
        return None
    return result


# The shape our export (and most tools) write: ``@type{key,``, then each field on a line of
# its own, ``name = {value}`` with at most one level of braces inside the value and no line
# break, a comma between fields (and after the last, or not), ``}`` alone on the last line,
# line breaks between entries. An entry of this shape is what the token pass reads in it:
# the same key, type, names and values (see :func:`_lines`).
_LINE_VALUE = r"(?:[^{}\\\n]++|\{[^{}\\\n]*+\})*+"


def _line_field(group: str) -> str:
    """A field of the line shape; ``group``: ``""`` (name and value captured) or ``"?:"``."""
    return rf"\n[ \t]++({group}[A-Za-z][\w\-]*+)[ \t]*+=[ \t]*+\{{({group}{_LINE_VALUE})\}}[ \t]*+"


_LINE_FIELD_RE = re.compile(_line_field(""))
_LINE_ENTRY_RE = re.compile(
    rf'@(\w++)\{{([^\s{{}}",=@\\]++),'
    rf"({_line_field('?:')}(?:,{_line_field('?:')})*+,?)\n\}}\n*+"
)
# Off: every entry read token by token (the tests compare the two ways).
LINES = True


def _lines(
    text: str,
    pos: int,
    stop: int,
    result: list[Any],
    seen: set[str],
    convert: Convert | None = None,
) -> int:
    """Read the entries of the line shape (``_LINE_ENTRY_RE``) from ``pos`` on, one after
    another, into ``result`` (a key in ``seen`` dropped, as an entry with a field name
    twice); where the first other text begins (then the token pass goes on from there).

    Why it reads what the token pass reads: from an entry's ``@`` the token pass reads the
    head ``@type{key,`` (the key has no mark, no white space to strip), then each field
    ``name = {value}`` up to its comma (white space around the name stripped; the value a
    braced one without backslash, so the inside is the value as written), the last one's
    comma (if any) with the ``}`` after it closing the entry; a value without a line break
    holds no line-start ``@``. The line breaks after the entry are text between entries
    (no ``=``); the pass is then between entries at the next ``@``, in the state it starts
    in, with the keys seen so far: where this hands over."""
    if not LINES:
        return pos
    match, fields_of = _LINE_ENTRY_RE.match, _LINE_FIELD_RE.findall
    while pos < stop:
        found = match(text, pos, stop)
        if found is None:
            break
        head, key, body = found.groups()
        lowered = ("@" + head).lower()
        if lowered.startswith(_SPECIAL_BLOCKS):
            break
        fields = fields_of(body)
        if key not in seen and len(dict(fields)) == len(fields):
            seen.add(key)
            kind = lowered[1:]
            result.append((key, kind, fields) if convert is None else convert(key, kind, fields))
        pos = found.end()
    return pos


# Where a big file is cut into parts read apart (on several cores: bibimport): before an
# ``@type{`` that starts a line (right after the newline).
_CUT_RE = re.compile(r"\n(?=@\w*[ \t]*\{)")


def cuts(text: str, count: int, near: Sequence[int] | None = None) -> list[int]:
    """Up to ``count - 1`` places, in order, that cut ``text`` into parts of about the same
    length for :func:`read_part` (``near``: the first such place at or after each of these
    offsets instead): each right after a newline, before an ``@type{``."""
    found: list[int] = []
    size = len(text)
    for at in [size * i // count for i in range(1, count)] if near is None else near:
        m = _CUT_RE.search(text, max(at, found[-1] if found else 0))
        if m is None:
            break
        found.append(m.end())
    return found


def read_part(text: str, start: int, stop: int, convert: Convert | None = None) -> list[Any] | None:
    """The entries of ``text[start:stop]``, a part of a file cut at :func:`cuts`, as the
    one pass reads them in the whole file; None when this part (and so the whole file, or
    at least its reading by parts) is not of the common shape.

    The entries of the parts, one after another, are the one pass's entries of the whole
    file (without its dropping of a key that came before in another part: the caller's;
    and the whole file must have an entry) when every part reads: a cut is then where the
    whole file's pass is between two entries, and the pass from there is the part's. Why:
    the regex's tokens end at the same places in a part as in the whole file unless one of
    them would run on past the cut in the whole file. An entry's head or field of the part
    cannot (it ends at its own comma or brace, and every repetition in the regex is
    possessive: it goes no other way for the ``@`` after the cut than for the part's end);
    text between entries without ``=`` cannot either (it could only be read as a field); a
    part with ``=`` between its entries is None here. A value holding the line-start ``@``
    of a cut does not read as a value in its part (never closed), so its part is None — as
    the whole file's one pass is (``_LINE_MARK_RE``).

    ``convert(key, type, fields)``: what is kept of each entry instead of the entry, made as
    soon as the entry is read (the entries of a part are not all kept until the end: 100,000
    entries read in parts whose entries were converted after each part took ~20 % more CPU).
    Called for every entry kept, in order, once: also for those of a part that is then None."""
    return _common(text, start, stop, part=True, convert=convert)


def _chunked(text: str) -> list[RawEntry] | None:
    """:func:`entries` of any file: the chunks of the common shape read here, the others by
    bibtexparser, None if the whole file must go to it."""
    found: list[RawEntry | list[RawEntry]] = []
    size = len(text)
    first = _next_line_start(text, 0)
    if first and _ANY_BLOCK_RE.search(text, 0, first):
        hard = _chunk(text[:first])
        if hard is None:
            return None
        found.append(hard)
    pos = first
    entry_re, any_block = _ENTRY_RE.match, _ANY_BLOCK_RE.search
    while pos < size:  # pos: a block the splitter starts, whatever came before
        end = -1
        m = entry_re(text, pos)
        if m is not None:
            end = m.end()
            kind = ("@" + m.group(1)).lower()
            if kind.startswith(_SPECIAL_BLOCKS):
                end = -1
            elif text.find("@", pos + 1, end) >= 0 and _next_line_start(text, pos + 1) < end:
                end = -1  # an unclosed value runs into the next entry: the splitter stops
        if end >= 0:  # the splitter is between blocks again: the next one starts a chunk
            found.append(_entry(m, kind))  # type: ignore[arg-type]
            after = any_block(text, end)
            pos = size if after is None else after.start()
            continue
        nxt = _next_line_start(text, pos + 1)
        hard = _chunk(text[pos:nxt])
        if hard is None:
            return None
        found.append(hard)
        pos = nxt
    result: list[RawEntry] = []
    seen: set[str] = set()
    for item in found:
        for entry in item if isinstance(item, list) else (item,):
            if entry[0] not in seen and entry[2] is not _DUPLICATE_FIELDS:
                seen.add(entry[0])
                result.append(entry)
    return result or None


_DUPLICATE_FIELDS: list[tuple[str, str]] = []  # an entry bibtexparser drops


def _entry(m: re.Match[str], kind: str) -> RawEntry:
    key, body = m.group(2).strip(), m.group(3)
    if not body:
        return key, kind[1:].strip(), []
    fields = []
    names = set()
    for name, braced, quoted, bare in _FIELDS_RE.findall(body):
        name = name.strip()
        if name in names:
            return key, kind[1:].strip(), _DUPLICATE_FIELDS
        names.add(name)
        if bare:
            value = bare.strip()
        elif '"' in quoted:  # a {"} in it: bibtexparser decides if the quotes enclose it
            value = _strip_enclosing(f'"{quoted}"')
        else:
            value = braced or quoted
        fields.append((name, value))
    return key, kind[1:].strip(), fields


def _strip_enclosing(value: str) -> str:
    from bibtexparser.middlewares.enclosing import RemoveEnclosingMiddleware

    return str(RemoveEnclosingMiddleware._strip_enclosing(value)[0])


def _at_line_start(text: str, pos: int) -> bool:
    """The splitter's ``_is_at_line_start``: only white space between the line's start and
    ``pos`` (the splitter puts a newline before the text)."""
    at = pos - 1
    while at >= 0:  # back over white space only, like the splitter (not to the line's start:
        char = text[at]  # a file on one line would make that quadratic)
        if char == "\n":
            return True
        if not char.isspace():
            return False
        at -= 1
    return True


def _next_line_start(text: str, pos: int) -> int:
    """Where the first block mark at or after ``pos`` that starts a line is (else the end)."""
    search = _ANY_BLOCK_RE.search
    while True:
        m = search(text, pos)
        if m is None:
            return len(text)
        if _at_line_start(text, m.start()):
            return m.start()
        pos = m.end()


def _chunk(text: str) -> list[RawEntry] | None:
    """The entries bibtexparser reads in a chunk, None when the file must go to it whole."""
    import bibtexparser
    from bibtexparser.model import (
        DuplicateBlockKeyBlock,
        DuplicateFieldKeyBlock,
        ParsingFailedBlock,
    )

    logger = logging.getLogger("bibtexparser.splitter")
    was = logger.disabled
    logger.disabled = True  # its warnings are printed when the whole file is read
    try:
        library = bibtexparser.parse_string(text)
    except Exception:  # the whole file's read says what it is
        return None
    finally:
        logger.disabled = was
    if library.strings:
        return None
    for block in library.blocks:
        if isinstance(block, ParsingFailedBlock) and not isinstance(
            block, (DuplicateBlockKeyBlock, DuplicateFieldKeyBlock)
        ):
            return None
    return library_entries(library)


def library_entries(library: Any) -> list[RawEntry]:
    """The entries of a bibtexparser library, as :func:`entries` gives them."""
    return [
        (entry.key, entry.entry_type, [(f.key, str(f.value)) for f in entry.fields])
        for entry in library.entries
    ]
