"""AWS access shared by the cloud sources: one boto3 session from `--profile`/`--region` (boto3's
standard credential chain; `AWS_ENDPOINT_URL` and friends are honoured by botocore itself), and
error texts that say what went wrong and what to check — never a bare botocore traceback."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ProfileNotFound

from engine.errors import UsageError
from engine.sources import SourceOptions

# Enough connections for the download pool; "standard" retries back off throttling and 5xx.
CLIENT_CONFIG = Config(max_pool_connections=32, retries={"mode": "standard", "max_attempts": 5})

# Follow mode: the pause between polls of S3 and LookupEvents (--poll-seconds); CloudTrail delivers
# a region's files about every five minutes, so half a minute keeps findings close behind.
DEFAULT_POLL_SECONDS = 30.0

THROTTLING_CODES = frozenset(
    {"ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded", "SlowDown"}
)

_HINTS = {
    "AccessDenied": "check that these credentials may read it (IAM policy, bucket policy, KMS key policy)",
    "AccessDeniedException": "check that the credentials in use may call this API",
    "AllAccessDisabled": "all access to this bucket is disabled",
    "NoSuchBucket": "check the bucket name",
    "NoSuchKey": "the object was deleted or moved since it was listed or announced",
    "InvalidAccessKeyId": "the access key is unknown: check the profile or AWS_ACCESS_KEY_ID",
    "SignatureDoesNotMatch": "the secret key does not match the access key",
    "ExpiredToken": "the session token has expired: refresh the credentials",
    "PermanentRedirect": "the bucket is in another region: pass --region",
    "AWS.SimpleQueueService.NonExistentQueue": "check the queue name or URL, and --region",
    "QueueDoesNotExist": "check the queue name or URL, and --region",
    "KMS.AccessDeniedException": "the objects are encrypted with a KMS key these credentials may not use",
}


def session(options: SourceOptions) -> boto3.Session:
    try:
        return boto3.Session(profile_name=options.profile, region_name=options.region)
    except ProfileNotFound as exc:
        raise UsageError(f"AWS profile {options.profile!r} not found", hint="check --profile") from exc


def client(sess: boto3.Session, service: str, region: str | None = None) -> Any:
    """A boto3 client (typed `Any`: the stubs' client classes differ per service)."""
    return sess.client(service, region_name=region or sess.region_name, config=CLIENT_CONFIG)  # type: ignore[call-overload]


def error_code(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return type(exc).__name__


def is_throttling(exc: BaseException) -> bool:
    return isinstance(exc, ClientError) and error_code(exc) in THROTTLING_CODES


def explain(exc: BaseException) -> str:
    """One line for a user: the AWS error code and message, and what to check."""
    if isinstance(exc, NoCredentialsError):
        return "no AWS credentials found (use --profile, AWS_PROFILE, or the standard credential chain)"
    if isinstance(exc, ClientError):
        code = error_code(exc)
        message = exc.response.get("Error", {}).get("Message") or ""
        text = f"{code}: {message}" if message else code
        hint = _HINTS.get(code)
        return f"{text} ({hint})" if hint else text
    if isinstance(exc, BotoCoreError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


AWS_ERRORS: tuple[type[BaseException], ...] = (ClientError, BotoCoreError)
