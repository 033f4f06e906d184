"""What the hidden parts of the main screen share (``BackgroundTasks``, ``ReadingTools``,
``LibraryWrites``, ``CopyAndOpen``, ``Following``): notifications shown literally, and a
worker's progress to the screen's ``TaskBar``."""

from __future__ import annotations

from textual.message import Message
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from rlhf_reader.textsafe import printable
from rlhf_reader.tui import messages
from rlhf_reader.tui.widgets.taskbar import TaskBar


class TaskPart(Widget):
    """Notifications shown literally; a worker's progress to the task bar, the rest here."""

    @property
    def taskbar(self) -> TaskBar:
        return self.screen.query_one(TaskBar)

    def say(self, message: str, severity: str = "information") -> None:
        """A notification whose text is shown literally."""
        self.notify(printable(message), severity=severity, markup=False)  # type: ignore[arg-type]

    def _post(self, message: Message) -> None:
        """Where a worker's messages go (thread-safe): its progress to the bar, the rest here."""
        target = self.taskbar if isinstance(message, messages.TaskProgress) else self
        target.post_message(message)

    def say_failure(self, event: Worker.StateChanged, name: str) -> None:
        """A worker that ended in an error (a bug): one literal notification, no traceback."""
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            self.say(f"{name} failed: {type(error).__name__}: {error}", "error")
