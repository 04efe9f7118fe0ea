"""The driver's planning, no Spark needed: partitions of even compressed size, and rule plans
that reproduce the driver's rule set in a worker, compiled once per process."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from engine.detection.build import load_ruleset
from engine.detection.stateful.members import with_members
from engine.spark.inputs import InputFile
from engine.spark.partitions import TARGET_BYTES, default_count, plan_partitions
from engine.spark.rules import compile_count, compiled_rules, plan_rules
from tests.detection.stateful.support import PACK
from tests.helpers import write_rules


def _files(sizes: list[int]) -> list[InputFile]:
    return [InputFile(f"f{i:03d}", f"/data/f{i:03d}", size, i) for i, size in enumerate(sizes)]


def test_partitions_are_even_by_size_keep_listing_order_and_lose_nothing() -> None:
    """Random file sizes: every file in exactly one partition, in listing order, and the heaviest
    partition within 4/3 of the ideal (or of the biggest file)."""
    rng = random.Random(5)
    files = _files([int(rng.paretovariate(1.2) * 1000) for _ in range(500)])
    for count in (1, 2, 7, 32):
        groups = plan_partitions(files, count)
        assert len(groups) == count
        assert sorted(f.name for g in groups for f in g) == [f.name for f in files]
        assert all([f.position for f in g] == sorted(f.position for f in g) for g in groups)
        loads = [sum(f.size for f in g) for g in groups]
        ideal = max(sum(loads) / count, max(f.size for f in files))
        assert max(loads) <= ideal * 4 / 3


def test_no_empty_partition_and_defaults_follow_cores_and_size() -> None:
    """More partitions than files gives one file each; the default is two per core, more for big input."""
    assert [len(g) for g in plan_partitions(_files([5, 1, 3]), 10)] == [1, 1, 1]
    assert plan_partitions([], 4) == []
    with pytest.raises(ValueError):
        plan_partitions(_files([1]), 0)
    assert default_count(_files([10] * 100), parallelism=2) == 4
    assert default_count(_files([TARGET_BYTES] * 100), parallelism=2) == 100
    assert default_count(_files([10] * 3), parallelism=8) == 3


def test_a_rule_plan_gives_the_drivers_rules_and_is_compiled_once(tmp_path: Path) -> None:
    """Shipped as text (bundled packs and user rules), a plan compiles to the same runnable rules
    the driver selected, feed-only correlation members included; a second call is a cache hit."""
    write_rules(tmp_path, "mine/pack.yml", PACK)
    select = ("backdoor", "denied-burst")
    driver = load_ruleset([tmp_path / "mine"], bundled=True)
    expected = with_members(driver.selected(select), driver.rules)
    plan = plan_rules((str(tmp_path / "mine"),), bundled=True, select=select)
    before = compile_count()
    rules = compiled_rules(plan)
    assert compile_count() == before + 1
    assert [(r.id, r.rule.generate, r.severity) for r in rules] == [
        (r.id, r.rule.generate, r.severity) for r in expected
    ]
    assert {r.id for r in rules} == {"backdoor", "denied-burst", "entry-created", "admin-granted"}
    assert compiled_rules(plan_rules((str(tmp_path / "mine"),), bundled=True, select=select)) is rules
    assert compile_count() == before + 1
    write_rules(tmp_path, "mine/pack.yml", PACK.replace("count: 5", "count: 6"))
    changed = plan_rules((str(tmp_path / "mine"),), bundled=True, select=select)
    assert changed.digest != plan.digest
