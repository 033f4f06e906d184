"""Where the cursor was last time: a paper (by key) or a section (by its heading path).

The view saved in the library's ``meta`` (``tui_state``) names the paper under the cursor as
``cursor`` and, when the cursor was on a section instead, that section's path as
``section`` (``["Papers", "Methods"]``); ``cursor`` then keeps the last paper.
:func:`view_of` makes that view from the tree, :func:`show_view` puts the tree back in it;
:func:`redraw` fills the tree again with the cursor where it was.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rlhf_reader.model import Section

if TYPE_CHECKING:
    from collections.abc import Callable

    from rlhf_reader.tui.state import ReadingList, SectionPath
    from rlhf_reader.tui.widgets.catalog_tree import CatalogTree


def saved_section(state: dict[str, Any]) -> SectionPath | None:
    """The section path saved in ``state``, if it is one (a hand-edited file may hold
    anything)."""
    path = state.get("section")
    if isinstance(path, list) and path and all(isinstance(part, str) for part in path):
        return tuple(path)
    return None


def cursor_section(tree: CatalogTree) -> list[str] | None:
    """The path of the section under the cursor, to save; None on a paper."""
    node = tree.cursor_node
    if node is not None and isinstance(node.data, Section):
        return list(node.data.path)
    return None


def select_section(tree: CatalogTree, path: SectionPath) -> bool:
    """Put the cursor on the section ``path``, opening the sections above it; False if the
    list has no such section (any more)."""
    node = tree.root
    for depth in range(1, len(path) + 1):
        if node is not tree.root:
            tree.open_section(node)  # its sub-sections are added when it is first opened
        found = None
        for child in node.children:
            data = child.data
            if isinstance(data, Section) and data.path == path[:depth]:
                found = child
                break
        if found is None:
            return False
        node = found
    tree.move_to(node)
    return True


def show_view(tree: CatalogTree, reading: ReadingList, view: dict[str, Any]) -> None:
    """The tree with ``view``'s open sections and the cursor on its paper or section (a list
    seen for the first time: on the first paper)."""
    tree.populate(None, [tuple(p) for p in view.get("expanded") or [] if isinstance(p, list)])
    key = view.get("cursor")
    section = saved_section(view)
    if section is not None and select_section(tree, section):
        return  # quit on a section: back on it
    if not (isinstance(key, str) and key in reading.rows and tree.select_key(key)):
        tree.show_again(next(iter(reading.rows), None))


def view_of(tree: CatalogTree, saved: dict[str, Any]) -> dict[str, Any]:
    """What to save of the tree: the cursor's paper (on a section: the one ``saved`` holds),
    the section under the cursor, the open sections."""
    entry = tree.current_entry
    return {
        "cursor": entry.key if entry else saved.get("cursor"),
        "section": cursor_section(tree),
        "expanded": tree.saved_expanded(),
    }


def redraw(
    tree: CatalogTree,
    reading: ReadingList,
    fill: Callable[[], None],
    select: str | None = None,
    keep_scroll: bool = False,
) -> None:
    """Fill ``tree`` again (``fill``: the filter's view, or the open sections), the cursor on
    ``select`` or the paper it was on (in the queue section when it was there), the rows where
    they were on the screen (``keep_scroll``) or centred. A cursor on a section stays on it
    when the section is still there (another process wrote: the view does not jump)."""
    current = tree.current_entry
    section = cursor_section(tree)
    in_queue = tree.in_queue
    scrolled = tree.scroll_offset.y
    fill()
    key = select or (current.key if current else None)
    entry = current if current is not None and key == current.key else None
    back_on_section = (
        select is None and section is not None and select_section(tree, tuple(section))
    )
    if not back_on_section:
        tree.show_again(key if key in reading.rows else None, entry)
    if in_queue and key in reading.queue:  # stay in the queue section
        tree.show_queue(follow=key)
    if keep_scroll:
        tree.scroll_to(y=scrolled, animate=False)
        if tree.cursor_node is not None:  # still in sight
            tree.scroll_to_node(tree.cursor_node, animate=False)
    else:
        tree.center_cursor()
