"""What the driver tells every task, built once from the command line: small, plain and picklable.
No credentials travel here: tasks use the standard AWS credential chain of the machine they run
on (an instance profile on EMR, the job role on Glue)."""

from __future__ import annotations

from dataclasses import dataclass

from engine.config import ScanConfig
from engine.spark.rules import RulePlan


@dataclass(frozen=True, slots=True)
class JobConfig:
    """The scan's own ScanConfig (what to find, how findings look) and what only the job needs."""

    rules: RulePlan
    scan: ScanConfig
    output: str  # a local folder or s3://bucket/prefix
    log_level: str = "warning"
    log_json: bool | None = None  # None: JSON unless stderr is a terminal (engine.log)

    @property
    def format_name(self) -> str:
        return self.scan.format_name

    @property
    def evidence(self) -> bool:
        return self.scan.evidence

    @property
    def max_groups(self) -> int:
        return self.scan.max_groups

    @property
    def profile(self) -> str | None:  # an AWS profile every executor has (rare: most clusters use roles)
        return self.scan.profile

    @property
    def region(self) -> str | None:
        return self.scan.region
