"""The sink contract: configured once from a URL, then `send(batch) -> Delivery`, then `close()`.

A sink makes ONE attempt per `send` and says, finding by finding, what happened: delivered, failed
in a way worth retrying, or rejected for good with the destination's reason. Retrying with backoff
(`engine.sinks.deliver`), batching (`engine.sinks.batching`), statistics (`SinkStats`) and spooling
(`engine.sinks.dispatch`) are shared, so a sink module holds only what its destination needs.

Sinks register for URL schemes (cloud-custodian's registry habit): `@register_sink("webhook+https")`.
"""

from __future__ import annotations

import abc
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import orjson

from engine.errors import UsageError
from engine.formats import Format, get_format
from engine.registry import PluginRegistry
from engine.sinks.redact import redact
from engine.sinks.retry import RetryPolicy
from engine.sinks.secrets import SecretRef, read_secret
from engine.sinks.url import SinkURL, parse_sink_url

Finding = Mapping[str, Any]
T = TypeVar("T")

MiB = 1024 * 1024


def finding_id(finding: Finding) -> str:
    """The stable id a finding is delivered, spooled and de-duplicated by."""
    return str(finding["finding_id"])


@dataclass(frozen=True, slots=True)
class Delivery:
    """The outcome of one send, by finding id.

    `retry` and `rejected` map ids to a reason fit for a log line (already redacted). `retry_after`
    is the destination's own hint (Retry-After, throttling), in seconds. `unanswered` are ids of
    `retry` whose request went out whole but got no answer (reset, timeout): the destination may
    hold them, so sending them again is a re-send (at least once). `resent` counts findings the
    sink itself sent again within this attempt after the destination may have taken them."""

    delivered: tuple[str, ...] = ()
    retry: Mapping[str, str] = field(default_factory=dict)
    rejected: Mapping[str, str] = field(default_factory=dict)
    bytes: int = 0
    retry_after: float | None = None
    unanswered: frozenset[str] = frozenset()
    resent: int = 0

    @classmethod
    def ok(cls, ids: Iterable[str], nbytes: int = 0) -> Delivery:
        return cls(delivered=tuple(ids), bytes=nbytes)

    @classmethod
    def failed(
        cls,
        ids: Iterable[str],
        reason: str,
        *,
        nbytes: int = 0,
        retry_after: float | None = None,
        unanswered: bool = False,
    ) -> Delivery:
        text = redact(reason)
        retry = dict.fromkeys(ids, text)
        return cls(
            retry=retry,
            bytes=nbytes,
            retry_after=retry_after,
            unanswered=frozenset(retry) if unanswered else frozenset(),
        )

    @classmethod
    def refused(cls, ids: Iterable[str], reason: str, *, nbytes: int = 0) -> Delivery:
        return cls(rejected=dict.fromkeys(ids, redact(reason)), bytes=nbytes)

    def __add__(self, other: Delivery) -> Delivery:
        return Delivery.combine((self, other))

    @classmethod
    def combine(cls, parts: Iterable[Delivery]) -> Delivery:
        """One outcome from several (sub-requests, per-item results), in linear time."""
        delivered: list[str] = []
        retry: dict[str, str] = {}
        rejected: dict[str, str] = {}
        nbytes = 0
        hints: list[float] = []
        unanswered: set[str] = set()
        resent = 0
        for part in parts:
            delivered.extend(part.delivered)
            retry.update(part.retry)
            rejected.update(part.rejected)
            nbytes += part.bytes
            if part.retry_after is not None:
                hints.append(part.retry_after)
            unanswered.update(part.unanswered)
            resent += part.resent
        hint = max(hints) if hints else None
        return cls(tuple(delivered), retry, rejected, nbytes, hint, frozenset(unanswered), resent)


@dataclass(slots=True)
class SinkStats:
    """What one sink did in this process; the summary and the bench print it."""

    sent: int = 0
    retried: int = 0
    resent: int = 0  # sent again after the destination may have taken them: possible duplicates
    rejected: int = 0
    spooled: int = 0
    requests: int = 0
    bytes: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, int | float]:
        return {
            "sent": self.sent,
            "retried": self.retried,
            "resent": self.resent,
            "rejected": self.rejected,
            "spooled": self.spooled,
            "requests": self.requests,
            "bytes": self.bytes,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class SinkOptions:
    """Everything a sink is configured with besides its URL; built once (flags, config file, env).

    `format` None means the URL's `format=` setting, else the sink's natural format (ECS for
    Elastic, ASFF for Security Hub…).
    `params` are sink settings from a config file, merged over the URL's query. `secrets` say where
    the config file put credentials (env var names or file paths, never values). `environ` is read
    for secrets instead of os.environ when given (tests, embedding)."""

    format: str | None = None
    batch_size: int | None = None
    batch_bytes: int | None = None
    timeout: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    params: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, SecretRef] = field(default_factory=dict)
    environ: Mapping[str, str] | None = None
    profile: str | None = None

    def env(self) -> Mapping[str, str]:
        return os.environ if self.environ is None else self.environ


READER_GONE = "the reader closed standard output"


def load_format(name: str, **options: Any) -> Format:
    """Look a format up in the formats registry (it raises UsageError for an unknown name)."""
    return get_format(name, **options)


class Sink(abc.ABC):
    """One destination. Subclasses set the class defaults and implement `send` (one attempt)."""

    default_format: ClassVar[str] = "native"
    # False: what this destination did not take is never spooled nor re-sent (standard output).
    spoolable: ClassVar[bool] = True
    reader_gone: bool = False  # the destination's reader went away for good (a closed stdout pipe)
    # None: any format; otherwise the formats this destination can take.
    allowed_formats: ClassVar[frozenset[str] | None] = None
    default_batch_size: ClassVar[int] = 500
    default_batch_bytes: ClassVar[int] = 4 * MiB
    # Limits of the destination that no configuration may exceed.
    max_batch_size: ClassVar[int] = 100_000
    max_batch_bytes: ClassVar[int] = 64 * MiB

    def __init__(self, url: SinkURL, options: SinkOptions) -> None:
        self.target = url
        self.url = url.raw
        self.options = options
        self.params: dict[str, str] = {**url.params, **options.params}
        self.format_name = options.format or self.params.get("format") or self.default_format
        if self.allowed_formats is not None and self.format_name not in self.allowed_formats:
            allowed = ", ".join(sorted(self.allowed_formats))
            raise UsageError(
                f"sink {self.url}: format {self.format_name!r} does not fit; use one of {allowed}"
            )
        self.format = load_format(self.format_name)
        self.batch_size = max(1, min(options.batch_size or self.default_batch_size, self.max_batch_size))
        self.batch_bytes = max(1, min(options.batch_bytes or self.default_batch_bytes, self.max_batch_bytes))
        self.stats = SinkStats()

    @property
    def retry(self) -> RetryPolicy:
        return self.options.retry

    def size_of(self, finding: Finding) -> int:
        """An estimate of the bytes a finding adds to a batch, for batching by size."""
        return len(orjson.dumps(finding, default=str)) + 1

    def encode_each(
        self, batch: Sequence[Finding], encode: Callable[[Finding], T]
    ) -> tuple[list[tuple[str, T]], Delivery]:
        """Encode each finding; one the format cannot write (FormatError) is rejected with the
        format's reason and the rest go on, since retrying would never make it fit."""
        from engine.formats import FormatError

        encoded: list[tuple[str, T]] = []
        refused: list[Delivery] = []
        for finding in batch:
            fid = finding_id(finding)
            try:
                encoded.append((fid, encode(finding)))
            except FormatError as exc:
                refused.append(Delivery.refused([fid], f"cannot write it as {self.format_name}: {exc}"))
        return encoded, Delivery.combine(refused)

    def secret(self, name: str, default_env: str) -> str | None:
        """A credential of this sink, from the config's reference or the documented env var."""
        return read_secret(
            f"sink {self.url}: {name}",
            default_env=default_env,
            environ=self.options.env(),
            ref=self.options.secrets.get(name),
        )

    def param(self, name: str, default: str | None = None) -> str | None:
        return self.params.get(name, default)

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.params.get(name)
        if value is None:
            return default
        return value.strip().lower() in ("1", "true", "yes", "on")

    def number(self, name: str, default: float) -> float:
        value = self.params.get(name)
        if value is None:
            return default
        try:
            return float(value)
        except ValueError:
            raise UsageError(f"sink {self.url}: setting {name}={value!r} is not a number") from None

    @abc.abstractmethod
    def send(self, batch: Sequence[Finding]) -> Delivery:
        """Make one attempt to deliver `batch`; never raise for a destination's failure."""

    def close(self) -> None:  # noqa: B027 - most sinks have nothing to release
        """Release connections and files; called once, after the last send."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {redact(self.url)}>"


SinkFactory = Callable[[SinkURL, SinkOptions], Sink]
F = TypeVar("F", bound=SinkFactory)

SINKS: PluginRegistry[SinkFactory] = PluginRegistry("sink URL scheme", "engine.sinks")


def register_sink(*schemes: str) -> Callable[[F], F]:
    """Register a sink class (or factory) for one or more URL schemes."""

    def wrap(factory: F) -> F:
        for scheme in schemes:
            SINKS.add(scheme, factory)
        return factory

    return wrap


def registered_schemes() -> list[str]:
    return SINKS.names()


def open_sink(url: str, *, options: SinkOptions | None = None) -> Sink:
    """Open the sink a `--sink` value names: `-`, a path, `file:///…`, or `kind+transport://…`."""
    target = parse_sink_url(url)
    factory = SINKS.find(target.scheme)
    if factory is None:
        raise UsageError(
            f"unknown sink {redact(url)!r}",
            hint=f"a path, '-', or a known scheme: {SINKS.hint(target.scheme, '{}://')}",
        )
    return factory(target, options or SinkOptions())
