"""The background task line above the footer: what runs, a progress bar, "esc cancels".

Mounted the first time a fetch, an addition or an update starts; hidden when idle.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import ProgressBar, Static

from rlhf_reader.textsafe import printable


class TaskBar(Horizontal):
    DEFAULT_CSS = """
    TaskBar { height: 1; background: $panel; padding: 0 1; }
    TaskBar > #task-label { width: auto; max-width: 60%; padding-right: 1; }
    TaskBar > ProgressBar { width: auto; }
    TaskBar > #task-hint { width: auto; color: $text-muted; padding-left: 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static(Text(""), id="task-label", markup=False)
        yield ProgressBar(total=None, show_eta=False, id="task-progress")
        yield Static(Text("esc cancels"), id="task-hint", markup=False)

    def start(self, label: str, total: int | None = None) -> None:
        self.query_one("#task-label", Static).update(Text(printable(label), style="bold"))
        bar = self.query_one(ProgressBar)
        bar.update(total=total, progress=0)
        self.display = True

    def advance(self, done: int, total: int) -> None:
        self.query_one(ProgressBar).update(total=total, progress=done)

    def stop(self) -> None:
        self.display = False
