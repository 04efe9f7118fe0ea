"""What each task reports back to the driver, and the job's summary made of them. A task's counts
are a `ScanReport`, the report every runner makes, so the job's report merges them the way a
parallel scan merges its workers'; the job adds where the parts are and how the tasks ran.
Reports are small and plain (counters and Skips), so they pickle cheaply and travel with the
shuffle."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from engine.report import ScanReport

SCAN = "part"
WINDOWS = "windows"


@dataclass(slots=True)
class TaskReport:
    """One task's outcome. `stage` is SCAN (a map task over files) or WINDOWS (a reduce task
    running stateful windows); `part` is the file it wrote."""

    stage: str
    index: int
    scan: ScanReport = field(default_factory=ScanReport)
    part: str | None = None
    candidates: int = 0
    written: int = 0
    refused: list[str] = field(default_factory=list)
    compiled_rules: bool = False  # this task compiled the rules (its worker had not yet)
    seconds: float = 0.0


@dataclass(slots=True)
class JobSummary:
    """The merged reports, and what the driver itself noted (listing skips, settings)."""

    partitions: int
    max_groups: int
    report: ScanReport = field(default_factory=ScanReport)
    parts: list[str] = field(default_factory=list)
    written: int = 0
    refused: list[str] = field(default_factory=list)
    candidates: int = 0
    rule_compiles: int = 0
    scan_tasks: int = 0
    window_tasks: int = 0

    def add(self, task: TaskReport) -> None:
        self.report.merge(task.scan)
        if task.part is not None:
            self.parts.append(task.part)
        self.written += task.written
        self.refused.extend(task.refused)
        self.candidates += task.candidates
        self.rule_compiles += int(task.compiled_rules)
        if task.stage == SCAN:
            self.scan_tasks += 1
        else:
            self.window_tasks += 1

    def add_all(self, reports: Iterable[TaskReport]) -> None:
        for task in sorted(reports, key=lambda r: (r.stage, r.index)):
            self.add(task)
        self.parts.sort()

    def finish(self) -> ScanReport:
        if self.refused:
            self.report.delivery_failed = True
            self.report.delivery_lines.append(
                f"{len(self.refused):,} finding(s) could not be written in the chosen format, e.g. {self.refused[0]}"
            )
        return self.report.finish()

    @property
    def incomplete(self) -> bool:
        """Some input was not read or some finding not written: the scan's exit code 3."""
        return self.report.incomplete

    def to_json(self) -> dict[str, Any]:
        return {
            **self.report.to_json(),
            "findings_written": self.written,
            "findings_not_written": self.refused,
            "partitions": self.partitions,
            "scan_tasks": self.scan_tasks,
            "window_tasks": self.window_tasks,
            "stateful_candidates": self.candidates,
            "rule_compiles": self.rule_compiles,
            "parts": list(self.parts),
        }
