"""Copy dialogs: the citation format chooser (``C``) and the copied text to select by hand."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static, TextArea
from textual.widgets.option_list import Option

from rlhf_reader.formats.cite import FORMATS, describe
from rlhf_reader.textsafe import printable_block
from rlhf_reader.tui import web


class FormatChooser(ModalScreen[str | None]):
    """The citation formats (1-4 or arrows and enter); dismissed with the format's name."""

    DEFAULT_CSS = """
    FormatChooser { align: center middle; }
    FormatChooser > Vertical {
        width: 44; height: auto; border: thick $accent; background: $surface;
    }
    FormatChooser OptionList { height: auto; border: none; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Copy citation as"
            box.border_subtitle = "enter copies · esc cancels"
            yield OptionList(
                *(
                    Option(Text(f"{n}  {describe(fmt)}"), id=fmt)
                    for n, fmt in enumerate(FORMATS, start=1)
                ),
                id="formats",
            )

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def on_key(self, event: events.Key) -> None:
        if event.character and len(event.character) == 1 and event.character in "1234":
            event.stop()
            self.dismiss(FORMATS[int(event.character) - 1])

    def action_cancel(self) -> None:
        self.dismiss(None)


class CopiedText(ModalScreen[None]):
    """The copied text, selected in a read-only editor, for when no clipboard tool works."""

    DEFAULT_CSS = """
    CopiedText { align: center middle; }
    CopiedText > Vertical {
        width: 90; max-width: 95%; height: auto; max-height: 90%;
        border: thick $warning; background: $surface; padding: 0 1;
    }
    CopiedText TextArea { height: auto; max-height: 16; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter", "close", "Close", id="dialog.close"),
    ]

    EXPLAIN = (
        "No clipboard tool was found (xclip, xsel, wl-copy, pbcopy…). The text was sent to "
        "the terminal's clipboard (OSC 52), which works in most terminals, also over SSH. "
        "If yours does not allow it, select the text below with the mouse (it is already "
        "selected) and copy it with the terminal. This window opens once per session."
    )

    def __init__(self, what: str, text: str) -> None:
        super().__init__()
        self.what = what
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = f"Copied: {self.what}"
            box.border_subtitle = "esc closes"
            explain = web.COPY_EXPLAIN if self.app.is_web else self.EXPLAIN
            yield Static(Text(explain), markup=False)
            area = TextArea(printable_block(self.text), read_only=True, id="copied-text")
            area.cursor_blink = False
            area.show_line_numbers = False
            yield area

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.select_all()

    def action_close(self) -> None:
        self.dismiss(None)
