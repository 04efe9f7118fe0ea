"""Time JMESPath conditions: the jmespath library (parsed once) against trailwarden's compiled form.

Run:  .venv/bin/python bench/bench_conditions.py [--repeat 5]

Prints µs per call for each expression on a typical CloudTrail event: the library's
``ParsedResult.search``, the compiled ``search``, and ``matches`` (search plus the truth test, what
the evaluator calls per (event, rule)). Each figure is the best of ``--repeat`` timing runs.
"""

from __future__ import annotations

import argparse
import timeit
from typing import Any

import jmespath

from engine.conditions.compiler import compile_expression
from engine.conditions.functions import OPTIONS

EVENT: dict[str, Any] = {
    "eventVersion": "1.08",
    "userIdentity": {
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLEID:alice",
        "arn": "arn:aws:sts::123456789012:assumed-role/deploy-prod/alice",
        "accountId": "123456789012",
        "sessionContext": {
            "sessionIssuer": {"type": "Role", "userName": "deploy-prod"},
            "attributes": {"mfaAuthenticated": "false", "creationDate": "2024-03-01T10:00:00Z"},
        },
    },
    "eventTime": "2024-03-01T10:05:00Z",
    "eventSource": "eks.amazonaws.com",
    "eventName": "CreateCluster",
    "awsRegion": "eu-west-1",
    "sourceIPAddress": "203.0.113.10",
    "userAgent": "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64",
    "requestParameters": {"name": "prod", "roleArn": "arn:aws:iam::123456789012:role/eks", "version": "1.29"},
    "responseElements": None,
    "resources": [
        {"ARN": "arn:aws:eks:eu-west-1:123456789012:cluster/prod", "type": "AWS::EKS::Cluster"},
        {"ARN": "arn:aws:iam::123456789012:role/eks", "type": "AWS::IAM::Role"},
    ],
    "readOnly": False,
    "eventType": "AwsApiCall",
    "recipientAccountId": "123456789012",
}

EXPRESSIONS = [
    "userIdentity.type == 'Root'",
    "contains(['CreateCluster', 'DeleteCluster'], eventName)",
    "starts_with(userAgent, 'aws-cli')",
    "errorCode == 'AccessDenied'",
    "requestParameters.policyDocument.Statement == `null`",
    "userIdentity.type == 'AssumedRole' && userIdentity.sessionContext.attributes.mfaAuthenticated == 'false'",
    "!readOnly && eventType == 'AwsApiCall'",
    "cidr_match(sourceIPAddress, ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'])",
    "is_private_ip(sourceIPAddress)",
    "regex_match(userAgent, '(?i)(curl|python-requests|boto3)')",
    "glob_match(userIdentity.arn, 'arn:aws:sts::*:assumed-role/deploy-*')",
    "arn_account(userIdentity.arn) != recipientAccountId",
    "length(resources[?type == 'AWS::IAM::Role']) > `0`",
    "requestParameters.name || requestParameters.clusterName",
]


def best_microseconds(statement: str, repeat: int, **names: Any) -> float:
    """Best time of ``statement`` in µs; names are globals, so no wrapper call is timed."""
    timer = timeit.Timer(statement, globals={"event": EVENT, **names})
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=repeat, number=number)) / number * 1e6


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--repeat", type=int, default=5, help="timing runs per figure (best is kept)")
    repeat = arguments.parse_args().repeat
    width = max(len(expression) for expression in EXPRESSIONS)
    print(f"{'expression':<{width}}  library µs  compiled µs  matches µs  speed-up")
    for expression in EXPRESSIONS:
        library = jmespath.compile(expression)
        compiled = compile_expression(expression)
        expected = library.search(EVENT, options=OPTIONS)
        assert compiled.search(EVENT) == expected, expression  # a benchmark of wrong answers is worthless
        slow = best_microseconds(
            "search(event, options=options)", repeat, search=library.search, options=OPTIONS
        )
        fast = best_microseconds("search(event)", repeat, search=compiled.search)
        test = best_microseconds("matches(event)", repeat, matches=compiled.matches)
        print(f"{expression:<{width}}  {slow:10.2f}  {fast:11.3f}  {test:10.3f}  {slow / fast:7.0f}x")


if __name__ == "__main__":
    main()
