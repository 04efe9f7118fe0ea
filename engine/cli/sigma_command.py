"""`trailwarden sigma …`: commands about Sigma rules (loading them needs none: `--rules` does)."""

from __future__ import annotations

from pathlib import Path

import click

from engine.cli.loading import print_problem
from engine.sigma.convert import convert_files


@click.group(name="sigma")
def sigma_group() -> None:
    """Sigma rules: load them with --rules like any rule; these commands are extras."""


@sigma_group.command(name="convert")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False), help="Write the rules here (default: stdout)."
)
def convert(paths: tuple[str, ...], output: str | None) -> None:
    """Write the native trailwarden rule each Sigma rule in PATHS becomes (files or folders).

    The rule written flags exactly what the Sigma rule flags; edit it to fork the rule. Exit 2 if a
    Sigma rule cannot be converted (the others are still written)."""
    result = convert_files(paths)
    for warning in result.warnings:
        print_problem(warning, "warning")
    for error in result.errors:
        print_problem(error)
    if output:
        Path(output).write_text(result.text, encoding="utf-8")
    elif result.text:
        click.echo(result.text, nl=False)
    click.echo(f"{result.rules} Sigma document(s) converted, {len(result.errors)} error(s).", err=True)
    if result.errors or not result.rules:
        raise SystemExit(2)
