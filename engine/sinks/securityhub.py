"""AWS Security Hub: `securityhub://<region>` imports ASFF findings with `BatchImportFindings`.

Calls hold at most 100 findings and 6 MB (the API's limits); a finding over 240 KB is rejected
before sending. `FailedFindings` is read per finding: throttling and internal errors are retried,
anything else is rejected with Security Hub's code and message; an answer whose `SuccessCount`
falls short of the findings it did not name as failed has those sent again. Throttling of the whole call
(TooManyRequestsException, ThrottlingException) and network errors are retried by the shared
backoff; botocore's own retries are off so one policy governs. Because the ASFF `Id` is derived from
finding_id, a re-import updates the finding in place instead of adding a second one.

Security Hub only takes, under the default product, findings of the calling account in the Region
called; so the ASFF records are built with this sink's Region and the calling account, which is
the URL setting `account=<12 digits>` or else learnt once from STS GetCallerIdentity (a call that
needs no permission).

Credentials and endpoint come from boto3's standard chain: `AWS_PROFILE`/`--profile`, and
`AWS_ENDPOINT_URL_SECURITYHUB` or `AWS_ENDPOINT_URL` for a custom endpoint (boto3 reads these
itself, for STS too).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import boto3
import botocore.config
import botocore.exceptions

from engine.errors import UsageError
from engine.formats import Format, dump_json
from engine.sinks.base import (
    Delivery,
    Finding,
    MiB,
    Sink,
    SinkOptions,
    finding_id,
    load_format,
    register_sink,
)
from engine.sinks.batching import chunk
from engine.sinks.url import SinkURL

if TYPE_CHECKING:
    from mypy_boto3_securityhub import SecurityHubClient

MAX_FINDINGS_PER_CALL = 100
MAX_BYTES_PER_CALL = 6 * MiB - 64 * 1024  # room for the request's own JSON around the findings
MAX_FINDING_BYTES = 240 * 1024
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_ACCOUNT = re.compile(r"^\d{12}$")
_RETRYABLE_CODES = ("throttl", "toomanyrequests", "internal", "unavailable", "timeout")


@register_sink("securityhub")
class SecurityHubSink(Sink):
    default_format = "asff"
    allowed_formats = frozenset({"asff"})
    default_batch_size = MAX_FINDINGS_PER_CALL
    max_batch_size = MAX_FINDINGS_PER_CALL
    default_batch_bytes = MAX_BYTES_PER_CALL
    max_batch_bytes = MAX_BYTES_PER_CALL

    def __init__(self, url: SinkURL, options: SinkOptions) -> None:
        super().__init__(url, options)
        self.region = url.host
        if not _REGION.match(self.region):
            raise UsageError(
                f"sink {self.url}: expected securityhub://<region>, e.g. securityhub://eu-west-1"
            )
        self.account = self.param("account")
        if self.account is not None and not _ACCOUNT.match(self.account):
            raise UsageError(f"sink {self.url}: account={self.account!r} is not a 12-digit AWS account id")
        self.session = boto3.session.Session(profile_name=options.profile, region_name=self.region)
        self.config = botocore.config.Config(
            retries={"total_max_attempts": 1, "mode": "standard"},
            connect_timeout=min(options.timeout, 10.0),
            read_timeout=options.timeout,
        )
        self.client: SecurityHubClient = self.session.client("securityhub", config=self.config)
        self.asff: Format | None = None

    def _asff(self) -> Format:
        """The ASFF format for this Region and the calling account, built on first use."""
        if self.asff is None:
            if self.account is None:
                sts = self.session.client("sts", config=self.config)
                self.account = str(sts.get_caller_identity()["Account"])
            self.asff = load_format("asff", home_account_id=self.account, home_region=self.region)
        return self.asff

    def record(self, finding: Finding) -> dict[str, Any]:
        record = self._asff().to_record(finding)
        if not isinstance(record, dict):
            raise TypeError("the asff format must give a dict")
        return record

    def send(self, batch: Sequence[Finding]) -> Delivery:
        ids = [finding_id(f) for f in batch]
        try:
            self._asff()
        except botocore.exceptions.ClientError as exc:
            error = exc.response.get("Error", {})
            reason = f"cannot learn the calling account: {error.get('Code')}: {error.get('Message')}"
            return Delivery.failed(ids, reason)
        except (botocore.exceptions.BotoCoreError, OSError) as exc:
            return Delivery.failed(ids, f"cannot learn the calling account (STS): {exc}")
        records, refused = self.encode_each(batch, self.record)
        parts = [refused]
        sized: list[tuple[str, dict[str, Any], int]] = []
        for fid, record in records:
            size = len(dump_json(record))
            if size > MAX_FINDING_BYTES:
                parts.append(
                    Delivery.refused([fid], f"ASFF finding is {size} bytes, over Security Hub's 240 KB")
                )
            else:
                sized.append((fid, record, size))
        for call in chunk(sized, max_count=MAX_FINDINGS_PER_CALL, max_bytes=MAX_BYTES_PER_CALL, size=_size):
            parts.append(self._import(call))
        return Delivery.combine(parts)

    def _import(self, call: list[tuple[str, dict[str, Any], int]]) -> Delivery:
        ids = [fid for fid, _, _ in call]
        nbytes = sum(size for _, _, size in call)
        by_asff_id = {str(record["Id"]): fid for fid, record, _ in call}
        try:
            answer = self.client.batch_import_findings(Findings=[record for _, record, _ in call])  # type: ignore[misc]
        except botocore.exceptions.ClientError as exc:
            error = exc.response.get("Error", {})
            code, message = str(error.get("Code", "")), str(error.get("Message", ""))
            reason = f"BatchImportFindings failed: {code}: {message}"
            if _retryable(code) or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
                return Delivery.failed(ids, reason, nbytes=nbytes)
            return Delivery.refused(ids, reason, nbytes=nbytes)
        except botocore.exceptions.NoCredentialsError as exc:
            return Delivery.refused(ids, f"no AWS credentials: {exc}", nbytes=nbytes)
        except (botocore.exceptions.BotoCoreError, OSError) as exc:
            return Delivery.failed(ids, f"Security Hub unreachable: {exc}", nbytes=nbytes)
        parts = [Delivery(bytes=nbytes)]
        failed: set[str] = set()
        for item in answer.get("FailedFindings", []):
            fid = by_asff_id.get(str(item.get("Id")), "")
            if not fid:
                continue
            failed.add(fid)
            code = str(item.get("ErrorCode", ""))
            reason = f"Security Hub refused the finding: {code}: {item.get('ErrorMessage', '')}"
            parts.append(
                Delivery.failed([fid], reason) if _retryable(code) else Delivery.refused([fid], reason)
            )
        taken = [fid for fid in ids if fid not in failed]
        success = answer.get("SuccessCount")
        if isinstance(success, int) and success < len(taken):
            # Fewer imported than not failed: which ones is unknown, so all of them go again (a
            # re-import of the same ASFF Id updates the finding in place).
            reason = (
                f"Security Hub imported {success} of {len(call)} findings but named only "
                f"{len(failed)} as failed"
            )
            parts.append(Delivery.failed(taken, reason))
        else:
            parts.append(Delivery.ok(taken))
        return Delivery.combine(parts)


def _size(item: tuple[str, dict[str, Any], int]) -> int:
    return item[2] + 1


def _retryable(code: str) -> bool:
    lowered = code.lower()
    return any(marker in lowered for marker in _RETRYABLE_CODES)
