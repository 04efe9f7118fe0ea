"""What a person reads at the end of a scan (stderr): plain words, the figures that matter."""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Console
from rich.table import Table

from engine.pipeline import ScanStats
from engine.rules.model import SEVERITIES

MAX_LISTED = 20


def print_summary(
    stats: ScanStats,
    *,
    rule_errors: Mapping[str, int],
    error_samples: Mapping[str, str],
    rules_run: int,
    delivery: list[str] | None = None,
    console: Console | None = None,
) -> None:
    out = console or Console(stderr=True, highlight=False, soft_wrap=True)
    out.print(
        f"Scanned {stats.files:,} file(s), {stats.events:,} event(s) with {rules_run} rule(s) "
        f"in {stats.seconds:.2f}s ({stats.events_per_second:,.0f} events/s)."
    )
    if stats.duplicates:
        out.print(f"Passed over {stats.duplicates:,} event(s) delivered twice (an eventID already seen).")
    if stats.out_of_scope:
        out.print(f"Left out {stats.out_of_scope:,} event(s) outside --since/--until/--accounts/--regions.")
    for reason, count in sorted(stats.deliberate_skips.items()):
        out.print(f"Passed over {count:,} input(s): {reason}.")
    if stats.skipped:
        out.print(f"[bold]Skipped {len(stats.skipped):,} input(s) that could not be read:[/bold]")
        for skip in stats.skipped[:MAX_LISTED]:
            out.print(f"  - {skip.where}: {skip.reason}", markup=False)
        if len(stats.skipped) > MAX_LISTED:
            out.print(f"  … and {len(stats.skipped) - MAX_LISTED:,} more (see the log).")
    if rule_errors:
        out.print(f"Rule errors (counted as no match) in {len(rule_errors)} rule(s):")
        for rule_id, count in sorted(rule_errors.items(), key=lambda kv: -kv[1])[:MAX_LISTED]:
            out.print(
                f"  - {rule_id}: {count:,} event(s), e.g. {error_samples.get(rule_id, '')}", markup=False
            )
    for note in stats.notes:
        out.print(note, markup=False)
    if stats.findings:
        table = Table(title=f"{stats.findings:,} finding(s)", title_justify="left", box=None, pad_edge=False)
        table.add_column("severity")
        table.add_column("findings", justify="right")
        for severity in reversed(SEVERITIES):
            if stats.findings_by_severity.get(severity):
                table.add_row(severity, f"{stats.findings_by_severity[severity]:,}")
        out.print(table)
        rules = Table(title="by rule", title_justify="left", box=None, pad_edge=False)
        rules.add_column("rule")
        rules.add_column("findings", justify="right")
        for rule_id, count in stats.findings_by_rule.most_common(MAX_LISTED):
            rules.add_row(rule_id, f"{count:,}")
        out.print(rules)
    else:
        out.print("No findings.")
    for line in delivery or ():
        out.print(line, markup=False)
