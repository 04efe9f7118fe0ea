"""Security Hub's own answer decides: a BatchImportFindings endpoint on 127.0.0.1 names findings in
`FailedFindings` (throttled: retried; invalid: rejected) or under-reports `SuccessCount`, and every
finding made ends delivered, spooled or rejected."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from engine.sinks import Dispatcher, SinkOptions, open_sink
from engine.statefile.db import StateDB
from engine.statefile.spool import PENDING, REJECTED, Spool
from tests.sinks.conftest import FakeClock, fast_policy, findings
from tests.sinks.servers import HttpServer, Reply, reply

REGION = "eu-west-1"
ACCOUNT = "123456789012"


class SecurityHubEndpoint(HttpServer):
    """`POST /findings/import`: fails the ASFF Ids whose finding id is in `throttle` once, those in
    `invalid` always; `short` answers under-report SuccessCount that many times."""

    def __init__(
        self, *, throttle: set[str] | None = None, invalid: set[str] | None = None, short: int = 0
    ) -> None:
        super().__init__()
        self.throttle = set(throttle or ())
        self.invalid = set(invalid or ())
        self.short = short
        self.imported: Counter[str] = Counter()

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> Reply:
        if path != "/findings/import":
            return reply(404, {"message": "no such operation"})
        failed: list[dict[str, Any]] = []
        ok = 0
        for record in json.loads(body)["Findings"]:
            asff_id = record["Id"]
            fid = next((f for f in (*self.throttle, *self.invalid) if f in asff_id), None)
            if fid in self.invalid:
                failed.append(
                    {"Id": asff_id, "ErrorCode": "InvalidInput", "ErrorMessage": "Invalid Severity"}
                )
            elif fid in self.throttle:
                self.throttle.discard(fid)
                failed.append(
                    {"Id": asff_id, "ErrorCode": "ThrottlingException", "ErrorMessage": "Rate exceeded"}
                )
            else:
                self.imported[asff_id] += 1
                ok += 1
        if self.short > 0:
            self.short -= 1
            ok -= 1
        return reply(200, {"FailedCount": len(failed), "SuccessCount": ok, "FailedFindings": failed})


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_SECURITYHUB", raising=False)


def settle(
    endpoint: SecurityHubEndpoint, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{endpoint.port}")
    endpoint.start()
    try:
        sink = open_sink(
            f"securityhub://{REGION}?account={ACCOUNT}", options=SinkOptions(retry=fast_policy(clock))
        )
        with StateDB(tmp_path / "state.db") as db:
            dispatcher = Dispatcher([sink], Spool(db))
            for finding in findings(10):
                dispatcher.submit(finding)
            report = dispatcher.close().sinks[0]
            spool = Spool(db)
            pending, rejected = spool.ids(sink.url, status=PENDING), spool.ids(sink.url, status=REJECTED)
    finally:
        endpoint.stop()
    assert report.delivered + report.spooled + report.rejected == 10
    assert len(pending) == report.spooled and len(rejected) == report.rejected
    return {"report": report, "rejected": rejected, "pending": pending}


def test_failed_findings_are_retried_when_throttled_and_rejected_when_invalid(
    clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [f["finding_id"] for f in findings(10)]
    endpoint = SecurityHubEndpoint(throttle={ids[0], ids[4]}, invalid={ids[6]})
    result = settle(endpoint, clock, tmp_path, monkeypatch)
    assert result["report"].delivered == 9 and result["rejected"] == {ids[6]}
    assert result["report"].stats["retried"] == 2
    assert len(endpoint.imported) == 9 and set(endpoint.imported.values()) == {1}


def test_a_success_count_short_of_the_batch_sends_the_unnamed_findings_again(
    clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = SecurityHubEndpoint(short=1)
    result = settle(endpoint, clock, tmp_path, monkeypatch)
    assert result["report"].delivered == 10 and result["report"].stats["retried"] == 10
    assert set(endpoint.imported.values()) == {2}  # each re-import upserts the same ASFF Id
