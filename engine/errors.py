"""One error root for trailwarden, a subclass per phase, each carrying where the problem is.

Every user-facing error names a place (file, line, column, event) and what to do, and carries
the exit code the command line should end with (click's habit: exceptions know their exit code).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Location:
    """A place in an input: a file (or S3 key, or '-'), and optionally a line/column or record index."""

    path: str
    line: int | None = None
    col: int | None = None
    record: int | None = None

    def __str__(self) -> str:
        text = self.path
        if self.line is not None:
            text += f":{self.line}"
            if self.col is not None:
                text += f":{self.col}"
        if self.record is not None:
            text += f" (record {self.record})"
        return text


class TrailwardenError(Exception):
    """Root of every error trailwarden raises on purpose."""

    exit_code = 2

    def __init__(self, message: str, location: Location | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class RuleError(TrailwardenError):
    """A rule file or rule set is invalid: nothing is scanned (exit 2)."""


class UsageError(TrailwardenError):
    """The command was called with options that do not fit together (exit 2)."""


class DecodeError(TrailwardenError):
    """An input could not be read as CloudTrail; the scan goes on without it (exit 3)."""

    exit_code = 3


class SourceError(TrailwardenError):
    """A source (file, bucket, queue, API) could not be read; the scan goes on without it (exit 3)."""

    exit_code = 3


class SinkError(TrailwardenError):
    """Findings could not be delivered to a sink; they are spooled when state allows (exit 3)."""

    exit_code = 3
