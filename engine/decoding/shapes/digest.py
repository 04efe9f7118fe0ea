"""CloudTrail digest files: hashes and signatures of the log files of an hour, no events.

They sit beside the logs in every trail bucket (`…/CloudTrail-Digest/…`), so a scan of a bucket or
a downloaded export meets them constantly; they are passed over on purpose, not reported as errors."""

from __future__ import annotations

from typing import Any

from engine.decoding.context import DecodeContext, Items

REASON = "CloudTrail digest file"
_DIGEST_KEYS = ("digestPublicKeyFingerprint", "digestStartTime", "digestSignatureAlgorithm")


def is_digest_name(name: str) -> bool:
    """By path, so a digest is passed over without being read: `CloudTrail-Digest/` folders and the
    `_CloudTrail-Digest_` file names CloudTrail gives them."""
    return "CloudTrail-Digest/" in name or "_CloudTrail-Digest_" in name


def matches(doc: dict[str, Any]) -> bool:
    return any(key in doc for key in _DIGEST_KEYS)


def expand(doc: dict[str, Any], ctx: DecodeContext, line: int | None) -> Items:
    yield from ctx.part(REASON, line, error=False)
