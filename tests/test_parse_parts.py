"""A big list's entries made in parts on several cores (catalog._entries_in_parts): the same
catalog, entry for entry, as the serial parse, on every real list and a generated one."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from rlhf_reader import parallel
from rlhf_reader.lists import catalog, catalog_cache
from rlhf_reader.model import Catalog

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS.parent / "bench"))
LISTS = [
    TESTS.parent / "src" / "rlhf_reader" / "data" / "awesome-rlhf.md",
    TESTS / "data" / "opendilab_awesome-RLHF_README.md",
    TESTS / "data" / "hostile.md",
    *sorted((TESTS / "data" / "lists").glob("*.md")),
]


def generated() -> str:
    from scaledata import make_list  # bench/scaledata.py: the benchmarks' lists

    return make_list(3000, 30)


def parse(text: str, monkeypatch: pytest.MonkeyPatch, *, parts: bool) -> Catalog:
    with monkeypatch.context() as patch:
        patch.setattr(catalog, "PARALLEL_BLOCKS", 0 if parts else 10**9)
        return catalog.parse(text, "list.md")


def same(serial: Catalog, in_parts: Catalog) -> None:
    assert in_parts == serial
    assert in_parts.unread == serial.unread
    assert catalog_cache.to_data(in_parts) == catalog_cache.to_data(serial)
    for section in in_parts.walk():
        for entry in section.entries:  # one path object, as the serial parse shares it
            assert entry.section is section.path


@pytest.mark.parametrize("source", [*LISTS, "generated"], ids=lambda p: getattr(p, "name", p))
def test_entries_in_parts_are_the_serial_ones(
    source: Path | str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = generated() if source == "generated" else Path(source).read_text(encoding="utf-8")
    monkeypatch.delenv(parallel.ENV, raising=False)
    monkeypatch.setattr(parallel, "_cores", lambda: 2)
    parent, calls = os.getpid(), {"serial": 0, "parts": 0}
    real, counted = catalog._entries, ["serial"]

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        if os.getpid() == parent:
            calls[counted[0]] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(catalog, "_entries", counting)
    serial = parse(text, monkeypatch, parts=False)
    counted[0] = "parts"
    in_parts = parse(text, monkeypatch, parts=True)
    same(serial, in_parts)
    assert 0 < calls["parts"] <= calls["serial"]
    if source == "generated":  # (300 sections of 10 papers) about half made elsewhere
        assert calls["parts"] < calls["serial"] * 0.6
    monkeypatch.setattr(parallel, "_cores", lambda: 3)
    same(serial, parse(text, monkeypatch, parts=True))


def test_a_failing_part_is_made_again_here(monkeypatch: pytest.MonkeyPatch) -> None:
    text = generated()
    monkeypatch.delenv(parallel.ENV, raising=False)
    monkeypatch.setattr(parallel, "_cores", lambda: 2)
    serial = parse(text, monkeypatch, parts=False)
    parent, real = os.getpid(), catalog._entries

    def failing(*args, **kwargs):  # type: ignore[no-untyped-def]
        if os.getpid() != parent:
            raise MemoryError("child")
        return real(*args, **kwargs)

    monkeypatch.setattr(catalog, "_entries", failing)
    same(serial, parse(text, monkeypatch, parts=True))
