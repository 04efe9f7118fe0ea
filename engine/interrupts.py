"""Ctrl-C and SIGTERM, handled so that nothing is lost.

The first signal ends the scan as KeyboardInterrupt — but never inside a write to the state file:
`critical()` (which every state-file transaction holds, through `StateDB.lock`) defers it to the
end of the transaction, so a commit of seen event ids, checkpoints, windows or spooled findings is
never cut in half. What was found is then given one quick delivery attempt and spooled otherwise.
A second signal raises nothing: it asks delivery to stop trying (`hurried()`) and spool the rest
at once. Later ones are ignored until the process exits. Without `install()` (a library caller,
a test) Python's own handling stands and `critical()` costs a counter."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["DeferringLock", "critical", "hurried", "ignore_from_now", "install", "restore"]


class _State:
    def __init__(self) -> None:
        self.installed = False
        self.signals = 0
        self.depth = 0  # the main thread's nesting of critical sections
        self.deferred = False
        self.previous: dict[int, object] = {}


_STATE = _State()


def install() -> None:
    """Handle SIGINT and SIGTERM as described above (main thread only; idempotent)."""
    if _STATE.installed or threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGINT, signal.SIGTERM):
        _STATE.previous[signum] = signal.signal(signum, _handle)
    _STATE.installed = True
    _STATE.signals = 0
    _STATE.deferred = False


def restore() -> None:
    """Put back the handlers `install` replaced (tests, embedding)."""
    if not _STATE.installed:
        return
    for signum, handler in _STATE.previous.items():
        signal.signal(signum, handler)  # type: ignore[arg-type]
    _STATE.previous.clear()
    _STATE.installed = False


def hurried() -> bool:
    """A second signal came: stop trying to deliver, spool what is left."""
    return _STATE.signals >= 2


def _handle(signum: int, frame: FrameType | None) -> None:
    _STATE.signals += 1
    if _STATE.signals == 1:
        if _STATE.depth:
            _STATE.deferred = True  # raised when the state-file transaction under way ends
            return
        raise KeyboardInterrupt
    if _STATE.signals == 2:
        _say("interrupted again: spooling what is left without sending it")
        ignore_from_now()


def ignore_from_now() -> None:
    """Ignore SIGINT and SIGTERM until the process exits (after a scan that was interrupted: a
    signal landing while the interpreter shuts down would otherwise kill it with no exit code)."""
    if _STATE.installed and threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_IGN)


def _say(text: str) -> None:
    try:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


@contextmanager
def critical() -> Iterator[None]:
    """A section the first signal must not cut (in the main thread; elsewhere it changes nothing,
    signals being delivered to the main thread only)."""
    main = _enter()
    try:
        yield
    finally:
        _leave(main)


def _enter() -> bool:
    main = threading.current_thread() is threading.main_thread()
    if main:
        _STATE.depth += 1
    return main


def _leave(main: bool) -> None:
    if not main:
        return
    _STATE.depth -= 1
    if not _STATE.depth and _STATE.deferred:
        _STATE.deferred = False
        raise KeyboardInterrupt


class DeferringLock:
    """A re-entrant lock whose holder, in the main thread, is in a critical section."""

    def __init__(self) -> None:
        self._lock = threading.RLock()

    def __enter__(self) -> DeferringLock:
        main = _enter()
        try:
            self._lock.acquire()
        except BaseException:
            _leave(main)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.release()
        _leave(threading.current_thread() is threading.main_thread())
