"""Options shared by several commands, declared once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from engine.rules.model import SEVERITIES

F = TypeVar("F", bound=Callable[..., Any])

SEVERITY = click.Choice(SEVERITIES, case_sensitive=False)


def rule_options(fn: F) -> F:
    """--rules / --no-bundled: which rule files are loaded."""
    fn = click.option(
        "--no-bundled",
        is_flag=True,
        help="Do not load the bundled rule packs (rules/eks, rules/cloudtrail, …).",
    )(fn)
    fn = click.option(
        "--rules",
        "rule_paths",
        multiple=True,
        type=click.Path(),
        help="A rule file or folder (recursive); repeatable. Loaded after the bundled packs.",
    )(fn)
    return fn


def selection_options(fn: F) -> F:
    """--select / --exclude / --min-severity: which loaded rules run."""
    fn = click.option("--min-severity", type=SEVERITY, help="Run only rules of this severity or above.")(fn)
    fn = click.option(
        "--exclude", multiple=True, help="Rule id, glob (eks-*) or tag:<tag> to leave out; repeatable."
    )(fn)
    fn = click.option(
        "--select", multiple=True, help="Rule id, glob (eks-*) or tag:<tag> to run; repeatable."
    )(fn)
    return fn
