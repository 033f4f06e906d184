"""One writer: jobs run one at a time, in the order they were handed in, off the caller's thread.

The TUI hands every change it makes to the library to one :class:`SerialWriter` per window:
at 100,000 entries each write re-writes and fsyncs a 28 MB file (0.25-0.45 s), which the UI
thread must not wait for. The writer keeps the order the keys were pressed in (first in, first
out), runs one job at a time, and each job reports its own outcome (the TUI's post a message
back to the screen). No Textual here.

The thread is started when a job arrives and ends once no job is left, so an idle window has
no writer thread. It is not a daemon: a process that ends while jobs are left (the app quit
in a way that did not wait) still runs them before it exits — a change is never lost because
the window closed. :meth:`SerialWriter.wait` waits for the jobs handed in so far.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable


class SerialWriter:
    """Runs jobs (callables taking nothing) one at a time, first in, first out, in a thread of
    its own. A job reports its own outcome; what it raises is passed to ``on_error`` (it must
    not stop the jobs after it), else ignored."""

    def __init__(
        self,
        name: str = "rlhf-reader-writer",
        on_error: Callable[[BaseException], object] | None = None,
    ) -> None:
        self.name = name
        self.on_error = on_error
        self._jobs: deque[Callable[[], object]] = deque()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._running = False  # a thread is draining the jobs
        self.submitted = 0
        self.done = 0
        """Jobs handed in, and run, so far."""

    def submit(self, job: Callable[[], object]) -> None:
        """Run ``job`` after every job handed in before it."""
        with self._lock:
            self._jobs.append(job)
            self.submitted += 1
            if self._running:
                return
            self._running = True
        threading.Thread(target=self._drain, name=self.name, daemon=False).start()

    @property
    def pending(self) -> int:
        """Jobs handed in and not finished yet (the one running included)."""
        with self._lock:
            return self.submitted - self.done

    @property
    def idle(self) -> bool:
        with self._lock:
            return not self._running

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until every job handed in so far has run; False when ``timeout`` passed
        first. Never call it from inside a job."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._running, timeout)

    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._jobs:
                    self._running = False
                    self._idle.notify_all()
                    return
                job = self._jobs.popleft()
            try:
                job()
            except BaseException as exc:  # a job's bug must not stop the jobs after it
                if self.on_error is not None:
                    try:
                        self.on_error(exc)
                    except BaseException:  # nothing left to report it to
                        pass
            with self._lock:
                self.done += 1
