"""The background task line above the footer: runs one task at a time and shows it.

The bar starts the task's thread worker itself, so the worker's messages are posted to the
bar: ``TaskProgress`` moves its progress bar (and its note, e.g. the bytes so far), every
other message bubbles up to the screen, which stores the result. It ends the line when the
worker ends, says what is running when a second task is asked for, cancels on esc, and
turns an unexpected error of a task into a notification (never a traceback).

Its children (a ``ProgressBar`` among them) are mounted on the first task, so starting
the app pays for an empty, hidden widget only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.containers import Horizontal
from textual.worker import Worker, WorkerState

from rlhf_reader.textsafe import printable
from rlhf_reader.tui.messages import TaskProgress

RUNNING = (WorkerState.PENDING, WorkerState.RUNNING)


class TaskBar(Horizontal):
    DEFAULT_CSS = """
    TaskBar { height: 1; background: $panel; padding: 0 1; display: none; }
    TaskBar > #task-label { width: auto; max-width: 60%; padding-right: 1; text-style: bold; }
    TaskBar > ProgressBar { width: auto; }
    TaskBar > #task-note { width: auto; padding-left: 1; }
    TaskBar > #task-hint { width: auto; color: $text-muted; padding-left: 1; }
    """

    current: Worker[Any] | None = None

    @property
    def running(self) -> str | None:
        """What runs now (its description), or None."""
        task = self.current
        return task.description if task is not None and task.state in RUNNING else None

    async def run(
        self, label: str, total: int | None, work: Callable[[], None], *, group: str, name: str
    ) -> Worker[None]:
        """Show ``label`` and run ``work`` in a thread worker (``name``: what it is)."""
        await self._show(label, total)
        self.current = self.run_worker(
            work, thread=True, exclusive=True, group=group, description=name, exit_on_error=False
        )
        return self.current

    async def _show(self, label: str, total: int | None) -> None:
        from textual.widgets import ProgressBar, Static

        if not self.children:
            await self.mount_all(
                [
                    Static(id="task-label", markup=False),
                    ProgressBar(total=None, show_eta=False, id="task-progress"),
                    Static(id="task-note", markup=False),
                    Static(Text("esc cancels"), id="task-hint", markup=False),
                ]
            )
        self.query_one("#task-label", Static).update(Text(printable(label)))
        self.query_one(ProgressBar).update(total=total, progress=0)
        self.query_one("#task-note", Static).update("")
        self.display = True

    def cancel(self) -> str | None:
        """Cancel the running task; what it was (None when nothing ran)."""
        what = self.running
        if what is not None and self.current is not None:
            self.current.cancel()
            self.display = False
        return what

    @on(TaskProgress)
    def _progress(self, event: TaskProgress) -> None:
        event.stop()
        if self.children:
            from textual.widgets import ProgressBar, Static

            self.query_one(ProgressBar).update(total=event.total, progress=event.done)
            self.query_one("#task-note", Static).update(Text(printable(event.note)))
            if event.label:
                self.query_one("#task-label", Static).update(Text(printable(event.label)))

    @on(Worker.StateChanged)
    def _ended(self, event: Worker.StateChanged) -> None:
        event.stop()
        if event.worker is not self.current or event.state in RUNNING:
            return
        self.display = False
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            self.notify(
                printable(f"{event.worker.description} failed: {type(error).__name__}: {error}"),
                severity="error",
                markup=False,
            )
