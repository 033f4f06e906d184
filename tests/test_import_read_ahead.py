"""A big BibTeX / CSL-JSON import reads the library and the list while other processes read
the file (``parallel.map_pulled``'s ``beside``, ``commands/cite.py`` ``_ReadAhead``): the
same output and library as reading them after the file, a plan made against the library
as it is under the lock (never the one read ahead when another process changed it since),
and nothing written or printed ahead of time (``Library.peek``, ``Workspace.say_held``)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from conftest import both_ways, run_cli
from tinydb import TinyDB

from rlhf_reader import parallel
from rlhf_reader.commands import cite
from rlhf_reader.library import bibimport, import_cache, store
from rlhf_reader.library.store import Library
from rlhf_reader.workspace import Workspace

LIST = """# Papers

## Alignment

- [Direct Preference Optimization](https://arxiv.org/abs/2305.18290)
- [KTO](https://arxiv.org/abs/2402.01306)
- [A blog post](https://example.org/post)
"""


def bib(note: str = "mine", extra: str = "") -> str:
    return (
        "@misc{dpo,\n  title = {Direct Preference Optimization},\n"
        "  eprint = {2305.18290},\n  keywords = {dpo, rlhf},\n"
        f"  annote = {{{note}}},\n}}\n\n"
        "@misc{kto,\n  title = {KTO},\n  doi = {10.48550/arXiv.2402.01306},\n}\n\n"
        "@misc{new,\n  title = {A paper of my own},\n  doi = {10.1000/own.1},\n}\n\n" + extra
    )


@pytest.fixture
def in_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file read in parts on 2 processes, never from the import cache."""
    monkeypatch.delenv(parallel.ENV, raising=False)
    monkeypatch.setattr(parallel, "_cores", lambda: 2)
    monkeypatch.setattr(bibimport, "PARALLEL_MIN_CHARS", 0)
    monkeypatch.setattr(bibimport, "PARALLEL_MIN_ITEMS", 1)
    monkeypatch.setattr(bibimport, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(import_cache, "load", lambda *args: None)
    monkeypatch.setattr(store, "now_iso", lambda: "2026-12-02T12:00:00Z")


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    list_path = tmp_path / "list.md"
    list_path.write_text(LIST, encoding="utf-8")
    db = tmp_path / "library.json"
    library = Library.open(db)
    library.set_status(["2402.01306"], "reading")
    library.close()
    return list_path, db


def spy_read_ahead(monkeypatch: pytest.MonkeyPatch, after: object = None) -> list[bool]:
    """Whether each import read ahead (and what was read ahead was kept); ``after()`` runs
    once the reading ahead ended (another process's write, in the tests)."""
    done: list[bool] = []
    real = cite._ReadAhead.__call__

    def call(self: cite._ReadAhead) -> None:
        real(self)
        done.append(self.against is not None)
        if callable(after):
            after()

    monkeypatch.setattr(cite._ReadAhead, "__call__", call)
    return done


def test_the_library_is_read_while_the_file_is(
    in_parts: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    files: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    list_path, db = files
    path = tmp_path / "in.bib"
    path.write_text(bib(), encoding="utf-8")
    done = spy_read_ahead(monkeypatch)
    for args in ([], ["--dry-run"], ["--status-from-keywords"]):
        done.clear()
        (code, out, err), _ = both_ways(
            capsys, monkeypatch, db, "--list", str(list_path), "import", *args, str(path)
        )
        assert code == 0 and err == ""
        assert done == [True]  # (read ahead in parts; the other run read no parts)
        assert "match 2305.18290 by arXiv id (dpo): +dpo +rlhf, note" in out
        assert "add doi.org/10.1000/own.1" in out
    csl = tmp_path / "in.csl.json"
    items = [
        {"id": "dpo", "type": "article", "title": "DPO", "DOI": "10.48550/arXiv.2305.18290",
         "note": "a note"},
        {"id": "kto", "type": "article", "title": "KTO", "keyword": "kto"},
    ]  # fmt: skip
    csl.write_text(json.dumps(items, indent=2), encoding="utf-8")
    done.clear()
    (code, out, _), _ = both_ways(capsys, monkeypatch, db, "--list", str(list_path), "import",
                                  str(csl))  # fmt: skip
    assert code == 0 and done == [True]
    assert "match 2402.01306 by title (kto): +kto" in out


def test_a_change_after_the_reading_ahead_is_planned_against(
    in_parts: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    files: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    """Another process writes the library after it was read ahead (a note, an addition):
    the import plans against the file as it is under the lock, not the one read ahead."""
    list_path, db = files
    path = tmp_path / "in.bib"
    path.write_text(bib(), encoding="utf-8")

    def theirs() -> None:
        time.sleep(0.01)  # (a new mtime even on a coarse clock; the size changes anyway)
        other = Library.open(db)
        other.set_note("2305.18290", "theirs")
        other.put_addition(
            {"key": "doi.org/10.1000/own.1", "title": "Mine, added elsewhere",
             "doi": "10.1000/own.1", "url": "https://doi.org/10.1000/own.1"}
        )  # fmt: skip
        other.close()

    done = spy_read_ahead(monkeypatch, theirs)
    code, out, err = run_cli(capsys, db, "--list", str(list_path), "import", str(path))
    assert (code, err) == (0, "")
    assert done == [True]  # read ahead, then changed: planned again under the lock
    # The note merged below theirs (planned against "": the write would be refused as a
    # note that changed meanwhile); the addition matched by DOI, not added a second time.
    assert Library.open(db).annotation("2305.18290").note == "theirs\n\nmine"
    assert "match doi.org/10.1000/own.1 by DOI (new)" in out
    assert "1 added" not in out and "3 references: 3 matched" in out
    assert len(Library.open(db).additions()) == 1


def test_the_lists_warnings_come_where_the_list_is_read(
    in_parts: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    files: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    """A list with skipped parts warns once, after what reading the file printed (a LaTeX
    field pylatexenc could not read) as before; a refused file: no warning at all."""
    _, db = files
    deep = tmp_path / "deep.md"
    text = "# L\n\n## A\n\n" + "".join("  " * d + f"- level {d}\n" for d in range(130))
    deep.write_text(text + "\n- [DPO](https://arxiv.org/abs/2305.18290)\n", encoding="utf-8")
    path = tmp_path / "in.bib"
    path.write_text(bib(extra="@misc{odd, title = {Bad \\frac{1}{ LaTeX}}\n"), encoding="utf-8")
    done = spy_read_ahead(monkeypatch)
    (code, _, err), _ = both_ways(capsys, monkeypatch, db, "--list", str(deep), "import",
                                  str(path))  # fmt: skip
    assert code == 0 and done == [True]
    assert err.count("skipped") == 1 and "nested" in err
    refused = tmp_path / "refused.bib"
    refused.write_text("@misc{a, title = {open\n\n@misc{b, title}\n", encoding="utf-8")
    (code, _, err), _ = both_ways(capsys, monkeypatch, db, "--list", str(deep), "import",
                                  str(refused))  # fmt: skip
    assert code == 1 and "nested" not in err and err.startswith("rlhf-reader: error: import")


def test_no_library_file_is_made_or_changed_ahead(
    in_parts: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    files: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    """A refused file leaves no library where there was none, an older library unmigrated
    and a killed run's temporary file in place, as when the library is read after the
    file; a file that imports then migrates, as before."""
    list_path, _ = files
    refused = tmp_path / "refused.bib"
    refused.write_text("@misc{a, title = {open\n\n@misc{b, title}\n", encoding="utf-8")
    good = tmp_path / "in.bib"
    good.write_text(bib(), encoding="utf-8")
    done = spy_read_ahead(monkeypatch)
    missing = tmp_path / "none" / "library.json"
    code, _, _ = run_cli(capsys, missing, "--list", str(list_path), "import", str(refused))
    assert code == 1 and not missing.exists()
    old = tmp_path / "old.json"
    db = TinyDB(old)
    db.table("annotations").insert({"key": "2305.18290", "status": "read", "tags": ["x"]})
    db.close()
    before = old.read_bytes()
    temp = tmp_path / ".old.json.1234.tmp"
    temp.write_bytes(b"left by a killed run")
    code, _, _ = run_cli(capsys, old, "--list", str(list_path), "import", str(refused))
    assert code == 1 and old.read_bytes() == before and temp.exists()
    assert done == [False, False]  # nothing read ahead
    temp.unlink()
    code, _, _ = run_cli(capsys, old, "--list", str(list_path), "import", str(refused))
    assert code == 1 and old.read_bytes() == before  # (not even with no temporary file)
    code, out, _ = run_cli(capsys, old, "--list", str(list_path), "import", str(good))
    assert code == 0 and "+dpo +rlhf" in out
    assert json.loads(old.read_text())["meta"]  # migrated when the import writes
    assert Library.open(old).annotation("2305.18290").tags == ("x", "dpo", "rlhf")


def test_peek(tmp_path: Path) -> None:
    db = tmp_path / "library.json"
    assert Library.peek(db) is None and not db.exists()
    Library.open(db).set_status(["a"], "read")
    peeked = Library.peek(db)
    assert peeked is not None and peeked.annotation("a").status.value == "read"
    db.write_bytes(b"not json")
    assert Library.peek(db) is None  # (Library.open says what is wrong)
    with pytest.raises(store.LibraryError):
        Library.open(db)


def test_read_ahead_holds_the_warnings(tmp_path: Path) -> None:
    said: list[str] = []
    deep = tmp_path / "deep.md"
    text = "# L\n\n## A\n\n" + "".join("  " * d + f"- level {d}\n" for d in range(130))
    deep.write_text(text + "\n- [DPO](https://arxiv.org/abs/2305.18290)\n", encoding="utf-8")
    db = tmp_path / "library.json"
    Library.open(db).close()
    workspace = Workspace(deep, db, warn=said.append)
    assert workspace.read_ahead() and said == []
    assert [e.key for e in workspace.catalog.entries][-1] == "2305.18290"
    workspace.say_held()
    workspace.say_held()
    assert len(said) == 1 and "nested" in said[0]
    assert not Workspace(deep, tmp_path / "no" / "library.json").read_ahead()
    assert not (tmp_path / "no").exists()


# parallel.map_pulled ------------------------------------------------------------------------


def _job(part: int) -> tuple[int, int]:
    time.sleep(0.01)
    return part * part, os.getpid()


def test_map_pulled_shares_the_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(parallel.ENV, raising=False)
    monkeypatch.setattr(parallel, "_cores", lambda: 2)
    ran: list[int] = []

    def beside() -> None:
        ran.append(os.getpid())
        time.sleep(0.1)  # (the child takes parts meanwhile)

    got = parallel.map_pulled(_job, range(40), beside=beside)
    assert [square for square, _ in got] == [n * n for n in range(40)]
    assert ran == [os.getpid()]
    assert len({pid for _, pid in got}) == 2  # the child took parts too
    monkeypatch.setenv(parallel.ENV, "1")
    got = parallel.map_pulled(_job, range(5), beside=lambda: ran.append(0))
    assert {pid for _, pid in got} == {os.getpid()} and ran[-1] == 0


def test_map_pulled_does_here_what_a_failed_child_took(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(parallel.ENV, raising=False)
    monkeypatch.setattr(parallel, "_cores", lambda: 3)
    here = os.getpid()

    def dies(part: int) -> int:
        if os.getpid() != here and part % 2:
            os._exit(3)
        return part + 1

    assert parallel.map_pulled(dies, range(30)) == list(range(1, 31))
    with pytest.raises(ZeroDivisionError):  # (an error here: no child left behind)
        parallel.map_pulled(_job, range(30), beside=lambda: 1 // 0)
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        pass  # no child left
    else:
        raise AssertionError("a child was left")


def _big(part: int) -> tuple[bytes, int]:
    time.sleep(0.01)  # (12 parts outlast beside: a child that takes its next part at once
    # would otherwise take them all)
    return bytes([part]) * (3 << 20), os.getpid()


def test_map_pulled_results_come_back_whole_as_they_are_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Big results, sent by a child part by part and read here between this process's own
    parts (and after it ended): every one whole, in its place."""
    monkeypatch.delenv(parallel.ENV, raising=False)
    monkeypatch.setattr(parallel, "_cores", lambda: 2)
    got = parallel.map_pulled(_big, range(12), beside=lambda: time.sleep(0.05))
    assert [(len(data), data[:1], data[-1:]) for data, _ in got] == [
        (3 << 20, bytes([i]), bytes([i])) for i in range(12)
    ]
    assert len({pid for _, pid in got}) == 2
