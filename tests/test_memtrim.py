"""memtrim: the allocator's free memory given back, where the C library can (glibc)."""

from __future__ import annotations

import platform
import sys

import pytest

from rlhf_reader import memtrim
from rlhf_reader.lists.catalog import parse
from rlhf_reader.tui.state import ReadingList


def test_trim_asks_glibc_and_does_nothing_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert memtrim.trim() is glibc
    assert memtrim.trim() is glibc  # looked up once, asked again
    monkeypatch.setattr(memtrim, "_trim", None)
    monkeypatch.setattr(memtrim, "_looked", True)
    assert memtrim.trim() is False


def test_trim_finds_no_function_off_linux(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memtrim, "_trim", None)
    monkeypatch.setattr(memtrim, "_looked", False)
    monkeypatch.setattr(sys, "platform", "darwin")
    assert memtrim.trim() is False


def test_the_search_index_is_built_between_two_trims(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: what the start freed (another thread's arena); after: what the build freed."""
    from tui_helpers import SMALL_LIST

    calls: list[str] = []
    monkeypatch.setattr(memtrim, "trim", lambda: calls.append("trim") or True)
    reading = ReadingList.build(parse(SMALL_LIST), {})
    index = ReadingList.build_index(reading.rows)
    assert calls == ["trim", "trim"]
    assert index is not None and len(index) == len(reading.rows)
