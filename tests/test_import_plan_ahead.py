"""A big BibTeX / CSL-JSON import plans the references of each part of the file, and makes
their lines of the report, as soon as the part is read, while other processes read the next
parts (``parallel.map_pulled``'s ``then``, ``bibimport.references_in``'s ``take``,
``bibimport.Planner``, ``commands/cite.py`` ``_ReadAhead.more``): the same plan, output and
library as planning every reference after the whole file; a reading in parts given up
midway forgets what it planned."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import TEST_DATA, both_ways

from rlhf_reader import parallel
from rlhf_reader.commands import cite
from rlhf_reader.library import bibimport, import_cache, store
from rlhf_reader.library.bibimport import Planner, plan_import, read_references
from rlhf_reader.lists.catalog import load
from rlhf_reader.model import Annotation, Status

TESTS = Path(__file__).resolve().parent


# parallel.map_pulled's then ------------------------------------------------------------------


def _slow_square(part: int) -> tuple[int, int]:
    time.sleep(0.005 * (part % 3))
    return part * part, os.getpid()


@pytest.mark.parametrize("processes", ["1", "2", "3"])
def test_then_gets_every_result_once_in_order(
    monkeypatch: pytest.MonkeyPatch, processes: str
) -> None:
    monkeypatch.setenv(parallel.ENV, processes)
    monkeypatch.setattr(parallel, "_cores", lambda: 3)
    seen: list[Any] = []
    got = parallel.map_pulled(
        _slow_square, range(25), beside=lambda: seen.append("beside"), then=seen.append
    )
    assert seen == ["beside", *got]
    assert [square for square, _ in got] == [n * n for n in range(25)]


def test_then_gets_what_a_failed_child_took_in_its_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(parallel.ENV, raising=False)
    monkeypatch.setattr(parallel, "_cores", lambda: 2)
    here = os.getpid()

    def dies(part: int) -> int:
        if os.getpid() != here and part % 4 == 1:
            os._exit(3)
        return part + 1

    seen: list[int] = []
    assert parallel.map_pulled(dies, range(20), then=seen.append) == list(range(1, 21))
    assert seen == list(range(1, 21))


# bibimport: the cuts, the planner ------------------------------------------------------------


def test_the_parts_get_smaller_towards_the_end() -> None:
    near = bibimport._cut_near(1200, 6)
    sizes = [b - a for a, b in zip([0, *near], [*near, 1200], strict=True)]
    assert sizes == [300, 300, 200, 200, 100, 100]
    assert bibimport._cut_near(10, 2) == [5]
    assert bibimport._cut_near(10, 1) == []


def _planned(plan: Any) -> tuple[Any, ...]:
    """What a plan is, and its counts as counted from its steps."""
    counted = bibimport.ImportPlan(plan.steps, plan.warnings).tally()
    assert plan.tally() == counted
    return (plan.steps, plan.warnings, plan.summary(), counted)


@pytest.mark.parametrize(
    "path",
    sorted([*TESTS.rglob("*.bib"), *TESTS.rglob("*.csl.json")]),
    ids=lambda p: p.name,
)
@pytest.mark.parametrize("from_keywords", [False, True])
def test_a_plan_made_part_by_part_is_the_plan_of_all(path: Path, from_keywords: bool) -> None:
    """Every file of the tests, planned in slices of 1, 2 and 7 references (and again
    with its references twice: a second reference for a paper sees the first one's note
    and addition) against the bundled list and a few annotations: the plan of all."""
    try:
        _, references = read_references(path)
    except bibimport.ImportFileError:
        pytest.skip("a file the import refuses")
    references = references + references
    entries = load(TEST_DATA / "opendilab_awesome-RLHF_README.md").entries
    keys = [entry.key for entry in entries[:40]]
    annotations = {
        key: Annotation(key, Status.READ if n % 3 else Status.READING, ("rlhf",), f"n{n}")
        for n, key in enumerate(keys)
    }
    args = (entries, annotations, {}, [])
    whole = plan_import(references, *args, status_from_keywords=from_keywords, added="t")
    for size in (1, 2, 7):
        planner = Planner(*args, status_from_keywords=from_keywords)
        for start in range(0, len(references), size):
            planner.add(references[start : start + size])
        assert planner.count == len(references)
        assert _planned(planner.plan("t")) == _planned(whole)


# the import: planned as the parts come --------------------------------------------------------


LIST = """# Papers

## Alignment

- [Direct Preference Optimization](https://arxiv.org/abs/2305.18290)
- [KTO](https://arxiv.org/abs/2402.01306)
"""


def _entry(n: int) -> str:
    return (
        f"@misc{{e{n},\n  title = {{Paper number {n}}},\n  eprint = {{2401.{n:05d}}},\n"
        f"  keywords = {{k{n % 3}}},\n  annote = {{note {n}}},\n}}\n\n"
    )


@pytest.fixture
def in_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file read in parts on 2 processes, never from the import cache."""
    monkeypatch.delenv(parallel.ENV, raising=False)
    monkeypatch.setattr(parallel, "_cores", lambda: 2)
    monkeypatch.setattr(bibimport, "PARALLEL_MIN_CHARS", 0)
    monkeypatch.setattr(bibimport, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(bibimport, "PIECE_CHARS", 1)
    monkeypatch.setattr(import_cache, "load", lambda *args: None)
    monkeypatch.setattr(store, "now_iso", lambda: "2026-12-03T09:00:00Z")


def spy_more(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """How many references each call of ``_ReadAhead.more`` was given (None: forget)."""
    given: list[int | None] = []
    real = cite._ReadAhead.more

    def more(self: cite._ReadAhead, references: list[Any] | None) -> None:
        given.append(None if references is None else len(references))
        real(self, references)

    monkeypatch.setattr(cite._ReadAhead, "more", more)
    return given


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    list_path = tmp_path / "list.md"
    list_path.write_text(LIST, encoding="utf-8")
    db = tmp_path / "library.json"
    library = store.Library.open(db)
    library.set_note("2305.18290", "have")
    library.close()
    return list_path, db


def test_each_part_is_planned_as_it_comes(
    in_parts: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    files: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    """A .bib in six parts (additions, notes, a key twice, a paper of the list) and a
    CSL-JSON in parts: planned part by part, the output and library of one process."""
    list_path, db = files
    path = tmp_path / "in.bib"
    twice = _entry(7).replace("note 7", "again")
    dpo = "@misc{dpo,\n  title = {DPO},\n  eprint = {2305.18290},\n  annote = {mine},\n}\n\n"
    path.write_text(dpo + "".join(map(_entry, range(40))) + twice, encoding="utf-8")
    given = spy_more(monkeypatch)
    for args in ([], ["--dry-run"], ["--status-from-keywords"]):
        given.clear()
        (code, out, err), _ = both_ways(
            capsys, monkeypatch, db, "--list", str(list_path), "import", *args, str(path)
        )
        assert code == 0 and err == ""
        assert len(given) == 6 and None not in given and sum(map(int, given)) == 41
        assert "match 2305.18290 by arXiv id (dpo): note" in out
        assert "41 references: 1 matched (1 with changes), 40 added" in out
    csl = tmp_path / "in.csl.json"
    item = (
        '    {{\n      "id": "c{0}",\n      "type": "article",\n'
        '      "title": "Paper {0}",\n      "note": "n{0}"\n    }}'
    )
    csl.write_text("[\n" + ",\n".join(map(item.format, range(30))) + "\n]\n", encoding="utf-8")
    given.clear()
    (code, out, _), _ = both_ways(
        capsys, monkeypatch, db, "--list", str(list_path), "import", str(csl)
    )
    assert code == 0 and len(given) > 1 and sum(map(int, given)) == 30
    assert "30 added to My additions" in out


def test_a_reading_in_parts_given_up_forgets_its_plan(
    in_parts: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    files: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    """A part not of the common shape (text with ``=`` between entries, after the first
    parts): the parts planned before are forgotten, the file read whole and planned as
    one process plans it."""
    list_path, db = files
    path = tmp_path / "odd.bib"
    text = (
        "".join(map(_entry, range(30))) + "stray = text\n\n" + "".join(map(_entry, range(30, 34)))
    )
    path.write_text(text, encoding="utf-8")
    given = spy_more(monkeypatch)
    args = ("--list", str(list_path), "import", str(path))
    (code, out, _), _ = both_ways(capsys, monkeypatch, db, *args)
    assert code == 0
    assert given[-1] is None and sum(n for n in given if n) > 0  # planned, then forgotten
    assert "34 added to My additions" in out


def test_a_slow_then_while_children_take_and_send_parts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The parent busy with ``then`` while a child takes its next part before it sends the
    last one's result: every result once, in order."""
    monkeypatch.delenv(parallel.ENV, raising=False)
    monkeypatch.setattr(parallel, "_cores", lambda: 2)
    seen: list[int] = []

    def part(n: int) -> tuple[int, int]:
        time.sleep(0.02)
        return n, os.getpid()

    def busy(result: tuple[int, int]) -> None:
        seen.append(result[0])
        time.sleep(0.05)

    got = parallel.map_pulled(part, range(8), beside=lambda: time.sleep(0.05), then=busy)
    assert [n for n, _ in got] == list(range(8)) and seen == list(range(8))
