"""What each task reports back to the driver, and the job's summary made of them: the same
figures a local scan's summary gives (files, events, skips with reasons, rule errors, findings
by severity and rule, stateful notes), plus where the parts are. Reports are small and plain
(counters and Skips), so they pickle cheaply and travel with the shuffle."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from engine.decoding.records import Skip
from engine.detection.stateful.candidates import WindowCounts
from engine.pipeline import ScanStats

SCAN = "part"
WINDOWS = "windows"


@dataclass(slots=True)
class TaskReport:
    """One task's outcome. `stage` is SCAN (a map task over files) or WINDOWS (a reduce task
    running stateful windows); `part` is the file it wrote."""

    stage: str
    index: int
    part: str | None = None
    files: int = 0
    events: int = 0
    bytes: int = 0
    out_of_scope: int = 0
    skipped: list[Skip] = field(default_factory=list)
    passed_over: Counter[str] = field(default_factory=Counter)
    findings_by_severity: Counter[str] = field(default_factory=Counter)
    findings_by_rule: Counter[str] = field(default_factory=Counter)
    rule_errors: Counter[str] = field(default_factory=Counter)
    error_samples: dict[str, str] = field(default_factory=dict)
    windows: WindowCounts = field(default_factory=WindowCounts)
    candidates: int = 0
    written: int = 0
    refused: list[str] = field(default_factory=list)
    compiled_rules: bool = False  # this task compiled the rules (its worker had not yet)
    seconds: float = 0.0

    def take_stats(self, stats: ScanStats) -> None:
        self.files, self.events, self.bytes = stats.files, stats.events, stats.bytes
        self.out_of_scope = stats.out_of_scope
        self.skipped = list(stats.skipped)
        self.passed_over = Counter(stats.deliberate_skips)
        self.findings_by_severity = Counter(stats.findings_by_severity)
        self.findings_by_rule = Counter(stats.findings_by_rule)


@dataclass(slots=True)
class JobSummary:
    """The merged reports, and what the driver itself noted (listing skips, settings)."""

    partitions: int
    max_groups: int
    stats: ScanStats = field(default_factory=ScanStats)
    rule_errors: Counter[str] = field(default_factory=Counter)
    error_samples: dict[str, str] = field(default_factory=dict)
    windows: WindowCounts = field(default_factory=WindowCounts)
    parts: list[str] = field(default_factory=list)
    written: int = 0
    refused: list[str] = field(default_factory=list)
    candidates: int = 0
    rule_compiles: int = 0
    scan_tasks: int = 0
    window_tasks: int = 0

    def add(self, report: TaskReport) -> None:
        stats = self.stats
        stats.files += report.files
        stats.events += report.events
        stats.bytes += report.bytes
        stats.out_of_scope += report.out_of_scope
        stats.skipped.extend(report.skipped)
        stats.deliberate_skips.update(report.passed_over)
        stats.findings_by_severity.update(report.findings_by_severity)
        stats.findings_by_rule.update(report.findings_by_rule)
        self.rule_errors.update(report.rule_errors)
        for rule_id, sample in report.error_samples.items():
            self.error_samples.setdefault(rule_id, sample)
        self.windows.merge(report.windows)
        if report.part is not None:
            self.parts.append(report.part)
        self.written += report.written
        self.refused.extend(report.refused)
        self.candidates += report.candidates
        self.rule_compiles += int(report.compiled_rules)
        if report.stage == SCAN:
            self.scan_tasks += 1
        else:
            self.window_tasks += 1

    def add_all(self, reports: Iterable[TaskReport]) -> None:
        for report in sorted(reports, key=lambda r: (r.stage, r.index)):
            self.add(report)
        self.parts.sort()

    def finish(self) -> None:
        self.stats.notes.extend(self.windows.notes(self.max_groups))
        if self.refused:
            self.stats.notes.append(
                f"{len(self.refused):,} finding(s) could not be written in the chosen format, e.g. {self.refused[0]}"
            )
        self.stats.finished = time.monotonic()

    @property
    def incomplete(self) -> bool:
        """Some input was not read or some finding not written: the scan's exit code 3."""
        return bool(self.stats.skipped or self.refused)

    def to_json(self) -> dict[str, Any]:
        stats = self.stats
        return {
            "files": stats.files,
            "events": stats.events,
            "bytes": stats.bytes,
            "out_of_scope": stats.out_of_scope,
            "seconds": round(stats.seconds, 3),
            "events_per_second": round(stats.events_per_second, 1),
            "findings": stats.findings,
            "findings_by_severity": dict(stats.findings_by_severity),
            "findings_by_rule": dict(stats.findings_by_rule.most_common()),
            "findings_written": self.written,
            "findings_not_written": self.refused,
            "skipped": [{"where": s.where, "reason": s.reason} for s in stats.skipped],
            "passed_over": dict(stats.deliberate_skips),
            "rule_errors": dict(self.rule_errors),
            "rule_error_samples": dict(self.error_samples),
            "windows": self.windows.to_json(),
            "notes": list(stats.notes),
            "partitions": self.partitions,
            "scan_tasks": self.scan_tasks,
            "window_tasks": self.window_tasks,
            "stateful_candidates": self.candidates,
            "rule_compiles": self.rule_compiles,
            "parts": list(self.parts),
        }
