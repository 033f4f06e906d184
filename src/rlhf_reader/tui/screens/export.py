"""The export dialog (``e``): format, scope, file path; dismissed with an ``ExportRequest``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Select, Static

from rlhf_reader.formats.export import FORMATS, default_filename
from rlhf_reader.library.fileio import expand_user
from rlhf_reader.textsafe import printable
from rlhf_reader.tui import web
from rlhf_reader.tui.actions import VIM_KEYS
from rlhf_reader.tui.widgets.vimkeys import VimKeys

FORMAT_LABELS = {
    "markdown": "Markdown (task list by section)",
    "bibtex": "BibTeX",
    "csv": "CSV",
    "ris": "RIS (EndNote, Zotero)",
    "json": "JSON (backup, re-importable)",
    "csl-json": "CSL-JSON (Zotero, Pandoc)",
}


@dataclass(frozen=True)
class ExportRequest:
    fmt: str
    path: Path
    filtered: bool


def check_path(text: str, folder: Path | None = None) -> tuple[Path | None, str | None]:
    """The path to write, or why not: empty, a folder, or in a folder that does not exist."""
    text = text.strip()
    if not text:
        return None, "Give a file name."
    path = expand_user(text)
    if not path.is_absolute():
        path = (folder or Path.cwd()) / path
    try:
        if path.is_dir():
            return None, f"{path} is a folder; give a file name."
        if not path.parent.is_dir():
            return None, f"{path.parent}: no such folder."
    except OSError as exc:  # a name too long, a loop of links…
        return None, f"{path}: {exc.strerror or exc}"
    return path, None


class ExportDialog(VimKeys, ModalScreen[ExportRequest | None]):
    DEFAULT_CSS = """
    ExportDialog { align: center middle; }
    ExportDialog > Vertical {
        width: 76; max-width: 95%; height: auto; padding: 0 1;
        border: thick $accent; background: $surface;
    }
    ExportDialog Label { margin-top: 1; color: $text-muted; }
    ExportDialog RadioSet { width: 100%; layout: horizontal; }
    ExportDialog #export-error { color: $error; display: none; }
    ExportDialog Horizontal { height: auto; align-horizontal: right; }
    ExportDialog Button { margin-left: 2; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        Binding("ctrl+s", "write", "Export", id="dialog.write"),
        *VIM_KEYS,  # j/k/g/G in the format list and the scope buttons; typed in the file name
    ]

    def __init__(self, shown: int, total: int, filtered: bool, fmt: str = "markdown") -> None:
        super().__init__()
        self.shown, self.total, self.filtered = shown, total, filtered
        self.fmt = fmt
        self._suggested = default_filename(fmt)

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Export the reading list"
            box.border_subtitle = (
                "tab moves · ctrl+s or enter in the file name exports · esc cancels"
            )
            yield Label("Format")
            yield Select(
                [(FORMAT_LABELS[f], f) for f in FORMATS],
                value=self.fmt,
                allow_blank=False,
                type_to_search=False,  # j/k move in the open list (VIM_KEYS)
                id="export-format",
            )
            yield Label("Which entries")
            with RadioSet(id="export-scope"):
                yield RadioButton(
                    Text(f"Current filter ({self.shown})"),
                    value=self.filtered,
                    disabled=not self.filtered,
                    id="scope-filter",
                )
                yield RadioButton(
                    Text(f"Everything ({self.total})"), value=not self.filtered, id="scope-all"
                )
            yield Label("File name" if self.app.is_web else "File (relative to the current folder)")
            yield Input(self._suggested, id="export-path")
            yield Static(Text(""), id="export-error", markup=False)
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Export", id="export", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).cursor_blink = not self.app.is_headless
        self.query_one("#export-format", Select).focus()

    @on(Select.Changed, "#export-format")
    def _format_changed(self, event: Select.Changed) -> None:
        fmt = str(event.value)
        path = self.query_one("#export-path", Input)
        if path.value.strip() in ("", self._suggested):  # not edited: follow the format
            self._suggested = default_filename(fmt)
            path.value = self._suggested
        self.fmt = fmt

    def show_error(self, message: str | None) -> None:
        error = self.query_one("#export-error", Static)
        error.update(Text(printable(message or "")))
        error.display = bool(message)

    def _submit(self) -> None:
        text = self.query_one("#export-path", Input).value
        path, problem = web.download_name(text) if self.app.is_web else check_path(text)
        if path is None:
            self.show_error(problem)
            return
        filtered = self.query_one("#scope-filter", RadioButton).value
        self.dismiss(ExportRequest(self.fmt, path, filtered and self.filtered))

    @on(Input.Submitted, "#export-path")
    def _path_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "export":
            self._submit()
        else:
            self.dismiss(None)

    def action_write(self) -> None:
        self._submit()

    def action_cancel(self) -> None:
        self.dismiss(None)
