"""Colours from the theme, for text that Textual does not style itself.

Widgets that draw Rich ``Text`` (tree labels, tables) name their colours as component
classes (``COMPONENT_CLASSES`` + ``DEFAULT_CSS`` with theme variables such as
``$text-success``) and get them here as Rich styles; ``Content`` shown by a ``Static`` uses
the variables directly (``("read", "$text-success")``). Either way, no Rich colour name is
written in the code, and every theme, light or dark, picks its own readable colours.
"""

from __future__ import annotations

from rich.style import Style
from textual.widget import Widget


def component_style(widget: Widget, component: str) -> Style:
    """The Rich style of ``widget``'s component class, colour made solid over its background.

    Translucent theme colours (``$foreground-muted`` is the foreground at 60 %) are blended here
    (use it rather than ``$text-muted``, an "auto" colour that only CSS itself resolves):
    a Rich style cannot carry transparency. No background is set, so the tree's cursor and
    the widget's own background still show through.
    """
    styles = widget.get_component_styles(component)
    style = widget.get_component_rich_style(component, partial=True)
    if styles.has_rule("color") and styles.color.a < 1:
        solid = widget.background_colors[1] + styles.color
        style += Style(color=solid.rich_color)
    return style
