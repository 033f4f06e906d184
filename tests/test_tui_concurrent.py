"""Two TUIs and the CLI on one library file at once, for at least 20 seconds.

A child process runs the CLI (``rlhf_reader.cli.main``, the real command code) in a loop on
overlapping keys: ``tag KEY +cli-N``, ``mark KEY …``, and ``note KEY …`` during the first half.
It appends every change the CLI acknowledged (exit status 0) to a log. Meanwhile two apps,
driven by Pilot in this process, add their own tags (``+a1-N``, ``+a2-N``), toggle statuses
and append lines to notes on the same keys; a note saved over one that changed meanwhile
gets the conflict dialog, answered "keep both".

At the end, every acknowledged tag is in the file (nobody removes tags), every note line an
app saved after the CLI's last note is in the file, the CLI's last note of a key is in it,
and each app shows exactly what the file holds: statuses, tags and notes of every key, the
header's count. Nothing is timed: the loop runs for its 20 s, the apps are then given the
polls they need (bounded), and the assertions are on what was acknowledged.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from textual.widgets import Input, TextArea
from tui_helpers import BLOG, CAI, DPO, INSTRUCT, SURVEY, build_app, until, write_list

from rlhf_reader.library.progress import count
from rlhf_reader.library.store import Library
from rlhf_reader.tui.screens.note import NoteEditor
from rlhf_reader.tui.screens.note_conflict import NoteConflictDialog
from rlhf_reader.tui.screens.tags import TagsDialog
from rlhf_reader.tui.widgets.header import ProgressHeader

KEYS = [SURVEY, DPO, INSTRUCT, CAI, BLOG]
SECONDS = 20

CLI_LOOP = r"""
import json, sys, time
from rlhf_reader.cli import main

list_path, db_path, log_path, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
keys = sys.argv[5:]
statuses = ["read", "reading", "unread"]
start = time.monotonic()
with open(log_path, "a", encoding="utf-8") as log:
    def run(op, key, *args, **record):
        code = main(["--list", list_path, "--db", db_path, op, key, *args])
        if code == 0:  # acknowledged
            log.write(json.dumps({"op": op, "key": key, **record}) + "\n")
            log.flush()
    i = 0
    notes_done = False
    while time.monotonic() - start < seconds:
        key = keys[i % len(keys)]
        run("tag", key, f"+cli-{i}", tag=f"cli-{i}")
        run("mark", key, statuses[i % 3], status=statuses[i % 3])
        if time.monotonic() - start < seconds / 2:
            run("note", key, f"cli note {i}", note=f"cli note {i}")
        elif not notes_done:
            notes_done = True
            log.write(json.dumps({"op": "notes-done"}) + "\n")
            log.flush()
        i += 1
"""


def read_log(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


async def test_two_apps_and_the_cli_lose_nothing(tmp_path: Path, db_path: Path) -> None:
    list_path = write_list(tmp_path)
    Library.open(db_path).close()
    log_path = tmp_path / "cli.log"
    argv = [str(list_path), str(db_path), str(log_path), str(SECONDS), *KEYS]
    child = subprocess.Popen(
        [sys.executable, "-c", CLI_LOOP, *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    acked_tags: list[tuple[str, str]] = []  # (key, tag) the apps saw saved
    late_lines: list[tuple[str, str]] = []  # (key, line) saved after the CLI's last note
    app1, app2 = build_app(list_path, db_path), build_app(list_path, db_path)
    try:
        async with app1.run_test(size=(120, 36)) as p1, app2.run_test(size=(120, 36)) as p2:
            apps = [("a1", app1, p1), ("a2", app2, p2)]
            for _ in range(2):  # the second window starts two papers lower
                await to_a_paper(app2, p2, "j")
            n = 0
            while child.poll() is None:
                for name, app, pilot in apps:
                    n += 1
                    entry = app.main_screen.catalog_tree.current_entry
                    assert entry is not None
                    await pilot.press("t")
                    opened = await until(pilot, lambda app=app: isinstance(app.screen, TagsDialog))
                    assert opened, (name, n, app.screen_stack, said(app))
                    app.screen.query_one(Input).value = f"+{name}-{n}"
                    await pilot.press("enter")
                    await until(pilot, lambda app=app: not isinstance(app.screen, TagsDialog), 50)
                    if not isinstance(app.screen, TagsDialog):  # saved: acknowledged
                        acked_tags.append((entry.key, f"{name}-{n}"))
                    else:  # an error is shown in the dialog; nothing to claim
                        await pilot.press("escape")
                    await pilot.press("space")
                    notes_done = any(r["op"] == "notes-done" for r in read_log(log_path))
                    if notes_done or n % 2:
                        line = f"{name} line {n}"
                        if await append_note_line(app, pilot, line) and notes_done:
                            late_lines.append((entry.key, line))
                    await to_a_paper(app, pilot, "j" if n % 4 else "g")
                await p1.pause(0.05)
            assert child.returncode == 0, child.stderr.read() if child.stderr else ""

            log = read_log(log_path)
            assert sum(r["op"] == "tag" for r in log) >= 10  # the CLI really wrote meanwhile
            library = Library.open(db_path)
            annotations = library.annotations()
            # every acknowledged tag, the CLI's and the apps', is in the file
            for record in log:
                if record["op"] == "tag":
                    assert record["tag"] in annotations[record["key"]].tags, record
            for key, tag in acked_tags:
                assert tag in annotations[key].tags, (key, tag)
            assert acked_tags and late_lines
            # the CLI's last note of each key, and every app line saved after it, are kept
            for key in KEYS:
                notes = [r["note"] for r in log if r["op"] == "note" and r["key"] == key]
                if notes:
                    assert notes[-1] in annotations[key].note, key
            for key, line in late_lines:
                assert line in annotations[key].note, (key, line)

            # each app shows what the file holds, the other writers' changes included
            for _, app, pilot in apps:
                screen = app.main_screen

                def shows_the_file(screen=screen) -> bool:
                    rows = screen.reading.rows
                    return all(
                        rows[key].annotation.status is annotations[key].status
                        and rows[key].annotation.tags == annotations[key].tags
                        and rows[key].annotation.note == annotations[key].note
                        for key in KEYS
                    )

                assert await until(pilot, shows_the_file, 400)
                header = screen.query_one(ProgressHeader)
                assert header.read == count(KEYS, annotations).read
                for key in KEYS:
                    nodes = screen.catalog_tree._entry_nodes.get(key, [])
                    for label in [node.label.plain for node in nodes]:
                        assert label.startswith(annotations[key].status.glyph)
                        assert all(f"#{tag}" in label for tag in annotations[key].tags)
            library.close()
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()


def said(app) -> list[str]:
    """The app's notifications (why a key did nothing)."""
    return [str(notification.message) for notification in app._notifications]


async def to_a_paper(app, pilot, key: str) -> None:
    """``key`` (down, or top), then right (open the section, go into it) until the cursor is
    on a paper, as a person would; the cursor stays where it is when another writer's change
    makes the tree redraw."""
    await pilot.press(key)
    for _ in range(6):
        if app.main_screen.catalog_tree.current_entry is not None:
            return
        await pilot.press("l")


async def answered(app, pilot) -> None:
    """Until the note editor's save is answered: the editor closed (saved), a conflict to
    answer, or an error shown. The answer comes after the jobs handed in before the save
    (writes, a re-read of the file the CLI changed): on a loaded machine over a second. A
    key pressed before it would go to the conflict dialog that may come (t: take theirs)."""
    await until(pilot, lambda: not (isinstance(app.screen, NoteEditor) and app.screen.saving))


async def append_note_line(app, pilot, line: str) -> bool:
    """``n``, a line at the end, ctrl+s; a conflict is answered "keep both". True when the
    note was saved (the editor closed)."""
    await pilot.press("n")
    if not await until(pilot, lambda: isinstance(app.screen, NoteEditor)):
        return False
    area = app.screen.query_one(TextArea)
    area.move_cursor(area.document.end)
    area.insert(f"\n{line}")
    await pilot.press("ctrl+s")
    await answered(app, pilot)
    for _ in range(5):  # another writer may change it again before "keep both" is saved
        if not isinstance(app.screen, NoteConflictDialog):
            break
        await pilot.press("b")  # the editor saves both notes: wait for that answer too
        await until(pilot, lambda: not isinstance(app.screen, NoteConflictDialog), 500)
        await answered(app, pilot)
    if isinstance(app.screen, NoteConflictDialog):
        # The CLI rewrote the note each time (a fast machine): take theirs, claim nothing.
        await pilot.press("t")
        await until(pilot, lambda: not isinstance(app.screen, (NoteConflictDialog, NoteEditor)))
        return False
    if isinstance(app.screen, NoteEditor):  # an error: drop this edit, say so to the caller
        await pilot.press("escape")
        if not isinstance(app.screen, NoteEditor):
            return False
        await pilot.press("y")
        return False
    return True
