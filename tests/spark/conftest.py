"""One local[2] SparkSession for every Spark test (starting one costs about 10 s), on loopback,
with the driver's Python for workers and no UI.

Its JVM (and so every Python worker) gets the environment of a user whose AWS chain points at the
session's moto server, set only while the JVM starts: the rest of the test run keeps its own
environment. Without pyspark or Java the Spark tests skip, saying which is missing."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.sources.aws_server import REGION, aws_env, moto_url

__all__ = ["aws_env", "moto_url", "spark", "spark_ready"]


def _missing() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install -e '.[dev]' or '.[spark]')"
    java_home = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (
        java_home and os.path.exists(os.path.join(java_home, "bin", "java"))
    ):
        return "Java (17) is not on the PATH and JAVA_HOME is not set: Spark cannot start"
    return None


@pytest.fixture(scope="session")
def spark_ready() -> None:
    """Skips, saying why, when Spark cannot run here (for tests that start their own JVM)."""
    why = _missing()
    if why is not None:
        pytest.skip(why)


@pytest.fixture(scope="session")
def spark(spark_ready: None, moto_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from engine.spark.session import spark_session

    home = tmp_path_factory.mktemp("aws-home")
    jvm_env = {
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(home / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-credentials"),
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in jvm_env.items():
            patch.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            patch.delenv(name, raising=False)
        session, created = spark_session("local[2]", {"spark.sql.shuffle.partitions": "2"})
    session.sparkContext.setLogLevel("ERROR")
    yield session
    if created:
        session.stop()
