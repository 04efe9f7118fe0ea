"""`python -m engine.cli`: the same command as `trailwarden`, for environments without the script."""

from engine.cli.main import main

main()
