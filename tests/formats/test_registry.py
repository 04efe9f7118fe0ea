"""The format registry, and a meta-test over every registered format (cloud-custodian's habit)."""

from __future__ import annotations

import json

import pytest

from engine.errors import UsageError
from engine.formats import Format, format_names, get_format
from tests.formats.findings import corpus

CORPUS = corpus()
# Options that let every format render every finding (ASFF needs an account and region to fall back on).
OPTIONS = {"asff": {"account_id": "999988887777", "region": "eu-west-1"}}


def test_builtin_formats_are_registered() -> None:
    """The six formats the design names, and Sentinel's rows, are all there, by name."""
    assert format_names() == ["asff", "cef", "ecs", "hec", "native", "ocsf", "sentinel"]


def test_unknown_format_lists_the_known_ones() -> None:
    """`--format xml` is a usage error that says which names exist."""
    with pytest.raises(UsageError) as caught:
        get_format("xml")
    assert "xml" in str(caught.value)
    for name in format_names():
        assert name in str(caught.value)


def test_unknown_option_says_what_the_format_takes() -> None:
    """An option a format does not have is a usage error listing the options it has."""
    with pytest.raises(UsageError) as caught:
        get_format("hec", colour="blue")
    assert "colour" in str(caught.value) and "sourcetype" in str(caught.value)


@pytest.mark.parametrize("format_name", format_names())
def test_every_format_renders_every_finding(format_name: str) -> None:
    """Each registered format turns each test finding into one non-empty line of valid UTF-8
    without a line break (JSON formats: a JSON object with the record's fields)."""
    fmt = get_format(format_name, **OPTIONS.get(format_name, {}))
    assert isinstance(fmt, Format) and fmt.name == format_name
    for name, finding in CORPUS.items():
        line = fmt.to_line(finding)
        assert isinstance(line, bytes) and line, name
        assert b"\n" not in line and b"\r" not in line, name
        text = line.decode("utf-8")
        record = fmt.to_record(finding)
        if isinstance(record, str):
            assert text == record, name
        else:
            assert set(json.loads(text)) == set(record), name
