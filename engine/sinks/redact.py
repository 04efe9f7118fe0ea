"""Keep secrets out of every log line and error message.

Sinks never put a token, key or secret in a message on purpose; this module is the second line of
defence for text we do not write ourselves (a server echoing a header, a library's exception, a URL
someone pasted with `user:password@`). Every secret a sink reads is registered here, and `redact`
replaces it wherever it appears, together with the shapes secrets usually take (URL userinfo,
`Authorization` values, `token=` query parameters).

The set of known secrets is a registry (append-only, process-wide) because a secret is only known
once a sink opens, while log lines are produced anywhere: the processor has to see all of them.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog

MASK = "***"
# Shorter values are too likely to occur in ordinary text ("test", "true") to be replaced safely.
_MIN_SECRET_LEN = 6

_SECRETS: set[str] = set()
_SECRETS_LOCK = threading.Lock()

# Env vars whose values are secrets wherever they are set, registered by `register_env_secrets`.
SECRET_ENV_HINTS = ("TOKEN", "SECRET", "PASSWORD", "API_KEY", "APIKEY", "PRIVATE_KEY")

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # scheme://user:password@host  ->  scheme://***@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s@?#]+@"), r"\1" + MASK + "@"),
    # Authorization: Splunk abc / ApiKey abc / Basic abc / Bearer abc, in headers, dicts or prose
    # (a credential, unlike a word of prose, holds a digit)
    (
        re.compile(r"(?i)\b(splunk|apikey|basic|bearer)(\s+)(?=\S*\d)[A-Za-z0-9+/=_\-.:~]{6,}"),
        r"\1\2" + MASK,
    ),
    # "token": "…", token=…, api_key: …
    (
        re.compile(
            r"(?i)\b((?:hec_)?(?:token|secret|password|api_?key|authorization)[\"']?\s*[:=]\s*[\"']?)"
            r"((?:splunk|apikey|basic|bearer)\s+)?(?!(?:splunk|apikey|basic|bearer)\s)[^\s\"',&*]{6,}"
        ),
        r"\1\2" + MASK,
    ),
    # ?token=… &api_key=… &signature=…
    (
        re.compile(r"(?i)([?&;](?:token|secret|password|passwd|api_?key|key|sig|signature|auth)=)[^&\s\"']+"),
        r"\1" + MASK,
    ),
)


def register_secret(value: str | None) -> None:
    """Remember a secret value so that `redact` removes it from any text from now on."""
    if value is None:
        return
    value = value.strip()
    if len(value) < _MIN_SECRET_LEN:
        return
    with _SECRETS_LOCK:
        _SECRETS.add(value)


def register_env_secrets(environ: Mapping[str, str]) -> None:
    """Register the values of env vars whose names say they hold secrets (tokens, passwords, keys)."""
    for name, value in environ.items():
        upper = name.upper()
        if upper.endswith("_FILE"):
            continue
        if any(hint in upper for hint in SECRET_ENV_HINTS) or upper == "AWS_SECRET_ACCESS_KEY":
            register_secret(value)


def redact(text: str) -> str:
    """Return `text` with every known secret and every secret-shaped fragment masked."""
    with _SECRETS_LOCK:
        known = sorted(_SECRETS, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_value(value: Any) -> Any:
    """Redact strings inside a log value, descending into the containers log events carry."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, BaseException):
        return redact(f"{type(value).__name__}: {value}")
    if isinstance(value, dict):
        return {key: redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return type(value)(redact_value(item) for item in value)
    return value


def redact_processor(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: anywhere before the renderer. A traceback (`exc_info`) is rendered to
    text here first, so it is redacted too rather than rendered later behind our back."""
    if event_dict.get("exc_info"):
        event_dict = structlog.processors.format_exc_info(logger, method_name, event_dict)
    for key, value in list(event_dict.items()):
        event_dict[key] = redact_value(value)
    return event_dict


class RedactingFilter(logging.Filter):
    """A stdlib logging filter for handlers: urllib3, botocore and structlog's stdlib output pass here."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info:
            formatter = logging.Formatter()
            record.exc_text = redact(formatter.formatException(record.exc_info))
            record.exc_info = None
        return True


def install_redaction(environ: Mapping[str, str] | None = None) -> None:
    """Put redaction into the running log configuration; call once after logging is configured.

    Adds `redact_processor` to structlog's chain just before the renderer, a `RedactingFilter` to
    every handler of the root logger, and registers secret-named env vars."""
    import os

    register_env_secrets(os.environ if environ is None else environ)
    processors = list(structlog.get_config()["processors"])
    if redact_processor not in processors:
        processors.insert(max(len(processors) - 1, 0), redact_processor)
        structlog.configure(processors=processors)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
