"""`trailwarden template elastic|splunk|sentinel`: what a SIEM needs before findings arrive, printed
on stdout (or written as files) for the user to install: an Elasticsearch index template and
lifecycle policy, a Splunk add-on, a Sentinel table and data collection rule."""

from __future__ import annotations

import json
from pathlib import Path

import click

from engine.formats.ecs_template import INDEX_PATTERNS, TEMPLATE_NAME, ilm_policy, index_template
from engine.formats.hec import DEFAULT_SOURCETYPE
from engine.formats.sentinel import data_collection_rule, stream_declaration, table_schema
from engine.formats.splunk_conf import APP, add_on


def _print_json(value: object) -> None:
    click.echo(json.dumps(value, indent=2))


@click.group("template")
def template() -> None:
    """Print what a SIEM needs to receive trailwarden's findings (install it once)."""


@template.command("elastic")
@click.option(
    "--index-pattern",
    "patterns",
    multiple=True,
    default=INDEX_PATTERNS,
    show_default=True,
    help="Indices the template applies to (repeatable); the Elastic sink's index must match one.",
)
@click.option("--ilm", is_flag=True, help="Print the suggested ILM policy instead of the template.")
@click.option("--no-ilm-setting", is_flag=True, help="Leave index.lifecycle.name out of the template.")
def elastic(patterns: tuple[str, ...], ilm: bool, no_ilm_setting: bool) -> None:
    """The composable index template mapping every field of `--format ecs`
    (`PUT _index_template/trailwarden-findings`), or with --ilm its lifecycle policy
    (`PUT _ilm/policy/trailwarden-findings`)."""
    if ilm:
        _print_json(ilm_policy())
        return
    _print_json(index_template(tuple(patterns), policy=None if no_ilm_setting else TEMPLATE_NAME))


@template.command("splunk")
@click.option(
    "--sourcetype", default=DEFAULT_SOURCETYPE, show_default=True, help="The HEC sink's sourcetype."
)
@click.option(
    "--app-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help=f"Write the add-on as a folder (e.g. $SPLUNK_HOME/etc/apps/{APP}) instead of printing it.",
)
def splunk(sourcetype: str, app_dir: Path | None) -> None:
    """props.conf, transforms.conf, eventtypes.conf and tags.conf for the trailwarden sourcetype:
    JSON extraction, TIME_PREFIX, the CIM Alerts fields and the `alert` tag."""
    files = add_on(sourcetype)
    if app_dir is None:
        click.echo("\n".join(f"### {path}\n{text}" for path, text in files.items()), nl=False)
        return
    for path, text in files.items():
        target = app_dir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    click.echo(f"wrote {len(files)} files under {app_dir}", err=True)


@template.command("sentinel")
@click.option(
    "--part",
    type=click.Choice(["stream", "table", "dcr"]),
    default="stream",
    show_default=True,
    help="stream: the DCR's stream declaration; table: the custom table; dcr: a whole data collection rule.",
)
def sentinel(part: str) -> None:
    """The TrailwardenFindings_CL table's columns as a data collection rule's stream declaration
    (Custom-TrailwardenFindings_CL), the table itself, or a whole data collection rule that writes
    the rows of the Sentinel sink to the table unchanged."""
    if part == "table":
        _print_json(table_schema())
    elif part == "dcr":
        _print_json(data_collection_rule())
    else:
        _print_json({"streamDeclarations": stream_declaration()})
