"""Mark a whole section read or unread (``m``, or space on a section): asks first, saying how
many papers each choice changes; dismissed with the status chosen (None: cancelled)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from rlhf_reader.library.progress import Counts, count
from rlhf_reader.model import Section, Status
from rlhf_reader.textsafe import printable
from rlhf_reader.tui.screens.confirm import dialog_css
from rlhf_reader.tui.state import QUEUE_PATH, QUEUE_TITLE

if TYPE_CHECKING:
    from rlhf_reader.tui.screens.main import MainScreen
    from rlhf_reader.tui.state import ReadingList
    from rlhf_reader.tui.widgets.catalog_tree import CatalogTree


def section_at(tree: CatalogTree) -> Section | None:
    """The section under the cursor, or the one holding the paper under it (as listed there:
    a paper in "New since …" belongs to that section); None when the cursor is nowhere."""
    node = tree.cursor_node
    if node is None:
        return None
    if isinstance(node.data, Section):
        return node.data
    parent = node.parent
    return parent.data if parent is not None and isinstance(parent.data, Section) else None


def section_keys(reading: ReadingList, section: Section) -> frozenset[str]:
    """Every paper of ``section`` and its sub-sections, each key once."""
    keys = reading.section_keys.get(section.path)
    if keys is None:  # a section the view made ("New since …")
        keys = frozenset(entry.key for entry in section.all_entries())
    return frozenset(key for key in keys if key in reading.rows)


def section_counts(reading: ReadingList, keys: frozenset[str]) -> Counts:
    return count(keys, {key: reading.row(key).annotation for key in keys})


def ask_and_mark(screen: MainScreen) -> None:
    """The main screen's ``m``: ask about the section at the cursor, then mark it through the
    screen's write part (``LibraryWrites.set_statuses``: shown at once, one write in the
    writer's order, one undo step; said once it is stored)."""
    tree = screen.catalog_tree
    section = section_at(tree)
    if section is None:
        screen.notify_plain("Move the cursor to a section or a paper first.", "warning")
        return
    keys = section_keys(screen.reading, section)
    hidden = len(keys - tree.shown_keys) if tree.shown_keys is not None else 0
    where = QUEUE_TITLE if section.path == QUEUE_PATH else " › ".join(section.path)

    dialog = MarkSection(where, section_counts(screen.reading, keys), hidden)

    def chosen(status: Status | None) -> None:
        if status is None:
            return
        what = f"{plural(dialog.changes[status])} of «{where}» marked {status.value}"
        said = partial(screen.notify_plain, f"{what} (u undoes it).")
        screen.writes.set_statuses(sorted(keys), status, what, then=lambda _: said())

    screen.app.push_screen(dialog, chosen)


def plural(n: int) -> str:
    return f"{n} paper{'' if n == 1 else 's'}"


class MarkSection(ModalScreen[Status | None]):
    """Read / Unread / Cancel for every paper of one section; r, u, esc as keys."""

    DEFAULT_CSS = dialog_css("MarkSection", 72, 95)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "mark('read')", "Read", id="dialog.read"),
        Binding("u", "mark('unread')", "Unread", id="dialog.unread"),
        Binding("escape,n", "cancel", "Cancel", id="dialog.cancel"),
    ]

    def __init__(self, where: str, counts: Counts, hidden: int = 0) -> None:
        super().__init__()
        self.where = where
        self.counts = counts
        self.hidden = hidden
        self.changes = {
            Status.READ: counts.total - counts.read,
            Status.UNREAD: counts.total - counts.unread,
        }

    def question(self) -> str:
        c = self.counts
        text = (
            f"Mark every paper of «{printable(self.where)}»?\n"
            f"{plural(c.total)}: {c.read} read, {c.reading} reading, {c.unread} unread.\n"
            f"Read changes {plural(self.changes[Status.READ])}; "
            f"unread changes {plural(self.changes[Status.UNREAD])}."
        )
        if self.hidden:
            text += f"\nThe filter hides {plural(self.hidden)} of them: they change too."
        return text

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Mark a section"
            box.border_subtitle = "r read · u unread · esc cancels"
            yield Static(Text(self.question()), markup=False, id="mark-question")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                for status in (Status.UNREAD, Status.READ):
                    n = self.changes[status]
                    yield Button(
                        f"{status.value.capitalize()} ({n} change{'' if n == 1 else 's'})",
                        id=status.value,
                        variant="warning",
                        disabled=n == 0,
                    )

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "cancel":
            self.dismiss(None)
        else:
            self.action_mark(str(event.button.id))

    def action_mark(self, status: str) -> None:
        chosen = Status(status)
        if self.changes[chosen]:
            self.dismiss(chosen)
        else:
            self.notify(f"Nothing to change: every paper is {status} already.")

    def action_cancel(self) -> None:
        self.dismiss(None)
