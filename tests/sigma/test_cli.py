"""The commands on Sigma rules, through the real command line: validate, rules list/show, explain,
sigma convert, scan — and the README's "Running Sigma rules" examples, run as written."""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from engine.cli.main import cli
from tests.helpers import REPO, write_rules
from tests.sigma.reference import SAMPLES, SIGMA_RULES

pytestmark = pytest.mark.shared

BACKDOOR_KEYS = "0a5177f4-6ca9-44c2-aacf-d3f3d8b6e4d2"
STRATUS = SAMPLES / "stratus-red-team"


@pytest.fixture(autouse=True)
def _shared() -> None:
    if not SIGMA_RULES.is_dir() or not STRATUS.is_dir():
        pytest.skip(f"the shared Sigma rules or samples are absent ({SIGMA_RULES})")


@contextmanager
def _in(folder: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _readme_commands() -> list[list[str]]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Running Sigma rules", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    return [shlex.split(line)[1:] for line in block.splitlines() if line.startswith("trailwarden ")]


def test_the_readme_examples_run_as_written() -> None:
    commands = _readme_commands()
    assert [c[0] for c in commands] == ["validate", "scan", "explain", "rules", "sigma"]
    with _in(REPO):
        outputs = {c[0]: _run(*c) for c in commands}
    code, out, _ = outputs["validate"]
    assert code == 0 and "all valid" in out
    code, out, _ = outputs["scan"]
    titles = {json.loads(line)["rule_title"] for line in out.splitlines()}
    assert {
        "AWS IAM Backdoor Users Keys",
        "AWS VPC Flow Logs Deleted",
        "AWS Successful Console Login Without MFA",
    } <= titles
    code, out, _ = outputs["explain"]
    assert code == 0 and "MATCH: AWS IAM Backdoor Users Keys" in out
    code, out, _ = outputs["rules"]
    assert code == 0 and "sigma_like(userIdentity.arn" in out and "match:" in out
    code, out, _ = outputs["sigma"]
    assert code == 0 and yaml.safe_load(out.split("\n", 1)[1])["id"] == BACKDOOR_KEYS


def test_validate_reports_every_rule_that_cannot_run_at_its_line_and_exits_2() -> None:
    code, _, err = _run("validate", "--no-bundled", str(SIGMA_RULES))
    assert code == 2
    problems = [line for line in err.splitlines() if ": error: " in line]
    assert len(problems) == 2  # `| near`, and a placeholder without its list
    assert all(re.search(r"\.yml:\d+:\d+: error: ", line) for line in problems)
    assert "64 rule(s) valid" in err
    assert err.count("the deprecated aggregation runs as a threshold") == 6


def test_rules_list_and_show_as_written(tmp_path: Path) -> None:
    code, out, _ = _run("rules", "list", "--no-bundled", "--rules", str(SIGMA_RULES / "rules"))
    assert code == 0 and BACKDOOR_KEYS in out and "57 rule(s)" in out
    code, out, _ = _run("rules", "show", BACKDOOR_KEYS, "--no-bundled", "--rules", str(SIGMA_RULES / "rules"))
    assert code == 0 and "# a Sigma rule, as written" in out
    assert "userIdentity.arn|contains" in out and "logsource" in out


def test_sigma_convert_writes_rules_that_validate(tmp_path: Path) -> None:
    target = tmp_path / "converted.yml"
    code, _, err = _run("sigma", "convert", str(SIGMA_RULES / "rules"), "-o", str(target))
    assert code == 0 and "57 Sigma document(s) converted" in err
    code, out, err = _run("validate", "--no-bundled", str(target))
    assert code == 0, err
    assert "57 rule(s)" in out


def test_sigma_convert_of_a_broken_rule_exits_2_with_its_line(tmp_path: Path) -> None:
    bad = write_rules(
        tmp_path,
        "bad.yml",
        """
        title: Bad
        id: 4d4d4d4d-0000-4000-8000-000000000001
        logsource: {product: aws, service: cloudtrail}
        detection:
          sel:
            eventName|nosuch: X
          condition: sel
        """,
    )
    code, _, err = _run("sigma", "convert", str(bad))
    assert code == 2 and f"{bad}:6:" in err and "nosuch" in err


def test_scan_refuses_an_invalid_sigma_rule_unless_told_to_skip_it(tmp_path: Path) -> None:
    sample = str(STRATUS / "aws.persistence.iam-backdoor-user.json")
    code, _, err = _run("scan", "--no-bundled", "--rules", str(SIGMA_RULES), sample)
    assert code == 2 and "nothing was scanned" in err
    code, out, _ = _run("scan", "--no-bundled", "--skip-invalid-rules", "--rules", str(SIGMA_RULES), sample)
    assert code == 3
    assert BACKDOOR_KEYS in {json.loads(line)["rule_id"] for line in out.splitlines()}


@pytest.mark.parametrize("fmt", ["native", "ocsf", "ecs", "asff", "cef", "hec"])
def test_every_format_carries_a_sigma_finding(fmt: str) -> None:
    sample = str(STRATUS / "aws.persistence.iam-backdoor-user.json")
    code, out, err = _run(
        "scan", "--no-bundled", "--rules", str(SIGMA_RULES / "rules"), "--format", fmt, sample
    )
    assert code == 0, err
    assert BACKDOOR_KEYS in out
    if fmt == "ocsf":
        findings = [json.loads(line) for line in out.splitlines()]
        analytics = {
            f["finding_info"]["analytic"]["uid"]: f["finding_info"]["analytic"]["name"] for f in findings
        }
        assert analytics[BACKDOOR_KEYS] == "AWS IAM Backdoor Users Keys"
