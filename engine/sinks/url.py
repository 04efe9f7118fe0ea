"""Sink URLs: `kind+transport://host:port/path?setting=value`, checked for secrets before use.

The scheme says what to talk to and how (`splunk+https`, `syslog+udp`); the query carries non-secret
settings (`index`, `ack`, `facility`). Credentials never travel in a URL: userinfo and secret-named
query parameters are refused, because URLs land in shell history, process lists and logs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from engine.errors import UsageError
from engine.sinks.redact import redact

_SECRET_PARAMS = frozenset(
    {"token", "secret", "password", "passwd", "api_key", "apikey", "key", "auth", "authorization"}
)


@dataclass(frozen=True, slots=True)
class SinkURL:
    """A parsed sink URL. `raw` is its canonical text: the spool key and what logs show."""

    raw: str
    scheme: str
    kind: str
    transport: str
    host: str = ""
    port: int | None = None
    path: str = ""
    params: dict[str, str] = field(default_factory=dict)

    def base(self, default_port: int | None = None) -> str:
        """`transport://host:port` (IPv6 hosts bracketed) for HTTP clients."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = self.port or default_port
        return f"{self.transport}://{host}" + (f":{port}" if port else "")


def parse_sink_url(url: str) -> SinkURL:
    """Parse a `--sink` value: `-`/`stdout`, a plain path, `file:///path` or `kind+transport://…`."""
    text = url.strip()
    if text in ("-", "stdout", "stdout://"):
        return SinkURL(raw="stdout://", scheme="stdout", kind="stdout", transport="")
    if "://" not in text:
        path = Path(text).expanduser().resolve()
        return SinkURL(raw=path.as_uri(), scheme="file", kind="file", transport="", path=str(path))
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if parts.username is not None or parts.password is not None:
        raise UsageError(
            f"sink {redact(text)}: credentials in the URL are not accepted",
            hint="remove user:password@ and give the secret through the env var or file the sink documents",
        )
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    secret = sorted(name for name in params if name.lower() in _SECRET_PARAMS)
    if secret:
        raise UsageError(
            f"sink {redact(text)}: query parameter {secret[0]!r} looks like a secret;"
            " secrets never go in URLs",
            hint="give it through the env var or file the sink documents",
        )
    kind, _, transport = scheme.partition("+")
    if scheme == "file":
        path = Path(parts.netloc + parts.path).expanduser().resolve()
        return SinkURL(raw=path.as_uri(), scheme="file", kind="file", transport="", path=str(path))
    try:
        port = parts.port
    except ValueError:
        raise UsageError(f"sink {redact(text)}: the port is not a number between 0 and 65535") from None
    return SinkURL(
        raw=text,
        scheme=scheme,
        kind=kind,
        transport=transport,
        host=parts.hostname or "",
        port=port,
        path=parts.path.rstrip("/"),
        params=params,
    )
