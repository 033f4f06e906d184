"""Command palette providers: every paper (Enter moves the cursor to it).

The actions themselves reach the palette through ``ReaderApp.get_system_commands``, built
from ``screens.main.ACTIONS``. Titles are untrusted: the palette parses a ``str`` prompt or
help as markup, so both are given as ``Content``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from rlhf_reader.model import Entry
from rlhf_reader.textsafe import printable

MAX_HITS = 100


def is_subsequence(needle: str, haystack: str) -> bool:
    """Every character of ``needle`` appears in ``haystack``, in order."""
    chars = iter(haystack)
    return all(ch in chars for ch in needle)


def highlighted(title: str, offsets: Sequence[int], style: str = "reverse") -> Content:
    content = Content(printable(title))
    for offset in offsets:
        if offset < len(title) and not title[offset].isspace():
            content = content.stylize(style, offset, offset + 1)
    return content


class PaperCommands(Provider):
    """Lists every entry of the list by title; choosing one puts the cursor on it."""

    def _main(self):  # -> MainScreen | None, imported lazily to keep the app module small
        from rlhf_reader.tui.screens.main import MainScreen

        for screen in reversed(self.app.screen_stack):
            if isinstance(screen, MainScreen):
                return screen
        return None

    def _entries(self) -> list[Entry]:
        main = self._main()
        if main is None:
            return []
        return [entry for same in main.reading.entries.values() for entry in same]

    def _help(self, entry: Entry) -> Content:
        return Content(printable(entry.section_path))

    async def discover(self) -> Hits:
        main = self._main()
        if main is None:
            return
        for entry in self._entries()[:MAX_HITS]:
            yield DiscoveryHit(
                Content(printable(entry.title)),
                partial(main.goto, entry),
                text=entry.title,
                help=self._help(entry),  # type: ignore[arg-type]
            )

    async def search(self, query: str) -> Hits:
        main = self._main()
        needle = query.lower().strip()
        if main is None or not needle:
            return
        matcher = self.matcher(needle)  # the palette's own scoring
        hits = 0
        for entry in self._entries():
            if not is_subsequence(needle, entry.title.lower()):
                continue
            # Matcher.highlight would parse the title as markup: the offsets are taken from
            # its search and the title is highlighted literally.
            score, offsets = matcher.fuzzy_search.match(matcher.query, entry.title)
            if not score:
                continue
            yield Hit(
                score,
                highlighted(entry.title, offsets),
                partial(main.goto, entry),
                text=entry.title,
                help=self._help(entry),  # type: ignore[arg-type]
            )
            hits += 1
            if hits >= MAX_HITS:
                return
