"""Where a sink's credentials come from: an env var, or a file named by an env var or the config.

Never from the command line or the sink URL (both end up in shell history and process lists), never
inline in a config file. Every value read is registered for redaction before anyone can log it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from engine.errors import UsageError
from engine.sinks.redact import register_secret


@dataclass(frozen=True, slots=True)
class SecretRef:
    """Where the config file says a secret lives: an env var name, a file path, or both (env first)."""

    env: str | None = None
    file: str | None = None


def read_secret(
    what: str,
    *,
    default_env: str,
    environ: Mapping[str, str],
    ref: SecretRef | None = None,
) -> str | None:
    """Read a secret: the config's `ref` first, else env `default_env`, else the file named by
    `<default_env>_FILE`. Returns None when none is set; raises UsageError when a named file is
    unreadable or empty (a typo there must not quietly send unauthenticated requests)."""
    if ref is not None and (ref.env or ref.file):
        if ref.env and environ.get(ref.env):
            return _remember(environ[ref.env])
        if ref.file:
            return _read_file(what, ref.file)
        raise UsageError(
            f"{what}: env var {ref.env} is not set", hint=f"export {ref.env}=… before running trailwarden"
        )
    value = environ.get(default_env)
    if value:
        return _remember(value)
    file_env = f"{default_env}_FILE"
    path = environ.get(file_env)
    if path:
        return _read_file(f"{what} (from {file_env})", path)
    return None


def _read_file(what: str, path: str) -> str:
    try:
        value = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise UsageError(f"{what}: cannot read secret file {path}: {exc.strerror or exc}") from None
    if not value:
        raise UsageError(f"{what}: secret file {path} is empty")
    return _remember(value)


def _remember(value: str) -> str:
    value = value.strip()
    register_secret(value)
    return value
