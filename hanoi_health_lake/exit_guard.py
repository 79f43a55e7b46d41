"""Leave the process with the status of the work, never with a crash of native teardown.

deltalake 1.6.6 with pyarrow 26 can abort a process at interpreter exit after its work is done
(`terminate called without an active exception`, status 134: native thread pools torn down while
still running, delta-rs #2184 class) — about 1 run in 10 that read a Delta table. The work's
status is known before that teardown begins, so we run the ordinary exit handlers (atexit:
logging, multiprocessing, Dagster's), flush, and leave through `os._exit` with that status,
skipping the native teardown altogether.

Used by the `hhl` entry point (`cli.entry`) and, from the code location, by Dagster's run and
step worker processes (`guard_dagster_worker`), whose exit status the multiprocess executor
reads as the step's fate.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import traceback
from collections.abc import Callable
from typing import NoReturn


def exit_now(status: int) -> NoReturn:
    """Run the exit handlers, flush, and end the process with `status`, skipping finalisation."""
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    os._exit(status)


def status_of(exit_code: object) -> int:
    """The process status `sys.exit(exit_code)` would give."""
    if exit_code is None:
        return 0
    if isinstance(exit_code, int):
        return exit_code & 0xFF
    print(exit_code, file=sys.stderr)
    return 1


def run_and_exit(main: Callable[[], int | None]) -> NoReturn:
    """`sys.exit(main())`, as far as the caller can tell, immune to native teardown."""
    try:
        status = status_of(main())
    except SystemExit as exc:
        status = status_of(exc.code)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        status = 130
    except BaseException:
        traceback.print_exc()
        status = 1
    exit_now(status)


_guarded = False


def guard_dagster_worker() -> None:
    """In a Dagster run worker (`dagster api execute_run`, …) or step worker (a multiprocessing
    child): end through `exit_now` with the status the process was exiting with. Elsewhere (the
    webserver, daemon, tests, `hhl`) nothing changes."""
    global _guarded
    if _guarded or not _is_dagster_worker():
        return
    _guarded = True
    system_exit, excepthook = sys.exit, sys.excepthook

    final = {"status": 0}

    def leave() -> None:
        atexit.unregister(leave)
        exit_now(final["status"])

    def leave_with(status: int) -> None:
        # (Re-)registered as the process ends, so it is the newest exit handler and runs first:
        # it runs all the others (once: none has run yet), then leaves before the teardown.
        final["status"] = status
        atexit.unregister(leave)
        atexit.register(leave)

    def recording_exit(code: object = None) -> NoReturn:
        leave_with(1 if isinstance(code, str) else status_of(code))
        system_exit(code)

    def recording_hook(kind, value, tb) -> None:  # an uncaught exception ends the process: 1
        excepthook(kind, value, tb)
        leave_with(1)

    sys.exit = recording_exit  # type: ignore[assignment]
    sys.excepthook = recording_hook


def _is_dagster_worker() -> bool:
    import multiprocessing

    args = sys.argv[1:4]
    launched = "api" in args and any(a.startswith("execute_") for a in args)
    return launched or multiprocessing.parent_process() is not None
