"""trailwarden's JMESPath functions, called the way rules call them: through jmespath with OPTIONS."""

from __future__ import annotations

import re
from typing import Any

import jmespath
import pytest
import re2
from jmespath.exceptions import JMESPathTypeError, UnknownFunctionError

from engine.conditions.functions import (
    FUNCTIONS,
    KNOWN_FUNCTIONS,
    OPTIONS,
    InvalidArgumentError,
    _finder,
    check_cidr,
    check_regex,
    compile_regex,
    unknown_functions,
)


def search(expression: str, data: Any = None) -> Any:
    return jmespath.search(expression, data, options=OPTIONS)


# --- cidr_match ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ip", "cidr", "expected"),
    [
        ("10.1.2.3", "10.0.0.0/8", True),
        ("11.1.2.3", "10.0.0.0/8", False),
        ("192.168.1.1", "192.168.1.1", True),  # a bare address is a /32
        ("10.9.9.9", "10.1.2.3/8", True),  # host bits are masked, not an error
        ("2001:db8::1", "2001:db8::/32", True),
        ("2001:db9::1", "2001:db8::/32", False),
        ("2001:db8::1", "::/0", True),
        ("10.1.2.3", "::/0", False),  # an IPv4 address is not in an IPv6 network
        ("::ffff:10.1.2.3", "10.0.0.0/8", True),  # IPv4-mapped: judged as its IPv4 address too
        ("::ffff:10.1.2.3", "::ffff:0:0/96", True),
        ("::ffff:11.1.2.3", "10.0.0.0/8", False),
        ("fe80::1%eth0", "fe80::/10", True),  # scoped addresses
        ("eks.amazonaws.com", "0.0.0.0/0", False),  # CloudTrail's service names are not addresses
        ("", "0.0.0.0/0", False),
    ],
)
def test_cidr_match_one_network(ip: str, cidr: str, expected: bool) -> None:
    """cidr_match tells whether an address lies in one CIDR, for IPv4, IPv6 and mapped addresses."""
    assert search("cidr_match(ip, cidr)", {"ip": ip, "cidr": cidr}) is expected


def test_cidr_match_any_of_a_list() -> None:
    """Given a list of CIDRs, cidr_match is true when any of them holds the address."""
    cidrs = ["192.168.0.0/16", "2001:db8::/32", "10.0.0.0/8"]
    assert search("cidr_match(ip, cidrs)", {"ip": "10.0.0.1", "cidrs": cidrs}) is True
    assert search("cidr_match(ip, cidrs)", {"ip": "2001:db8:1::5", "cidrs": cidrs}) is True
    assert search("cidr_match(ip, cidrs)", {"ip": "8.8.8.8", "cidrs": cidrs}) is False
    assert search("cidr_match(ip, cidrs)", {"ip": "8.8.8.8", "cidrs": []}) is False


def test_cidr_match_rejects_a_bad_cidr_with_its_text() -> None:
    """A malformed CIDR is an error that names it, and check_cidr reports it for load-time checks."""
    with pytest.raises(InvalidArgumentError, match=r"10\.0\.0\.0/33"):
        search("cidr_match('10.0.0.1', '10.0.0.0/33')")
    assert "not-a-network" in (check_cidr("not-a-network") or "")
    assert check_cidr("10.0.0.0/8") is None
    assert check_cidr("::/0") is None


@pytest.mark.parametrize(
    "expression",
    [
        "cidr_match(missing, '10.0.0.0/8')",
        "cidr_match(`1`, '10.0.0.0/8')",
        "cidr_match('10.0.0.1', `null`)",
        "cidr_match('10.0.0.1', `[\"10.0.0.0/8\", 3]`)",
    ],
)
def test_cidr_match_wrong_types_raise_type_error(expression: str) -> None:
    """Null or a wrong type raises JMESPathTypeError, which the evaluator counts as no match."""
    with pytest.raises(JMESPathTypeError):
        search(expression, {})


# --- is_private_ip ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ip", "expected"),
    [
        ("10.0.0.1", True),
        ("172.16.5.4", True),
        ("172.32.0.1", False),
        ("192.168.100.1", True),
        ("127.0.0.1", True),
        ("169.254.169.254", True),  # the instance metadata service is link-local
        ("8.8.8.8", False),
        ("52.95.110.1", False),
        ("::1", True),
        ("fe80::1", True),
        ("fd12:3456:789a::1", True),  # unique local fc00::/7
        ("2001:4860:4860::8888", False),
        ("::ffff:10.0.0.1", True),
        ("::ffff:8.8.8.8", False),  # mapped public address stays public
        ("100.64.0.1", False),  # carrier-grade NAT is neither private nor global in ipaddress
        ("signin.amazonaws.com", False),
        ("AWS Internal", False),
    ],
)
def test_is_private_ip(ip: str, expected: bool) -> None:
    """is_private_ip follows ipaddress.is_private, judging IPv4-mapped addresses by their IPv4 part."""
    assert search("is_private_ip(@)", ip) is expected


def test_is_private_ip_null_raises_type_error() -> None:
    """is_private_ip(null) is a type error, not false, so a missing field is visible in rule errors."""
    with pytest.raises(JMESPathTypeError):
        search("is_private_ip(sourceIPAddress)", {})


# --- regex_match -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("string", "pattern", "expected"),
    [
        ("AssumeRoleWithWebIdentity", "^AssumeRole", True),
        ("xAssumeRole", "^AssumeRole", False),
        ("arn:aws:iam::123456789012:role/admin-ops", "role/admin", True),  # search, not match
        ("Admin", "(?i)^admin$", True),
        ("user-042", r"\d{3}$", True),
        ("", "^$", True),
        ("héllo", "h.llo", True),  # a non-ASCII character is one character
    ],
)
def test_regex_match_searches(string: str, pattern: str, expected: bool) -> None:
    """regex_match has search semantics: the pattern may match anywhere unless anchored."""
    assert search("regex_match(s, p)", {"s": string, "p": pattern}) is expected


def test_regex_match_pathological_pattern_answers() -> None:
    """A pattern that backtracks catastrophically in Python's re gets its answer from RE2 at once.

    With Python's ``re``, ``(a+)+$`` on forty ``a`` then ``b`` tries every way of splitting the run
    of ``a`` between the inner and outer repetition before failing: about 2**40 paths, hours of CPU.
    RE2 simulates the automaton in one linear pass, so this test finishes; it asserts the answer.
    """
    assert search("regex_match(s, '(a+)+$')", {"s": "a" * 40 + "b"}) is False
    assert search("regex_match(s, '(a+)+$')", {"s": "a" * 40}) is True


def test_regex_match_invalid_pattern_is_a_clear_error() -> None:
    """An invalid pattern raises an error naming the pattern and RE2's reason."""
    with pytest.raises(InvalidArgumentError, match=r"invalid regular expression '\(': missing \)"):
        search("regex_match('x', '(')")


@pytest.mark.parametrize("pattern", ["(", "[a-", r"(a)\1", "(?=look)", "a{2,1}"])
def test_check_regex_reports_what_re2_rejects(pattern: str) -> None:
    """check_regex returns the error text for patterns RE2 refuses, so the loader rejects them."""
    error = check_regex(pattern)
    assert error is not None
    assert repr(pattern) in error


def test_check_regex_accepts_valid_patterns() -> None:
    """check_regex returns None for a valid pattern."""
    assert check_regex(r"^arn:aws:iam::\d{12}:root$") is None


@pytest.mark.parametrize(
    ("pattern", "text"),
    [
        ("^$", ""),
        ("x*", ""),
        ("é", "café"),
        ("^caf.$", "café"),
        ("(?i)CURL", "curl/8.1"),
        (r"\bboto3\b", "Boto3/1.34 botocore/1.34"),
        ("a|b", "zzz"),
        ("日本", "こんにちは日本"),
    ],
)
def test_regex_fast_path_agrees_with_re2_search(pattern: str, text: str) -> None:
    """The direct RE2 call behind regex_match answers exactly as google-re2's public search does."""
    assert compile_regex(pattern)(text) is (re2.search(pattern, text) is not None)


def test_regex_finder_falls_back_to_public_search() -> None:
    """Without google-re2's internal object, the matcher uses the compiled pattern's search."""
    found = _finder(re.compile("a+"))
    assert found("baa") is True
    assert found("bbb") is False


def test_regex_match_null_raises_type_error() -> None:
    """regex_match on a missing field raises JMESPathTypeError."""
    with pytest.raises(JMESPathTypeError):
        search("regex_match(userAgent, 'curl')", {})


# --- glob_match ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("string", "pattern", "expected"),
    [
        ("arn:aws:iam::123456789012:role/deploy-prod", "arn:aws:iam::*:role/deploy-*", True),
        ("arn:aws:iam::123456789012:role/Deploy-prod", "arn:aws:iam::*:role/deploy-*", False),
        ("s3.amazonaws.com", "s?.amazonaws.com", True),
        ("Get", "[GP]et", True),
        ("Let", "[!GP]et", True),
        ("a/b/c", "a*c", True),  # * crosses slashes, as in fnmatch
        ("abc", "ab", False),  # the whole string must match
    ],
)
def test_glob_match(string: str, pattern: str, expected: bool) -> None:
    """glob_match follows fnmatch.fnmatchcase: case-sensitive, whole string, *, ? and [...]."""
    assert search("glob_match(s, p)", {"s": string, "p": pattern}) is expected


def test_glob_match_null_raises_type_error() -> None:
    """glob_match on null raises JMESPathTypeError."""
    with pytest.raises(JMESPathTypeError):
        search("glob_match(missing, '*')", {})


# --- lower / upper ---------------------------------------------------------------------------------


def test_lower_and_upper() -> None:
    """lower and upper change the case of a string, and reject null."""
    assert search("lower(@)", "ConsoleLogin") == "consolelogin"
    assert search("upper(@)", "ConsoleLogin") == "CONSOLELOGIN"
    with pytest.raises(JMESPathTypeError):
        search("lower(@)", None)
    with pytest.raises(JMESPathTypeError):
        search("upper(@)", 3)


# --- ARNs ------------------------------------------------------------------------------------------


def test_arn_parts() -> None:
    """The arn_* functions split an ARN; the resource keeps its own colons and slashes."""
    arn = "arn:aws-us-gov:iam::123456789012:role/path/admin"
    assert search("arn_partition(@)", arn) == "aws-us-gov"
    assert search("arn_service(@)", arn) == "iam"
    assert search("arn_region(@)", arn) == ""
    assert search("arn_account(@)", arn) == "123456789012"
    assert search("arn_resource(@)", arn) == "role/path/admin"
    lambda_arn = "arn:aws:lambda:eu-west-1:123456789012:function:my-fn:PROD"
    assert search("arn_region(@)", lambda_arn) == "eu-west-1"
    assert search("arn_resource(@)", lambda_arn) == "function:my-fn:PROD"


@pytest.mark.parametrize("text", ["AIDAEXAMPLE", "arn:aws:iam", "urn:aws:iam::1:root", ""])
def test_arn_parts_of_a_non_arn_are_null(text: str) -> None:
    """A string that is not an ARN gives null for every part."""
    for part in ("partition", "service", "region", "account", "resource"):
        assert search(f"arn_{part}(@)", text) is None


def test_arn_account_null_raises_type_error() -> None:
    """arn_account(null) raises JMESPathTypeError."""
    with pytest.raises(JMESPathTypeError):
        search("arn_account(userIdentity.arn)", {})


# --- registry and load-time checks -----------------------------------------------------------------


def test_known_functions_hold_builtins_and_ours() -> None:
    """KNOWN_FUNCTIONS lists the library's built-ins and every trailwarden function."""
    ours = {
        "cidr_match",
        "is_private_ip",
        "regex_match",
        "glob_match",
        "lower",
        "upper",
        "arn_partition",
        "arn_service",
        "arn_region",
        "arn_account",
        "arn_resource",
    }
    assert ours <= KNOWN_FUNCTIONS
    assert {"contains", "starts_with", "length", "sort_by", "not_null"} <= KNOWN_FUNCTIONS
    assert set(FUNCTIONS.FUNCTION_TABLE) == KNOWN_FUNCTIONS


def test_library_rejects_unknown_functions_only_at_run_time() -> None:
    """The reason unknown_functions exists: jmespath compiles a typo and fails only when it runs."""
    compiled = jmespath.compile("lowr(eventName) == 'x'")
    with pytest.raises(UnknownFunctionError):
        compiled.search({"eventName": "x"}, options=OPTIONS)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("lower(eventName) == 'x'", []),
        ("lowr(eventName) == 'x'", [("lowr", 0)]),
        ("a && cidr_mach(ip, '10.0.0.0/8')", [("cidr_mach", 5)]),
        ("foo(bar(x), length(y))", [("foo", 0), ("bar", 4)]),
        ("x[?nope(@)].also(a) | nope(b)", [("nope", 3), ("also", 12), ("nope", 22)]),
        ('\'fake(\' == `"fake2("` || "fake3(" == nope (a)', [("nope", 37)]),
    ],
)
def test_unknown_functions_names_each_call_with_its_offset(
    expression: str, expected: list[tuple[str, int]]
) -> None:
    """unknown_functions lists each unknown call in text order, ignoring names inside literals."""
    assert unknown_functions(expression) == expected
    for name, offset in expected:
        assert expression[offset:].startswith(name)


def test_json_parse_reads_policy_documents_in_conditions() -> None:
    """json_parse turns CloudTrail's policy text into data a condition can query; bad text is null."""
    import jmespath

    from engine.conditions import OPTIONS, compile_expression

    event = {
        "requestParameters": {
            "policyDocument": '{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}',
            "broken": "{not json",
        }
    }
    admin = "json_parse(requestParameters.policyDocument).Statement[?Effect == 'Allow' && Action == '*'] | length(@) > `0`"
    for expression, expected in ((admin, True), ("json_parse(requestParameters.broken)", None)):
        assert jmespath.search(expression, event, options=OPTIONS) == expected
        assert compile_expression(expression).search(event) == expected
