"""The header: the list's title, progress as ``read/total`` with a bar, the filter's count."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from rlhf_reader.tui.literal import literal

BAR_WIDTH = 20


def progress_bar(read: int, total: int, width: int = BAR_WIDTH) -> Text:
    done = round(width * read / total) if total else 0
    bar = Text("━" * done, style="green", end="")
    bar.append("━" * (width - done), style="bright_black")
    return bar


class ProgressHeader(Widget):
    """One line: title on the left, progress on the right."""

    DEFAULT_CSS = """
    ProgressHeader { height: 1; background: $panel; color: $foreground; }
    """

    read: reactive[int] = reactive(0)
    total: reactive[int] = reactive(0)
    matches: reactive[int | None] = reactive(None)

    def __init__(self, title: str, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.list_title = title

    def render(self) -> Text:
        right = Text(end="")
        if self.matches is not None:
            right.append(f"{self.matches} shown  ", style="bold")
        right.append_text(progress_bar(self.read, self.total))
        right.append(f" {self.read}/{self.total} read ")
        title = literal(" " + self.list_title, "bold")
        room = max(self.size.width - right.cell_len - 1, 0)
        title.truncate(room, overflow="ellipsis")
        gap = max(self.size.width - title.cell_len - right.cell_len, 1)
        return Text.assemble(title, " " * gap, right)
