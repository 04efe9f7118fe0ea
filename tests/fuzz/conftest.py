"""The fuzz campaign's bookkeeping: how many inputs each property tried, and what they found.

`TRAILWARDEN_FUZZ_EXAMPLES` sets the examples per property (the quick seeded run of CI by default);
`TRAILWARDEN_FUZZ_REPORT=path.json` writes the counts when the session ends (docs/reliability.md
quotes a long run's)."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

COUNTS: Counter[str] = Counter()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    target = os.environ.get("TRAILWARDEN_FUZZ_REPORT")
    if target and COUNTS:
        report = {
            "exit_status": int(exitstatus),
            "failed": session.testsfailed,
            "counts": dict(sorted(COUNTS.items())),
        }
        Path(target).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
