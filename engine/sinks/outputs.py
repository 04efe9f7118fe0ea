"""Where a scan's findings go — the chosen format to stdout or --output, plus every --sink and the
sinks of --sinks-config — through one Dispatcher (batching, retries, the spool). Used by the command
line and the Lambda handler alike."""

from __future__ import annotations

from collections.abc import Sequence

from engine.formats import get_format
from engine.report import ScanReport, SinkTally
from engine.sinks.base import Finding, SinkOptions
from engine.sinks.config import open_routes
from engine.sinks.dispatch import Dispatcher, Route
from engine.sinks.redact import redact
from engine.statefile.db import StateDB
from engine.statefile.spool import Spool


class ReaderGone(Exception):
    """Every output was standard output and its reader went away (`| head`): the scan ends, quietly."""


class Outputs:
    """The scan's side of the dispatcher: submit findings, flush before acknowledging input,
    close once, writing into the scan's report what each destination did with them."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self.interrupted = False

    def submit(self, finding: Finding) -> None:
        self.dispatcher.submit(finding)
        if self.dispatcher.reader_gone:
            raise ReaderGone("the reader closed standard output")

    def flush(self) -> bool:
        """Settle every finding so far; True when each one was delivered or durably spooled."""
        self.dispatcher.flush()
        if self.dispatcher.reader_gone:
            raise ReaderGone("the reader closed standard output")
        return True

    def close(self, into: ScanReport) -> None:
        report = self.dispatcher.close(interrupted=self.interrupted)
        # Only the primary output and all well: nothing to say beyond the findings themselves.
        quiet = report.ok and len(report.sinks) == 1
        into.delivery_lines.extend([] if quiet else report.lines())
        into.delivery_failed = into.delivery_failed or not report.ok
        into.reader_gone = into.reader_gone or any(sink.reader_gone for sink in report.sinks)
        for sink in report.sinks:
            tally = into.sinks.setdefault(redact(sink.url), SinkTally())
            tally.merge(SinkTally(sink.delivered + sink.replayed, sink.spooled, sink.rejected))


def open_outputs(
    format_name: str,
    output: str | None,
    sinks: Sequence[str],
    sinks_config: str | None,
    state_path: str | None,
) -> Outputs:
    """Check the format, open the primary output and the sinks; raise UsageError/SinkError early,
    before any input is read."""
    get_format(format_name)  # an unknown name fails here, before any sink is opened
    primary = open_routes([output or "-"], defaults=SinkOptions(format=format_name))
    routes: list[Route] = primary + open_routes(sinks, sinks_config)
    spool = Spool(StateDB.shared(state_path), owned=True) if state_path else None
    return Outputs(Dispatcher(routes, spool))
