"""`python -m engine.spark …`: the same as `trailwarden spark-scan …`."""

from engine.spark.submit import main

main()
