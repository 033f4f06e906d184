"""Pilot tests for the TUI items of issue 13: what a new user tripped on (N, the cursor on a
section, the screenshot, `o` without a browser, the export dialog, the `U` field, the note
editor's esc and $EDITOR)."""

from __future__ import annotations

import io
import os
from contextlib import contextmanager
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Button, Input, OptionList, Select, Static
from tui_helpers import (
    BLOG,
    CAI,
    SURVEY,
    build_app,
    stored,
    stored_meta,
    until,
    write_list,
    written,
)

from rlhf_reader.library.store import Library
from rlhf_reader.lists import whatsnew
from rlhf_reader.model import Section
from rlhf_reader.tui.actions import STATE_NAME
from rlhf_reader.tui.screens.confirm import ChoiceDialog, ConfirmDialog
from rlhf_reader.tui.screens.copying import CopiedText
from rlhf_reader.tui.screens.export import ExportDialog
from rlhf_reader.tui.screens.main import MainScreen
from rlhf_reader.tui.screens.note import NoteEditor
from rlhf_reader.tui.screens.note_conflict import NoteConflictDialog
from rlhf_reader.tui.screens.prompt import PromptDialog

SIZE = (120, 36)


@pytest.fixture
def list_path(tmp_path: Path) -> Path:
    return write_list(tmp_path)


def messages(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


def entry_labels(tree) -> dict[str, list[str]]:
    return {key: [n.label.plain for n in nodes] for key, nodes in tree._entry_nodes.items()}


# 2. N -------------------------------------------------------------------------------------


async def test_N_takes_the_new_mark_off_the_rows_at_once(list_path: Path, db_path: Path) -> None:
    library = Library.open(db_path)
    library.set_meta(whatsnew.NEW_META, {CAI: "2026-11-20T10:00:00+00:00", BLOG: "2026-11-21"})
    library.close()
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = app.main_screen
        tree = screen.catalog_tree
        for path in (("Papers",), ("Papers", "Methods"), ("Blogs",)):
            tree.open_section(tree._section_nodes[path])
        await pilot.pause()
        assert all("✦" in label for label in entry_labels(tree)[CAI])
        await pilot.press("N")
        assert not any("✦" in label for key, ls in entry_labels(tree).items() for label in ls)
        assert await written(pilot)
        assert stored_meta(db_path, whatsnew.NEW_META) == {}
        labels = entry_labels(tree)
        assert labels[CAI] and labels[BLOG]
        assert not any("✦" in label for key in labels for label in labels[key])
        # a filter and clearing it rebuild the rows: still no mark
        await pilot.press("slash")
        screen.query_one("#filter-input", Input).value = "constitutional"
        await pilot.pause()
        assert tree.shown_keys == {CAI}
        assert not any("✦" in label for label in entry_labels(tree)[CAI])
        await pilot.press("escape")
        await pilot.pause()
        assert tree.shown_keys is None
        labels = entry_labels(tree)
        assert not any("✦" in label for key in labels for label in labels[key])


# 3. the cursor on a section ---------------------------------------------------------------


async def test_quitting_on_a_section_restores_the_cursor_there(
    list_path: Path, db_path: Path
) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        tree = app.main_screen.catalog_tree
        tree.open_section(tree._section_nodes[("Papers",)])
        tree.move_to(tree._section_nodes[("Papers", "Methods")])
        await pilot.pause()
        assert tree.current_entry is None
        await pilot.press("q")
    state = stored_meta(db_path, STATE_NAME)
    assert isinstance(state, dict) and state["section"] == ["Papers", "Methods"]

    again = build_app(list_path, db_path)
    async with again.run_test(size=SIZE) as pilot:
        tree = again.main_screen.catalog_tree
        node = tree.cursor_node
        assert isinstance(node.data, Section) and node.data.path == ("Papers", "Methods")
        await pilot.press("l", "j")  # a paper now: that is what is restored next time
        assert tree.current_entry is not None
        key = tree.current_entry.key
        await pilot.press("q")
    state = stored_meta(db_path, STATE_NAME)
    assert state["cursor"] == key and state.get("section") is None


# 9. the U field ---------------------------------------------------------------------------


async def test_U_opens_the_source_field_at_its_start(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rlhf_reader.lists import listsource
    from rlhf_reader.lists.registry import bundled_list_path
    from rlhf_reader.tui.app import make_app
    from rlhf_reader.workspace import Workspace

    long_url = "https://127.0.0.1:9/" + "a-rather-long-folder-name/" * 6 + "README.md"
    monkeypatch.setattr(listsource, "UPSTREAM_URL", long_url)
    app = make_app(Workspace.open(bundled_list_path(), db_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("U")
        dialog = app.screen
        assert isinstance(dialog, PromptDialog)
        await pilot.pause()
        field = dialog.query_one(Input)
        assert field.value == long_url
        assert field.scroll_x == 0 and field.cursor_position == 0
        assert field.selected_text == long_url  # typing replaces it
        await pilot.press("end")
        assert field.scroll_x > 0


# 11. esc in the note editor ---------------------------------------------------------------


async def test_esc_on_a_changed_note_offers_save_drop_keep(list_path: Path, db_path: Path) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", "escape")  # no change: closes at once
        assert isinstance(app.screen, MainScreen)
        await pilot.press("n", *"first thought", "escape")
        dialog = app.screen
        assert isinstance(dialog, ChoiceDialog)
        buttons = [str(b.label) for b in dialog.query(Button)]
        assert buttons == ["Save (s)", "Drop (d)", "Keep editing (k)"]
        await pilot.press("escape")  # esc on the question: back to editing, nothing lost
        assert isinstance(app.screen, NoteEditor)
        assert app.screen.text == "first thought"
        await pilot.press("escape", "k")
        assert isinstance(app.screen, NoteEditor) and app.screen.unsaved
        await pilot.press("escape", "s")  # save: written, the editor closes
        assert await until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert stored(db_path, SURVEY).note == "first thought"
        await pilot.press("n", "end", *" dropped", "escape", "d")
        assert isinstance(app.screen, MainScreen)
        assert stored(db_path, SURVEY).note == "first thought"
        await pilot.press("n", "end", *" clicked", "escape")
        await pilot.click("#choice-save")
        assert await until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert stored(db_path, SURVEY).note == "first thought clicked"


# 16. the note in $EDITOR ------------------------------------------------------------------


def fake_editor(folder: Path, text: str) -> Path:
    """An editor (a real program) that keeps what it was given and writes ``text``."""
    script = folder / "fake-editor"
    seen = folder / "given.md"
    script.write_text(f"#!/bin/sh\ncp \"$1\" '{seen}'\nprintf '%s\\n' '{text}' > \"$1\"\n")
    script.chmod(0o755)
    return script


def handing_over(app, during=None) -> list[str]:
    """``App.suspend`` for the headless test driver (which cannot hand a terminal over);
    ``during()`` runs while suspended, as another process would."""
    calls: list[str] = []

    @contextmanager
    def suspend():
        calls.append("suspended")
        if during is not None:
            during()
        yield
        calls.append("resumed")

    app.suspend = suspend
    return calls


async def test_ctrl_o_edits_the_note_in_editor_and_saves_it(
    list_path: Path, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDITOR", str(fake_editor(tmp_path, "from the editor")))
    monkeypatch.delenv("VISUAL", raising=False)
    app = build_app(list_path, db_path)
    calls = handing_over(app)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        editor = app.screen
        assert "ctrl+o $EDITOR" in editor.query_one("#note-box").border_subtitle
        await pilot.press(*"typed here", "ctrl+o")
        await pilot.pause()
        assert calls == ["suspended", "resumed"]
        assert (tmp_path / "given.md").read_text() == "typed here\n"  # the text as it was
        assert isinstance(app.screen, MainScreen)  # saved: the editor closed
        assert stored(db_path, SURVEY).note == "from the editor"
        # the help screen lists the key with the note editor's keys
        await pilot.press("question_mark")
        console = Console(width=100, record=True, file=io.StringIO())
        console.print(app.screen.query_one("#help-table", Static).content)
        assert any(
            line.split()[:1] == ["^o"] and "$EDITOR" in line
            for line in console.export_text().splitlines()
        )


async def test_ctrl_o_when_the_note_changed_meanwhile_asks(
    list_path: Path, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VISUAL", str(fake_editor(tmp_path, "mine")))

    def another_process() -> None:
        library = Library.open(db_path)
        library.set_note(SURVEY, "theirs")
        library.close()

    app = build_app(list_path, db_path)
    handing_over(app, another_process)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", "ctrl+o")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, NoteConflictDialog)
        assert (dialog.mine, dialog.theirs) == ("mine", "theirs")
        assert stored(db_path, SURVEY).note == "theirs"  # nothing written over it
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        note = stored(db_path, SURVEY).note
        assert note.startswith("mine") and note.endswith("theirs")


async def test_ctrl_o_without_a_usable_editor_says_so(
    list_path: Path, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("VISUAL", "EDITOR"):
        monkeypatch.delenv(name, raising=False)
    empty = tmp_path / "no-programs"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    app = build_app(list_path, db_path)
    calls = handing_over(app)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("n", *"kept", "ctrl+o")
        await pilot.pause()
        assert calls == []  # nothing handed over
        assert any("No external editor" in m and "$EDITOR" in m for m in messages(app))
        monkeypatch.setenv("EDITOR", str(tmp_path / "no-such-editor"))
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert calls == ["suspended", "resumed"]  # the app came back
        assert any("cannot run the editor" in m for m in messages(app))
        assert isinstance(app.screen, NoteEditor) and app.screen.text == "kept"
    assert stored(db_path, SURVEY).note == ""


async def test_ctrl_o_where_the_app_cannot_be_suspended_says_so(
    list_path: Path, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDITOR", str(fake_editor(tmp_path, "never")))
    app = build_app(list_path, db_path)  # the headless driver cannot suspend
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("n", "ctrl+o")
        await pilot.pause()
        assert any("needs the app in a terminal" in m for m in messages(app))
        assert isinstance(app.screen, NoteEditor)
    assert not (tmp_path / "given.md").exists()


# 5. o without a browser -------------------------------------------------------------------


async def test_o_without_a_browser_says_so_and_offers_to_copy(
    list_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch, no_real_clipboard
) -> None:
    import webbrowser

    answers: list[bool | Exception] = [False, webbrowser.Error("could not locate runnable browser")]
    tried: list[str] = []

    def no_browser(url: str, *args: object, **kwargs: object) -> bool:
        tried.append(url)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(webbrowser, "open", no_browser)
    monkeypatch.setenv("DISPLAY", ":0")  # a desktop, where webbrowser finds nothing
    url = "https://arxiv.org/abs/2312.14925"
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("o")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert tried == [url]
        dialog = app.screen
        assert isinstance(dialog, ChoiceDialog)
        assert [str(b.label) for b in dialog.query(Button)] == ["Copy link (y)", "Cancel (n)"]
        question = str(dialog.query_one(Static).content)
        assert f"No browser could be opened for {url}" in question
        assert "Copy the link instead?" in question
        assert not any("Opening" in m for m in messages(app))  # never claimed
        await pilot.press("y")  # copy it
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.clipboard == url and no_real_clipboard == [url]
        assert isinstance(app.screen, (MainScreen, CopiedText))
        if isinstance(app.screen, CopiedText):
            await pilot.press("escape")
        # the browser fails to start: the same question, with the reason; n copies nothing
        await pilot.press("o")
        await app.workers.wait_for_complete()
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ChoiceDialog)
        assert "could not locate runnable browser" in str(dialog.query_one(Static).content)
        await pilot.press("n")
        assert isinstance(app.screen, MainScreen)
        assert no_real_clipboard == [url]
        assert not any("Opening" in m or "Opened" in m for m in messages(app))


async def test_o_with_a_browser_says_it_opened(
    list_path: Path, db_path: Path, no_real_browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("o")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert no_real_browser == ["https://arxiv.org/abs/2312.14925"]
        assert any(
            "Opened https://arxiv.org/abs/2312.14925 in the browser" in m for m in messages(app)
        )
        assert isinstance(app.screen, MainScreen)


# 4. save: screenshot (SVG) ----------------------------------------------------------------


def palette_command(app, title: str):
    return next(c for c in app.get_system_commands(app.screen) if c.title == title)


async def test_screenshot_says_where_it_went_and_why_not(
    list_path: Path,
    db_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    downloads = tmp_path / "Downloads"
    monkeypatch.setenv("XDG_DOWNLOAD_DIR", str(downloads))
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        # no Downloads folder (over SSH, say): the current folder, and the path is said
        await pilot.press("ctrl+p", *"save: screenshot")
        assert await until(pilot, lambda: palette_offers(app, "save: screenshot (SVG)"))
        await pilot.press("enter")
        assert await until(pilot, lambda: any("Screenshot" in m for m in messages(app)))
        saved = list(here.glob("rlhf-reader-*.svg"))
        assert len(saved) == 1 and saved[0].read_text(encoding="utf-8").startswith("<svg")
        assert f"Screenshot saved to {saved[0]}" in messages(app)
        # "Downloads" is a file: not saved, and the message says where and why
        downloads.write_text("not a folder")
        palette_command(app, "save: screenshot (SVG)").callback()
        assert await until(pilot, lambda: any("not saved" in m for m in messages(app)))
        failure = next(m for m in messages(app) if "not saved" in m)
        assert f"Screenshot not saved to {downloads}{os.sep}rlhf-reader-" in failure
        assert failure.endswith(".svg: Not a directory")
        assert not any(m == "Failed to save screenshot" for m in messages(app))
        # a Downloads folder: there
        downloads.unlink()
        downloads.mkdir()
        palette_command(app, "save: screenshot (SVG)").callback()
        assert await until(
            pilot,
            lambda: any(m.startswith(f"Screenshot saved to {downloads}") for m in messages(app)),
        )
        assert len(list(downloads.glob("rlhf-reader-*.svg"))) == 1


def palette_offers(app, title: str) -> bool:
    """The command palette is open and its first option is ``title``."""
    found = app.screen.query(OptionList)
    if not found or not found.first().option_count:
        return False
    return title in str(found.first().get_option_at_index(0).prompt)


# 6. the export dialog ---------------------------------------------------------------------


def static_plain(widget: Static) -> str:
    content = widget.content
    return content.plain if hasattr(content, "plain") else str(content)


async def export_to(pilot, app, name: str) -> None:
    dialog = app.screen
    field = dialog.query_one("#export-path", Input)
    field.value = name
    await pilot.pause()
    field.focus()
    await pilot.press("enter")


async def test_export_dialog_follows_the_extension_asks_before_replacing_and_remembers(
    list_path: Path, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    sub = work / "sub"
    sub.mkdir(parents=True)
    monkeypatch.chdir(work)
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("e")
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        assert static_plain(dialog.query_one("#export-folder", Static)) == (
            f"File (a relative name goes into {work})"
        )
        assert static_plain(dialog.query_one("#export-target", Static)) == (
            f"→ {work / 'reading-list.md'}"
        )
        # the format follows the extension while none was picked
        dialog.query_one("#export-path", Input).value = "x.csv"
        await pilot.pause()
        assert (dialog.fmt, dialog.chosen) == ("csv", False)
        assert dialog.query_one(Select).value == "csv"
        assert static_plain(dialog.query_one("#export-target", Static)) == f"→ {work / 'x.csv'}"
        await export_to(pilot, app, "x.csv")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        written = work / "x.csv"
        assert written.read_text(encoding="utf-8").startswith("key,title,")
        # an existing file: asked first; a picked format wins over the extension
        await pilot.press("e")
        dialog = app.screen
        assert dialog.query_one(Select).value == "csv"  # remembered
        assert dialog.query_one("#export-path", Input).value == "reading-list.csv"
        dialog.query_one(Select).value = "bibtex"  # picked
        await pilot.pause()
        assert dialog.chosen
        dialog.query_one("#export-path", Input).value = "x.csv"
        await pilot.pause()
        assert dialog.query_one(Select).value == "bibtex"
        assert "exists" in static_plain(dialog.query_one("#export-target", Static))
        await export_to(pilot, app, "x.csv")
        question = app.screen
        assert isinstance(question, ConfirmDialog)
        assert str(written) in static_plain(question.query_one(Static))
        await pilot.press("n")  # no: back in the dialog, nothing written
        assert app.screen is dialog
        assert written.read_text(encoding="utf-8").startswith("key,title,")
        await pilot.press("ctrl+s", "y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert written.read_text(encoding="utf-8").lstrip().startswith("@")
        # another folder, another format: both remembered for next time
        await pilot.press("e")
        await export_to(pilot, app, "sub/y.ris")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert (sub / "y.ris").read_text(encoding="utf-8").startswith("TY  - ")
        await pilot.press("q")
    state = stored_meta(db_path, STATE_NAME)
    assert state["export"] == {"format": "ris", "folder": str(sub)}

    monkeypatch.chdir(tmp_path)
    again = build_app(list_path, db_path)
    async with again.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        dialog = again.screen
        assert dialog.query_one(Select).value == "ris"
        assert static_plain(dialog.query_one("#export-target", Static)) == (
            f"→ {sub / 'reading-list.ris'}"
        )
        assert str(sub) in static_plain(dialog.query_one("#export-folder", Static))
        await pilot.press("escape")
        await pilot.press("q")
    assert stored_meta(db_path, STATE_NAME)["export"] == {"format": "ris", "folder": str(sub)}


async def test_o_over_ssh_starts_no_terminal_browser_unless_named(
    list_path: Path, db_path: Path, no_real_browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No display (conftest removes DISPLAY): webbrowser would start lynx beside the app on
    the same terminal. It is not asked; a $BROWSER gets the terminal, the app suspended."""
    monkeypatch.delenv("BROWSER", raising=False)
    url = "https://arxiv.org/abs/2312.14925"
    app = build_app(list_path, db_path)
    calls = handing_over(app)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("o")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ChoiceDialog)
        assert "no graphical display" in str(dialog.query_one(Static).content)
        assert no_real_browser == [] and calls == []
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        monkeypatch.setenv("BROWSER", "lynx")
        await pilot.press("o")
        await pilot.pause()
        assert calls == ["suspended", "resumed"] and no_real_browser == [url]
        assert any(f"Opened {url} in the browser" in m for m in messages(app))
