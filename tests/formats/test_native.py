"""Native: the finding as the engine builds it, checked against schemas/finding.schema.json."""

from __future__ import annotations

import json

import pytest

from engine.formats import FormatError, get_format
from tests.formats.findings import corpus

CORPUS = corpus()


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_line_is_the_finding(name: str) -> None:
    """One line of JSON that reads back as the very finding (lone surrogates escaped, big ints kept)."""
    finding = CORPUS[name]
    line = get_format("native", validate=True).to_line(finding)
    assert b"\n" not in line
    assert json.loads(line) == finding


def test_wrong_shape_is_reported_with_the_field() -> None:
    """A finding that breaks the schema is refused, naming the field and the finding."""
    broken = dict(CORPUS["eks-root-create-cluster"], severity="urgent")
    with pytest.raises(FormatError) as caught:
        get_format("native", validate=True).to_record(broken)
    assert "severity" in str(caught.value) and broken["finding_id"] in str(caught.value)


def test_validation_can_be_turned_off() -> None:
    """validate=False passes a finding through untouched (for trusted, hot paths)."""
    odd = {"finding_id": "x"}
    assert get_format("native", validate=False).to_record(odd) == odd
