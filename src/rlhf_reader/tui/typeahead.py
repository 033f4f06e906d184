"""Keys typed faster than the focus moves go where they would go on an idle app.

Textual sends a key to the widget focused *when the key arrives*. Typing ``/reward`` in one
burst (right after start, or on a big list where the filter bar takes a moment to mount)
sends every letter to the tree: ``/`` opens the filter bar, but ``r``, ``e``… are already on
their way to the tree, bubble up unhandled and run the screen's bindings (``e`` opened the
export dialog). The screen hands every key that reaches it to ``TypeAhead.catch``:

* the filter key starts a burst: printable keys after it are kept until the bar's input
  is focused, then typed into it (``deliver``);
* a printable key that reaches the screen while an ``Input`` is focused was typed before
  the focus moved (a focused input stops every printable key it is sent): it is typed
  into that input.
"""

from __future__ import annotations

from textual import events
from textual.widget import Widget
from textual.widgets import Input


class TypeAhead:
    """The keys typed after the filter key and before its input had the focus."""

    def __init__(self) -> None:
        self.pending: list[str] | None = None

    def catch(self, event: events.Key, focused: Widget | None, opens: bool) -> bool:
        """True if ``event`` (a key that reached the screen) was taken here; ``opens``:
        the key is bound to opening the input."""
        if isinstance(focused, Input):
            if event.is_printable and event.character is not None:
                focused.insert_text_at_cursor(event.character)
                return True
            return False
        if opens and self.pending is None:
            self.pending = []  # the binding will run; keep what follows for the input
            return False
        if self.pending is not None and event.is_printable and event.character is not None:
            self.pending.append(event.character)
            return True
        return False

    def deliver(self, target: Input) -> None:
        """The input is focused: type into it what was kept, and stop keeping."""
        pending, self.pending = self.pending, None
        if pending:
            target.insert_text_at_cursor("".join(pending))
