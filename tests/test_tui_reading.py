"""Pilot tests for the reading keys: the PDF (d, O), the reading queue (!, ctrl+↑/↓) and the
order inside sections (s). The real app, a real library file in tmp_path, and the local
PDF server (``pdf_server``) standing in for arXiv."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pdf_server import TINY_PDF, Answer, PdfServer
from textual.widgets import Input, Static
from textual.worker import WorkerState
from tui_helpers import (
    BLOG,
    CAI,
    DPO,
    INSTRUCT,
    SURVEY,
    build_app,
    stored_meta,
    until,
    write_list,
    written,
)

from rlhf_reader.library.store import Library
from rlhf_reader.model import Entry, Status
from rlhf_reader.sources.pdffiles import pdf_filename
from rlhf_reader.tui.actions import STATE_NAME
from rlhf_reader.tui.app import ReaderApp
from rlhf_reader.tui.state import PDF_GLYPH, QUEUE_PATH
from rlhf_reader.workspace import Workspace

SIZE = (120, 36)
METHODS = ("Papers", "Methods")


@pytest.fixture
def list_path(tmp_path: Path) -> Path:
    return write_list(tmp_path)


def pdfs(db_path: Path) -> list[str]:
    """Every file in pdfs/ beside the library (temp files too)."""
    folder = db_path.parent / "pdfs"
    return sorted(os.listdir(folder)) if folder.is_dir() else []


def notes(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


def detail_text(app) -> str:
    widget = app.main_screen.query_one("#detail-text", Static)
    return widget.content.plain if hasattr(widget.content, "plain") else str(widget.content)


def labels(app, key: str) -> list[str]:
    return [node.label.plain for node in app.main_screen.catalog_tree._entry_nodes.get(key, [])]


def queue_rows(app) -> list[str]:
    node = app.main_screen.catalog_tree.queue_node
    return [] if node is None else [child.data.key for child in node.children]


def section_keys(app, path: tuple[str, ...]) -> list[str]:
    tree = app.main_screen.catalog_tree
    node = tree._section_nodes[path]
    tree.open_section(node)
    return [child.data.key for child in node.children if isinstance(child.data, Entry)]


def stored_queue(db_path: Path) -> list[str]:
    library = Library.open(db_path)
    try:
        return library.queue()
    finally:
        library.close()


async def on_key(app, pilot, key: str) -> None:
    """The cursor on ``key`` in the body of the tree."""
    assert app.main_screen.catalog_tree.select_key(key)
    await pilot.pause()


def a_viewer(tmp_path: Path) -> tuple[Path, Path]:
    """A fake PDF viewer that writes the path it was given into a file."""
    record = tmp_path / "opened.txt"
    viewer = tmp_path / "viewer"
    viewer.write_text(f'#!/bin/sh\nprintf %s "$1" > "{record}"\n')
    viewer.chmod(0o755)
    return viewer, record


async def test_d_saves_once_marks_it_and_O_opens_or_shows_the_path(
    list_path: Path,
    db_path: Path,
    tmp_path: Path,
    pdf_server: PdfServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = pdf_server.serve_pdf(f"/pdf/{DPO}")
    pdf_server.serve_pdf(f"/pdf/{CAI}")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no xdg-open to be found
    saved = db_path.parent / "pdfs" / pdf_filename(DPO)
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await on_key(app, pilot, DPO)
        await pilot.press("d")
        assert await until(pilot, lambda: any("Saved the PDF" in m for m in notes(app)))
        await app.workers.wait_for_complete()
        assert saved.read_bytes() == body and pdfs(db_path) == [saved.name]
        assert pdf_server.hits == [f"/pdf/{DPO}"]
        # marked: the glyph in both of the paper's rows, the path in the detail pane
        section_keys(app, METHODS)  # DPO is listed there too
        assert len(labels(app, DPO)) == 2
        assert all(label.startswith(f"○ {PDF_GLYPH} ") for label in labels(app, DPO))
        assert not any(PDF_GLYPH in label for label in labels(app, INSTRUCT))
        assert str(saved) in detail_text(app)
        # a second d: no request, it says where the PDF is
        await pilot.press("d")
        await app.workers.wait_for_complete()
        assert pdf_server.hits == [f"/pdf/{DPO}"]
        assert f"The PDF is on disk already: {saved}" in notes(app)
        # O with no viewer: it says so and shows the path
        await pilot.press("O")
        assert await until(pilot, lambda: any("no PDF viewer" in m for m in notes(app)))
        assert any(str(saved) in m for m in notes(app) if "no PDF viewer" in m)
        # O on a paper with no PDF yet downloads it first, then opens it with the viewer
        viewer, record = a_viewer(tmp_path)
        monkeypatch.setenv("RLHF_READER_PDF_VIEWER", str(viewer))
        await on_key(app, pilot, CAI)
        await pilot.press("O")
        assert await until(pilot, record.exists)
        cai_pdf = db_path.parent / "pdfs" / pdf_filename(CAI)
        assert record.read_text() == str(cai_pdf) and cai_pdf.is_file()
        assert pdf_server.hits == [f"/pdf/{DPO}", f"/pdf/{CAI}"]
        # a viewer that fails: said, with the path
        failing = tmp_path / "failing-viewer"
        failing.write_text("#!/bin/sh\nexit 3\n")
        failing.chmod(0o755)
        monkeypatch.setenv("RLHF_READER_PDF_VIEWER", str(failing))
        await pilot.press("O")
        assert await until(pilot, lambda: any("exit status 3" in m for m in notes(app)))
        assert any(str(cai_pdf) in m for m in notes(app) if "exit status 3" in m)
        # has:pdf in the filter finds the two
        await pilot.press("slash")
        app.main_screen.query_one("#filter-bar Input", Input).value = "has:pdf"
        assert await until(pilot, lambda: app.main_screen.catalog_tree.shown_keys == {DPO, CAI})
        # a blog post has no PDF: said at once, no request
        await pilot.press("escape")
        await on_key(app, pilot, BLOG)
        await pilot.press("d")
        assert any("No PDF to download for huggingface.co/blog/rlhf" in m for m in notes(app))
        assert len(pdf_server.hits) == 2
        # served to a browser (rlhf-reader serve): O hands the PDF to the browser instead
        delivered: list[tuple[object, dict]] = []
        monkeypatch.setattr(ReaderApp, "is_web", property(lambda _: True))
        monkeypatch.setattr(app, "deliver_binary", lambda p, **kw: delivered.append((p, kw)))
        await on_key(app, pilot, DPO)
        await pilot.press("O")
        assert delivered == [
            (
                saved,
                {
                    "save_filename": saved.name,
                    "mime_type": "application/pdf",
                    "open_method": "browser",
                },
            )
        ]


async def test_d_refuses_what_is_not_a_pdf_and_saves_nothing(
    list_path: Path,
    db_path: Path,
    pdf_server: PdfServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pdf_server.routes[f"/pdf/{DPO}"] = Answer(
        body=b"<!DOCTYPE html><html><body>Log in</body></html>", content_type="text/html"
    )
    pdf_server.routes[f"/pdf/{INSTRUCT}"] = Answer(status=503, body=b"busy")
    pdf_server.routes[f"/pdf/{CAI}"] = Answer(stall=True)
    pdf_server.routes[f"/pdf/{SURVEY}"] = Answer(body=TINY_PDF.read_bytes())
    original = Workspace.downloader
    monkeypatch.setattr(  # a cap below the tiny PDF's 600 bytes
        Workspace, "downloader", lambda self, **kw: original(self, max_bytes=100, **kw)
    )
    monkeypatch.setenv("RLHF_READER_PDF_TIMEOUT", "soon")
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await on_key(app, pilot, DPO)
        await pilot.press("d")  # a wrong setting is named, nothing is asked
        assert any("RLHF_READER_PDF_TIMEOUT: not a number" in m for m in notes(app))
        assert pdf_server.hits == [] and app.main_screen.taskbar.current is None
        monkeypatch.setenv("RLHF_READER_PDF_TIMEOUT", "0.5")
        for key, says in (
            (DPO, "is a web page"),
            (INSTRUCT, "HTTP 503"),
            (CAI, "no complete answer within 0.5 s"),
            (SURVEY, "larger than the 0.0 MB allowed"),
        ):
            await on_key(app, pilot, key)
            await pilot.press("d")
            await app.workers.wait_for_complete()
            assert await until(pilot, lambda s=says: any(s in m for m in notes(app)))
            [(message, severity)] = [
                (str(n.message), n.severity) for n in app._notifications if says in str(n.message)
            ]
            assert message.startswith("PDF not downloaded: ") and "nothing saved" in message
            assert severity == "error"
            assert pdfs(db_path) == []
            assert not any(PDF_GLYPH in label for label in labels(app, key))
        assert f"/pdf/{CAI}" in pdf_server.hits


async def test_esc_cancels_a_download_and_leaves_no_file(
    list_path: Path, db_path: Path, pdf_server: PdfServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RLHF_READER_PDF_TIMEOUT", "60")
    pdf_server.routes[f"/pdf/{DPO}"] = Answer(body=TINY_PDF.read_bytes(), stall_after=50)
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await on_key(app, pilot, DPO)
        await pilot.press("d")
        bar = app.main_screen.taskbar
        note = bar.query_one("#task-note", Static)
        # the first 50 bytes arrived (in a temp file, shown in the bar), then the server stalls
        assert await until(pilot, lambda: "MB" in str(note.render()))
        assert await until(pilot, lambda: any(n.endswith(".part") for n in pdfs(db_path)))
        task = bar.current
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        assert task is not None and task.state is WorkerState.CANCELLED
        assert "Cancelled: PDF download" in notes(app)
        assert await until(pilot, lambda: pdfs(db_path) == [])  # the temp file is gone too
        assert not any("PDF not downloaded" in m for m in notes(app))
        assert not bar.display
        # the app goes on: the next d downloads it
        pdf_server.serve_pdf(f"/pdf/{DPO}")
        await pilot.press("d")
        assert await until(pilot, lambda: pdfs(db_path) == [pdf_filename(DPO)])


async def test_the_reading_queue(list_path: Path, db_path: Path) -> None:
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen, tree = app.main_screen, app.main_screen.catalog_tree
        assert tree.queue_node is None
        for key in (DPO, CAI, INSTRUCT):
            await on_key(app, pilot, key)
            await pilot.press("exclamation_mark")
        assert await written(pilot)
        assert stored_queue(db_path) == [DPO, CAI, INSTRUCT]
        # its own section at the top, open, in the reader's order; the cursor stayed put
        assert tree.root.children[0] is tree.queue_node and tree.queue_node.is_expanded
        assert tree.queue_node.label.plain == "! Reading queue  3"
        assert queue_rows(app) == [DPO, CAI, INSTRUCT]
        assert tree.current_entry.key == INSTRUCT and not tree.in_queue
        assert "Queue    3 of 3" in detail_text(app)
        # ctrl+up from the paper's row in its section
        await pilot.press("ctrl+up")
        assert await written(pilot)
        assert stored_queue(db_path) == queue_rows(app) == [DPO, INSTRUCT, CAI]
        assert "Queue    2 of 3" in detail_text(app) and not tree.in_queue
        # in the queue section the cursor moves with the paper
        tree.move_to(tree.queue_node.children[0])
        await pilot.pause()
        await pilot.press("ctrl+down", "ctrl+down")
        assert await written(pilot)
        assert stored_queue(db_path) == queue_rows(app) == [INSTRUCT, CAI, DPO]
        assert tree.in_queue and tree.current_entry.key == DPO
        await pilot.press("ctrl+up")
        assert queue_rows(app) == [INSTRUCT, DPO, CAI] and tree.current_entry.key == DPO
        await pilot.press("s")  # a new order inside sections: the cursor stays in the queue
        assert tree.in_queue and tree.current_entry.key == DPO
        assert queue_rows(app) == [INSTRUCT, DPO, CAI]  # the queue keeps the reader's order
        # is:queued in the filter
        await pilot.press("slash")
        screen.query_one("#filter-bar Input", Input).value = "is:queued"
        assert await until(pilot, lambda: tree.shown_keys == {INSTRUCT, DPO, CAI})
        await pilot.press("escape")
        # marking a queued paper read takes it off; the cursor goes to the next one
        tree.move_to(tree.queue_node.children[1])
        await pilot.pause()
        assert tree.current_entry.key == DPO
        await pilot.press("space")
        assert screen.reading.status(DPO) is Status.READ
        assert await written(pilot)
        assert stored_queue(db_path) == queue_rows(app) == [INSTRUCT, CAI]
        assert tree.in_queue and tree.current_entry.key == CAI
        # ! on a queued paper takes it off; a paper not queued cannot move
        await pilot.press("exclamation_mark")
        assert await written(pilot)
        assert stored_queue(db_path) == queue_rows(app) == [INSTRUCT]
        await on_key(app, pilot, BLOG)
        await pilot.press("ctrl+down")
        assert "This paper is not on the reading queue (! puts it there)." in notes(app)
        await on_key(app, pilot, INSTRUCT)
        await pilot.press("exclamation_mark")
        assert await written(pilot)
        assert stored_queue(db_path) == [] and tree.queue_node is None
        assert QUEUE_PATH not in tree._section_nodes
        # a change made elsewhere (rlhf-reader queue add) shows when the file is next looked at
        library = Library.open(db_path)
        library.change_queue(lambda queue: [*queue, BLOG, SURVEY])
        library.close()
        assert screen.poll()  # read again in the writer's thread, then shown
        assert await until(pilot, lambda: queue_rows(app) == [BLOG, SURVEY])
        assert tree.root.children[0] is tree.queue_node
        # closed by the reader, the queue section stays closed when it changes
        tree.move_to(tree.queue_node)
        await pilot.press("left")
        await on_key(app, pilot, CAI)
        await pilot.press("exclamation_mark")
        assert await written(pilot)
        assert stored_queue(db_path) == [BLOG, SURVEY, CAI] and not tree.queue_node.is_expanded


async def test_s_cycles_the_order_inside_sections_and_is_remembered(
    list_path: Path, db_path: Path
) -> None:
    library = Library.open(db_path)
    library.set_status([CAI], Status.READ)
    library.set_status([INSTRUCT], Status.READING)
    library.close()
    folder = db_path.parent / "pdfs"
    folder.mkdir()
    (folder / pdf_filename(INSTRUCT)).write_bytes(TINY_PDF.read_bytes())  # on disk already
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        header = app.main_screen.query_one("#header")
        assert section_keys(app, METHODS) == [INSTRUCT, DPO, CAI]  # the list's order
        title = "Training language models to follow instructions with human feedback"
        # found on disk once the screen is up (looked for in a thread)
        assert await until(pilot, lambda: labels(app, INSTRUCT) == [f"◐ {PDF_GLYPH} {title}"])
        assert app.main_screen.reading.pdfs == {INSTRUCT: folder / pdf_filename(INSTRUCT)}
        expected = {
            "year ↓": [DPO, INSTRUCT, CAI],  # 2023, then the two of 2022 in list order
            "title": [CAI, DPO, INSTRUCT],
            "status": [DPO, INSTRUCT, CAI],  # unread, reading, read
            "date read ↓": [CAI, INSTRUCT, DPO],  # the read one, then the rest in list order
        }
        for name, keys in expected.items():
            await pilot.press("s")
            assert section_keys(app, METHODS) == keys, name
            assert header.order == name
            assert f"Inside sections: {name} (s changes it)" in notes(app)
            assert f"by {name}" in str(header.render())
        await pilot.press("s")
        assert section_keys(app, METHODS) == [INSTRUCT, DPO, CAI] and header.order == ""
        await pilot.press("s", "s")  # title
        await app.action_quit()
    assert stored_meta(db_path, STATE_NAME)["order"] == "title"
    again = build_app(list_path, db_path)
    async with again.run_test(size=SIZE) as pilot:
        assert again.main_screen.catalog_tree.order == "title"
        assert again.main_screen.query_one("#header").order == "title"
        assert section_keys(again, METHODS) == [CAI, DPO, INSTRUCT]


async def test_fetched_abstracts_are_searched_by_the_filter(list_path: Path, db_path: Path) -> None:
    """Once an abstract is fetched, `/` finds it by a plain word and by ``abstract:``."""
    library = Library.open(db_path)
    library.put_metadata(
        {
            CAI: {
                "key": CAI,
                "arxiv_id": CAI,
                "title": "Constitutional AI: Harmlessness from AI Feedback",
                "authors": ["Yuntao Bai"],
                "abstract": "A harmless assistant, watched by a quokka, through self-critique.",
                "fetched_at": "2026-01-01T00:00:00Z",
            }
        }
    )
    library.close()
    app = build_app(list_path, db_path)
    async with app.run_test(size=SIZE) as pilot:
        tree = app.main_screen.catalog_tree
        await pilot.press("slash")
        field = app.main_screen.query_one("#filter-bar Input", Input)
        for text, shown in (
            ("abstract:quokka", {CAI}),
            ("quokka", {CAI}),  # a plain word looks in abstracts too
            ('abstract:"through self-critique"', {CAI}),
            ("abstract:feedback", set()),  # in the title, not the abstract
        ):
            field.value = text
            assert await until(pilot, lambda shown=shown: tree.shown_keys == shown), text
        field.value = "-abstract:quokka"
        shown_without = lambda: (shown := tree.shown_keys) is not None and DPO in shown  # noqa: E731
        assert await until(pilot, shown_without)
        assert CAI not in (tree.shown_keys or set())
