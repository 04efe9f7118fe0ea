"""stdout and file sinks: one line per finding in the chosen format, appended, flushed per batch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.sinks import SinkOptions, open_sink
from tests.sinks.conftest import findings


def test_file_sink_appends_json_lines_across_runs(tmp_path: Path) -> None:
    target = tmp_path / "out" / "findings.jsonl"
    for start in (0, 3):
        sink = open_sink(str(target))
        result = sink.send(findings(3, start=start))
        sink.close()
        assert len(result.delivered) == 3
    lines = target.read_text().splitlines()
    assert [json.loads(line)["finding_id"] for line in lines] == [f["finding_id"] for f in findings(6)]


def test_a_batch_is_readable_by_a_tailing_reader_before_close(tmp_path: Path) -> None:
    target = tmp_path / "findings.jsonl"
    sink = open_sink(target.as_uri())
    sink.send(findings(2))
    assert len(target.read_text().splitlines()) == 2  # flushed, not held in a buffer
    sink.close()


def test_file_sink_writes_the_chosen_format(tmp_path: Path) -> None:
    target = tmp_path / "ocsf.jsonl"
    sink = open_sink(str(target), options=SinkOptions(format="ocsf"))
    sink.send(findings(1))
    sink.close()
    record = json.loads(target.read_text())
    assert record["class_uid"] == 2004 and record["finding_info"]["uid"] == findings(1)[0]["finding_id"]


def test_a_finding_the_format_cannot_write_is_rejected_and_the_rest_written(tmp_path: Path) -> None:
    target = tmp_path / "findings.jsonl"
    batch = findings(3)
    batch[1].update(account_id=None, region=None)  # ASFF cannot place a finding without them
    batch[1]["actor"]["account_id"] = None
    sink = open_sink(str(target), options=SinkOptions(format="asff"))
    result = sink.send(batch)
    sink.close()
    assert set(result.delivered) == {batch[0]["finding_id"], batch[2]["finding_id"]}
    assert "cannot write it as asff" in result.rejected[batch[1]["finding_id"]]
    assert "no account id" in result.rejected[batch[1]["finding_id"]]
    assert len(target.read_text().splitlines()) == 2


def test_stdout_sink_writes_lines_to_stdout(capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    sink = open_sink("-")
    sink.send(findings(2))
    sink.close()
    out = capfdbinary.readouterr().out.splitlines()
    assert [json.loads(line)["finding_id"] for line in out] == [f["finding_id"] for f in findings(2)]


def test_an_unwritable_target_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    from engine.errors import UsageError

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    with pytest.raises(UsageError, match="not-a-dir"):
        open_sink(str(blocker / "findings.jsonl"))
