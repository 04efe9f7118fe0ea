"""A process killed with SIGKILL mid-run loses no finding it had reported as delivered or spooled."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from engine.statefile.db import StateDB
from engine.statefile.spool import Spool
from tests.helpers import REPO
from tests.sinks.servers import WebhookReceiver

CHILD = textwrap.dedent(
    """
    import sys
    import structlog
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))  # stdout is the report
    from engine.sinks import Dispatcher, RetryPolicy, SinkOptions, open_sink
    from engine.statefile.db import StateDB
    from engine.statefile.spool import Spool
    from tests.sinks.conftest import make_finding

    port, state = sys.argv[1], sys.argv[2]

    def announce(settled):
        lines = [f"delivered {fid}" for fid in settled.delivered]
        lines += [f"spooled {fid}" for fid in settled.spooled]
        sys.stdout.write("".join(line + "\\n" for line in lines))
        sys.stdout.flush()

    options = SinkOptions(batch_size=3, retry=RetryPolicy(attempts=1))
    sink = open_sink(f"webhook+http://127.0.0.1:{port}/in", options=options)
    dispatcher = Dispatcher([sink], Spool(StateDB(state)), on_settled=announce, probe_interval=0)
    for number in range(100_000):
        dispatcher.submit(make_finding(number))
    dispatcher.close()
    """
)


def test_sigkill_mid_run_loses_nothing_reported_delivered_or_spooled(tmp_path: Path) -> None:
    server = WebhookReceiver(delay=0.005).start()
    # 20 requests answered, 20 refused with 503, and so on: batches are delivered, then spooled
    # (one attempt each), then delivered again with the spool replayed.
    server.fail_when = lambda n: (n // 20) % 2 == 1
    state = tmp_path / "state.db"
    env = {**os.environ, "PYTHONPATH": str(REPO), "TRAILWARDEN_SPOOL": str(tmp_path / "unused.sqlite")}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(server.port), str(state)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    reported: list[tuple[str, str]] = []
    try:
        assert child.stdout is not None
        while len(reported) < 100:
            line = child.stdout.readline()
            assert line, f"the child ended early with {child.poll()}"
            kind, fid = line.split()
            reported.append((kind, fid))
        child.send_signal(signal.SIGKILL)
        rest = child.stdout.read()  # lines it wrote before dying are still in the pipe
        reported += [tuple(line.split()) for line in rest.splitlines() if line.count(" ") == 1]  # type: ignore[misc]
        assert child.wait() == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
        server.stop()

    delivered = {fid for kind, fid in reported if kind == "delivered"}
    spooled = {fid for kind, fid in reported if kind == "spooled"}
    assert delivered and spooled, "the run should have had both outcomes before the kill"
    assert delivered <= set(server.received)
    with StateDB(state) as db:  # opening the file after the kill recovers its committed WAL
        in_spool = Spool(db).ids(f"webhook+http://127.0.0.1:{server.port}/in")
    # A spooled finding is still in the spool, or was replayed to the receiver after it came back.
    assert spooled <= in_spool | set(server.received)
