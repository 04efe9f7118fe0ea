"""The script `spark-submit` runs: the `spark-scan` command, on the master spark-submit set up.

    spark-submit --master yarn --deploy-mode client \\
        "$(python -c 'import engine.cli.spark_submit as s; print(s.__file__)')" \\
        s3://org-trail/AWSLogs/ --since 2026-11-01 --output s3://findings/2026-11/

Arguments are those of `trailwarden spark-scan` (see `--help`)."""

from __future__ import annotations

from engine.cli.spark_command import spark_scan
from engine.log import configure_logging


def main() -> None:
    configure_logging("warning")
    spark_scan(prog_name="trailwarden-spark")


if __name__ == "__main__":
    main()
