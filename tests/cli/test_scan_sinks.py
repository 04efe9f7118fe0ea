"""`scan` with a remote sink through the real command: a sink that is down loses nothing — the
findings wait in the --state spool, the run exits 3, and `trailwarden flush` delivers each once."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import run
from tests.sinks.servers import WebhookReceiver, free_port

SECRET = "whsec-3c0ffee-do-not-log"


def test_sink_down_then_flush_delivers_each_finding_once(export: Path, tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "sinks.yml"
    config.write_text(
        f"sinks:\n  - url: webhook+http://127.0.0.1:{port}/hook\n"
        "    retry: {attempts: 2, base_delay: 0.05, max_delay: 0.1, max_elapsed: 1}\n"
    )
    state = tmp_path / "state.db"
    env_secret = {"TRAILWARDEN_WEBHOOK_SECRET": SECRET}
    args = ["--log-level", "info", "scan", "--no-bundled", "--rules", str(export / "rules")]
    args += ["--sinks-config", str(config), "--state", str(state), "-o", str(tmp_path / "out.jsonl")]
    result = run(*args, str(export / "AWSLogs"), env=env_secret)
    assert result.returncode == 3, result.stderr.decode()
    written = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert len(written) == 2
    stderr = result.stderr.decode()
    assert "2 findings wait in the spool" in stderr
    assert SECRET not in stderr and SECRET not in result.stdout.decode()

    receiver = WebhookReceiver(secret=SECRET, port=port).start()
    try:
        flushed = run("flush", "--state", str(state), "--sinks-config", str(config), env=env_secret)
        assert flushed.returncode == 0, flushed.stderr.decode()
        assert receiver.bad_signatures == 0
        assert sorted(receiver.received) == sorted(f["finding_id"] for f in written)
        assert set(receiver.received.values()) == {1}
        again = run("flush", "--state", str(state), "--sinks-config", str(config), env=env_secret)
        assert again.returncode == 0
        assert set(receiver.received.values()) == {1}
    finally:
        receiver.stop()
