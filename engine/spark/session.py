"""Getting a SparkSession: local mode on loopback by default, a cluster's master when asked for,
or whatever `spark-submit` set up. Python workers run the driver's own interpreter, the web UI
is off, and nothing is ever downloaded at run time (no `--packages`: the engine reads S3 itself).

pyspark is an optional extra; without it (or without Java) the error says what to install."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

from engine.errors import UsageError

DEFAULT_MASTER = "local[2]"
LOOPBACK = "127.0.0.1"


def under_spark_submit() -> bool:
    """spark-submit starts the JVM first and tells the Python driver where to find it."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def spark_session(master: str | None = None, conf: Mapping[str, str] | None = None) -> tuple[Any, bool]:
    """The session to run on, and whether this call started it (then the caller stops it; a
    session that was already running — spark-submit's, a notebook's — is left running).

    `master` None means spark-submit's master when run under it, else local[2]. `conf` adds or
    overrides Spark settings (`--conf key=value`)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise UsageError(
            "pyspark is not installed",
            hint="pip install 'trailwarden[spark]' (and Java 17 for local mode)",
        ) from exc
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    if master is None and not under_spark_submit():
        master = DEFAULT_MASTER
    settings = _settings(master)
    settings.update(conf or {})
    builder = SparkSession.builder.appName("trailwarden")
    if master is not None:
        builder = builder.master(master)
    for key, value in settings.items():
        builder = builder.config(key, value)
    running = SparkSession.getActiveSession()
    if running is not None:
        return running, False
    try:
        return builder.getOrCreate(), True
    except Exception as exc:  # the JVM did not start: no Java, or a broken SPARK_HOME
        raise UsageError(
            f"cannot start Spark: {exc}",
            hint="Spark needs Java 17 on the PATH (or JAVA_HOME); check `java -version`",
        ) from exc


def _settings(master: str | None) -> dict[str, str]:
    settings = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.python.worker.reuse": "true",  # rules are compiled once per worker (engine.spark.rules)
    }
    if master is not None and master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", LOOPBACK)
        settings["spark.driver.host"] = LOOPBACK
        settings["spark.driver.bindAddress"] = LOOPBACK
    return settings


def parse_conf(pairs: tuple[str, ...]) -> dict[str, str]:
    """`--conf key=value` options as a dict; a pair without '=' is a usage error."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--conf {pair!r} is not key=value", hint="e.g. --conf spark.executor.memory=4g")
        out[key.strip()] = value
    return out
