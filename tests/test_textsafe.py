"""Untrusted text printed by the CLI never carries a terminal control sequence."""

from __future__ import annotations

import pytest

from rlhf_reader.textsafe import printable, printable_block


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain [RLHF] title", "plain [RLHF] title"),
        ("red \x1b[31mtitle\x1b[0m", "red \\x1b[31mtitle\\x1b[0m"),
        ("bell\x07 and CSI \x9b2J", "bell\\x07 and CSI \\x9b2J"),
        ("two\nlines\r", "two\\x0alines\\x0d"),
        ("reversed \u202eedoc", "reversed \\u202eedoc"),
        ("isolate \u2066x\u2069", "isolate \\u2066x\\u2069"),
        ("line\u2028sep", "line\\u2028sep"),
        ("עברית and العربية", "עברית and العربية"),
        ("Rémi Munos — 中文", "Rémi Munos — 中文"),
        # a file name that is not UTF-8 (surrogateescape) and a lone surrogate
        ("caf\udce9.md", "caf\\xe9.md"),
        ("lone \ud800", "lone \\ud800"),
    ],
)
def test_printable(raw: str, shown: str) -> None:
    assert printable(raw) == shown


def test_printable_block_keeps_lines_and_tabs() -> None:
    assert printable_block("a\r\nb\tc\x1b]0;title\x07") == "a\nb\tc\\x1b]0;title\\x07"
