"""bench/bench_state.py runs end to end on tiny sizes and prints every figure it promises. Speed
is never asserted (a few thousand events on a shared machine mean nothing); what is pinned is that
the timing rows, the per-match cost and the memory rows are there, and that eviction shows up when
the keys outnumber the cap."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import REPO


def test_bench_state_prints_its_figures() -> None:
    """Five timing rows, the µs-per-match line and four peak-RSS rows, eviction counted in one."""
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "bench_state.py"), "--events", "2000", "--repeat", "1",
         "--keys", "3000", "--max-groups", "1000"],
        capture_output=True, text=True, timeout=300, cwd=REPO, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.count(" µs/event") == 5
    assert "µs per match" in out
    assert out.count(" MB  (") == 4
    assert "Evicted 2,000 group(s) past the cap of open groups per rule" in out
