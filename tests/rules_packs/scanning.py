"""Run the real `trailwarden` command in-process for the rule-pack tests, and load the fixture
builder (fixtures/build.py is a script, not a package, so it is loaded from its path)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from click.testing import CliRunner, Result

from engine.cli.main import cli
from tests.helpers import REPO

FIXTURES = REPO / "fixtures"


def run_cli(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args], catch_exceptions=False)


def scan(*sources: str | Path, extra: tuple[str, ...] = ()) -> tuple[Result, list[dict[str, Any]]]:
    """Scan `sources` with the bundled packs; the findings are the JSON lines on stdout."""
    result = run_cli("scan", *sources, "--no-evidence", *extra)
    findings = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return result, findings


def fixture_builder() -> ModuleType:
    name = "trailwarden_fixture_build"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, FIXTURES / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module
