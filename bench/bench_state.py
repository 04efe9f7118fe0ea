"""What stateful detection costs: time per event, and memory when a million group keys go by.

Run:  .venv/bin/python bench/bench_state.py [--events 200000] [--repeat 3] [--keys 1000000]

Time. The same generated events (CloudTrail-shaped, ten services, 5 % refused calls, times rising
with up to two minutes of disorder) go through the real `Scanner.scan_record` — index, conditions,
findings — with three rule sets: the bundled stateless rules alone (the baseline); the same plus
stateful rules that match nothing (the price of following event time, paid by every event once a
stateful rule is loaded); and the same plus stateful rules that match (a threshold on refused
calls, a dedup on every EKS call, a temporal_ordered correlation). Findings go to a no-op emit.
Printed: µs per event for each, the difference to the baseline, and µs per stateful match.

Memory. In a fresh process each, a threshold grouped by principal sees `--keys` events of
distinct principals inside one window (so no group can expire): once with the default cap of
100,000 open groups per rule (the cap evicts), once with the cap above the number of keys (the
state grows with them). Printed: peak RSS of each, and of the same process scanning without
stateful rules.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import run
from engine.config import ScanConfig
from engine.detection.build import load_ruleset
from engine.detection.compiled_rule import CompiledRule
from engine.detection.stateful.members import with_members
from engine.detection.stateful.settings import DEFAULT_LATENESS, DEFAULT_MAX_GROUPS
from engine.log import configure_logging
from engine.types import Origin, Record

START = datetime(2026, 11, 20, tzinfo=UTC)
SERVICES = (
    (
        "eks.amazonaws.com",
        (
            "DescribeCluster",
            "ListClusters",
            "ListNodegroups",
            "CreateAccessEntry",
            "AssociateAccessPolicy",
            "DescribeNodegroup",
        ),
    ),
    ("s3.amazonaws.com", ("GetObject", "PutObject", "ListBuckets", "GetBucketPolicy")),
    ("ec2.amazonaws.com", ("DescribeInstances", "RunInstances", "DescribeSecurityGroups")),
    ("iam.amazonaws.com", ("GetRole", "ListRoles", "GetPolicy")),
    ("sts.amazonaws.com", ("AssumeRole", "GetCallerIdentity")),
    ("kms.amazonaws.com", ("Decrypt", "GenerateDataKey")),
    ("lambda.amazonaws.com", ("Invoke", "ListFunctions")),
    ("logs.amazonaws.com", ("PutLogEvents", "DescribeLogGroups")),
    ("dynamodb.amazonaws.com", ("GetItem", "Query")),
    ("cloudtrail.amazonaws.com", ("LookupEvents", "DescribeTrails")),
)

IDLE_RULES = """
id: bench-idle-threshold
title: never matches
description: A stateful rule pinned to an event name no trail has.
severity: low
match: {eventSource: eks.amazonaws.com, eventName: NoSuchCall}
condition: "!errorCode"
threshold: {count: 5, window: 5m, group_by: [userIdentity.arn]}
"""

BUSY_RULES = """
id: bench-denied-burst
title: refused calls
description: Threshold on refused calls per principal.
severity: low
condition: "errorCode == 'AccessDenied'"
threshold: {count: 20, window: 5m, group_by: [userIdentity.arn]}
---
id: bench-eks-dedup
title: every EKS call
description: Dedup of every EKS call per principal and call.
severity: info
match: {eventSource: eks.amazonaws.com}
condition: "eventType == 'AwsApiCall'"
dedup: {key: [userIdentity.arn, eventName], window: 1h}
---
id: bench-entry
title: access entry
description: member.
severity: low
generate: false
match: {eventSource: eks.amazonaws.com, eventName: CreateAccessEntry}
condition: "!errorCode"
---
id: bench-grant
title: access policy
description: member.
severity: low
generate: false
match: {eventSource: eks.amazonaws.com, eventName: AssociateAccessPolicy}
condition: "!errorCode"
---
kind: correlation
id: bench-backdoor
title: entry then grant
description: ordered pair per principal.
severity: high
type: temporal_ordered
rules: [bench-entry, bench-grant]
group-by: [userIdentity.arn]
timespan: 10m
"""

# The same conditions without state: what evaluating them costs, so the difference is the state's.
TWIN_RULES = """
id: bench-denied-plain
title: refused calls
description: twin of bench-denied-burst.
severity: low
generate: GENERATE
condition: "errorCode == 'AccessDenied'"
---
id: bench-eks-plain
title: every EKS call
description: twin of bench-eks-dedup.
severity: info
generate: GENERATE
match: {eventSource: eks.amazonaws.com}
condition: "eventType == 'AwsApiCall'"
---
id: bench-entry
title: access entry
description: member.
severity: low
generate: false
match: {eventSource: eks.amazonaws.com, eventName: CreateAccessEntry}
condition: "!errorCode"
---
id: bench-grant
title: access policy
description: member.
severity: low
generate: false
match: {eventSource: eks.amazonaws.com, eventName: AssociateAccessPolicy}
condition: "!errorCode"
"""

RSS_RULE = """
id: bench-per-principal
title: per principal
description: Threshold grouped by principal; every event is another principal.
severity: low
condition: "!errorCode"
threshold: {count: 3, window: 1h, group_by: [userIdentity.arn]}
"""


# Windows as a stream's: a lateness bound, so the watermark moves (what the figures are about).
BENCH_CONFIG = ScanConfig(evidence=False, lateness=DEFAULT_LATENESS)


def make_event(i: int, rng: random.Random, principals: int) -> dict[str, Any]:
    source, names = SERVICES[rng.randrange(len(SERVICES))]
    user = f"user{rng.randrange(principals)}"
    moment = START + timedelta(seconds=i * 0.05 - rng.uniform(0, 120))
    record: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "principalId": f"AROAEXAMPLE:{user}",
            "arn": f"arn:aws:sts::111122223333:assumed-role/ops/{user}",
            "accountId": "111122223333",
            "sessionContext": {
                "sessionIssuer": {"type": "Role", "userName": "ops"},
                "attributes": {"mfaAuthenticated": "false"},
            },
        },
        "eventTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": source,
        "eventName": names[rng.randrange(len(names))],
        "awsRegion": "eu-west-1",
        "sourceIPAddress": "10.1.2.3",
        "userAgent": "aws-cli/2.15.0",
        "requestParameters": {"name": f"cluster{rng.randrange(5)}"},
        "responseElements": None,
        "eventID": f"00000000-0000-4000-8000-{i:012d}",
        "readOnly": True,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": "111122223333",
    }
    if rng.random() < 0.05:
        record["errorCode"] = "AccessDenied"
    return record


def rules_from(text: str, folder: Path, bundled: bool) -> list[CompiledRule]:
    path = folder / "rules.yml"
    path.write_text(textwrap.dedent(text).lstrip())
    ruleset = load_ruleset([path] if text else [], bundled=bundled)
    if ruleset.errors:
        raise SystemExit("\n".join(map(str, ruleset.errors)))
    return with_members(ruleset.selected(), ruleset.rules)


def time_scan(rules: Sequence[CompiledRule], events: Sequence[dict[str, Any]], repeat: int) -> float:
    """Best µs per event over `repeat` runs (a fresh Scanner each, windows closed at the end)."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        scanner = run.scanner(rules, BENCH_CONFIG, lambda finding: None)
        started = time.perf_counter()
        for i, record in enumerate(events):
            scanner.scan_record(Record(record, Origin("bench", i)))
        scanner.finish()
        best = min(best, (time.perf_counter() - started) / len(events) * 1e6)
    return best


def count_stateful_matches(rules: Sequence[CompiledRule], events: Sequence[dict[str, Any]]) -> int:
    scanner = run.scanner(rules, BENCH_CONFIG, lambda finding: None)
    stateful = {r.id for r in rules if r.stateful is not None}
    for rule in rules:
        if rule.stateful is not None:
            stateful.update(rule.stateful.members)
    return sum(1 for e in events for r in scanner.evaluator.evaluate(e) if r.id in stateful)


def bench_time(n: int, repeat: int) -> None:
    rng = random.Random(42)
    events = [make_event(i, rng, principals=2000) for i in range(n)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        baseline = [r for r in rules_from("", folder, bundled=True) if r.stateful is None]
        sets = {
            "bundled stateless rules": baseline,
            "+ a stateful rule that matches nothing": baseline
            + rules_from(IDLE_RULES, folder, bundled=False),
            "+ busy conditions, no findings, no state": baseline
            + rules_from(TWIN_RULES.replace("GENERATE", "false"), folder, bundled=False),
            "+ busy conditions, a finding per match": baseline
            + rules_from(TWIN_RULES.replace("GENERATE", "true"), folder, bundled=False),
            "+ busy rules with state": baseline + rules_from(BUSY_RULES, folder, bundled=False),
        }
    took = dict.fromkeys(sets, float("inf"))
    for rules in sets.values():  # warm-up, not counted: first-call caches, allocator growth
        time_scan(rules, events[: n // 10], 1)
    for _ in range(repeat):  # interleaved, so a busy moment of the machine hurts every set alike
        for name, rules in sets.items():
            took[name] = min(took[name], time_scan(rules, events, 1))
    base = took["bundled stateless rules"]
    print(f"{n:,} events, {len(baseline)} bundled stateless rules, best of {repeat}:")
    for name, us in took.items():
        print(f"  {name:<42} {us:7.2f} µs/event  ({us - base:+.2f})")
    matches = count_stateful_matches(sets["+ busy rules with state"], events)
    machinery = took["+ busy rules with state"] - took["+ busy conditions, no findings, no state"]
    print(
        f"  {matches:,} stateful matches ({matches / n:.1%} of events): state costs {machinery * n / max(matches, 1):.1f}"
        " µs per match over the bare conditions (routing, reorder buffer, windows, window findings)"
    )


def rss_child(keys: int, cap: int | None, lateness: float) -> None:
    """One measurement in this process: scan `keys` events of distinct principals, print peak RSS."""
    configure_logging("error")  # the eviction warning would mix with what the parent reads
    text = RSS_RULE if cap is not None else RSS_RULE.replace("threshold:", "# threshold:")  # the control
    with tempfile.TemporaryDirectory() as tmp:
        rules = rules_from(text, Path(tmp), bundled=False)
    config = ScanConfig(evidence=False, lateness=lateness, max_groups=cap or DEFAULT_MAX_GROUPS)
    scanner = run.scanner(rules, config, lambda finding: None)
    for i, record in enumerate(_distinct_principals(keys)):
        scanner.scan_record(Record(record, Origin("bench", i)))
    peak_kb = _peak_kb()
    stats = scanner.finish()
    notes = [
        n.split(":")[0] for n in stats.windows.lines() + stats.notes if n.startswith(("Evicted", "Took"))
    ]
    print(f"{peak_kb / 1024:.0f} MB|{'; '.join(notes) or 'nothing evicted'}")


def _peak_kb() -> int:
    """This process's peak RSS. VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent
    across fork and exec, so a child started by a big parent would report the parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _distinct_principals(keys: int) -> Iterator[dict[str, Any]]:
    """`keys` events, each of a new principal, spread over 50 minutes: one window holds them all."""
    step = 3000 / keys
    for i in range(keys):
        moment = START + timedelta(seconds=i * step)
        yield {
            "eventTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": "sts.amazonaws.com",
            "eventName": "GetCallerIdentity",
            "eventID": f"00000000-0000-4000-8000-{i:012d}",
            "userIdentity": {"type": "AssumedRole", "arn": f"arn:aws:sts::111122223333:assumed-role/r/{i}"},
        }


def bench_rss(keys: int, max_groups: int) -> None:
    def child(cap: str, lateness: float = DEFAULT_LATENESS) -> str:
        out = subprocess.run(
            [sys.executable, __file__, "--rss-child", str(keys), "--cap", cap, "--lateness", str(lateness)],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()

    print(f"peak RSS with {keys:,} distinct group keys inside one window (fresh process each):")
    cap = str(max_groups)
    rows = [
        ("no stateful rule", child("none")),
        (f"threshold, cap {max_groups:,}, lateness 15m", child(cap)),
        (f"threshold, cap {max_groups:,}, lateness 0 (groups only)", child(cap, 0.0)),
        ("threshold, cap above the key count, 15m", child(str(keys * 2))),
    ]
    for name, out in rows:
        peak, note = out.split("|")
        print(f"  {name:<50} {peak:>8}  ({note})")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument(
        "--max-groups", type=int, default=DEFAULT_MAX_GROUPS, help="the cap for the memory rows"
    )
    parser.add_argument("--rss-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--cap", help=argparse.SUPPRESS)
    parser.add_argument("--lateness", type=float, default=DEFAULT_LATENESS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        rss_child(args.rss_child, None if args.cap == "none" else int(args.cap), args.lateness)
        return
    bench_time(args.events, args.repeat)
    bench_rss(args.keys, args.max_groups)


if __name__ == "__main__":
    main()
