"""Ctrl-C and SIGTERM stop `hhl run`: the current day fails, no further day or mart runs.

Dagster's in-process execution swaps in its own SIGINT/SIGTERM handlers for the length of a run
(dagster._utils.interrupts.capture_interrupts): the run is interrupted and marked failed, then
`materialize` returns as if the day had merely failed and the handlers are put back. Nothing
tells the caller a signal came. `signal.set_wakeup_fd` does, whoever handles the signal: Python
writes the signal number to the pipe for every signal it receives. Between runs our own handler
records the signal, and the caller checks `StopSignals.received` before each next run.

A signal that comes while `materialize` is still creating the run (before Dagster's handlers are
in place; planning a day's run takes seconds) reaches our handler: it also raises Dagster's own
"interrupt received" flag, which Dagster checks as its first step starts, so that run fails at
once instead of running the whole day.
"""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType, TracebackType

from dagster._utils import interrupts as dagster_interrupts

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class RunStopped(Exception):
    """A stop signal came: the runs so far are in `runs`; the process should exit 128 + signal."""

    def __init__(self, signum: int, where: str, runs: list | None = None):
        self.signum = signum
        self.where = where
        self.runs = runs or []
        super().__init__(f"stopped by {signal.Signals(signum).name} during {where}")

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class StopSignals:
    """While entered (on the main thread), remembers the first SIGINT or SIGTERM received."""

    def __init__(self) -> None:
        self._signum: int | None = None
        self._pipe: tuple[int, int] | None = None
        self._saved: dict[int, object] = {}
        self._saved_fd = -1

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is not threading.main_thread():
            return self  # signals only reach the main thread: nothing to watch
        read, write = os.pipe()
        os.set_blocking(read, False)
        os.set_blocking(write, False)
        self._pipe = (read, write)
        self._saved_fd = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
        for signum in SIGNALS:
            self._saved[signum] = signal.signal(signum, self._record)
        return self

    def _record(self, signum: int, _frame: FrameType | None) -> None:
        if self._signum is None:
            self._signum = signum
        dagster_interrupts._received_interrupt["received"] = True  # the next run stops at once

    @property
    def received(self) -> int | None:
        """The first stop signal received so far, if any."""
        if self._pipe is not None and self._signum is None:
            try:
                seen = os.read(self._pipe[0], 512)
            except BlockingIOError:
                seen = b""
            self._signum = next((s for s in seen if s in SIGNALS), None)
        return self._signum

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._pipe is None:
            return
        signal.set_wakeup_fd(self._saved_fd)
        dagster_interrupts.pop_captured_interrupt()
        for signum, handler in self._saved.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        for fd in self._pipe:
            os.close(fd)
        self._pipe = None
