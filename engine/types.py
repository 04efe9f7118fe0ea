"""The nouns every stage shares, in one leaf module that imports nothing else of `engine`
(structlog's `typing.py` habit): what a source hands decoding (`Blob`), what decoding hands the
engine (`Record` with its `Origin`, or a `Skip`), what the engine makes (`Finding`), and the
severity scale. Stages import these from here, so no stage needs another's module for a name."""

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO, Literal, NotRequired, TypedDict

__all__ = [
    "SEVERITIES",
    "SEVERITY_RANK",
    "Actor",
    "Blob",
    "Emit",
    "Event",
    "Finding",
    "FindingDict",
    "Origin",
    "Record",
    "Severity",
    "Skip",
]

SEVERITIES = ("info", "low", "medium", "high", "critical")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
Severity = Literal["info", "low", "medium", "high", "critical"]

Event = dict[str, Any]  # one CloudTrail record, as decoded JSON


@dataclass(frozen=True, slots=True)
class Blob:
    """One input object: a local file, stdin, an S3 object, a message body.

    `name` is what findings and errors cite (a path, 's3://bucket/key', '-'); `open` returns a fresh
    binary stream positioned at the start, which the caller closes. `ack`, when set, is called once
    every finding of this blob has been delivered or spooled: that is when an SQS message may be
    deleted or a checkpoint may move past this object. `path` is set for a plain local file: a
    worker process of a parallel scan reopens it from there instead of being sent the bytes."""

    name: str
    open: Callable[[], BinaryIO]
    size: int | None = None
    ack: Callable[[], None] | None = None
    path: str | None = None

    @classmethod
    def of_bytes(cls, name: str, payload: bytes, ack: Callable[[], None] | None = None) -> "Blob":
        """A blob over bytes already in memory: a queued event body, a LookupEvents page, a
        Lambda payload — decoding reads it like a file."""

        def open_() -> BinaryIO:
            return io.BytesIO(payload)

        return cls(name=name, open=open_, size=len(payload), ack=ack)


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


class Actor(TypedDict):
    type: str | None
    arn: str | None
    principal_id: str | None
    user_name: str | None


# A finding as `schemas/finding.schema.json` describes it (tests/test_report.py keeps the two in
# step). This module is evaluated without postponed annotations, so NotRequired is seen at run time.
class Finding(TypedDict):
    schema_version: str
    finding_id: str
    rule_id: str
    rule_title: str
    rule_description: NotRequired[str]
    severity: str
    tags: list[str]
    references: NotRequired[list[str]]
    title: str
    event_id: str | None
    event_ids: NotRequired[list[str | None]]
    event_time: str | None
    event_source: str | None
    event_name: str | None
    event_type: NotRequired[str | None]
    account_id: str | None
    region: str | None
    source_ip: str | None
    user_agent: str | None
    actor: Actor
    context: dict[str, Any]
    count: int
    first_seen: str | None
    last_seen: str | None
    window: NotRequired[dict[str, Any]]
    origin: dict[str, Any]
    event: NotRequired[Event]


# A finding in flight: the stages build and pass plain dicts (formats add and drop keys, windows
# fill counts in); `Finding` above is the contract those dicts keep, checked against the schema.
FindingDict = dict[str, Any]
Emit = Callable[[FindingDict], None]  # where a stage hands each finding it makes
