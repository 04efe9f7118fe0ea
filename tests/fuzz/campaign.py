"""Settings shared by the fuzz properties: seeded (the same inputs on every run, so CI is
reproducible) and sized by TRAILWARDEN_FUZZ_EXAMPLES (a longer campaign raises it)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

from tests.fuzz.conftest import COUNTS

EXAMPLES = int(os.environ.get("TRAILWARDEN_FUZZ_EXAMPLES", "60"))


def campaign(weight: float = 1.0) -> settings:
    """Seeded settings for one property; `weight` scales the examples for cheap or costly ones."""
    return settings(
        max_examples=max(5, int(EXAMPLES * weight)),
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


def count(name: str, n: int = 1) -> None:
    COUNTS[name] += n
