"""Determinism: the same events, shuffled within the lateness and split across many files (plain
and gzipped), give exactly the findings the in-order stream gives — through sources, decoding and
the real Scanner."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from tests.detection.stateful.support import (
    ALICE,
    by_rule,
    call,
    comparable,
    denied,
    load,
    runnable,
    scan_paths,
    write_trail_file,
)

LATENESS = 900
STATEFUL_RULES = (
    "denied-burst",
    "describe-noise",
    "backdoor",
    "many-clusters-deleted",
    "deletions",
    "create-and-delete",
)


def _principal(n: int) -> str:
    return f"arn:aws:sts::111122223333:assumed-role/ops/user{n}"


def scenario(seed: int) -> list[dict[str, Any]]:
    """About two hours of EKS traffic with bursts, repeats and attack sequences, in time order."""
    rng = random.Random(seed)
    records: list[dict[str, Any]] = []
    for p in range(8):  # denied bursts: some dense enough to cross the threshold, some not
        start, size, gap = rng.randrange(0, 6000), rng.choice([3, 5, 6, 9, 14]), rng.choice([7, 20, 45, 90])
        records += [denied(start + k * gap, _principal(p)) for k in range(size)]
    for p in range(3):  # the noisy rule: repeats every few minutes for two hours
        for cluster in ("prod", "dev"):
            t = rng.randrange(0, 300)
            while t < 7200:
                records.append(call("DescribeCluster", t, _principal(p), requestParameters={"name": cluster}))
                t += rng.randrange(60, 600)
    for p in range(6):  # access entries, some followed by an admin grant in time, some too late
        t = rng.randrange(0, 6600)
        cluster = {"clusterName": f"c{p}", "principalArn": f"arn:aws:iam::111122223333:role/x{p}"}
        records.append(call("CreateAccessEntry", t, _principal(p), requestParameters=cluster))
        grant = dict(cluster, policyArn="arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy")
        records.append(
            call(
                "AssociateAccessPolicy",
                t + rng.choice([0, 30, 400, 900]),
                _principal(p),
                requestParameters=grant,
            )
        )
    for p in range(4):  # cluster deletions: spread in names and in time
        t = rng.randrange(0, 6000)
        for k in range(5 if p == 0 else rng.choice([2, 3, 5])):
            records.append(
                call(
                    "DeleteCluster",
                    t + k * rng.choice([60, 400]),
                    _principal(p),
                    requestParameters={"name": f"cl{k % 4}"},
                )
            )
    records += [call("ListClusters", t, ALICE, requestParameters={}) for t in range(0, 7200, 20)]
    return sorted(records, key=lambda r: (r["eventTime"], r["eventID"]))


def shuffled_within(records: list[dict[str, Any]], seed: int, lateness: int) -> list[dict[str, Any]]:
    """Delay each record by less than `lateness`: none then trails a newer one by more than that."""
    rng = random.Random(seed)
    keyed = [(_seconds(r) + rng.uniform(0, lateness - 1), i, r) for i, r in enumerate(records)]
    return [r for _, _, r in sorted(keyed)]


def _seconds(record: dict[str, Any]) -> float:
    hh, mm, ss = record["eventTime"][11:19].split(":")
    return (int(hh) - 10) * 3600 + int(mm) * 60 + int(ss)


def split_into_files(folder: Path, records: list[dict[str, Any]], seed: int) -> None:
    """Consecutive slices of random sizes, named so the folder walk reads them in this order."""
    rng = random.Random(seed)
    i = n = 0
    while i < len(records):
        size = rng.randrange(1, 40)
        write_trail_file(folder / f"part-{n:04d}.json.gz", records[i : i + size], gzipped=bool(n % 2))
        i += size
        n += 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_shuffled_and_split_input_gives_the_in_order_findings(tmp_path: Path, seed: int) -> None:
    """Any arrival order within the lateness, in any number of files, gives identical findings."""
    rules = runnable(load(tmp_path))
    records = scenario(seed)
    write_trail_file(tmp_path / "in-order" / "all.json", records)
    expected = scan_paths(rules, [tmp_path / "in-order"], lateness=LATENESS)
    delivered = shuffled_within(records, seed + 100, LATENESS)
    assert delivered != records
    split_into_files(tmp_path / "shuffled", delivered, seed)
    got = scan_paths(rules, [tmp_path / "shuffled"], lateness=LATENESS)
    assert len(list((tmp_path / "shuffled").iterdir())) > 20
    assert comparable(got) == comparable(expected)
    for rule_id in STATEFUL_RULES:  # the comparison covers every kind of window
        assert by_rule(expected, rule_id), f"the scenario made no {rule_id} finding"


def test_reversed_input_with_unbounded_lateness_gives_the_in_order_findings(tmp_path: Path) -> None:
    """With lateness at least the span of the data, even fully reversed input changes nothing."""
    rules = runnable(load(tmp_path))
    records = scenario(7)
    write_trail_file(tmp_path / "a" / "all.json", records)
    write_trail_file(tmp_path / "b" / "all.json", list(reversed(records)))
    expected = scan_paths(rules, [tmp_path / "a"], lateness=86400)
    assert comparable(scan_paths(rules, [tmp_path / "b"], lateness=86400)) == comparable(expected)
