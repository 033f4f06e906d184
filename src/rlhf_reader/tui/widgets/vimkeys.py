"""j/k/g/G wherever the arrows and home/end work: one mixin, one list of bindings.

A class takes ``VimKeys`` as a base and ``*VIM_KEYS`` (``tui.actions``) in its ``BINDINGS``.
On a screen the keys go to the focused widget; on a widget (the detail pane), to the widget
itself. Each key runs the first action the target has: an option list moves its highlight, a
radio set its selection, a closed ``Select`` opens, anything that scrolls scrolls. A widget
that types (an ``Input``, a ``Select`` searching as you type) keeps its letters: Textual drops
a binding whose key the focused widget consumes.
"""

from __future__ import annotations

from textual.dom import DOMNode
from textual.screen import Screen

MOVES: dict[str, tuple[str, ...]] = {
    "down": ("cursor_down", "next_button", "show_overlay", "scroll_down"),
    "up": ("cursor_up", "previous_button", "show_overlay", "scroll_up"),
    "first": ("first", "scroll_home"),
    "last": ("last", "scroll_end"),
}
"""For each move, the actions tried in order (Textual's own names for them)."""


class VimKeys:
    """Runs the ``vim('down' | 'up' | 'first' | 'last')`` action of ``VIM_KEYS``."""

    async def action_vim(self, move: str) -> None:
        node = self if isinstance(self, DOMNode) else None
        if node is None:
            return
        target = node.focused if isinstance(node, Screen) else node
        if target is None:
            return
        for name in MOVES.get(move, ()):
            if callable(getattr(target, f"action_{name}", None)):
                await node.app.run_action(name, target)
                return
