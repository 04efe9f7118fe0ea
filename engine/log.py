"""Logging through structlog: JSON lines on stderr when not on a terminal, readable lines when on
one. Configured once by the command line (or the Lambda handler); libraries only get loggers."""

from __future__ import annotations

import logging
import sys
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
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
