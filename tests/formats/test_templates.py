"""`trailwarden template elastic|splunk|sentinel`: what each prints is what the formats write —
the index template maps the ECS fields, the Splunk add-on fills every CIM Alerts field and tags
the events `alert`, the Sentinel stream declares every column a row can have, with its type."""

from __future__ import annotations

import configparser
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from engine.cli.main import cli
from engine.formats import dump_json, get_format
from engine.formats.cim import MAPPING
from engine.formats.ecs_template import ilm_policy, index_template
from engine.formats.sentinel import COLUMNS, STREAM, TABLE
from tests.formats.findings import corpus

CORPUS = corpus()
# Column types Log Analytics tables and DCR stream declarations accept.
LOG_ANALYTICS_TYPES = {"string", "int", "long", "real", "boolean", "datetime", "dynamic", "guid"}


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, ["template", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_elastic_prints_the_index_template_and_the_ilm_policy() -> None:
    assert json.loads(run("elastic")) == index_template()
    assert json.loads(run("elastic", "--ilm")) == ilm_policy()
    custom = json.loads(run("elastic", "--index-pattern", "findings-*", "--no-ilm-setting"))
    assert custom["index_patterns"] == ["findings-*"]
    assert "lifecycle" not in custom["template"]["settings"]["index"]


def _conf(text: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=True, comment_prefixes=("#",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # Splunk keys are case-sensitive
    parser.read_string(text)
    return parser


def test_splunk_add_on_extracts_json_times_and_every_cim_field(tmp_path: Path) -> None:
    """The add-on's files parse as .conf files; props.conf extracts JSON, finds the time after
    `event_time`, and has an EVAL for each CIM Alerts field; the eventtype names the sourcetype
    and tags.conf gives it the `alert` tag the Alerts data model selects by."""
    CliRunner().invoke(cli, ["template", "splunk", "--app-dir", str(tmp_path / "TA-trailwarden")])
    default = tmp_path / "TA-trailwarden" / "default"
    assert sorted(p.name for p in default.iterdir()) == [
        "app.conf",
        "eventtypes.conf",
        "props.conf",
        "tags.conf",
        "transforms.conf",
    ]
    props = _conf((default / "props.conf").read_text())["trailwarden:finding"]
    assert props["KV_MODE"] == "json" and props["SHOULD_LINEMERGE"] == "false"
    line = get_format("native").to_line(CORPUS["eks-root-create-cluster"]).decode()
    prefix = re.search(props["TIME_PREFIX"], line)
    assert prefix is not None
    stamp = line[prefix.end() : prefix.end() + int(props["MAX_TIMESTAMP_LOOKAHEAD"])].split('"')[0]
    # Splunk reads as much as the format covers and leaves the rest (the `Z`: TZ = UTC says it).
    assert stamp.endswith("Z") and props["TZ"] == "UTC"
    assert datetime.strptime(stamp[:-1], props["TIME_FORMAT"]) == datetime(2026, 11, 20, 10, 5)
    for field, _ in MAPPING:
        assert f"EVAL-{field}" in props, field
    eventtype = _conf((default / "eventtypes.conf").read_text())["trailwarden_alert"]
    assert eventtype["search"] == 'sourcetype="trailwarden:finding"'
    assert _conf((default / "tags.conf").read_text())["eventtype=trailwarden_alert"]["alert"] == "enabled"
    transform = _conf((default / "transforms.conf").read_text())["trailwarden_technique"]
    assert re.findall(transform["REGEX"], line) == ["t1078.004"]
    assert "### default/props.conf" in run("splunk")


def test_sentinel_stream_table_and_rule_declare_the_rows_columns() -> None:
    stream = json.loads(run("sentinel"))["streamDeclarations"][STREAM]["columns"]
    assert [(c["name"], c["type"]) for c in stream] == [(n, t) for n, t, _ in COLUMNS]
    assert {c["type"] for c in stream} <= LOG_ANALYTICS_TYPES
    table = json.loads(run("sentinel", "--part", "table"))["properties"]["schema"]
    assert table["name"] == TABLE and [c["name"] for c in table["columns"]] == [n for n, _, _ in COLUMNS]
    rule = json.loads(run("sentinel", "--part", "dcr"))["properties"]
    assert rule["dataFlows"][0]["outputStream"] == STREAM and STREAM in rule["streamDeclarations"]


def _fits(kind: str, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "long":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "datetime":
        return isinstance(value, str) and datetime.fromisoformat(value).tzinfo is not None
    if kind == "dynamic":
        return isinstance(value, dict | list)
    raise AssertionError(kind)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_sentinel_row_fits_the_declared_columns(name: str) -> None:
    """Each row has TimeGenerated and only declared columns, each value of its column's type;
    a row is one JSON object, as the Logs Ingestion API takes them."""
    types = {column: kind for column, kind, _ in COLUMNS}
    row = get_format("sentinel").to_record(CORPUS[name])
    assert "TimeGenerated" in row and row["FindingId"] == CORPUS[name]["finding_id"]
    for column, value in row.items():
        assert column in types, column
        assert _fits(types[column], value), (column, value)
    assert isinstance(json.loads(dump_json(row)), dict)


README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_tables_are_the_mappings() -> None:
    """The README's CIM and Sentinel tables say what the code does, row by row."""
    readme = README.read_text(encoding="utf-8")
    for field, source in MAPPING:
        assert f"| `{field}` | {source} |" in readme, field
    for name, kind, about in COLUMNS:
        assert f"| `{name}` | {kind} | {about} |" in readme, name
    assert "| `sentinel` |" in readme and "| `sentinel+https://" in readme
