"""`trailwarden flush` through the real command: it exits 3 while findings still wait in the spool,
pending or rejected, and 0 only once the spool holds nothing for the sinks it flushed."""

from __future__ import annotations

from pathlib import Path

from engine.statefile.db import StateDB
from engine.statefile.spool import PENDING, REJECTED, Spool
from tests.cli.conftest import run
from tests.sinks.conftest import findings
from tests.sinks.servers import WebhookReceiver, free_port


def spool_findings(state: Path, url: str, count: int, status: str) -> set[str]:
    batch = findings(count)
    with StateDB(state) as db:
        Spool(db).add(
            url, batch, reasons=dict.fromkeys((f["finding_id"] for f in batch), "HTTP 401"), status=status
        )
    return {f["finding_id"] for f in batch}


def waiting(state: Path, url: str) -> tuple[int, int]:
    with StateDB(state) as db:
        spool = Spool(db)
        return spool.count(url, status=PENDING), spool.count(url, status=REJECTED)


def test_flush_exits_3_while_rejected_findings_wait_and_0_once_they_are_sent(tmp_path: Path) -> None:
    receiver = WebhookReceiver().start()
    url = f"webhook+http://127.0.0.1:{receiver.port}/in"
    state = tmp_path / "state.db"
    ids = spool_findings(state, url, 3, REJECTED)
    try:
        kept = run("flush", "--state", str(state))
        stderr = kept.stderr.decode()
        assert kept.returncode == 3, stderr
        assert "3 findings wait in the spool" in stderr and "--include-rejected" in stderr
        assert not receiver.received and waiting(state, url) == (0, 3)

        sent = run("flush", "--state", str(state), "--include-rejected")
        assert sent.returncode == 0, sent.stderr.decode()
        assert receiver.received == dict.fromkeys(ids, 1) and waiting(state, url) == (0, 0)

        again = run("flush", "--state", str(state))
        assert again.returncode == 0 and "nothing to flush" in again.stderr.decode()
    finally:
        receiver.stop()


def test_flush_exits_3_when_the_sink_is_still_down_and_keeps_the_findings(tmp_path: Path) -> None:
    url = f"webhook+http://127.0.0.1:{free_port()}/in"  # nothing listens there
    state = tmp_path / "state.db"
    spool_findings(state, url, 2, PENDING)
    config = tmp_path / "sinks.yml"
    config.write_text(f"sinks:\n  - url: {url}\n    retry: {{attempts: 1}}\n")
    result = run("flush", "--state", str(state), "--sinks-config", str(config))
    assert result.returncode == 3, result.stderr.decode()
    assert "2 findings wait in the spool" in result.stderr.decode()
    assert waiting(state, url) == (2, 0)
