"""The one outcome of a scan, whichever runner made it: one process, `--workers N`, a Lambda
invocation or a Spark job. Workers and Spark tasks each fill a `ScanReport` and the parent or
driver `merge`s them; the summary printer, `--summary-json`, the Lambda's log line and Spark's
`_summary.json` all read it, and `exit_code` gives the README's table of exit codes.

Equal input gives equal reports from every runner (`equal_to`, which leaves timings out)."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from engine.types import SEVERITY_RANK, FindingDict, Skip

SCHEMA_VERSION = "1.0"  # schemas/summary.schema.json
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a command Ctrl-C ended
EXIT_READER_GONE = 141  # 128 + SIGPIPE, as shells report `… | head` for other tools


@dataclass(slots=True)
class SinkTally:
    """What one destination did with the findings sent to it."""

    delivered: int = 0
    spooled: int = 0
    rejected: int = 0

    def merge(self, other: SinkTally) -> None:
        self.delivered += other.delivered
        self.spooled += other.spooled
        self.rejected += other.rejected


@dataclass(slots=True)
class WindowTally:
    """What stateful windows counted instead of using: per rule, matching events without a readable
    eventTime, events too late for their window, groups evicted past --max-groups, events taken
    early past --max-waiting; and repeated deliveries of one event inside windows."""

    untimed: Counter[str] = field(default_factory=Counter)
    late: Counter[str] = field(default_factory=Counter)
    evictions: Counter[str] = field(default_factory=Counter)
    overflows: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0

    def merge(self, other: WindowTally) -> None:
        self.untimed.update(other.untimed)
        self.late.update(other.late)
        self.evictions.update(other.evictions)
        self.overflows.update(other.overflows)
        self.duplicates += other.duplicates

    def lines(self) -> list[str]:
        """The summary's words for these counts, the same whichever runner counted them."""
        lines = []
        if self.late:
            lines.append(
                f"Dropped {sum(self.late.values()):,} matching event(s) that came too late for their window "
                f"(--lateness): {_top(self.late)}."
            )
        if self.untimed:
            lines.append(
                f"{sum(self.untimed.values()):,} matching event(s) had no readable eventTime and were left out of "
                f"windows: {_top(self.untimed)}."
            )
        if self.evictions:
            lines.append(
                f"Evicted {sum(self.evictions.values()):,} group(s) past the cap of open groups per rule "
                f"(--max-groups): {_top(self.evictions)}."
            )
        if self.overflows:
            lines.append(
                f"Took {sum(self.overflows.values()):,} matching event(s) before the lateness had passed, because "
                f"too many were waiting for one rule (--max-waiting): {_top(self.overflows)}."
            )
        if self.duplicates:
            lines.append(
                f"Passed over {self.duplicates:,} repeated delivery(ies) of the same event in windows."
            )
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "untimed": dict(self.untimed),
            "late": dict(self.late),
            "evictions": dict(self.evictions),
            "overflows": dict(self.overflows),
            "duplicates": self.duplicates,
        }


@dataclass(slots=True)
class ScanReport:
    """Counts, skips with reasons, rule errors, suppressions, deliveries and timings of one scan."""

    rules_run: int = 0
    rule_problems: int = 0  # invalid rule files or documents left out (--skip-invalid-rules)
    files: int = 0
    bytes: int = 0
    events: int = 0  # read and in scope: evaluated, or seen by the index and passed over
    out_of_scope: int = 0  # outside --since/--until/--accounts/--regions
    duplicates: int = 0  # an eventID already seen (CloudTrail delivered it twice)
    unreadable: list[Skip] = field(default_factory=list)  # inputs (or parts) that could not be read
    passed_over: Counter[str] = field(default_factory=Counter)  # on purpose, by reason (digests…)
    findings_by_severity: Counter[str] = field(default_factory=Counter)
    findings_by_rule: Counter[str] = field(default_factory=Counter)
    suppressed_by_rule: Counter[str] = field(default_factory=Counter)  # exceptions and filters
    deduplicated_by_rule: Counter[str] = field(default_factory=Counter)  # folded into a dedup finding
    rule_errors: Counter[str] = field(default_factory=Counter)  # conditions that raised: no match
    error_samples: dict[str, str] = field(default_factory=dict)  # rule → its first error
    windows: WindowTally = field(default_factory=WindowTally)
    notes: list[str] = field(default_factory=list)  # lines for the summary (saved windows, …)
    sinks: dict[str, SinkTally] = field(default_factory=dict)
    delivery_failed: bool = False  # a finding neither delivered nor spooled
    delivery_lines: list[str] = field(default_factory=list)  # what the dispatcher says of each sink
    stopped: str | None = None  # why the scan ended early (interrupted, a worker died)
    interrupted: bool = False  # by Ctrl-C or SIGTERM
    reader_gone: bool = False  # the reader closed standard output (`| head`): a Unix tool's exit
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None

    # --- figures read by the summary ---------------------------------------------------------------

    @property
    def findings(self) -> int:
        return sum(self.findings_by_severity.values())

    @property
    def seconds(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0

    @property
    def incomplete(self) -> bool:
        """Something was not read, not delivered, not loaded or not finished: exit code 3."""
        return bool(self.unreadable or self.delivery_failed or self.rule_problems or self.stopped)

    # --- building one from parts -------------------------------------------------------------------

    def note_skip(self, skip: Skip) -> None:
        if skip.error:
            self.unreadable.append(skip)
        else:
            self.passed_over[skip.reason] += 1

    def count_finding(self, rule_id: str, severity: str) -> None:
        self.findings_by_severity[severity] += 1
        self.findings_by_rule[rule_id] += 1

    def count_made(self, finding: FindingDict, dedup: frozenset[str]) -> None:
        """Count a finding a window made; a dedup finding's repeats are counted as folded into it."""
        rule_id = finding["rule_id"]
        self.count_finding(rule_id, finding["severity"])
        if rule_id in dedup and finding["count"] > 1:
            self.deduplicated_by_rule[rule_id] += finding["count"] - 1

    def count_error(self, rule_id: str, sample: str) -> None:
        self.rule_errors[rule_id] += 1
        self.error_samples.setdefault(rule_id, sample)

    def merge(self, other: ScanReport) -> None:
        """Add a worker's, task's or file's report to this one (timings stay this one's)."""
        self.rules_run = self.rules_run or other.rules_run
        self.rule_problems = max(self.rule_problems, other.rule_problems)
        self.files += other.files
        self.bytes += other.bytes
        self.events += other.events
        self.out_of_scope += other.out_of_scope
        self.duplicates += other.duplicates
        self.unreadable.extend(other.unreadable)
        self.passed_over.update(other.passed_over)
        self.findings_by_severity.update(other.findings_by_severity)
        self.findings_by_rule.update(other.findings_by_rule)
        self.suppressed_by_rule.update(other.suppressed_by_rule)
        self.deduplicated_by_rule.update(other.deduplicated_by_rule)
        self.rule_errors.update(other.rule_errors)
        for rule_id, sample in other.error_samples.items():
            self.error_samples.setdefault(rule_id, sample)
        self.windows.merge(other.windows)
        self.notes.extend(n for n in other.notes if n not in self.notes)
        for name, tally in other.sinks.items():
            self.sinks.setdefault(name, SinkTally()).merge(tally)
        self.delivery_failed = self.delivery_failed or other.delivery_failed
        self.delivery_lines.extend(other.delivery_lines)
        self.stopped = self.stopped or other.stopped
        self.interrupted = self.interrupted or other.interrupted
        self.reader_gone = self.reader_gone or other.reader_gone

    def finish(self) -> ScanReport:
        self.finished = time.monotonic()
        return self

    # --- what it decides and how it is written -----------------------------------------------------

    def exit_code(self, fail_on: str | None) -> int:
        """The README's codes for a scan: 1 when a finding reaches --fail-on (the gate is the news a
        pipeline acts on, so it wins); 141 when the reader closed standard output (as a Unix tool
        killed by SIGPIPE); after Ctrl-C or SIGTERM, 3 when a finding waits in the spool or could
        not be saved, else 130; otherwise 3 when anything was incomplete (input unread, a finding
        undelivered, a rule file invalid, the scan stopped early); else 0."""
        if fail_on is not None:
            floor = SEVERITY_RANK[fail_on]
            if any(n and SEVERITY_RANK[sev] >= floor for sev, n in self.findings_by_severity.items()):
                return 1
        if self.reader_gone:
            return EXIT_READER_GONE
        if self.interrupted:
            return 3 if self.delivery_failed else EXIT_INTERRUPTED
        return 3 if self.incomplete else 0

    def to_json(self, *, timings: bool = True) -> dict[str, Any]:
        """`--summary-json` (schemas/summary.schema.json). Without `timings`, what equal input
        must make equal whichever runner read it."""
        out: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "rules_run": self.rules_run,
            "rule_problems": self.rule_problems,
            "files": self.files,
            "bytes": self.bytes,
            "events": self.events,
            "out_of_scope": self.out_of_scope,
            "duplicates": self.duplicates,
            "unreadable": sorted(
                ({"where": s.where, "reason": s.reason} for s in self.unreadable), key=_where
            ),
            "passed_over": dict(sorted(self.passed_over.items())),
            "findings": self.findings,
            "findings_by_severity": _sorted(self.findings_by_severity),
            "findings_by_rule": _sorted(self.findings_by_rule),
            "suppressed_by_rule": _sorted(self.suppressed_by_rule),
            "deduplicated_by_rule": _sorted(self.deduplicated_by_rule),
            "rule_errors": _sorted(self.rule_errors),
            "rule_error_samples": dict(sorted(self.error_samples.items())),
            "windows": self.windows.to_json(),
            "notes": list(self.notes),
            "sinks": {
                name: {"delivered": t.delivered, "spooled": t.spooled, "rejected": t.rejected}
                for name, t in sorted(self.sinks.items())
            },
            "delivery_failed": self.delivery_failed,
            "stopped": self.stopped,
            "interrupted": self.interrupted,
            "reader_gone": self.reader_gone,
            "incomplete": self.incomplete,
        }
        if timings:
            out["seconds"] = round(self.seconds, 3)
            out["events_per_second"] = round(self.events_per_second, 1)
        return out

    def equal_to(self, other: ScanReport) -> bool:
        return self.to_json(timings=False) == other.to_json(timings=False)


def _sorted(counts: Counter[str]) -> dict[str, int]:
    return {key: counts[key] for key in sorted(counts) if counts[key]}


def _where(skip: dict[str, str]) -> tuple[str, str]:
    return (skip["where"], skip["reason"])


def _top(counts: Counter[str]) -> str:
    return ", ".join(f"{rule_id} {count:,}" for rule_id, count in counts.most_common(5))
