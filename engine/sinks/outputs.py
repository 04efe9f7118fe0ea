"""Where a scan's findings go — the chosen format to stdout or --output, plus every --sink and the
sinks of --sinks-config — through one Dispatcher (batching, retries, the spool). Used by the command
line and the Lambda handler alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.formats import get_format
from engine.sinks.base import SinkOptions
from engine.sinks.config import open_routes
from engine.sinks.dispatch import Dispatcher, Route
from engine.statefile.db import StateDB
from engine.statefile.spool import Spool


class Delivery:
    """The scan's side of the dispatcher: submit findings, flush before acknowledging input,
    close once for the summary's delivery lines and whether anything failed (exit 3)."""

    @dataclass(slots=True)
    class Report:
        lines: list[str] = field(default_factory=list)
        failed: bool = False

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self.interrupted = False

    def submit(self, finding: dict[str, Any]) -> None:
        self.dispatcher.submit(finding)

    def flush(self) -> bool:
        """Settle every finding so far; True when each one was delivered or durably spooled."""
        self.dispatcher.flush()
        return True

    def close(self) -> Delivery.Report:
        report = self.dispatcher.close(interrupted=self.interrupted)
        # Only the primary output and all well: nothing to say beyond the findings themselves.
        quiet = report.ok and len(report.sinks) == 1
        return Delivery.Report(lines=[] if quiet else report.lines(), failed=not report.ok)


def open_delivery(
    format_name: str,
    output: str | None,
    sinks: Sequence[str],
    sinks_config: str | None,
    state_path: str | None,
) -> Delivery:
    """Check the format, open the primary output and the sinks; raise UsageError/SinkError early,
    before any input is read."""
    get_format(format_name)  # an unknown name fails here, before any sink is opened
    primary = open_routes([output or "-"], defaults=SinkOptions(format=format_name))
    routes: list[Route] = primary + open_routes(sinks, sinks_config)
    spool = Spool(StateDB(state_path), owned=True) if state_path else None
    return Delivery(Dispatcher(routes, spool))
