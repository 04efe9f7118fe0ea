"""IAM policy documents read with IAM's meaning, for rules that ask whether a resource policy opens
a resource to the world.

CloudTrail records a resource policy either as an object (S3 bucket policies, OpenSearch access
policies) or as JSON text (SQS, SNS, KMS, ECR, Secrets Manager). ``parse_policy`` accepts both.
A policy is *public* when some ``Allow`` statement grants to anyone — a ``*`` principal (bare,
under ``AWS``, or inside an ARN's account field), or ``NotPrincipal``, which grants to everyone but
the principals it names — and no condition of that statement narrows "anyone" to a known set:
an organisation (``aws:PrincipalOrgID``), accounts (``aws:PrincipalAccount``, ``aws:SourceAccount``,
``kms:CallerAccount``), addresses and networks (``aws:SourceIp``, ``aws:SourceVpc``,
``aws:SourceVpce``), named principals or source resources (``aws:PrincipalArn``, ``aws:SourceArn``,
``aws:SourceOwner``), or AWS services only (``aws:PrincipalIsAWSService``). Condition keys are
compared case-insensitively, as IAM does. A condition does not narrow when it is negated
(``StringNotEquals`` on an organisation means everyone outside it), when it ends in ``IfExists``
(a request without the key passes), or when its values are themselves wildcards (``*``,
``0.0.0.0/0``, ``::/0``). Statements with ``Deny`` grant nothing and are passed over: a Deny that
carves an exception out of a public Allow is not evaluated against the Allow (Access Analyzer does
that with a solver; this is the reading a detection needs — the grant was written).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

__all__ = ["parse_policy", "policy_is_public", "policy_principals"]

# Condition keys that restrict who can use a grant to a known set, in lower case.
RESTRICTING_KEYS = frozenset(
    {
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:principalaccount",
        "aws:principalarn",
        "aws:principalisawsservice",
        "aws:principalservicename",
        "aws:sourceaccount",
        "aws:sourcearn",
        "aws:sourceowner",
        "aws:sourceorgid",
        "aws:sourceorgpaths",
        "aws:sourceip",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:userid",
        "aws:username",
        "kms:calleraccount",
        "lambda:functionurlauthtype",
    }
)
WILDCARD_VALUES = frozenset({"*", "0.0.0.0/0", "::/0", "arn:aws:*", "arn:*"})
PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")


def parse_policy(doc: Any) -> dict[str, Any] | None:
    """The policy as an object: ``doc`` itself, or the JSON text parsed; None when it is neither."""
    if isinstance(doc, str):
        try:
            doc = orjson.loads(doc)
        except orjson.JSONDecodeError:
            return None
    return doc if isinstance(doc, dict) else None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _statements(policy: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for statement in _as_list(policy.get("Statement")):
        if isinstance(statement, dict):
            yield statement


def _principal_values(principal: Any) -> list[str]:
    """Every principal a ``Principal`` element names, as text (``*`` for the bare wildcard)."""
    if isinstance(principal, str):
        return [principal]
    if isinstance(principal, dict):
        return [str(value) for kind in PRINCIPAL_TYPES for value in _as_list(principal.get(kind))]
    return []


def _is_anyone(principal: str) -> bool:
    """``*``, or an ARN whose account part is a wildcard (``arn:aws:iam::*:root``)."""
    if principal == "*":
        return True
    parts = principal.split(":", 5)
    return len(parts) == 6 and parts[0] == "arn" and "*" in parts[4]


def _narrows(operator: str, values: Any) -> bool:
    """Whether one condition operator's value narrows the grant (see the module docstring)."""
    name = operator.split(":")[-1].lower()  # ForAnyValue:StringEquals -> stringequals
    if "not" in name or name.endswith("ifexists"):
        return False
    if name == "bool":  # aws:PrincipalIsAWSService = true is the only Bool key we list
        return any(str(value).lower() == "true" for value in _as_list(values))
    texts = [str(value) for value in _as_list(values)]
    return bool(texts) and not any(text in WILDCARD_VALUES for text in texts)


def _restricted(condition: Any) -> bool:
    if not isinstance(condition, dict):
        return False
    for operator, tests in condition.items():
        if not isinstance(tests, dict):
            continue
        for key, values in tests.items():
            if str(key).lower() in RESTRICTING_KEYS and _narrows(str(operator), values):
                return True
    return False


def _grants_to_anyone(statement: dict[str, Any]) -> bool:
    if str(statement.get("Effect", "")).lower() != "allow":
        return False
    if "NotPrincipal" in statement:
        anyone = True
    else:
        anyone = any(_is_anyone(value) for value in _principal_values(statement.get("Principal")))
    return anyone and not _restricted(statement.get("Condition"))


def policy_is_public(doc: Any) -> bool:
    """True when an Allow statement grants to anyone and no condition narrows it (module docstring)."""
    policy = parse_policy(doc)
    if policy is None:
        return False
    return any(_grants_to_anyone(statement) for statement in _statements(policy))


def policy_principals(doc: Any) -> list[str]:
    """The principals named by the policy's Allow statements, in order, without repeats."""
    policy = parse_policy(doc)
    if policy is None:
        return []
    seen: dict[str, None] = {}
    for statement in _statements(policy):
        if str(statement.get("Effect", "")).lower() == "allow":
            for value in _principal_values(statement.get("Principal")):
                seen.setdefault(value, None)
    return list(seen)
