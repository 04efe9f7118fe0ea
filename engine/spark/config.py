"""What the driver tells every task, built once from the command line: small, plain and picklable.
No credentials travel here: tasks use the standard AWS credential chain of the machine they run
on (an instance profile on EMR, the job role on Glue)."""

from __future__ import annotations

from dataclasses import dataclass

from engine.detection.stateful.settings import DEFAULT_MAX_GROUPS
from engine.scope import EventScope
from engine.spark.rules import RulePlan


@dataclass(frozen=True, slots=True)
class JobConfig:
    rules: RulePlan
    output: str  # a local folder or s3://bucket/prefix
    format_name: str = "native"
    evidence: bool = True
    max_groups: int = DEFAULT_MAX_GROUPS
    scope: EventScope | None = None  # --since/--until/--accounts/--regions, checked on each event
    profile: str | None = None  # an AWS profile every executor has (rare: most clusters use roles)
    region: str | None = None
    log_level: str = "warning"
    log_json: bool | None = None  # None: JSON unless stderr is a terminal (engine.log)
