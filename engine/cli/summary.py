"""What a person reads at the end of a scan (stderr): plain words, the figures that matter, all of
them read from the scan's `ScanReport` — and the same report as JSON for `--summary-json`."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import orjson
from rich.console import Console
from rich.table import Table

from engine.report import ScanReport
from engine.text import printable
from engine.types import SEVERITIES

MAX_LISTED = 20

__all__ = ["print_summary", "printable", "write_summary_json"]


def print_summary(report: ScanReport, *, console: Console | None = None) -> None:
    out = console or Console(stderr=True, highlight=False, soft_wrap=True)

    def say(text: str) -> None:
        out.print(printable(text), markup=False)

    say(
        f"Scanned {report.files:,} file(s), {report.events:,} event(s) with {report.rules_run} rule(s) "
        f"in {report.seconds:.2f}s ({report.events_per_second:,.0f} events/s)."
    )
    if report.reader_gone:
        say("The reader closed standard output, so the scan stopped there; nothing was spooled for it.")
    elif report.stopped:
        say(f"The scan stopped early ({report.stopped}): what it found is delivered or spooled.")
    if report.rule_problems:
        say(f"Left out {report.rule_problems:,} invalid rule(s) or rule file(s) (--skip-invalid-rules).")
    if report.duplicates:
        say(f"Passed over {report.duplicates:,} event(s) delivered twice (an eventID already seen).")
    if report.out_of_scope:
        say(f"Left out {report.out_of_scope:,} event(s) outside --since/--until/--accounts/--regions.")
    for reason, count in sorted(report.passed_over.items()):
        say(f"Passed over {count:,} input(s): {reason}.")
    if report.unreadable:
        out.print(f"[bold]Skipped {len(report.unreadable):,} input(s) that could not be read:[/bold]")
        for skip in report.unreadable[:MAX_LISTED]:
            say(f"  - {skip.where}: {skip.reason}")
        if len(report.unreadable) > MAX_LISTED:
            say(f"  … and {len(report.unreadable) - MAX_LISTED:,} more (see the log, or --summary-json).")
    if report.rule_errors:
        say(f"Rule errors (counted as no match) in {len(report.rule_errors)} rule(s):")
        for rule_id, count in report.rule_errors.most_common(MAX_LISTED):
            say(f"  - {rule_id}: {count:,} event(s), e.g. {report.error_samples.get(rule_id, '')}")
    suppressed = sum(report.suppressed_by_rule.values())
    if suppressed:
        say(
            f"Suppressed {suppressed:,} match(es) by exceptions and filters: {_top(report.suppressed_by_rule)}."
        )
    folded = sum(report.deduplicated_by_rule.values())
    if folded:
        say(f"Folded {folded:,} repeat(s) into dedup findings: {_top(report.deduplicated_by_rule)}.")
    for line in report.windows.lines():
        say(line)
    for note in report.notes:
        say(note)
    _findings(out, report)
    for line in report.delivery_lines:
        say(line)


def _findings(out: Console, report: ScanReport) -> None:
    if not report.findings:
        out.print("No findings.")
        return
    table = Table(title=f"{report.findings:,} finding(s)", title_justify="left", box=None, pad_edge=False)
    table.add_column("severity")
    table.add_column("findings", justify="right")
    for severity in reversed(SEVERITIES):
        if report.findings_by_severity.get(severity):
            table.add_row(severity, f"{report.findings_by_severity[severity]:,}")
    out.print(table)
    rules = Table(title="by rule", title_justify="left", box=None, pad_edge=False)
    rules.add_column("rule")
    rules.add_column("findings", justify="right")
    for rule_id, count in report.findings_by_rule.most_common(MAX_LISTED):
        rules.add_row(printable(rule_id), f"{count:,}")
    out.print(rules)
    more = len(report.findings_by_rule) - MAX_LISTED
    if more > 0:
        out.print(f"… and {more:,} more rule(s) with findings (see --summary-json).", markup=False)


def write_summary_json(path: str | None, report: ScanReport) -> None:
    """`--summary-json FILE` ('-' for stderr, since stdout carries the findings)."""
    if not path:
        return
    data = orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2) + b"\n"
    if path == "-":
        sys.stderr.buffer.write(data)
        sys.stderr.flush()
    else:
        Path(path).write_bytes(data)


def _top(counts: Counter[str]) -> str:
    return ", ".join(f"{rule_id} {count:,}" for rule_id, count in counts.most_common(5))
