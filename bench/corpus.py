"""Benchmark corpora, written the way S3 holds a trail: gzip files of `{"Records": […]}` under
`AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<time>_<random>.json.gz`.

Two kinds:

- **generated**: a seeded mix of about forty services (`bench/services.py`), every identity type
  CloudTrail records (AssumedRole with its sessionContext, IAMUser, AWSService, Root, FederatedUser,
  AWSAccount), reads and writes, refused calls, data events, bodies of realistic size (about 1.5 KB
  per event), 100 to 2,000 records per file; a small share (0.1 % by default) are risky events taken
  from the bundled rules' own `expect: match` tests, so the scan makes and writes findings as it
  would on a real trail.
- **amplified samples**: copies of the real events in `../shared/data/cloudtrail-samples/invictus-ir/`
  with fresh eventIDs and times shifted a week per copy, in their original delivery files.

Run:  .venv/bin/python bench/corpus.py OUT_DIR [--events N | --gzip-mb M] [--seed S] [--samples]

The same arguments always give the same files (byte for byte); files are written by a pool of
processes, each file from its own seeded stream, so the pool size does not change the output."""

from __future__ import annotations

import argparse
import bisect
import gzip
import hashlib
import itertools
import json
import math
import multiprocessing
import os
import random
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from services import SERVICES, Call, Context, Service

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "data" / "cloudtrail-samples" / "invictus-ir"
MANIFEST = "corpus.json"
START = datetime(2026, 11, 2, tzinfo=UTC)
ACCOUNTS = (("111122223333", 6), ("222233334444", 3), ("333344445555", 1))
REGIONS = (("us-east-1", 5), ("eu-west-1", 3), ("us-west-2", 2), ("ap-southeast-2", 1))
MIN_RECORDS, MAX_RECORDS = 100, 2000
SECONDS_PER_FILE = 30  # files follow each other in time, so a big corpus spans days
GZIP_LEVEL = 6
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

_AGENTS = (
    "aws-cli/2.17.21 md/awscrt#0.20.11 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe",
    "Boto3/1.34.144 md/Botocore#1.34.144 ua/2.0 os/linux#5.10.220-209.869.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.4 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.144",
    "aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.171.0",
    "APN/1.0 HashiCorp/1.0 Terraform/1.9.2 (+https://www.terraform.io) terraform-provider-aws/5.59.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.30.3",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "aws-sdk-java/2.26.20 Linux/5.10.219-208.866.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.11+9-LTS Java/17.0.11 vendor/Amazon.com_Inc. exec-env/AWS_ECS_FARGATE io/sync http/Apache cfg/retry-mode/legacy",
    "aws-sdk-js/3.614.0 ua/2.0 os/linux#5.10.219-229.866.amzn2.x86_64 lang/js md/nodejs#20.15.1 api/dynamodb#3.614.0",
)
_INVOKERS = (
    "ec2.amazonaws.com",
    "lambda.amazonaws.com",
    "cloudformation.amazonaws.com",
    "config.amazonaws.com",
    "autoscaling.amazonaws.com",
    "ecs-tasks.amazonaws.com",
    "elasticloadbalancing.amazonaws.com",
)
_ROLES = (
    "deploy-prod",
    "deploy-staging",
    "payments-api-task",
    "ledger-worker",
    "eks-node-group",
    "karpenter-controller",
    "AWSReservedSSO_AdministratorAccess_6b0d8a2c4e1f3579",
    "AWSReservedSSO_ReadOnly_93c1e0b7d2a4f658",
    "github-actions-oidc",
    "datadog-integration",
    "security-audit",
    "lambda-etl-role",
)
_USERS = ("alice.ops", "bob.dev", "carol.sre", "ci-legacy", "backup-agent", "svc-reporting")
_PUBLIC = ("203.0.113.45", "198.51.100.23", "192.0.2.77", "34.201.17.9", "52.94.133.131", "81.2.69.160")
_ERRORS = (
    ("AccessDenied", 6),
    ("ThrottlingException", 2),
    ("ResourceNotFoundException", 1),
    ("Client.UnauthorizedOperation", 1),
    ("ValidationException", 1),
)
# What share of events each identity type makes; AWSService and AssumedRole dominate a real trail.
_IDENTITIES = (
    ("AssumedRole", 60.0),
    ("AWSService", 20.0),
    ("IAMUser", 12.0),
    ("AWSAccount", 3.0),
    ("FederatedUser", 2.0),
    ("Root", 0.05),
)


@dataclass(frozen=True, slots=True)
class Plan:
    """What to write: a kind, a seed and a size (events or gzip MiB), and where the risky events come from."""

    kind: str  # "generated" or "amplified"
    seed: int = 7
    events: int | None = None
    gzip_mb: float | None = None
    risky_rate: float = 0.001
    risky: tuple[dict[str, Any], ...] = field(default=(), repr=False)

    def key(self) -> dict[str, Any]:
        """What a manifest must match for a corpus on disk to be reused instead of rewritten."""
        risky = hashlib.sha256(
            b"".join(sorted(orjson.dumps(e, option=orjson.OPT_SORT_KEYS) for e in self.risky))
        )
        return {
            "kind": self.kind,
            "seed": self.seed,
            "events": self.events,
            "gzip_mb": self.gzip_mb,
            "risky_rate": self.risky_rate,
            "risky_templates": len(self.risky),
            "risky_digest": risky.hexdigest()[:16],
            "version": 2,
        }


@dataclass(slots=True)
class Corpus:
    """A corpus on disk: its root folder (what a scan is pointed at) and its figures."""

    root: Path
    kind: str
    files: list[str]
    sizes: list[int]  # records per file, in the order of `files`
    events: int
    risky: int
    gzip_bytes: int
    json_bytes: int
    key: dict[str, Any]

    @property
    def bytes_per_event(self) -> float:
        return self.json_bytes / self.events if self.events else 0.0

    def paths(self) -> list[Path]:
        return [self.root / name for name in self.files]

    def describe(self) -> str:
        what = (
            "generated (seeded mix of ~40 services and every identity type)"
            if self.kind == "generated"
            else f"amplified real samples: copies of {SAMPLES.name}/ with fresh eventIDs and shifted times"
        )
        return (
            f"{what}: {self.events:,} events in {len(self.files):,} gzip files, "
            f"{self.gzip_bytes / 2**20:,.1f} MiB gzip, {self.json_bytes / 2**20:,.1f} MiB JSON, "
            f"{self.bytes_per_event:,.0f} B/event, {self.risky:,} risky events"
        )


# --- one event ---------------------------------------------------------------------------------------


class _Weighted:
    """Draw from weighted choices with one random() and a bisect (random.choices rebuilds its table)."""

    def __init__(self, items: Sequence[tuple[Any, float]]) -> None:
        self.items = [item for item, _ in items]
        self.cumulative = list(itertools.accumulate(weight for _, weight in items))

    def __call__(self, rng: random.Random) -> Any:
        return self.items[bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1])]


_SERVICE = _Weighted([(s, s.weight) for s in SERVICES])
_REGIONAL_SERVICE = _Weighted([(s, s.weight) for s in SERVICES if not s.global_service])
_CALLS = {s.source: _Weighted([(c, c.weight) for c in s.calls]) for s in SERVICES}
_IDENTITY = _Weighted(_IDENTITIES)
_ERROR = _Weighted(_ERRORS)
_ACCOUNT = _Weighted(ACCOUNTS)
_REGION = _Weighted(REGIONS)


def _identity(kind: str, ctx: Context) -> tuple[dict[str, Any], str, str]:
    """userIdentity, and the sourceIPAddress and userAgent that go with it."""
    rng, account = ctx.rng, ctx.account
    created = (START - timedelta(minutes=rng.randint(1, 700))).strftime("%Y-%m-%dT%H:%M:%SZ")
    mfa = "true" if rng.random() < 0.2 else "false"
    ip = (
        f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        if rng.random() < 0.7
        else rng.choice(_PUBLIC)
    )
    agent = rng.choice(_AGENTS)
    if kind == "AWSService":
        invoker = rng.choice(_INVOKERS)
        return {"type": "AWSService", "invokedBy": invoker}, invoker, invoker
    if kind == "AssumedRole":
        role = rng.choice(_ROLES)
        role_id = "AROA" + ctx.upper(17)
        session = f"{rng.choice(('botocore-session', 'aws-go-sdk', 'i-0' + ctx.hex(16), 'GitHubActions'))}-{rng.randint(10**9, 10**10)}"
        identity: dict[str, Any] = {
            "type": "AssumedRole",
            "principalId": f"{role_id}:{session}",
            "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{session}",
            "accountId": account,
            "accessKeyId": "ASIA" + ctx.upper(16),
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": role_id,
                    "arn": f"arn:aws:iam::{account}:role/{role}",
                    "accountId": account,
                    "userName": role,
                },
                "webIdFederationData": {},
                "attributes": {"creationDate": created, "mfaAuthenticated": mfa},
            },
        }
        if rng.random() < 0.3:
            identity["sessionContext"]["ec2RoleDelivery"] = "2.0"
        return identity, ip, agent
    if kind == "IAMUser":
        user = rng.choice(_USERS)
        return (
            {
                "type": "IAMUser",
                "principalId": "AIDA" + ctx.upper(17),
                "arn": f"arn:aws:iam::{account}:user/{user}",
                "accountId": account,
                "accessKeyId": "AKIA" + ctx.upper(16),
                "userName": user,
            },
            ip,
            agent,
        )
    if kind == "FederatedUser":
        user = rng.choice(_USERS)
        return (
            {
                "type": "FederatedUser",
                "principalId": f"{account}:{user}",
                "arn": f"arn:aws:sts::{account}:federated-user/{user}",
                "accountId": account,
                "accessKeyId": "ASIA" + ctx.upper(16),
                "sessionContext": {
                    "sessionIssuer": {
                        "type": "IAMUser",
                        "principalId": "AIDA" + ctx.upper(17),
                        "arn": f"arn:aws:iam::{account}:user/{user}",
                        "accountId": account,
                        "userName": user,
                    },
                    "attributes": {"creationDate": created, "mfaAuthenticated": "false"},
                },
            },
            ip,
            agent,
        )
    if kind == "AWSAccount":
        other = str(rng.randint(10**11, 10**12 - 1))
        return (
            {"type": "AWSAccount", "principalId": "AIDA" + ctx.upper(17), "accountId": other},
            rng.choice(_PUBLIC),
            agent,
        )
    return (
        {
            "type": "Root",
            "principalId": account,
            "arn": f"arn:aws:iam::{account}:root",
            "accountId": account,
            "accessKeyId": "ASIA" + ctx.upper(16),
            "sessionContext": {"attributes": {"creationDate": created, "mfaAuthenticated": mfa}},
        },
        rng.choice(_PUBLIC),
        _AGENTS[4],
    )


def _event(ctx: Context, stamp: str, region: str) -> dict[str, Any]:
    rng = ctx.rng
    service: Service = (_SERVICE if region == "us-east-1" else _REGIONAL_SERVICE)(rng)
    call: Call = _CALLS[service.source](rng)
    identity, ip, agent = _identity(_IDENTITY(rng), ctx)
    request, response = call.body(ctx)
    host = service.source.replace(".amazonaws.com", f".{region}.amazonaws.com")
    event: dict[str, Any] = {
        "eventVersion": "1.10" if service.data_events else "1.09",
        "userIdentity": identity,
        "eventTime": stamp,
        "eventSource": service.source,
        "eventName": call.name,
        "awsRegion": region,
        "sourceIPAddress": ip,
        "userAgent": agent,
    }
    if rng.random() < 0.03:
        code = _ERROR(rng)
        action = f"{service.source.split('.')[0]}:{call.name}"
        who = identity.get("arn") or identity.get("invokedBy") or identity.get("principalId")
        event["errorCode"] = code
        event["errorMessage"] = (
            f"User: {who} is not authorized to perform: {action} on resource: {ctx.arn(service.source.split('.')[0], ctx.name())} "
            f"because no identity-based policy allows the {action} action"
            if code == "AccessDenied"
            else f"{code}: the request for {call.name} could not be completed"
        )
        response = None
    event["requestParameters"] = request
    event["responseElements"] = response
    if service.data_events and request and rng.random() < 0.5:
        event["additionalEventData"] = {
            "SignatureVersion": "SigV4",
            "CipherSuite": "TLS_AES_128_GCM_SHA256",
            "bytesTransferredIn": 0,
            "AuthenticationMethod": "AuthHeader",
            "x-amz-id-2": ctx.upper(76),
            "bytesTransferredOut": rng.randint(100, 10**7),
        }
    event["requestID"] = ctx.upper(16) if service.source == "s3.amazonaws.com" else ctx.uuid()
    event["eventID"] = ctx.uuid()
    event["readOnly"] = call.read_only
    if request and rng.random() < 0.4:
        event["resources"] = [
            {
                "accountId": ctx.account,
                "type": f"AWS::{service.source.split('.')[0].upper()}::Resource",
                "ARN": ctx.arn(service.source.split(".")[0], ctx.name()),
            }
        ]
    event["eventType"] = "AwsConsoleSignIn" if service.source == "signin.amazonaws.com" else "AwsApiCall"
    event["managementEvent"] = not service.data_events
    event["recipientAccountId"] = ctx.account
    if identity["type"] == "AWSAccount":
        event["sharedEventID"] = ctx.uuid()
    event["eventCategory"] = "Data" if service.data_events else "Management"
    if identity["type"] != "AWSService":
        event["tlsDetails"] = {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": host,
        }
    if agent == _AGENTS[4]:
        event["sessionCredentialFromConsole"] = "true"
    return event


def _risky(template: dict[str, Any], ctx: Context, stamp: str) -> dict[str, Any]:
    """A rule's own matching test event, with a fresh eventID and this file's time."""
    event: dict[str, Any] = orjson.loads(orjson.dumps(template))
    event["eventID"] = ctx.uuid()
    event["eventTime"] = stamp
    return event


# --- one file -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _FileJob:
    index: int
    records: int  # how many records to write (the last file of a corpus may be cut short)


@dataclass(frozen=True, slots=True)
class _Written:
    index: int
    name: str
    events: int
    risky: int
    gzip_bytes: int
    json_bytes: int


def _file_rng(seed: int, index: int) -> random.Random:
    return random.Random(f"trailwarden-bench:{seed}:{index}")


def _file_size(seed: int, index: int) -> int:
    """Records in file `index`: log-uniform between 100 and 2,000, like a trail's deliveries."""
    rng = random.Random(f"trailwarden-bench-size:{seed}:{index}")
    return int(math.exp(rng.uniform(math.log(MIN_RECORDS), math.log(MAX_RECORDS + 1))))


def _key(account: str, region: str, when: datetime, rng: random.Random) -> str:
    tag = "".join(rng.choices(_ALNUM, k=16))
    return (
        f"AWSLogs/{account}/CloudTrail/{region}/{when:%Y/%m/%d}/"
        f"{account}_CloudTrail_{region}_{when:%Y%m%dT%H%MZ}_{tag}.json.gz"
    )


def _write(root: Path, name: str, records: list[dict[str, Any]]) -> tuple[int, int]:
    data = orjson.dumps({"Records": records})
    packed = gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(packed)
    return len(packed), len(data)


_WORKER: dict[str, Any] = {}  # per worker process: the plan and the output root (set by _init_worker)


def _init_worker(plan: Plan, root: Path, samples: list[list[dict[str, Any]]]) -> None:
    _WORKER.update(plan=plan, root=root, samples=samples)


def _generated_file(job: _FileJob) -> _Written:
    plan: Plan = _WORKER["plan"]
    rng = _file_rng(plan.seed, job.index)
    account, region = _ACCOUNT(rng), _REGION(rng)
    ctx = Context(rng, account, region)
    delivered = START + timedelta(seconds=job.index * SECONDS_PER_FILE)
    window = 300  # events of the five minutes before the delivery
    offsets = sorted(rng.randrange(window) for _ in range(job.records))
    records = []
    risky = 0
    for offset in offsets:
        stamp = (delivered - timedelta(seconds=window - offset)).strftime("%Y-%m-%dT%H:%M:%SZ")
        if plan.risky and rng.random() < plan.risky_rate:
            records.append(_risky(rng.choice(plan.risky), ctx, stamp))
            risky += 1
        else:
            records.append(_event(ctx, stamp, region))
    name = _key(account, region, delivered, rng)
    gz, raw = _write(_WORKER["root"], name, records)
    return _Written(job.index, name, len(records), risky, gz, raw)


def _amplified_file(job: _FileJob) -> _Written:
    """Copy `job.index` of a sample file: copy c of file f is job c * files + f."""
    plan: Plan = _WORKER["plan"]
    samples: list[list[dict[str, Any]]] = _WORKER["samples"]
    copy, which = divmod(job.index, len(samples))
    rng = _file_rng(plan.seed, job.index)
    ctx = Context(rng, "", "")
    shift = timedelta(days=7 * copy)
    records = []
    for original in samples[which][: job.records]:
        event: dict[str, Any] = orjson.loads(orjson.dumps(original))
        when = datetime.strptime(original["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) + shift
        event["eventTime"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        event["eventID"] = ctx.uuid()
        records.append(event)
    first = records[0]
    account = str(first.get("recipientAccountId") or "000000000000")
    region = str(first.get("awsRegion") or "us-east-1")
    last = max(r["eventTime"] for r in records)
    delivered = datetime.strptime(last, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) + timedelta(minutes=5)
    name = _key(account, region, delivered, rng)
    gz, raw = _write(_WORKER["root"], name, records)
    return _Written(job.index, name, len(records), 0, gz, raw)


# --- a corpus -------------------------------------------------------------------------------------


def load_samples(folder: Path = SAMPLES) -> list[list[dict[str, Any]]]:
    """The real sample files' records, one list per file, in name order."""
    out = []
    for path in sorted(folder.glob("*.json*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as handle:
            records = json.load(handle).get("Records") or []
        if records:
            out.append(records)
    return out


def _jobs(plan: Plan, sizes: Iterator[int]) -> Iterator[_FileJob]:
    """File jobs until the plan's event count is reached (the last one cut to fit), or forever."""
    remaining = plan.events
    for index, size in enumerate(sizes):
        if remaining is not None:
            if remaining <= 0:
                return
            size = min(size, remaining)
            remaining -= size
        yield _FileJob(index, size)


def build(root: Path, plan: Plan, *, jobs: int | None = None) -> Corpus:
    """Write the corpus under `root` (or reuse the one there when its manifest matches the plan)."""
    if (plan.events is None) == (plan.gzip_mb is None):
        raise ValueError("give exactly one of events or gzip_mb")
    existing = read_manifest(root)
    if existing is not None and existing.key == plan.key():
        return existing
    root.mkdir(parents=True, exist_ok=True)
    for stale in root.glob("AWSLogs"):
        _remove_tree(stale)
    samples: list[list[dict[str, Any]]] = []
    if plan.kind == "amplified":
        samples = load_samples()
        if not samples:
            raise FileNotFoundError(f"no sample files in {SAMPLES}")
        sizes: Iterator[int] = (len(samples[i % len(samples)]) for i in itertools.count())
        work = _amplified_file
    else:
        sizes = (_file_size(plan.seed, i) for i in itertools.count())
        work = _generated_file
    limit = None if plan.gzip_mb is None else plan.gzip_mb * 2**20
    written: list[_Written] = []
    gzip_total = 0
    context = multiprocessing.get_context("fork")
    with context.Pool(jobs or os.cpu_count() or 1, _init_worker, (plan, root, samples)) as pool:
        for result in pool.imap(work, _jobs(plan, sizes), chunksize=1):
            written.append(result)
            gzip_total += result.gzip_bytes
            if limit is not None and gzip_total >= limit:
                pool.terminate()
                break
    _drop_unlisted(root, {w.name for w in written})
    ordered = sorted(written, key=lambda w: w.name)
    corpus = Corpus(
        root=root,
        kind=plan.kind,
        files=[w.name for w in ordered],
        sizes=[w.events for w in ordered],
        events=sum(w.events for w in written),
        risky=sum(w.risky for w in written),
        gzip_bytes=gzip_total,
        json_bytes=sum(w.json_bytes for w in written),
        key=plan.key(),
    )
    write_manifest(corpus)
    return corpus


def _drop_unlisted(root: Path, keep: set[str]) -> None:
    """Files a terminated pool wrote past the size limit are not part of the corpus."""
    for path in (root / "AWSLogs").rglob("*.json.gz"):
        if str(path.relative_to(root)) not in keep:
            path.unlink()


def _remove_tree(path: Path) -> None:
    for child in sorted(path.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        child.rmdir() if child.is_dir() else child.unlink()
    path.rmdir()


def write_manifest(corpus: Corpus) -> None:
    record = asdict(corpus)
    record["root"] = str(corpus.root)
    (corpus.root / MANIFEST).write_text(json.dumps(record, indent=1))


def read_manifest(root: Path) -> Corpus | None:
    try:
        record = json.loads((root / MANIFEST).read_text())
        record["root"] = root
        return Corpus(**record)
    except (OSError, ValueError, TypeError):
        return None


def risky_templates(ruleset: Any) -> tuple[dict[str, Any], ...]:
    """The single-event `expect: match` test events of every loaded, stateless rule."""
    out = []
    for compiled in ruleset.rules:
        rule = compiled.rule
        if rule.kind != "rule" or rule.threshold or rule.correlation or not compiled.enabled:
            continue
        for test in rule.tests:
            if test.expect_match and len(test.events) == 1:
                out.append(dict(test.events[0]))
    return tuple(out)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to write the corpus into")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--events", type=int, help="number of events (default 1,000,000)")
    size.add_argument("--gzip-mb", type=float, help="size of the corpus in MiB of gzip files")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--samples", action="store_true", help="amplify the invictus-ir samples instead")
    parser.add_argument("--jobs", type=int, help="processes writing files (default: every core)")
    args = parser.parse_args(argv)
    events = args.events if args.events or args.gzip_mb else 1_000_000
    if args.samples:
        plan = Plan("amplified", args.seed, events, args.gzip_mb)
    else:
        sys.path.insert(0, str(REPO))
        from engine.detection.build import load_ruleset

        plan = Plan("generated", args.seed, events, args.gzip_mb, risky=risky_templates(load_ruleset()))
    corpus = build(args.out, plan, jobs=args.jobs)
    print(corpus.describe())


if __name__ == "__main__":
    main()
