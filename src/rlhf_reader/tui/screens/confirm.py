"""A yes/no question, and a question with a few answers (Save / Drop / Keep editing)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


def dialog_css(name: str, width: int, max_width: int) -> str:
    """The look of a question dialog (``name`` is its class): a box in the middle, the
    buttons on the right under the question."""
    return f"""
    {name} {{ align: center middle; }}
    {name} > Vertical {{
        width: {width}; max-width: {max_width}%; height: auto; padding: 1 2;
        border: thick $warning; background: $surface;
    }}
    {name} Horizontal {{ height: auto; margin-top: 1; align-horizontal: right; }}
    {name} Button {{ margin-left: 2; }}
    """


class ConfirmDialog(ModalScreen[bool]):
    """Ask ``question``; dismissed with True for yes."""

    DEFAULT_CSS = dialog_css("ConfirmDialog", 60, 90)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="dialog.yes"),
        Binding("n,escape", "answer(False)", "No", id="dialog.no"),
    ]

    def __init__(self, question: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question = question
        self.yes, self.no = yes, no

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.question), markup=False)
            with Horizontal():
                yield Button(Text(self.no), id="no")
                yield Button(Text(self.yes), id="yes", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


@dataclass(frozen=True)
class Answer:
    """One answer of a ``ChoiceDialog``: the value it is dismissed with, its button's label
    and the key that picks it."""

    value: str
    label: str
    key: str


class ChoiceDialog(ModalScreen[str | None]):
    """Ask ``question`` with a few answers, each a button and a key (shown on the button);
    esc picks ``cancel`` (dismissed with its value, or None)."""

    DEFAULT_CSS = dialog_css("ChoiceDialog", 70, 95)

    def __init__(
        self,
        question: str,
        choices: Sequence[Answer],
        *,
        cancel: str | None = None,
        focus: str | None = None,
    ) -> None:
        super().__init__()
        self.question = question
        self.choices = tuple(choices)
        self.cancel = cancel
        self.first_focus = focus or (self.choices[0].value if self.choices else None)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.question), markup=False)
            with Horizontal():
                for choice in self.choices:
                    yield Button(
                        Text(f"{choice.label} ({choice.key})"),
                        id=f"choice-{choice.value}",
                        variant="warning" if choice.value == self.first_focus else "default",
                    )

    def on_mount(self) -> None:
        if self.first_focus is not None:
            self.query_one(f"#choice-{self.first_focus}", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss((event.button.id or "").removeprefix("choice-"))

    def on_key(self, event: events.Key) -> None:
        if event.key == "escape":
            event.stop()
            self.dismiss(self.cancel)
            return
        for choice in self.choices:
            if event.key == choice.key:
                event.stop()
                self.dismiss(choice.value)
                return
