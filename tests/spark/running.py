"""Run both commands the way a user does — `trailwarden scan` and `trailwarden spark-scan`,
in-process through click — and read what each wrote."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
from click.testing import CliRunner, Result

from engine.cli.main import cli
from engine.spark.output import Destination, read_parts

# The parallel local scan forks; a fork of this process, which also drives a Spark JVM through
# py4j, once hung here. One process gives the same findings (scan's --workers contract).
LOCAL_WORKERS = "1"


def run_cli(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args], catch_exceptions=False)


def local_scan(out: Path, *args: str | Path) -> tuple[Result, list[dict[str, Any]]]:
    """`trailwarden scan … --output out` with its defaults; the findings it wrote."""
    result = run_cli("scan", "--no-progress", "--workers", LOCAL_WORKERS, "--output", out, *args)
    lines = out.read_bytes().splitlines() if out.exists() else []
    return result, [orjson.loads(line) for line in lines]


def spark_scan(out: Path | str, *args: str | Path) -> tuple[Result, list[dict[str, Any]]]:
    """`trailwarden spark-scan … --output out`; the findings of every part it wrote."""
    result = run_cli("spark-scan", "--output", out, *args)
    return result, part_findings(out)


def part_findings(out: Path | str, client: Any = None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    destination = Destination.parse(str(out))
    if destination.bucket is None and not Path(destination.url).exists():
        return found
    for _, data in read_parts(destination, client):
        found.extend(orjson.loads(line) for line in data.splitlines() if line.strip())
    return found


def summary_of(out: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((out / "_summary.json").read_text())
    return loaded


def ids(findings: list[dict[str, Any]]) -> list[str]:
    return sorted(f["finding_id"] for f in findings)


def by_id(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Findings in a comparable order: by id, then by the rest (an event CloudTrail delivered
    twice makes the same single-event finding twice, in either command)."""
    return sorted(findings, key=lambda f: (f["finding_id"], orjson.dumps(f, option=orjson.OPT_SORT_KEYS)))
