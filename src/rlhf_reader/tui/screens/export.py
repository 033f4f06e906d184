"""The export dialog (``e``): format, scope, file path; dismissed with an ``ExportRequest``.

The format follows the file name's extension (``x.csv`` is CSV) until the reader picks one in
the list; the name follows the format while it is the suggested one. A relative name goes
into the folder shown (the folder of the last export, else the current one); a file that
exists is replaced only after asking. The last format and folder are remembered in the
view state (``remembered`` / ``remember``), saved in the library with the cursor.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Select, Static

from rlhf_reader.formats.export import (
    FORMATS,
    ExportError,
    default_filename,
    format_for_name,
    refuse_library_target,
)
from rlhf_reader.library.fileio import expand_user
from rlhf_reader.textsafe import printable
from rlhf_reader.tui import web
from rlhf_reader.tui.actions import VIM_KEYS
from rlhf_reader.tui.screens.confirm import ConfirmDialog
from rlhf_reader.tui.widgets.vimkeys import VimKeys

MEMORY = "export"
"""The view state's entry for the last export: ``{"format": fmt, "folder": path}``."""

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


def remembered(state: dict[str, Any]) -> tuple[str, Path | None]:
    """The last export's format and folder (a folder that is gone is forgotten)."""
    memory = state.get(MEMORY)
    memory = memory if isinstance(memory, dict) else {}
    fmt = memory.get("format")
    folder = memory.get("folder")
    path = Path(folder) if isinstance(folder, str) and folder else None
    try:
        path = path if path is not None and path.is_absolute() and path.is_dir() else None
    except OSError:
        path = None
    return (fmt if fmt in FORMATS else "markdown"), path


def remember(state: dict[str, Any], request: ExportRequest, web_tab: bool = False) -> None:
    """Keep ``request``'s format and folder in ``state`` (in a browser, the format only)."""
    memory: dict[str, Any] = {"format": request.fmt}
    old = state.get(MEMORY)
    if web_tab:
        if isinstance(old, dict) and isinstance(old.get("folder"), str):
            memory["folder"] = old["folder"]
    else:
        memory["folder"] = str(request.path.parent)
    state[MEMORY] = memory


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
    ExportDialog #export-folder { margin-top: 1; color: $text-muted; }
    ExportDialog #export-target { color: $text-muted; }
    ExportDialog Horizontal { height: auto; align-horizontal: right; }
    ExportDialog Button { margin-left: 2; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
        Binding("ctrl+s", "write", "Export", id="dialog.write"),
        *VIM_KEYS,  # j/k/g/G in the format list and the scope buttons; typed in the file name
    ]

    def __init__(
        self,
        shown: int,
        total: int,
        filtered: bool,
        fmt: str = "markdown",
        *,
        folder: Path | None = None,
        library: Path | None = None,
    ) -> None:
        super().__init__()
        self.shown, self.total, self.filtered = shown, total, filtered
        self.fmt = fmt if fmt in FORMATS else "markdown"
        self.chosen = False
        """True once the reader picked a format: the extension no longer changes it."""
        self._suggested = default_filename(self.fmt)
        self._folder = folder
        self.library = library

    @property
    def folder(self) -> Path:
        """Where a relative file name goes: the folder given (the last export's), else the
        current one."""
        return self._folder or Path.cwd()

    def compose(self) -> ComposeResult:
        web_tab = self.app.is_web
        with Vertical() as box:
            box.border_title = "Export the reading list"
            box.border_subtitle = (
                "tab moves · ctrl+s or enter in the file name exports · esc cancels"
            )
            yield Label("Format (follows the file's extension until you pick one)")
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
            if web_tab:
                yield Label("File name")  # the browser picks the folder
            else:
                yield Static(
                    Text(printable(f"File (a relative name goes into {self.folder})")),
                    id="export-folder",
                    classes="label",
                    markup=False,
                )
            yield Input(self._suggested, id="export-path")
            yield Static(Text(""), id="export-target", markup=False)
            yield Static(Text(""), id="export-error", markup=False)
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Export", id="export", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).cursor_blink = not self.app.is_headless
        self.query_one("#export-format", Select).focus()
        self._show_target(self.query_one("#export-path", Input).value)

    @on(Select.Changed, "#export-format")
    def _format_changed(self, event: Select.Changed) -> None:
        """The reader picked a format: it stays; the suggested name follows it."""
        fmt = str(event.value)
        if fmt == self.fmt:  # the list showing its first value, or the same one again
            return
        self.chosen = True
        path = self.query_one("#export-path", Input)
        if path.value.strip() in ("", self._suggested):  # not edited: follow the format
            self._suggested = default_filename(fmt)
            path.value = self._suggested
        self.fmt = fmt

    @on(Input.Changed, "#export-path")
    def _path_changed(self, event: Input.Changed) -> None:
        """The format follows the name's extension (until one is picked); show the file."""
        event.stop()
        fmt = format_for_name(event.value.strip()) if event.value.strip() else None
        if fmt is not None and not self.chosen and fmt != self.fmt:
            self.fmt = fmt
            select = self.query_one("#export-format", Select)
            with self.prevent(Select.Changed):  # not the reader's choice
                select.value = fmt
        self._show_target(event.value)

    def _show_target(self, text: str) -> None:
        """The file a name means, and whether it exists (then replacing it asks first)."""
        target = self.query_one("#export-target", Static)
        if self.app.is_web or not text.strip():
            target.display = False
            return
        path, _ = check_path(text, self.folder)
        if path is None:
            target.display = False
            return
        try:
            exists = path.exists()
        except OSError:
            exists = False
        note = "  (exists: you are asked before it is replaced)" if exists else ""
        target.update(Text(printable(f"→ {path}{note}")))
        target.display = True

    def show_error(self, message: str | None) -> None:
        error = self.query_one("#export-error", Static)
        error.update(Text(printable(message or "")))
        error.display = bool(message)

    def _submit(self) -> None:
        text = self.query_one("#export-path", Input).value
        web_tab = self.app.is_web
        path, problem = web.download_name(text) if web_tab else check_path(text, self.folder)
        if path is None:
            self.show_error(problem)
            return
        filtered = self.query_one("#scope-filter", RadioButton).value
        request = ExportRequest(self.fmt, path, filtered and self.filtered)
        if web_tab:
            self.dismiss(request)
            return
        if self.library is not None:
            try:
                refuse_library_target(path, self.library)
            except ExportError as exc:
                self.show_error(str(exc))
                return
        try:
            exists = path.exists()
        except OSError:
            exists = False
        if not exists:
            self.dismiss(request)
            return

        def answered(replace: bool | None) -> None:
            if replace:
                self.dismiss(request)

        self.app.push_screen(
            ConfirmDialog(f"{path} exists. Replace it?", yes="Replace", no="Cancel"), answered
        )

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
