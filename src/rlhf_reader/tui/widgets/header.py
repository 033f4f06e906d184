"""The header: the list's title, progress as ``read/total`` with a bar, the filter's count,
the order inside sections when it is not the list's.

Drawn as ``Content`` whose colours are theme variables, so every theme colours it.
"""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from rlhf_reader.textsafe import printable

BAR_WIDTH = 20


def progress_bar(read: int, total: int, width: int = BAR_WIDTH) -> Content:
    done = round(width * read / total) if total else 0
    todo = width - done
    return Content.assemble(("━" * done, "$text-success"), ("━" * todo, "$foreground-muted"))


class ProgressHeader(Widget):
    """One line: title on the left, progress on the right."""

    DEFAULT_CSS = """
    ProgressHeader { height: 1; background: $panel; color: $foreground; }
    """

    read: reactive[int] = reactive(0)
    total: reactive[int] = reactive(0)
    matches: reactive[int | None] = reactive(None)
    order: reactive[str] = reactive("")
    """The order inside sections when it is not the list's (``s``), e.g. ``year ↓``."""

    def __init__(self, title: str, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.list_title = title

    def render(self) -> Content:
        shown = (f"{self.matches} shown  ", "bold") if self.matches is not None else ""
        order = (f"by {self.order}  ", "$text-accent") if self.order else ""
        right = Content.assemble(
            order, shown, progress_bar(self.read, self.total), f" {self.read}/{self.total} read "
        )
        room = max(self.size.width - right.cell_length - 1, 0)
        title = (
            Content(" " + printable(self.list_title)).stylize("bold").truncate(room, ellipsis=True)
        )
        gap = max(self.size.width - title.cell_length - right.cell_length, 1)
        return Content.assemble(title, " " * gap, right)
