"""Commands about rules rather than events: validate, test, rules list/show, explain."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import orjson

from engine.catalogue import pack_of, render_markdown
from engine.cli.loading import load_or_exit, print_problem
from engine.cli.options import rule_options, selection_options
from engine.decoding import decode_bytes
from engine.detection.build import load_ruleset
from engine.detection.explain import explain as explain_rule
from engine.rule_tests import run_rule_tests
from engine.text import printable
from engine.types import Skip


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--no-bundled", is_flag=True, help="Check only PATHS, not the bundled packs as well.")
def validate(paths: tuple[str, ...], no_bundled: bool) -> None:
    """Check rule files: YAML, schema, JMESPath syntax, lists, macros, duplicate ids. Exit 2 on any error."""
    ruleset = load_ruleset(paths, bundled=not no_bundled or not paths)
    for warning in ruleset.warnings:
        print_problem(warning, "warning")
    for error in ruleset.errors:
        print_problem(error)
    files = len(ruleset.parsed.files)
    if ruleset.errors:
        click.echo(
            f"{len(ruleset.errors)} error(s) in {files} file(s); {len(ruleset.rules)} rule(s) valid.",
            err=True,
        )
        raise SystemExit(2)
    click.echo(f"{len(ruleset.rules)} rule(s) in {files} file(s): all valid.")


@click.command(name="test")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--no-bundled", is_flag=True, help="Test only PATHS (default when PATHS are given).")
@click.option(
    "--bundled", "with_bundled", is_flag=True, help="Test the bundled packs too when PATHS are given."
)
@selection_options
@click.option("--verbose", "-v", is_flag=True, help="List passing tests too.")
def test_rules(
    paths: tuple[str, ...],
    no_bundled: bool,
    with_bundled: bool,
    select: tuple[str, ...],
    exclude: tuple[str, ...],
    min_severity: str | None,
    verbose: bool,
) -> None:
    """Run the tests that rules carry. With no PATHS, the bundled packs' tests. Exit 1 on a failure."""
    bundled = not paths or with_bundled
    ruleset = load_or_exit(paths, not bundled or no_bundled)
    rules = [
        r for r in ruleset.rules if r in ruleset.selected(select, exclude, min_severity) or not r.enabled
    ]
    if select or exclude or min_severity:
        rules = ruleset.selected(select, exclude, min_severity)
    passed = failed = 0
    untested = [r.id for r in rules if not r.rule.tests]
    for outcome in run_rule_tests(rules, ruleset.rules):
        if outcome.passed:
            passed += 1
            if verbose:
                click.echo(f"PASS {outcome.rule_id}: {outcome.test.name}")
            continue
        failed += 1
        expected = "match" if outcome.test.expect_match else "no match"
        click.echo(
            f"FAIL {outcome.test.location}: {outcome.rule_id}: {outcome.test.name}: expected {expected}, {outcome.detail}"
        )
    if untested:
        click.echo(
            f"{len(untested)} rule(s) have no tests: {', '.join(untested[:10])}{' …' if len(untested) > 10 else ''}"
        )
    click.echo(f"{passed} passed, {failed} failed")
    raise SystemExit(1 if failed else 0)


@click.group(name="rules")
def rules_group() -> None:
    """What is loaded, and from where."""


@rules_group.command(name="list")
@rule_options
@click.option(
    "--format", "fmt", type=click.Choice(["table", "markdown", "json"]), default="table", show_default=True
)
def rules_list(rule_paths: tuple[str, ...], no_bundled: bool, fmt: str) -> None:
    """List loaded rules with their pack, severity and file."""
    ruleset = load_or_exit(rule_paths, no_bundled)
    rules = sorted(ruleset.rules, key=lambda r: (pack_of(r), r.id))
    if fmt == "markdown":
        click.echo(render_markdown(rules), nl=False)
        click.echo()
        return
    if fmt == "json":
        rows = [_rule_row(r) for r in rules]
        click.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    for rule in rules:
        state = "" if rule.enabled else " (disabled)"
        line = f"{rule.id:<48} {rule.severity:<9} {pack_of(rule):<12} {rule.rule.location}{state}"
        click.echo(printable(line))  # a file name may hold anything, ANSI escapes included
    click.echo(f"{len(rules)} rule(s)")


def _rule_row(rule: Any) -> dict[str, Any]:
    return {
        "id": rule.id,
        "title": rule.rule.title,
        "severity": rule.severity,
        "pack": pack_of(rule),
        "tags": list(rule.tags),
        "enabled": rule.enabled,
        "file": str(rule.rule.location),
    }


@rules_group.command(name="show")
@click.argument("rule_id")
@rule_options
@click.option(
    "--compiled",
    is_flag=True,
    help="For a Sigma rule: the native rule it runs as (trailwarden sigma convert).",
)
def rules_show(rule_id: str, rule_paths: tuple[str, ...], no_bundled: bool, compiled: bool) -> None:
    """Print a rule as written, with where it comes from and what tunes it."""
    ruleset = load_or_exit(rule_paths, no_bundled)
    rule = ruleset.get(rule_id)
    if rule is None:
        click.echo(f"no rule {rule_id!r} is loaded (trailwarden rules list shows what is)", err=True)
        raise SystemExit(2)
    click.echo(f"# {rule.rule.location}")
    click.echo(
        f"# severity {rule.severity}{'' if rule.enabled else ', disabled'}; suppressed by: "
        f"{', '.join(s.name for s in rule.suppressors) or 'nothing'}"
    )
    import yaml

    data = rule.rule.doc.data
    native = ruleset.parsed.translated.get(rule.id)
    if native is not None:
        click.echo("# the native rule this Sigma rule runs as" if compiled else "# a Sigma rule, as written")
        data = native if compiled else data
    click.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110), nl=False)


@click.command()
@click.argument("rule_id")
@click.argument("event_file", type=click.Path(allow_dash=True))
@rule_options
def explain(rule_id: str, event_file: str, rule_paths: tuple[str, ...], no_bundled: bool) -> None:
    """Why RULE_ID did or did not match each event in EVENT_FILE (any format scan reads; '-' for stdin)."""
    ruleset = load_or_exit(rule_paths, no_bundled)
    rule = ruleset.get(rule_id)
    if rule is None:
        click.echo(f"no rule {rule_id!r} is loaded (trailwarden rules list shows what is)", err=True)
        raise SystemExit(2)
    data = sys.stdin.buffer.read() if event_file == "-" else Path(event_file).read_bytes()
    any_match = False
    count = 0
    for item in decode_bytes(data, event_file):
        if isinstance(item, Skip):
            click.echo(printable(f"skipped {item.where}: {item.reason}"), err=True)
            continue
        count += 1
        event = item.event
        click.echo(printable(f"event {item.origin} ({event.get('eventName')}, {event.get('eventID')}):"))
        result = explain_rule(ruleset, rule, item.event)
        any_match = any_match or result.matched
        for line in result.lines:
            click.echo(line)
    if count == 0:
        click.echo(f"no CloudTrail event could be read from {event_file}", err=True)
        raise SystemExit(3)
    raise SystemExit(0 if any_match else 1)
