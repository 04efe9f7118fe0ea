"""What decoding hands the engine: CloudTrail records with where they came from, or a note of what
was skipped and why. Sources and decoders yield these; nothing else crosses the boundary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Event = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Origin:
    """Where one record was read: the source (file path, s3://bucket/key, '-' for stdin), and the
    record's index in that source (0-based) and, for line-oriented inputs, its 1-based line."""

    source: str
    index: int
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"source": self.source, "index": self.index}
        if self.line is not None:
            out["line"] = self.line
        return out

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else f"record {self.index}"
        return f"{self.source} ({where})"


@dataclass(slots=True)
class Record:
    """One CloudTrail event (an API call, a console sign-in, an Insights event…) as a dict.

    Decoded with a lean plan (engine.decoding.lean), a record that no rule can match is `partial`:
    it holds only the plan's fields, what the scope, the duplicate check and the stateful watermark
    read, and the scan does not evaluate it again."""

    event: Event
    origin: Origin
    partial: bool = False


@dataclass(frozen=True, slots=True)
class Skip:
    """An input, or part of one, that was not evaluated.

    `error` is True when something could not be read (the scan exits 3 and the summary lists it);
    False when it was passed over on purpose (a CloudTrail digest file, an empty file)."""

    where: str
    reason: str
    error: bool = True

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"
