"""The sink config file: several sinks in one YAML file, each with its own routing and settings.

```yaml
sinks:
  - url: splunk+https://splunk.example.com:8088
    min_severity: high            # info | low | medium | high | critical (default info)
    format: hec                   # optional; each sink has a natural format
    batch_size: 200               # optional, findings per request
    batch_bytes: 800000           # optional, bytes per request
    timeout: 30                   # optional, seconds per request
    token_env: SPLUNK_HEC_TOKEN   # credentials: the NAME of an env var …
    settings: {index: security, ack: true}
  - url: elastic+https://es.example.com:9200/trailwarden-findings
    api_key_file: /run/secrets/es-api-key   # … or the PATH of a file holding it
    retry: {attempts: 8, max_elapsed: 300}
```

Credentials are referenced, never written: `<name>_env` or `<name>_file` for `token`, `secret`,
`api_key`, `username`, `password`. A literal secret (`token: abc…`) is refused with the file and line,
because config files get committed and shared.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from engine.errors import Location, UsageError
from engine.sinks.base import Sink, SinkOptions, open_sink
from engine.sinks.dispatch import Route
from engine.sinks.retry import RetryPolicy
from engine.sinks.secrets import SecretRef
from engine.types import SEVERITIES

SECRET_NAMES = ("token", "secret", "api_key", "username", "password")
_INLINE_SECRETS = frozenset(
    {*SECRET_NAMES, "apikey", "hec_token", "passwd", "key", "auth", "authorization", "hmac_secret"}
)
_PLAIN_KEYS = frozenset(
    {"url", "min_severity", "format", "batch_size", "batch_bytes", "timeout", "settings", "retry"}
)
_SECRET_KEYS = frozenset(f"{name}_{how}" for name in SECRET_NAMES for how in ("env", "file"))
_RETRY_KEYS = ("attempts", "base_delay", "max_delay", "max_elapsed")


@dataclass(frozen=True)
class SinkSpec:
    """One sink as configured: its URL, routing, and options (no secret values, only references)."""

    url: str
    min_severity: str = "info"
    options: SinkOptions = field(default_factory=SinkOptions)


def load_sink_config(path: str | Path, *, defaults: SinkOptions | None = None) -> list[SinkSpec]:
    """Read and check a sink config file; every problem is reported at once, with its line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read sink config: {exc.strerror or exc}", Location(str(path))) from None
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = Location(str(path), mark.line + 1 if mark else None)
        raise UsageError(f"not valid YAML: {getattr(exc, 'problem', exc)}", where) from None
    lines = _LineFinder(root)
    if not isinstance(data, dict) or not isinstance(data.get("sinks"), list) or not data["sinks"]:
        raise UsageError("expected a top-level `sinks:` list with at least one sink", Location(str(path), 1))
    problems: list[str] = []
    specs: list[SinkSpec] = []
    for index, entry in enumerate(data["sinks"]):
        spec = _spec(entry, index, defaults or SinkOptions(), problems, lambda *keys: lines.line(*keys))
        if spec is not None:
            specs.append(spec)
    if problems:
        raise UsageError(
            "invalid sink config:\n" + "\n".join(f"  {path}:{p}" for p in problems),
            hint="credentials go in env vars or files: token_env: NAME or token_file: PATH",
        )
    return specs


def open_routes(
    urls: Sequence[str] = (),
    config: str | Path | None = None,
    *,
    defaults: SinkOptions | None = None,
    min_severity: str = "info",
) -> list[Route]:
    """Open every sink named by `--sink` URLs and by a config file, ready for a Dispatcher.

    On any error the sinks already opened are closed again before it is raised."""
    base = defaults or SinkOptions()
    specs = [SinkSpec(url, min_severity, base) for url in urls]
    if config is not None:
        specs.extend(load_sink_config(config, defaults=base))
    routes: list[Route] = []
    try:
        for spec in specs:
            sink: Sink = open_sink(spec.url, options=spec.options)
            routes.append(Route(sink, spec.min_severity))
    except BaseException:
        for route in routes:
            route.sink.close()
        raise
    return routes


def _spec(entry: Any, index: int, defaults: SinkOptions, problems: list[str], line: Any) -> SinkSpec | None:
    where = f"sinks[{index}]"
    if not isinstance(entry, dict):
        problems.append(f"{line(index)}: {where}: expected a mapping with at least `url`")
        return None
    found = len(problems)
    for key in entry:
        name = str(key)
        if name.lower() in _INLINE_SECRETS:
            problems.append(
                f"{line(index, key)}: {where}.{name}: secrets are never written in the config file; "
                f"use {_ref_name(name)}_env: ENV_VAR_NAME or {_ref_name(name)}_file: /path/to/file"
            )
        elif name not in _PLAIN_KEYS and name not in _SECRET_KEYS:
            problems.append(f"{line(index, key)}: {where}: unknown key {name!r}")
    url = entry.get("url")
    if not isinstance(url, str) or not url.strip():
        problems.append(f"{line(index)}: {where}: `url` is required")
    severity = entry.get("min_severity", "info")
    if severity not in SEVERITIES:
        problems.append(
            f"{line(index, 'min_severity')}: {where}.min_severity: one of {', '.join(SEVERITIES)}"
        )
    settings = _settings(entry.get("settings", {}), where, problems, lambda key: line(index, "settings", key))
    options = _options(entry, defaults, settings, where, problems, lambda key: line(index, key))
    if len(problems) > found or options is None or not isinstance(url, str):
        return None
    return SinkSpec(url=url.strip(), min_severity=str(severity), options=options)


def _settings(raw: Any, where: str, problems: list[str], line: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        problems.append(f"{line(None)}: {where}.settings: expected a mapping")
        return {}
    out: dict[str, str] = {}
    for key, value in raw.items():
        if str(key).lower() in _INLINE_SECRETS:
            problems.append(
                f"{line(key)}: {where}.settings.{key}: secrets are never written in the config file"
            )
        elif isinstance(value, dict | list):
            problems.append(f"{line(key)}: {where}.settings.{key}: expected a single value")
        else:
            out[str(key)] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


def _options(
    entry: Mapping[str, Any],
    defaults: SinkOptions,
    settings: dict[str, str],
    where: str,
    problems: list[str],
    line: Any,
) -> SinkOptions | None:
    changes: dict[str, Any] = {"params": {**defaults.params, **settings}}
    for key in ("batch_size", "batch_bytes"):
        if key in entry:
            value = entry[key]
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                problems.append(f"{line(key)}: {where}.{key}: expected a positive integer")
            else:
                changes[key] = value
    if "timeout" in entry:
        value = entry["timeout"]
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            problems.append(f"{line('timeout')}: {where}.timeout: expected a positive number of seconds")
        else:
            changes["timeout"] = float(value)
    if "format" in entry:
        changes["format"] = str(entry["format"])
    if "retry" in entry:
        changes["retry"] = _retry(entry["retry"], defaults.retry, where, problems, line)
    refs = {
        name: SecretRef(env=_str(entry.get(f"{name}_env")), file=_str(entry.get(f"{name}_file")))
        for name in SECRET_NAMES
        if entry.get(f"{name}_env") or entry.get(f"{name}_file")
    }
    changes["secrets"] = {**defaults.secrets, **refs}
    return replace(defaults, **changes)


def _retry(raw: Any, base: RetryPolicy, where: str, problems: list[str], line: Any) -> RetryPolicy:
    if not isinstance(raw, dict) or set(raw) - set(_RETRY_KEYS):
        problems.append(f"{line('retry')}: {where}.retry: a mapping of {', '.join(_RETRY_KEYS)}")
        return base
    try:
        changes: dict[str, Any] = {k: (int(v) if k == "attempts" else float(v)) for k, v in raw.items()}
        return replace(base, **changes)
    except (TypeError, ValueError) as exc:
        problems.append(f"{line('retry')}: {where}.retry: {exc}")
        return base


def _ref_name(key: str) -> str:
    lowered = key.lower()
    if lowered in ("apikey", "key", "api_key"):
        return "api_key"
    if lowered in ("passwd", "password"):
        return "password"
    if lowered in ("hec_token", "auth", "authorization"):
        return "token"
    if lowered == "hmac_secret":
        return "secret"
    return lowered


def _str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


class _LineFinder:
    """Line numbers (1-based) of the config's nodes, found by walking the composed YAML."""

    def __init__(self, root: yaml.Node | None) -> None:
        self.root = root

    def line(self, index: int, *keys: Any) -> int:
        node = self._sink(index)
        if node is None:
            return 1
        best = node.start_mark.line + 1
        for key in keys:
            if key is None or not isinstance(node, yaml.MappingNode):
                break
            for key_node, value_node in node.value:
                if key_node.value == str(key):
                    best = key_node.start_mark.line + 1
                    node = value_node
                    break
            else:
                break
        return best

    def _sink(self, index: int) -> yaml.Node | None:
        if not isinstance(self.root, yaml.MappingNode):
            return None
        for key_node, value_node in self.root.value:
            if key_node.value == "sinks" and isinstance(value_node, yaml.SequenceNode):
                items = value_node.value
                return items[index] if index < len(items) else None
        return None
