"""The driver: list the input, plan partitions, run the job, gather the summary.

    files ──(one partition per group of files)──▶ scan tasks ──▶ part-NNNNN (single-event findings)
                                                      │ candidates of stateful rules, keyed by
                                                      ▼ (operator, group), sorted by event time
                                                 window tasks ──▶ windows-NNNNN (window findings)
                                                      │ task reports
                                                      ▼
                                                   driver ──▶ _summary.json

One Spark job of two stages. Spark only schedules: it never parses the JSON and needs no schema;
the engine inside each task reads the files (boto3 or the local disk) and writes the parts."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import orjson
import structlog

from engine.sources import SourceOptions
from engine.spark.config import JobConfig
from engine.spark.inputs import InputFile, list_inputs
from engine.spark.output import SUMMARY, Destination, prepare, put_bytes
from engine.spark.partitions import default_count, plan_partitions
from engine.spark.report import JobSummary, TaskReport
from engine.spark.tasks import route_hash, s3_client, scan_task, window_task

log = structlog.get_logger("trailwarden.spark")


def run_scan(
    spark: Any,
    sources: Sequence[str],
    options: SourceOptions,
    config: JobConfig,
    *,
    partitions: int | None = None,
    overwrite: bool = False,
) -> JobSummary:
    """Scan `sources` on `spark` (a SparkSession) and write parts and `_summary.json` to
    `config.output`. `partitions` defaults to two per core, more for a large input."""
    destination = Destination.parse(config.output)
    client = s3_client(config.profile, config.region) if destination.bucket is not None else None
    prepare(destination, client, overwrite=overwrite)
    summary = JobSummary(partitions=0, max_groups=config.max_groups)
    listing = list_inputs(sources, options)
    summary.report.unreadable.extend(listing.skipped)
    summary.report.passed_over.update(listing.passed_over)
    context = spark.sparkContext
    count = partitions or default_count(listing.files, context.defaultParallelism)
    groups = plan_partitions(listing.files, count)
    summary.partitions = len(groups)
    log.info("spark scan planned", files=len(listing.files), bytes=listing.size, partitions=len(groups))
    if groups:
        summary.add_all(run_partitions(context, groups, config))
    summary.finish()
    put_bytes(destination, SUMMARY, orjson.dumps(summary.to_json(), option=orjson.OPT_INDENT_2), client)
    return summary


def run_partitions(context: Any, groups: list[list[InputFile]], config: JobConfig) -> list[TaskReport]:
    """The job itself: one scan task per group, as many window tasks, reports collected."""
    count = len(groups)
    scanned = context.parallelize(groups, count).mapPartitionsWithIndex(partial(scan_task, config))
    by_group = scanned.repartitionAndSortWithinPartitions(count, route_hash)
    reports: list[TaskReport] = by_group.mapPartitionsWithIndex(partial(window_task, config)).collect()
    return reports
