"""``L``: the list chooser, and the thread side of switching lists.

``ListChooser`` shows every registered list with its progress (counted in a thread worker:
a list not read yet is parsed first) and "All lists"; it is dismissed with the chosen name
(``ALL_VIEW`` for all of them). :func:`choose_list` then runs :func:`open_list` in a
worker, which reads the chosen list and posts ``ListOpened`` (or ``ListOpenFailed``) to the
main screen: the screen switches when that message arrives, never from here.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from rlhf_reader.library.progress import Counts
from rlhf_reader.lists.views import ALL_LISTS, ListProgress, progress_by_list
from rlhf_reader.textsafe import printable
from rlhf_reader.tui import messages
from rlhf_reader.tui.literal import content
from rlhf_reader.tui.state import ALL_VIEW, SHARED_GLYPH, view_name

if TYPE_CHECKING:
    from textual.screen import Screen

    from rlhf_reader.tui.tasks import Post
    from rlhf_reader.workspace import Workspace

NAME_WIDTH = 24
MUTED = "$foreground-muted"


def list_label(
    key: str, name: str, counts: Counts | None, current: bool, problem: str = ""
) -> Content:
    """One line of the chooser: a mark for the list shown now, the key that picks it, the
    name, its progress (in the theme's colours; the name and the problem literal)."""
    shown = name if len(name) <= NAME_WIDTH else name[: NAME_WIDTH - 1] + "…"
    parts: list[str | Content | tuple[str, str]] = [
        "▸ " if current else "  ",
        (f"{key:<2} ", MUTED),
        (f"{shown:<{NAME_WIDTH}}", "bold" if current else ""),
    ]
    if problem:
        parts.append((f"  cannot read: {problem}", "$text-error"))
    elif counts is None:
        parts.append(("  …", MUTED))
    else:
        parts.append((f"  {counts.read:>4}/{counts.total:<4} read", MUTED))
        if counts.reading:
            parts.append((f"  {counts.reading} reading", "$text-warning"))
    return content(*parts)


class ListChooser(ModalScreen[str | None]):
    """Every registered list with its progress, then "All lists"; enter switches to the
    highlighted one (a digit to one of the first nine, ``a`` to All lists), esc stays."""

    DEFAULT_CSS = """
    ListChooser { align: center middle; }
    ListChooser > Vertical {
        width: 64; max-width: 95%; height: auto; max-height: 90%;
        border: thick $accent; background: $surface;
    }
    ListChooser OptionList { height: auto; max-height: 20; border: none; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
    ]

    def __init__(self, workspace: Workspace, current: str) -> None:
        super().__init__()
        self.workspace = workspace
        self.current = current
        self.names = list(workspace.lists())
        self.counted: list[ListProgress] | None = None

    def compose(self) -> ComposeResult:
        options = [
            Option(list_label(self.key_of(name), name, None, name == self.current), id=name)
            for name in self.names
        ]
        everything = list_label("a", ALL_LISTS, None, self.current == ALL_VIEW)
        options.append(Option(everything, id=ALL_VIEW))
        with Vertical() as box:
            box.border_title = "Lists"
            box.border_subtitle = f"enter or 1-9, a: opens · esc stays · {SHARED_GLYPH}: in several"
            yield OptionList(*options, id="lists")

    def on_mount(self) -> None:
        chooser = self.query_one(OptionList)
        chooser.focus()
        ids = [*self.names, ALL_VIEW]
        if self.current in ids:
            chooser.highlighted = ids.index(self.current)
        work = partial(count_lists, self.post_message, self.workspace)
        self.run_worker(
            work, thread=True, group="count-lists", description="count", exit_on_error=False
        )

    @on(messages.ListsCounted)
    def _counted(self, event: messages.ListsCounted) -> None:
        event.stop()
        self.counted = event.lists
        if event.problem:
            message = printable(f"Could not count the lists: {event.problem}")
            self.notify(message, severity="error", markup=False)
            return
        chooser = self.query_one(OptionList)
        for listed in event.lists:
            if listed.name in self.names:
                current = listed.name == self.current
                key = self.key_of(listed.name)
                label = list_label(key, listed.name, listed.counts, current, listed.problem)
                chooser.replace_option_prompt(listed.name, label)
        everything = list_label("a", ALL_LISTS, event.overall, self.current == ALL_VIEW)
        chooser.replace_option_prompt(ALL_VIEW, everything)

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def key_of(self, name: str) -> str:
        """The digit that picks list ``name`` (the first nine have one)."""
        n = self.names.index(name) + 1
        return str(n) if n <= 9 else ""

    def on_key(self, event: events.Key) -> None:
        """A digit picks one of the first nine lists, ``a`` All lists."""
        choices = [*self.names, ALL_VIEW]
        char = event.character or ""
        if char.isdigit() and 0 < int(char) <= min(9, len(self.names)):
            event.stop()
            self.dismiss(choices[int(char) - 1])
        elif char == "a":
            event.stop()
            self.dismiss(ALL_VIEW)

    def action_cancel(self) -> None:
        self.dismiss(None)


# the thread side -----------------------------------------------------------------------------


def choose_list(screen: Screen[None], workspace: Workspace, index: bool) -> None:
    """``L`` on the main screen: the chooser, then the chosen list read in a worker that posts
    to ``screen``; ``index``: build the list's search index too (a filter is on)."""
    current = view_name(workspace)

    def chosen(choice: str | None) -> None:
        if choice is not None and choice != current:
            work = partial(open_list, screen.post_message, workspace, choice, index)
            screen.run_worker(
                work, thread=True, group="open-list", description=choice, exit_on_error=False
            )

    screen.app.push_screen(ListChooser(workspace, current), chosen)


def count_lists(post: Post, workspace: Workspace) -> None:
    """Each registered list's progress and the progress over all of them (the library is
    read behind its own lock; lists not read yet are parsed here)."""
    try:
        lists, overall = progress_by_list(workspace)
    except Exception as exc:  # a library broken meanwhile, or a bug: say so, never a traceback
        post(messages.ListsCounted([], Counts(), f"{type(exc).__name__}: {exc}"))
        return
    post(messages.ListsCounted(lists, overall))


def open_list(post: Post, current: Workspace, choice: str, index: bool = False) -> None:
    """Read the list ``choice`` names (``ALL_VIEW``: every list) with the library of
    ``current`` and make the view of it (``ReadingList``: a few hundred ms for 10,000
    entries), with the lists' keys and, when ``index``, the filter's search index; post
    ``ListOpened`` with them, or ``ListOpenFailed`` saying why not."""
    from rlhf_reader.library.store import LibraryError
    from rlhf_reader.lists.catalog import CatalogError
    from rlhf_reader.lists.registry import BUNDLED
    from rlhf_reader.lists.views import AllLists, keys_by_list, listings_by_key
    from rlhf_reader.tui.state import ReadingList
    from rlhf_reader.workspace import Workspace

    db_path = current.db_path
    try:
        infos = current.lists()
        if choice == ALL_VIEW:
            # My additions and the retired entries shown are those of the list in use.
            home = None if current.list_name == BUNDLED else current.list_path
            workspace: Workspace = AllLists(home, db_path)
        elif choice in infos:
            info = infos[choice]
            workspace = Workspace(None if info.bundled else info.path, db_path)
        else:
            post(messages.ListOpenFailed(f"no list named {choice!r} any more"))
            return
        reading = ReadingList.of(workspace)  # reads the list and the library here
        reading.set_list_keys(keys_by_list(workspace), listings_by_key(workspace))
        if index:  # a filter is on: it is applied to the new list at once
            built = ReadingList.build_index(reading.rows, set(reading.new))
            reading.install_index(built, dict(reading.rows))
        post(messages.ListOpened(workspace, reading))
    except (CatalogError, LibraryError, OSError) as exc:
        post(messages.ListOpenFailed(str(exc)))
    except Exception as exc:  # a bug must not end the app
        post(messages.ListOpenFailed(f"{type(exc).__name__}: {exc}"))
