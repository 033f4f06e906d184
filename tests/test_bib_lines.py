"""bibfast reads the entries written a field a line (our export's shape, ``_LINE_ENTRY_RE``)
a whole entry at a time, then goes on token by token where another shape begins: the same
entries as the token pass alone, for the whole file, and for every part of it cut where a
read in parts cuts it."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from rlhf_reader.library import bibfast

TESTS = Path(__file__).resolve().parent

# Values: plain words, one or two levels of braces, the marks of BibTeX, a line break, an @.
# (The shapes of our export are drawn most often: most files then read in the one pass.)
PLAIN = ["Direct Preference", "a, b", "{DPO}", "2305.18290", "x = y", "é"] * 10
VALUE_PIECES = [
    *PLAIN, "{}", "{{nested}}", "{", "}", '"', "@", "\\'e", "\\&", "\n", "\n@misc{x,", "\t",
    " ", "#",
]  # fmt: skip
NAMES = [
    *["title", "author", "archivePrefix"] * 3,
    "Title", "note", "a-b", "x_y", "title", "9x", "é", "eprint type",
]  # fmt: skip
KINDS = [
    *["misc", "Article"] * 6,
    "string", "STRINGent", "comment", "preamble", "é", "x1", "", "misc ",
]  # fmt: skip
KEYS = [*["a", "b", "c", "d"] * 3, "dup", "dup", "k:2020", "é", "with space", 'q"', ""]
INDENTS = ["  "] * 8 + ["\t", " ", ""]
EQUALS = [" = "] * 8 + ["=", "  =\t", " =\n"]
BETWEEN = [
    *["\n\n"] * 12,
    "\n", "\n\n\n", "", "\r\n", "\nfoo = bar\n", "\n@comment{x}\n", "\n% c\n",
]  # fmt: skip


@st.composite
def line_entry(draw: st.DrawFn) -> str:
    fields = []
    for _ in range(draw(st.sampled_from([1, 2, 3, 4, 0]))):  # (no field: not the one pass)
        value = "".join(draw(st.lists(st.sampled_from(VALUE_PIECES), max_size=2)))
        enclosed = draw(st.sampled_from(["{%s}"] * 8 + ['"%s"', "%s"])) % value
        fields.append(  # (a space after the value, at times)
            f"\n{draw(st.sampled_from(INDENTS))}{draw(st.sampled_from(NAMES))}"
            f"{draw(st.sampled_from(EQUALS))}{enclosed}{draw(st.sampled_from([''] * 6 + [' ']))}"
        )
    last = draw(st.sampled_from([","] * 4 + ["", " ,"]))
    close = draw(st.sampled_from(["\n}"] * 8 + ["}", " }", "\n }"]))
    kind, key = draw(st.sampled_from(KINDS)), draw(st.sampled_from(KEYS))
    return f"@{kind}{{{key},{','.join(fields)}{last if fields else ''}{close}"


@st.composite
def line_files(draw: st.DrawFn) -> str:
    entries = draw(st.lists(line_entry(), min_size=1, max_size=6))
    text = entries[0]
    for entry in entries[1:]:
        text += draw(st.sampled_from(BETWEEN)) + entry
    return (
        draw(st.sampled_from(["", "", "\n", "% head\n"])) + text + draw(st.sampled_from(["", "\n"]))
    )


def both_ways(monkeypatch: pytest.MonkeyPatch, read: object) -> tuple[object, object]:
    assert callable(read)
    lines = read()
    with monkeypatch.context() as patch:
        patch.setattr(bibfast, "LINES", False)
        tokens = read()
    return lines, tokens


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line_files())
def test_the_line_shape_reads_as_the_token_pass(text: str) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        lines, tokens = both_ways(monkeypatch, lambda: bibfast.read(text))
        assert lines == tokens
        whole = bibfast._common(text)
        event("read in one pass" if whole is not None else "not in one pass")
        if whole:
            covered = bibfast._lines(text, 0, len(text), [], set())
            event("all by lines" if covered == len(text) else "lines, then tokens")
        for count in (2, 3, 5):
            cuts = bibfast.cuts(text, count)
            for start, stop in zip([0, *cuts], [*cuts, len(text)], strict=True):
                lines, tokens = both_ways(
                    monkeypatch, lambda a=start, b=stop: bibfast.read_part(text, a, b)
                )
                assert lines == tokens


def test_a_file_of_the_line_shape_is_read_whole_by_lines() -> None:
    text = (
        "@misc{a,\n  title = {Direct {P}reference},\n  archivePrefix = {arXiv},\n}\n\n"
        "@Article{b,\n\ttitle\t=\t{KTO}\n}\n@misc{a,\n  title = {again: dropped},\n}\n"
        "@misc{c,\n  title = {one},\n  title = {twice: dropped},\n}\n"
    )
    assert bibfast._lines(text, 0, len(text), found := [], set()) == len(text)
    assert (
        found
        == bibfast.read(text)[0]
        == [
            ("a", "misc", [("title", "Direct {P}reference"), ("archivePrefix", "arXiv")]),
            ("b", "article", [("title", "KTO")]),
        ]
    )
    # Where another shape begins (a backslash), the token pass reads on: the same entries.
    other = text.replace("{KTO}", "{K\\'TO}")
    stop = bibfast._lines(other, 0, len(other), [], set())
    assert 0 < stop < len(other) and other[stop:].startswith("@Article{b")
    assert bibfast.read(other)[0] == [found[0], ("b", "article", [("title", "K\\'TO")])]


def test_special_blocks_are_never_read_by_lines() -> None:
    for kind in ("string", "STRING", "comment", "Preamble", "stringent"):
        text = f"@{kind}{{a,\n  title = {{x}},\n}}\n"
        assert bibfast._lines(text, 0, len(text), [], set()) == 0


@pytest.mark.parametrize("path", sorted(TESTS.rglob("*.bib")), ids=lambda p: p.name)
def test_every_bib_file_of_the_tests_reads_the_same(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = path.read_text(encoding="utf-8")
    lines, tokens = both_ways(monkeypatch, lambda: bibfast.read(text))
    assert lines == tokens
