"""The TUI's writes run in the window's writer (issue 17): the keys are answered while a write
is held, the writes land in the file in the order the keys were pressed, a failure goes back
to what the file holds, ``u`` and quitting wait their turn, another process's change is kept.

A write is held by making the store wait on a ``threading.Event`` (the test opens it); the
library is a real TinyDB file, the app the real one. Nothing here is timed.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tui_helpers import (
    BLOG,
    DPO,
    SURVEY,
    build_app,
    exited,
    stored,
    stored_meta,
    until,
    write_list,
    written,
)

from rlhf_reader.library.store import Library, LibraryError, SafeStorage
from rlhf_reader.library.writer import SerialWriter
from rlhf_reader.model import Status
from rlhf_reader.tags import TagEdit
from rlhf_reader.tui.actions import STATE_NAME
from rlhf_reader.tui.screens.main import MainScreen
from rlhf_reader.tui.screens.note import NoteEditor
from rlhf_reader.tui.widgets.header import ProgressHeader
from rlhf_reader.undo import History

SIZE = (120, 36)


@pytest.fixture
def list_path(tmp_path: Path) -> Path:
    return write_list(tmp_path)


class Gate:
    """Holds every call of a store method until :attr:`open` is set; records the thread of
    each call and what it was asked, in order."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.entered = threading.Event()
        self.threads: list[str] = []
        self.calls: list[Any] = []
        self.fail: list[Exception] = []  # raised by the next calls, in order


def hold(monkeypatch: pytest.MonkeyPatch, owner: type, name: str, note: Callable[..., Any]) -> Gate:
    """Every call of ``owner.name`` waits for the gate (30 s at most: a bug must not hang
    the suite), then runs (or raises the next of ``gate.fail``)."""
    gate = Gate()
    original = getattr(owner, name)

    def held(self: Any, *args: Any, **kwargs: Any) -> Any:
        gate.threads.append(threading.current_thread().name)
        gate.calls.append(note(*args, **kwargs))
        gate.entered.set()
        assert gate.open.wait(30), "the gate was never opened"
        if gate.fail:
            raise gate.fail.pop(0)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(owner, name, held)
    return gate


def hold_commits(monkeypatch: pytest.MonkeyPatch) -> Gate:
    """The store's commit (under the lock, the file about to be replaced) waits; each call
    records the statuses being written of SURVEY and DPO."""

    def statuses(tables: dict[str, Any], **_: Any) -> tuple[str, str]:
        docs = {d["key"]: d for d in tables["annotations"].values()}
        return tuple(docs.get(k, {}).get("status", "unread") for k in (SURVEY, DPO))  # type: ignore[return-value]

    return hold(monkeypatch, SafeStorage, "_commit", statuses)


def labels(app, key: str) -> list[str]:
    return [node.label.plain for node in app.main_screen.catalog_tree._entry_nodes.get(key, [])]


def current_key(app) -> str | None:
    entry = app.main_screen.catalog_tree.current_entry
    return entry.key if entry else None


def notes(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_keys_are_answered_while_writes_wait_and_land_in_order(
    list_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        main = app.main_screen
        header = main.query_one(ProgressHeader)
        gate = hold_commits(monkeypatch)
        await pilot.press("space")  # SURVEY read: held in the writer
        assert await until(pilot, gate.entered.is_set)
        assert labels(app, SURVEY)[0].startswith("● ")  # shown at once
        assert header.read == 1
        assert stored(db_path, SURVEY).status is Status.UNREAD  # not in the file yet
        await pilot.press("down")  # the cursor moves while the write waits
        assert current_key(app) == DPO
        await pilot.press("i")
        assert all(label.startswith("◐ ") for label in labels(app, DPO))
        await pilot.press("up", "space", "space")  # SURVEY: unread, then read again
        assert current_key(app) == SURVEY
        assert labels(app, SURVEY)[0].startswith("● ")
        assert header.read == 1
        assert main.writes.busy and len(main.writes.pending) == 4
        assert not main.poll()  # no re-read of the file while writes are pending
        assert labels(app, SURVEY)[0].startswith("● ")
        gate.open.set()
        assert await written(pilot)
        assert stored(db_path, SURVEY).status is Status.READ
        assert stored(db_path, DPO).status is Status.READING
        # one write per key, in the order pressed (SURVEY, DPO as each commit wrote them)
        assert gate.calls == [
            ("read", "unread"),
            ("read", "reading"),
            ("unread", "reading"),
            ("read", "reading"),
        ]
        assert set(gate.threads) == {"rlhf-reader-writer"}  # never the UI thread
        assert labels(app, SURVEY)[0].startswith("● ")
        assert header.read == 1


async def test_a_failed_write_goes_back_to_the_file_and_the_next_ones_still_run(
    list_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        main = app.main_screen
        gate = hold_commits(monkeypatch)
        gate.fail.append(LibraryError("[b]disk[/b] full [@click=app.quit]x[/]"))
        await pilot.press("space", "down", "space")  # SURVEY (fails), then DPO
        assert labels(app, SURVEY)[0].startswith("● ") and labels(app, DPO)[0].startswith("● ")
        gate.open.set()
        assert await written(pilot)
        assert labels(app, SURVEY)[0].startswith("○ ")  # back to what the file holds
        assert stored(db_path, SURVEY).status is Status.UNREAD
        assert all(label.startswith("● ") for label in labels(app, DPO))  # not lost
        assert stored(db_path, DPO).status is Status.READ
        assert main.reading.overall.read == 1
        failures = [m for m in notes(app) if m.startswith("Not saved")]
        assert failures == ["Not saved: [b]disk[/b] full [@click=app.quit]x[/]"]  # literally
        assert app.is_running


async def test_u_after_pending_writes_undoes_the_last(
    list_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        gate = hold_commits(monkeypatch)
        await pilot.press("space", "down", "i", "u")  # u waits behind the two writes
        assert labels(app, DPO)[0].startswith("◐ ")  # undone only when its turn comes
        gate.open.set()
        assert await written(pilot)
        assert stored(db_path, SURVEY).status is Status.READ
        assert stored(db_path, DPO).status is Status.UNREAD
        assert labels(app, DPO)[0].startswith("○ ") and labels(app, SURVEY)[0].startswith("● ")
        assert notes(app)[-1].startswith("Undone: «Direct Preference Optimization")
        assert notes(app)[-1].endswith("marked reading.")


async def test_quitting_writes_the_pending_writes_first(
    list_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        gate = hold_commits(monkeypatch)
        await pilot.press("space", "q")
        assert await until(pilot, lambda: any("before quitting" in m for m in notes(app)))
        assert app.is_running  # waiting for the writer, still answering keys
        assert stored(db_path, SURVEY).status is Status.UNREAD
        await pilot.press("down")
        assert current_key(app) == DPO
        gate.open.set()
        assert await exited(app)
    assert stored(db_path, SURVEY).status is Status.READ
    state = stored_meta(db_path, STATE_NAME)
    # the view as it was when q was pressed, written after the change before it
    assert isinstance(state, dict) and state["cursor"] == SURVEY


async def test_a_write_failing_while_quitting_is_printed_once_the_app_ended(
    list_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        gate = hold_commits(monkeypatch)
        gate.fail.append(LibraryError("disk full"))
        await pilot.press("space", "q")
        gate.open.set()
        assert await exited(app)
    # what ``run`` prints on stderr (exit code 1) once the terminal is given back
    assert app.finish_writes() == ["Not saved: disk full"]
    assert app.finish_writes() == []
    assert stored(db_path, SURVEY).status is Status.UNREAD
    assert isinstance(stored_meta(db_path, STATE_NAME), dict)  # the view was still saved


async def test_another_process_writing_meanwhile_is_kept_and_shown_after_the_poll(
    list_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        main = app.main_screen
        # held before the write takes the lock, so that the other process can write
        gate = hold(monkeypatch, History, "record", lambda library, keys, write, what: keys)
        await pilot.press("space", "down", "i")  # SURVEY read, DPO reading: both pending
        assert await until(pilot, gate.entered.is_set)
        other = Library.open(db_path)  # the CLI, another window
        other.change_tags([SURVEY], TagEdit.of(add=["from-cli"]))
        other.set_note(DPO, "the CLI's note")
        other.change_tags([BLOG], TagEdit.of(add=["blog-tag"]))  # a key this window never wrote
        other.close()
        assert not main.poll()  # not while writes are pending…
        assert labels(app, SURVEY)[0].startswith("● ")  # …so the old status never shows
        gate.open.set()
        assert await written(pilot)
        assert stored(db_path, SURVEY).status is Status.READ
        assert stored(db_path, SURVEY).tags == ("from-cli",)  # kept, not overwritten
        assert stored(db_path, DPO).status is Status.READING
        assert stored(db_path, DPO).note == "the CLI's note"
        # the acknowledgements brought what the file holds for the keys written…
        assert main.reading.row(SURVEY).annotation.tags == ("from-cli",)
        assert await until(pilot, lambda: "#from-cli" in labels(app, SURVEY)[0])
        assert main.reading.row(DPO).annotation.note == "the CLI's note"
        # …and the poll, once nothing is pending, the rest: the view equals the file
        assert await until(pilot, lambda: main.reading.row(BLOG).annotation.tags == ("blog-tag",))
        for key in (SURVEY, DPO, BLOG):
            assert main.reading.row(key).annotation == stored(db_path, key)


async def test_a_write_waiting_for_another_process_lock_says_so(
    list_path: Path, db_path: Path
) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        lock = os.open(f"{db_path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process holds the library's lock
        try:
            await pilot.press("space")
            assert await until(
                pilot, lambda: any("Waiting for the library" in m for m in notes(app))
            )
            assert labels(app, SURVEY)[0].startswith("● ")
            await pilot.press("down")
            assert current_key(app) == DPO
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            os.close(lock)
        assert await written(pilot)
        assert stored(db_path, SURVEY).status is Status.READ


async def test_the_note_editor_waits_for_the_writer_without_blocking(
    list_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        gate = hold_commits(monkeypatch)
        await pilot.press("space", "n", *"held")
        await pilot.press("ctrl+s")
        editor = app.screen
        assert isinstance(editor, NoteEditor) and editor.saving
        assert "saving" in editor.query_one("#note-box").border_subtitle
        await pilot.press("escape")  # not closed while the answer is awaited
        assert app.screen is editor
        assert any(m.startswith("Saving the note") for m in notes(app))
        gate.open.set()
        assert await until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert await written(pilot)
        assert stored(db_path, SURVEY).note == "held"
        assert stored(db_path, SURVEY).status is Status.READ


# the writer itself (no Textual) ----------------------------------------------------------------


def test_the_serial_writer_runs_jobs_in_order_one_at_a_time() -> None:
    errors: list[BaseException] = []
    writer = SerialWriter(on_error=errors.append)
    start = threading.Event()
    ran: list[int] = []
    running = threading.Lock()

    def job(n: int) -> Callable[[], None]:
        def run() -> None:
            assert running.acquire(blocking=False), "two jobs at once"
            try:
                if n == 0:
                    assert start.wait(30)
                if n == 2:
                    raise RuntimeError("a bug in one job")
                ran.append(n)
            finally:
                running.release()

        return run

    for n in range(6):
        writer.submit(job(n))
    assert writer.pending == 6 and not writer.idle
    start.set()
    assert writer.wait(30)
    assert ran == [0, 1, 3, 4, 5]  # in order; the failing job did not stop the others
    assert [str(e) for e in errors] == ["a bug in one job"]
    assert writer.pending == 0 and writer.idle and writer.done == 6
    writer.submit(job(7))  # a new thread once idle
    assert writer.wait(30) and ran[-1] == 7


def test_a_long_lived_library_writes_the_same_bytes_in_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The TUI serialises the file a few documents at a time (the GIL is handed over between
    pieces): the bytes are those of one ``orjson.dumps``."""
    import orjson

    from rlhf_reader.library import store

    monkeypatch.setattr(store, "PIECE", 7)
    path = tmp_path / "library.json"
    library = Library.open(path, long_lived=True)
    keys = [f"k{n}" for n in range(40)]
    library.set_status(keys[:25], Status.READ)
    library.change_tags(keys[5:], TagEdit.of(add=["é\u2028x"]))
    library.set_note("k3", 'a "quoted" note\n')
    library.put_metadata({"k1": {"title": "T", "authors": ["A"]}})
    raw = path.read_bytes()
    assert raw == orjson.dumps(orjson.loads(raw)) + b"\n"
    assert store.dumps_in_pieces({}) == b"{}\n"
    for tables in ({"a": {}}, {"a": {str(n): {"n": n} for n in range(15)}, "b": {"1": {}}}):
        assert store.dumps_in_pieces(tables) == orjson.dumps(tables) + b"\n"
