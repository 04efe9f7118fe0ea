"""Events per second scanning an Amazon Security Lake (OCSF Parquet, local folder) against the raw
trail of the same events, and the peak memory of each scan.

Run:  .venv/bin/python bench/bench_securitylake.py [--events 200000] [--seed 7] [--repeat 3]
      [--rows-per-object 5000] [--row-group-rows 5000] [--keep DIR]

The trail is bench/corpus.py's generated corpus (a seeded mix of services and identities, ~1.5 KB
per event, 0.1 % risky events). The lake is that trail written as OCSF 1.1 API Activity Parquet
(engine.decoding.ocsf_forward, gzip-compressed like Security Lake's `.gz.parquet`) in the lake's
layout, partitioned by region, account and day, `--rows-per-object` rows per object and
`--row-group-rows` per row group. Both are scanned by the real command line (`python -m engine.cli
scan … --no-evidence`, the bundled rules), each run in a fresh process: wall time, and peak RSS
(VmHWM) from bench/measure.py; each figure is the best of `--repeat` rounds. The findings of the
two scans are compared (same rule and event pairs)."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(REPO))

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from corpus import Plan, build, risky_templates  # noqa: E402
from measure import run  # noqa: E402

from engine.decoding import Record, decode_blob  # noqa: E402
from engine.decoding.ocsf_forward import arrow_schema, to_ocsf  # noqa: E402
from engine.detection.build import load_ruleset  # noqa: E402
from engine.sources import SourceOptions  # noqa: E402
from engine.sources.local import open_local  # noqa: E402
from engine.types import Blob  # noqa: E402


class _LakeWriter:
    """Rows appended per partition, an object closed every `rows_per_object` rows."""

    def __init__(self, root: Path, rows_per_object: int, row_group_rows: int) -> None:
        self.root, self.rows_per_object, self.row_group_rows = root, rows_per_object, row_group_rows
        self.schema = arrow_schema()
        self.pending: dict[str, list[dict[str, Any]]] = {}
        self.numbers: dict[str, int] = {}
        self.objects = 0

    def add(self, event: dict[str, Any]) -> None:
        day = str(event.get("eventTime", ""))[:10].replace("-", "")
        account = event.get("recipientAccountId") or (event.get("userIdentity") or {}).get("accountId")
        folder = (
            f"aws/CLOUD_TRAIL_MGMT/2.0/region={event.get('awsRegion')}/accountId={account}/eventDay={day}"
        )
        rows = self.pending.setdefault(folder, [])
        rows.append(to_ocsf(event))
        if len(rows) >= self.rows_per_object:
            self._flush(folder)

    def _flush(self, folder: str) -> None:
        rows = self.pending.pop(folder, [])
        if not rows:
            return
        number = self.numbers.get(folder, 0)
        self.numbers[folder] = number + 1
        path = self.root / folder / f"part-{number:05d}.gz.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pylist(rows, schema=self.schema)
        pq.write_table(table, path, row_group_size=self.row_group_rows, compression="gzip")
        self.objects += 1

    def close(self) -> None:
        for folder in list(self.pending):
            self._flush(folder)


def trail_records(root: Path) -> Iterator[dict[str, Any]]:
    for item in open_local(str(root), SourceOptions()):
        if isinstance(item, Blob):
            for record in decode_blob(item):
                if isinstance(record, Record):
                    yield record.event


def lake_bytes(root: Path) -> int:
    return sum(path.stat().st_size for path in root.rglob("*.parquet"))


def scan(source: Path) -> tuple[Any, set[tuple[str, str]]]:
    result = run([sys.executable, "-m", "engine.cli", "scan", str(source), "--no-evidence"], cwd=REPO)
    if result.returncode not in (0, 1):
        raise SystemExit(f"scan of {source} failed ({result.returncode}): {result.stderr[-2000:]}")
    pairs = {(f["rule_id"], f["event_id"]) for f in map(json.loads, result.stdout.splitlines())}
    return result, pairs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rows-per-object", type=int, default=5_000)
    parser.add_argument("--row-group-rows", type=int, default=5_000)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the trail and the lake here")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args(argv)

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-securitylake-"))
    trail_root, lake_root = work / "trail", work / "lake"
    plan = Plan("generated", args.seed, args.events, risky=risky_templates(load_ruleset()))
    corpus = build(trail_root, plan)
    manifest = lake_root / "lake.json"  # the trail and layout the lake was made from
    made_from = json.dumps(
        {"trail": corpus.key, "objects": args.rows_per_object, "groups": args.row_group_rows}
    )
    if not manifest.is_file() or manifest.read_text() != made_from:
        shutil.rmtree(lake_root, ignore_errors=True)
        writer = _LakeWriter(lake_root, args.rows_per_object, args.row_group_rows)
        for event in trail_records(corpus.root / "AWSLogs"):
            writer.add(event)
        writer.close()
        manifest.write_text(made_from)
    print(f"trail: {corpus.describe()}", file=sys.stderr)
    print(f"lake: {lake_bytes(lake_root) / 2**20:.1f} MiB of Parquet under {lake_root}", file=sys.stderr)

    figures: dict[str, Any] = {"events": corpus.events, "lake_mib": round(lake_bytes(lake_root) / 2**20, 1)}
    trail_pairs: set[tuple[str, str]] = set()
    lake_pairs: set[tuple[str, str]] = set()
    for name, source in (("trail", corpus.root / "AWSLogs"), ("lake", lake_root)):
        rounds = []
        for number in range(args.repeat):
            result, pairs = scan(source)
            rounds.append(result)
            print(
                f"{name} round {number + 1}: {result.seconds:.2f} s, "
                f"{corpus.events / result.seconds:,.0f} events/s, peak RSS {result.peak_rss_mb:.0f} MB",
                file=sys.stderr,
            )
            if name == "trail":
                trail_pairs = pairs
            else:
                lake_pairs = pairs
        best = min(rounds, key=lambda r: r.seconds)
        figures[f"{name}_events_per_second"] = round(corpus.events / best.seconds)
        figures[f"{name}_peak_rss_mb"] = round(min(r.peak_rss_mb for r in rounds))
    figures["same_findings"] = trail_pairs == lake_pairs
    figures["findings"] = len(trail_pairs)
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key}: {value}")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
