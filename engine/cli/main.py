"""The `trailwarden` command: a thin layer that parses arguments and calls the library."""

from __future__ import annotations

import click

from engine.cli.flush_command import flush
from engine.cli.rule_commands import explain, rules_group, test_rules, validate
from engine.cli.scan import scan
from engine.cli.sigma_command import sigma_group
from engine.cli.spark_command import spark_scan
from engine.cli.template_command import template
from engine.log import LEVELS, configure_logging
from engine.sinks.redact import redact_processor


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(package_name="trailwarden")
@click.option(
    "--log-level",
    type=click.Choice(LEVELS),
    default="warning",
    show_default=True,
    help="Log verbosity (logs go to stderr).",
)
@click.option(
    "--log-json/--log-text", default=None, help="Log format (default: JSON unless stderr is a terminal)."
)
def cli(log_level: str, log_json: bool | None) -> None:
    """trailwarden: detection rules for AWS CloudTrail, run over trail exports and streams."""
    configure_logging(log_level, json=log_json, extra=[redact_processor])


cli.add_command(scan)
cli.add_command(spark_scan)
cli.add_command(validate)
cli.add_command(test_rules)
cli.add_command(rules_group)
cli.add_command(explain)
cli.add_command(flush)
cli.add_command(template)
cli.add_command(sigma_group)


def main() -> None:
    cli()
