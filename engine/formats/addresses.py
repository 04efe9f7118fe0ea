"""CloudTrail's `sourceIPAddress` is an IP address, or a service name (`eks.amazonaws.com`, `AWS
Internal`) when AWS called on someone's behalf; schemas with IP-typed fields need to know which."""

from __future__ import annotations

import ipaddress


def ip_version(value: str | None) -> int | None:
    """4 or 6 when `value` is an IP address (as schemas' IP types accept it), else None."""
    if not value or len(value) > 39:
        return None
    try:
        return ipaddress.ip_address(value).version
    except ValueError:
        return None


def partition(region: str | None) -> str:
    """The AWS partition a region belongs to, for ARNs."""
    if region and region.startswith("cn-"):
        return "aws-cn"
    if region and region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"
