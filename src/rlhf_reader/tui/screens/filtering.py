"""The main screen's filter (``/``, esc): the filter bar, the query it holds, the tree narrowed.

``Filtering`` is a hidden part the main screen composes beside its other parts. It mounts the
``FilterBar`` on the first ``/`` (the screen starts faster without it), keeps the filter's text
(one query of ``rlhf_reader.query``, run by ``ReadingList.filter``), narrows the tree to what
it matches and puts the count in the header; an invalid query shows why, inline in the bar,
and leaves the tree as it was. The bar's own messages (``FilterChanged``, ``FilterSubmitted``)
bubble to the screen, which calls :meth:`Filtering.apply` and then shows the paper under the
cursor. Keys typed while ``/`` moves the focus to the bar are held and delivered to it
(``tui.typeahead``). The part reads the screen through ``Host``, its public face.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, cast

from textual import events
from textual.widget import Widget

from rlhf_reader.tui.actions import ACTIONS
from rlhf_reader.tui.typeahead import TypeAhead
from rlhf_reader.tui.widgets.header import ProgressHeader
from rlhf_reader.tui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from rlhf_reader.tui.state import ReadingList
    from rlhf_reader.tui.widgets.catalog_tree import CatalogTree
    from rlhf_reader.tui.widgets.filter_bar import FilterBar

FILTER_KEYS = next(action.keys for action in ACTIONS if action.id == "find.filter")
"""The keys that open the filter unless the reader remapped them (``App.set_keymap``)."""


class Host(Protocol):
    """What the part reads of the screen it lives on (all public)."""

    reading: ReadingList

    @property
    def catalog_tree(self) -> CatalogTree: ...


class Filtering(Widget):
    """Holds the filter's text; narrows the tree to it; opens and clears the bar."""

    DEFAULT_CSS = "Filtering { display: none; }"

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.text = ""
        """The filter as last applied ("" or blanks: none)."""
        self.typeahead = TypeAhead()

    @property
    def host(self) -> Host:
        return cast("Host", self.screen)

    @property
    def active(self) -> bool:
        return bool(self.text.strip())

    @property
    def bar(self) -> FilterBar | None:
        found = self.screen.query("#filter-bar")
        return found.first() if found else None  # type: ignore[return-value]

    async def open(self) -> None:
        """``/``: show the bar (mounted the first time), the keys go to its input."""
        bar = self.bar
        if bar is None:
            from rlhf_reader.tui.widgets.filter_bar import FilterBar

            bar = FilterBar(id="filter-bar")
            await self.screen.mount(bar, before=self.screen.query_one(KeyFooter))
        bar.display = True
        self.screen.set_focus(bar.input)  # now: keys already on their way go to the input
        self.typeahead.deliver(bar.input)

    def catch(self, event: events.Key) -> bool:
        """Hold ``event`` when the focus is on its way to the bar (True: held)."""
        keymap: dict[str, str] = getattr(self.app, "keymap", {})
        keys = keymap.get("find.filter") or FILTER_KEYS
        opens = event.key in [key.strip() for key in keys.split(",")]
        return self.typeahead.catch(event, self.screen.focused, opens)

    def apply(self, text: str) -> bool:
        """Narrow the tree to what ``text`` matches (True); an invalid query shows why in the
        bar and changes nothing (False)."""
        bar = self.bar
        try:
            keys = self.host.reading.filter(text)
        except ValueError as exc:  # QueryError: the query is wrong, say why
            if bar is not None:
                bar.show_error(str(exc))
            return False
        except Exception as exc:  # a bug in the filter: report it, keep the list as it was
            if bar is not None:
                bar.show_error(f"the filter failed ({type(exc).__name__}): {exc}")
            return False
        if bar is not None:
            bar.show_error(None)
        self.text = text
        self.host.catalog_tree.show_only(keys)
        self.screen.query_one(ProgressHeader).matches = None if keys is None else len(keys)
        return True

    def clear(self) -> bool:
        """Clear the filter: from the bar, the cursor goes back to where it was; from the tree,
        it stays on its paper. False when no filter was on (nothing done)."""
        tree = self.host.catalog_tree
        if not tree.filtering:
            return False
        bar = self.bar
        typing = bar is not None and bar.input.has_focus
        self.text = ""
        if bar is not None:
            bar.clear()
        self.screen.query_one(ProgressHeader).matches = None
        tree.stop_filter(back=typing)
        return True
