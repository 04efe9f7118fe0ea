"""`trailwarden flush`: send what the spool holds, without scanning anything.

The sinks to flush are the URLs given, the sinks of a config file, or (given neither) every sink
that has findings in the spool, opened from its URL with credentials from the documented env vars.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from engine.errors import Location, UsageError
from engine.sinks.base import SinkOptions
from engine.sinks.config import open_routes
from engine.sinks.dispatch import Dispatcher, DispatchReport, Route
from engine.statefile.db import StateDB
from engine.statefile.spool import Spool


def flush_spool(
    state_path: str | Path | None,
    sinks: Sequence[str] | str | Path | None = None,
    *,
    include_rejected: bool = False,
    defaults: SinkOptions | None = None,
) -> DispatchReport:
    """Re-send the spooled findings of `sinks` (URLs, or a YAML config path); `state_path` None
    means the fallback spool a run without `--state` used. `include_rejected` also re-sends the
    findings a destination refused earlier (after fixing a token or a mapping)."""
    spool = _open_spool(state_path)
    try:
        routes = _routes(spool, sinks, defaults)
        dispatcher = Dispatcher(routes, spool, replay_rejected=include_rejected)
        dispatcher.start()
        return dispatcher.close()
    finally:
        spool.close()


def _open_spool(state_path: str | Path | None) -> Spool:
    if state_path is None:
        return Spool.fallback()
    if not Path(state_path).exists():
        raise UsageError("state file does not exist", Location(str(state_path)), hint="check --state")
    return Spool(StateDB.shared(state_path), owned=True)


def _routes(
    spool: Spool, sinks: Sequence[str] | str | Path | None, defaults: SinkOptions | None
) -> list[Route]:
    if sinks is None:
        return open_routes(spool.sinks(), defaults=defaults)
    if isinstance(sinks, Path) or (isinstance(sinks, str) and "://" not in sinks and _is_config(sinks)):
        return open_routes(config=sinks, defaults=defaults)
    urls = [sinks] if isinstance(sinks, str) else list(sinks)
    return open_routes(urls, defaults=defaults)


def _is_config(text: str) -> bool:
    return text.endswith((".yml", ".yaml")) and Path(text).is_file()
