"""A ``Static`` whose new text repaints only the rows that changed (issue 17).

The detail pane's text is replaced on every cursor move. ``Static.update`` marks the whole
widget dirty, so Textual restyles every row of it: the pane's height (34 rows in a 36-row
terminal), though a paper's text is a dozen rows and the rest is blank before and after.
Restyling a row costs about as much as drawing it (borders, padding, background, filters).
``LineText.show`` draws the new text once, compares it row by row with what is on screen
(``Strip`` equality: same characters, same styles) and refreshes only the rows that differ;
the rows of a blank box below the text are left alone. The widget still is a ``Static``
(``content``, ``visual``, text selection, ``query_one(..., Static)``), and only the visible
behaviour of ``Static`` is relied on: ``render_line`` is the Line API, ``refresh(*regions)``
Textual's public partial repaint, ``Visual.to_strips`` the function Textual draws a
``Static`` with.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any, cast

from textual.content import Content
from textual.geometry import Region
from textual.selection import Selection
from textual.strip import Strip
from textual.visual import Visual, VisualType
from textual.widgets import Static

if TYPE_CHECKING:
    from textual.css.styles import RulesMap

DRAWN_KEPT = 64
"""Texts whose rows are kept drawn (``prepare``d, or shown lately): a text shown again at
the same size and style is not drawn again."""


class LineText(Static):
    """Literal text (a ``Content``) drawn as ``Static`` draws it, repainted by the row."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, markup=False)
        self._text = Content("")
        self._rows: list[Strip] | None = None
        self._rows_key: tuple[Any, ...] | None = None
        self._waiting = False
        self._drawn: tuple[Content, list[Strip]] | None = None
        self._frame_rows: list[Strip] | None = None
        self._kept: OrderedDict[tuple[Any, ...], list[Strip]] = OrderedDict()
        self._kept_key: tuple[Any, ...] | None = None
        self.drawn_rows = 0
        """Rows drawn for Textual to restyle since the widget was made (tests count them)."""

    # Static's interface ----------------------------------------------------------------

    @property
    def content(self) -> Content:
        """The text shown."""
        return self._text

    @content.setter
    def content(self, content: VisualType) -> None:
        self.update(content)

    @property
    def visual(self) -> Visual:
        return self._text

    def render(self) -> Content:
        return self._text

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        """Show ``content`` (a ``Content``, or a string shown literally), repainting the
        whole widget, as ``Static.update`` does."""
        self._text = content if isinstance(content, Content) else Content(str(content))
        self._rows = None
        self.refresh(layout=layout)

    # drawing by the row ----------------------------------------------------------------

    def measure(self, text: Content) -> int:
        """How many rows ``text`` takes at the widget's width (0 before the first layout).

        When ``show`` will compare ``text``'s rows with those on screen, they are drawn here
        once for both; otherwise (a held key: the rows of the text before are not painted
        yet) they are only counted, as Textual's layout counts them.
        """
        width = self.size.width
        self._drawn = None
        if not width:
            return 0
        rows = self._kept_rows(text, draw=not (self._waiting or self._current_rows() is None))
        if rows is None:
            # The rules as Textual's own get_content_height passes them (its styles object).
            return text.get_height(cast("RulesMap", self.styles), width)
        # Wrapped as get_height wraps (same rules, no line-pad): as many rows as it counts.
        self._drawn = (text, rows)
        return len(rows)

    def is_kept(self, text: Content) -> bool:
        """Whether ``text``'s rows are kept drawn for the widget's size and style."""
        return self._kept_key == self._key() and (text.plain, tuple(text.spans)) in self._kept

    def prepare(self, text: Content) -> None:
        """Draw ``text``'s rows now (the app is idle), so that showing it later costs the
        comparison with the rows on screen only (kept while the size and style last)."""
        if self.size.width:
            self._kept_rows(text, draw=True)

    def _kept_rows(self, text: Content, draw: bool) -> list[Strip] | None:
        """``text``'s rows at the widget's width: kept ones, else drawn (``draw``) and kept."""
        key = self._key()
        if key != self._kept_key:
            self._kept.clear()
            self._kept_key = key
        name = (text.plain, tuple(text.spans))
        rows = self._kept.get(name)
        if rows is not None:
            self._kept.move_to_end(name)
            return rows
        if not draw:
            return None
        rows = self._kept[name] = self._draw(text, self.size.width, None)
        if len(self._kept) > DRAWN_KEPT:
            self._kept.popitem(last=False)
        return rows

    def show(self, text: Content, *, layout: bool) -> None:
        """Show ``text`` (measured just before with ``measure``, or not). With ``layout``,
        the widget is laid out again (its size may change); without, the caller knows its
        box keeps its size, and the rows that differ from the ones shown are all that is
        repainted. Texts shown again before the frame that paints the first (a held key)
        are drawn once, by that frame."""
        drawn, self._drawn = self._drawn, None
        old = None if self._waiting else self._current_rows()
        if layout or old is None:
            self.update(text, layout=layout)
            return
        self._text = text
        width, height = self.size
        if drawn is not None and drawn[0] is text:
            new = drawn[1][:height]
        else:
            new = self._draw(text, width, height)
        self._rows, self._rows_key = new, self._key()
        changed = [
            Region(0, y, width, 1)
            for y in range(max(len(old), len(new)))
            if y >= len(old) or y >= len(new) or old[y] != new[y]
        ]
        if changed:
            self._waiting = True
            self.drawn_rows += len(changed)
            self.refresh(*changed)

    def render_lines(self, crop: Region) -> list[Strip]:
        self._waiting = False
        self._frame_rows = self._current_rows()  # checked once for the rows of this frame
        if self._frame_rows is None:
            self._frame_rows = self._rows = self._draw(self._text, *self.size)
            self._rows_key = self._key()
            self.drawn_rows += len(self._rows)
        try:
            return super().render_lines(crop)
        finally:
            self._frame_rows = None

    def render_line(self, y: int) -> Strip:
        rows = self._frame_rows
        if rows is None:  # called outside a frame
            rows = self._current_rows() or self._draw(self._text, *self.size)
        if y < len(rows):
            return rows[y]
        return Strip.blank(self.size.width, self.visual_style.rich_style)

    def selection_updated(self, selection: Selection | None) -> None:
        self._rows = None
        super().selection_updated(selection)

    def _draw(self, text: Content, width: int, height: int | None) -> list[Strip]:
        """``text``'s rows as Textual draws a ``Static`` (``Widget._render_content``)."""
        return Visual.to_strips(self, text, width, height, self.visual_style)

    def _key(self) -> tuple[Any, ...]:
        """What the drawn rows depend on besides the text: size, style, selection, and the
        theme (a text's ``$variables`` take its colours when drawn)."""
        return (self.size, self.visual_style, self.text_selection, self.app.theme)

    def _current_rows(self) -> list[Strip] | None:
        """The rows on screen, if they were drawn for the widget as it is now."""
        if self._rows is None or self._rows_key != self._key():
            return None
        return self._rows
