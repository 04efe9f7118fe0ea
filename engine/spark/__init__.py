"""Scale-out on Apache Spark: the same rules over an organisation's trail archive, with the
findings a local scan gives. Modules: `inputs` (listing on the driver, opening in tasks),
`partitions` (groups of files by size), `rules` (rule files shipped as text, compiled once per
worker), `tasks` (the scan and window tasks), `output` (parts and summary on disk or S3),
`report` (task reports and the job summary), `session` (a SparkSession), `job` (the driver),
`engine.cli.spark_submit` is the spark-submit script. pyspark is imported only by `session`."""

from engine.spark.config import JobConfig
from engine.spark.job import run_scan
from engine.spark.report import JobSummary
from engine.spark.rules import plan_rules
from engine.spark.session import spark_session

__all__ = ["JobConfig", "JobSummary", "plan_rules", "run_scan", "spark_session"]
