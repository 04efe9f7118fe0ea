"""Logging through structlog: JSON lines on stderr when not on a terminal, readable lines when on
one. Configured once by the command line (or the Lambda handler); libraries only get loggers."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Sequence

import structlog
from structlog.typing import Processor

LEVELS = ("debug", "info", "warning", "error")


def configure_logging(
    level: str = "warning", *, json: bool | None = None, extra: Sequence[Processor] = ()
) -> None:
    """`extra` processors run before rendering (the sinks' secret redaction goes there)."""
    as_json = not sys.stderr.isatty() if json is None else json
    renderer: Processor = (
        structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            *extra,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level.upper())),
        logger_factory=_LineLogger,
        cache_logger_on_first_use=False,
    )


class _LineLogger:
    """Each log line goes to stderr in one write, newline included, then a flush: processes that
    share stderr (the workers of a parallel scan) never interleave inside a line, as structlog's
    PrintLogger can (`print` writes the line and its newline separately)."""

    def __init__(self, *args: object) -> None:
        self._lock = threading.Lock()

    def msg(self, message: str) -> None:
        stream = sys.stderr
        with self._lock:
            try:
                stream.write(message + "\n")
                stream.flush()
            except (OSError, ValueError):  # stderr closed: logs are not worth a crash
                pass

    log = debug = info = warning = warn = error = critical = exception = fatal = failure = err = msg
