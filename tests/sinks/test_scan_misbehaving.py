"""`scan` through the real command with a misbehaving destination: a 200 HTML page in front of HEC
delivers nothing (the findings wait in the spool, exit 3), and a webhook that takes a batch then
resets the connection gets it again, which the summary line counts."""

from __future__ import annotations

import json
from pathlib import Path

from engine.statefile.db import StateDB
from engine.statefile.spool import Spool
from tests.cli.conftest import export, run  # noqa: F401 - export is a fixture used below
from tests.sinks.conftest import TOKEN
from tests.sinks.misbehaving import Misbehaving
from tests.sinks.servers import HecServer, WebhookReceiver

RETRY = "    retry: {attempts: 2, base_delay: 0.01, max_delay: 0.02, max_elapsed: 1}\n"


def scan(folder: Path, tmp_path: Path, url: str) -> tuple[int, str, list[str]]:
    config = tmp_path / "sinks.yml"
    config.write_text(f"sinks:\n  - url: {url}\n{RETRY}")
    out = tmp_path / "out.jsonl"
    args = ["scan", "--no-bundled", "--rules", str(folder / "rules"), "--sinks-config", str(config)]
    args += ["--state", str(tmp_path / "state.db"), "-o", str(out), str(folder / "AWSLogs")]
    result = run(*args, env={"TRAILWARDEN_HEC_TOKEN": TOKEN})
    made = [json.loads(line)["finding_id"] for line in out.read_text().splitlines()]
    return result.returncode, result.stderr.decode(), made


def test_a_proxys_html_200_in_front_of_hec_delivers_nothing_and_the_findings_wait(
    export: Path,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    hec = HecServer(TOKEN)
    server = Misbehaving(hec, then="html").start()
    url = f"splunk+http://127.0.0.1:{server.port}"
    try:
        code, stderr, made = scan(export, tmp_path, url)
    finally:
        server.stop()
    assert code == 3, stderr
    assert len(made) == 2 and not hec.received
    assert f"{url}: 0 delivered, 2 spooled" in stderr
    with StateDB(tmp_path / "state.db") as db:
        assert Spool(db).ids(url) == set(made)


def test_a_webhook_that_resets_after_taking_a_batch_gets_it_again_and_the_summary_counts_it(
    export: Path,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    receiver = WebhookReceiver()
    server = Misbehaving(receiver, ["reset"]).start()
    url = f"webhook+http://127.0.0.1:{server.port}/in"
    try:
        code, stderr, made = scan(export, tmp_path, url)
    finally:
        server.stop()
    assert code == 0, stderr
    assert receiver.received == dict.fromkeys(made, 2)  # at least once: taken twice
    assert f"{url}: 2 delivered, 2 re-sent after no answer" in stderr
