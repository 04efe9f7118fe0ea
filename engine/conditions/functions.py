"""The JMESPath functions a detection writer needs beyond the built-ins, registered the library's way.

Each ``_func_<name>`` method is a thin shell that lets jmespath check the argument types from
``@signature`` (so null or a wrong type raises ``JMESPathTypeError``, which the evaluator counts as
"no match for this event") and then calls a plain module-level helper. The compiler calls the same
helpers directly on its fast paths, so there is one implementation of each function.

jmespath only rejects an unknown function when an expression runs; ``unknown_functions`` lets the
rule loader reject a typo at load time instead, with its offset in the expression.
"""

from __future__ import annotations

import fnmatch
import functools
import ipaddress
import itertools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jmespath
import orjson
import re2
from jmespath import exceptions, lexer, parser
from jmespath.functions import Functions, signature

from engine.conditions import (
    policies,  # policy_is_public(), policy_principals() (below)
    sigma_patterns,  # the Sigma block's helpers (below)
)
from engine.registry import PluginRegistry

__all__ = [
    "FUNCTIONS",
    "KNOWN_FUNCTIONS",
    "OPTIONS",
    "InvalidArgumentError",
    "TrailwardenFunctions",
    "check_cidr",
    "check_regex",
    "unknown_functions",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Bounds on the caches: enough for every literal of a large rule pack and the distinct source
# addresses of a busy hour, small enough that a hostile stream of unique values cannot grow memory.
_PATTERN_CACHE = 4096
_ADDRESS_CACHE = 16384

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # a bad pattern is reported as an exception, not also on stderr
_RE2_OPTIONS.never_capture = True  # only "does it match" is asked: no groups to track


class InvalidArgumentError(exceptions.JMESPathError):
    """A function got an argument of the right type but an unusable value (a bad regex or CIDR)."""


# --- addresses -------------------------------------------------------------------------------------


def parse_address(text: str) -> IPAddress | None:
    """The address in ``text``, or None: CloudTrail puts service names such as
    ``eks.amazonaws.com`` in ``sourceIPAddress``, and those simply match no network."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


@functools.lru_cache(maxsize=_ADDRESS_CACHE)
def _address_bits(text: str) -> tuple[int, int, int | None] | None:
    """(version, address as an integer, the IPv4 integer of an IPv4-mapped address or None)."""
    address = parse_address(text)
    if address is None:
        return None
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return address.version, int(address), None if mapped is None else int(mapped)


@dataclass(frozen=True, slots=True)
class Networks:
    """CIDRs prepared for membership tests: per IP version, the prefixes of each prefix length.

    An address is in the set when, for some length, its top bits are one of the prefixes: one
    shift and one set lookup per distinct length, however many CIDRs a rule lists.
    """

    v4: tuple[tuple[int, frozenset[int]], ...]
    v6: tuple[tuple[int, frozenset[int]], ...]


def _by_length(networks: Iterable[IPNetwork], bits: int) -> tuple[tuple[int, frozenset[int]], ...]:
    prefixes: dict[int, set[int]] = {}
    for network in networks:
        shift = bits - network.prefixlen
        prefixes.setdefault(shift, set()).add(int(network.network_address) >> shift)
    return tuple((shift, frozenset(values)) for shift, values in sorted(prefixes.items()))


@functools.lru_cache(maxsize=_PATTERN_CACHE)
def parse_networks(cidrs: str | tuple[str, ...]) -> Networks:
    """Parse one CIDR or a tuple of them once; host bits are allowed (``10.1.2.3/8`` means 10/8)."""
    texts = (cidrs,) if isinstance(cidrs, str) else cidrs
    networks: list[IPNetwork] = []
    for text in texts:
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError as error:
            raise InvalidArgumentError(f"In function cidr_match(), invalid CIDR {text!r}: {error}") from None
    return Networks(
        v4=_by_length((network for network in networks if network.version == 4), 32),
        v6=_by_length((network for network in networks if network.version == 6), 128),
    )


def _in(value: int, table: tuple[tuple[int, frozenset[int]], ...]) -> bool:
    for shift, prefixes in table:  # noqa: SIM110  # a loop: any() over a generator costs 3x per event
        if value >> shift in prefixes:
            return True
    return False


def address_in_networks(text: str, networks: Networks) -> bool:
    """True when ``text`` is an address inside one of ``networks``.

    An address is compared with networks of its own IP version; an IPv4-mapped IPv6 address
    (``::ffff:10.0.0.1``) is also compared, as its IPv4 address, with the IPv4 networks, because
    dual-stack endpoints log IPv4 clients that way.
    """
    bits = _address_bits(text)
    if bits is None:
        return False
    version, value, mapped = bits
    if _in(value, networks.v4 if version == 4 else networks.v6):
        return True
    return mapped is not None and _in(mapped, networks.v4)


@functools.lru_cache(maxsize=_ADDRESS_CACHE)
def is_private_address(text: str) -> bool:
    """``ipaddress``'s ``is_private``: in IANA's special-purpose registries as not globally reachable.

    That covers RFC 1918, loopback, link-local, the documentation ranges, 240/4, ``fc00::/7``,
    ``::1`` and ``fe80::/10``; it does not cover 100.64/10 (carrier-grade NAT), which Python counts
    as neither private nor global. An IPv4-mapped IPv6 address is judged by its IPv4 address (Python
    3.11 would call every ``::ffff:*`` address private).
    """
    address = parse_address(text)
    if address is None:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_private
    return address.is_private


def check_cidr(text: str) -> str | None:
    """Why ``text`` is not a usable CIDR, or None: lets the loader reject a literal at load time."""
    try:
        parse_networks(text)
    except InvalidArgumentError as error:
        return str(error)
    return None


# --- patterns --------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=_PATTERN_CACHE)
def compile_regex(pattern: str) -> Callable[[str], bool]:
    """Whether an RE2 pattern matches anywhere in a text: linear time, so no pattern hangs a scan."""
    try:
        compiled = re2.compile(pattern, options=_RE2_OPTIONS)
    except re2.error as error:
        reason = error.args[0].decode("utf-8", "replace") if error.args else "invalid pattern"
        raise InvalidArgumentError(
            f"In function regex_match(), invalid regular expression {pattern!r}: {reason}"
        ) from None
    return _finder(compiled)


def _finder(compiled: Any) -> Callable[[str], bool]:
    """google-re2's ``search`` builds a match object and maps byte offsets back to characters in
    Python (1.3 µs on a user agent); asking its RE2 object for the first span alone costs half.
    That object is internal to google-re2, so without it the public ``search`` is used."""
    regexp = getattr(compiled, "_regexp", None)
    anchor = getattr(getattr(re2, "_Anchor", None), "UNANCHORED", None)
    if regexp is None or anchor is None or not hasattr(regexp, "Match"):
        search = compiled.search
        return lambda text: search(text) is not None
    no_match = (-1, -1)

    def found(text: str) -> bool:
        encoded = text.encode("utf-8")
        return bool(regexp.Match(anchor, encoded, 0, len(encoded))[0] != no_match)

    return found


def check_regex(pattern: str) -> str | None:
    """Why ``pattern`` is not a usable RE2 expression, or None: for validation at load time."""
    try:
        compile_regex(pattern)
    except InvalidArgumentError as error:
        return str(error)
    return None


@functools.lru_cache(maxsize=_PATTERN_CACHE)
def compile_glob(pattern: str) -> Callable[[str], bool]:
    """Whether a shell pattern matches a whole text, with ``fnmatch.fnmatchcase`` semantics.

    ``fnmatch.translate`` has emitted backtracking-free regexes since Python 3.9 (bpo-40480), so
    Python's ``re`` is safe here; RE2 cannot run them (they rely on a lookahead and a backreference).
    """
    match = re.compile(fnmatch.translate(pattern)).match
    return lambda text: match(text) is not None


# --- ARNs ------------------------------------------------------------------------------------------


def arn_part(arn: str, index: int) -> str | None:
    """Part ``index`` of ``arn:partition:service:region:account:resource``, None if not an ARN.

    The resource is everything after the fifth colon, so it keeps its own colons and slashes.
    """
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return parts[index]


# --- Sigma argument checks (the Sigma block below) ------------------------------------------------


def _sigma_type(function: str, value: Any, kind: type, name: str) -> Any:
    if not isinstance(value, kind):
        raise exceptions.JMESPathTypeError(function, value, type(value).__name__, [name])
    return value


def _sigma_patterns(function: str, value: Any) -> str | list[str]:
    """A pattern argument: a string, or a list of strings (a bound list's values)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    raise exceptions.JMESPathTypeError(function, value, type(value).__name__, ["string", "array-string"])


# --- the function table ----------------------------------------------------------------------------


class TrailwardenFunctions(Functions):
    """Built-in JMESPath functions plus trailwarden's; one instance is shared (it holds no state)."""

    @signature({"types": ["string"]}, {"types": ["string", "array-string"]})
    def _func_cidr_match(self, ip: str, cidrs: str | list[str]) -> bool:
        networks = parse_networks(cidrs if isinstance(cidrs, str) else tuple(cidrs))
        return address_in_networks(ip, networks)

    @signature({"types": ["string"]})
    def _func_is_private_ip(self, ip: str) -> bool:
        return is_private_address(ip)

    @signature({"types": ["string"]}, {"types": ["string"]})
    def _func_regex_match(self, string: str, pattern: str) -> bool:
        return compile_regex(pattern)(string)

    @signature({"types": ["string"]}, {"types": ["string"]})
    def _func_glob_match(self, string: str, pattern: str) -> bool:
        return compile_glob(pattern)(string)

    @signature({"types": ["string"]})
    def _func_lower(self, string: str) -> str:
        return string.lower()

    @signature({"types": ["string"]})
    def _func_upper(self, string: str) -> str:
        return string.upper()

    @signature({"types": ["string"]})
    def _func_json_parse(self, text: str) -> Any:
        # CloudTrail keeps IAM policy, trust and resource-policy documents as JSON text; parsing
        # them lets a condition read their statements. Text that is not JSON gives null.
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            return None

    @signature({"types": ["string"]})
    def _func_arn_partition(self, arn: str) -> str | None:
        return arn_part(arn, 1)

    @signature({"types": ["string"]})
    def _func_arn_service(self, arn: str) -> str | None:
        return arn_part(arn, 2)

    @signature({"types": ["string"]})
    def _func_arn_region(self, arn: str) -> str | None:
        return arn_part(arn, 3)

    @signature({"types": ["string"]})
    def _func_arn_account(self, arn: str) -> str | None:
        return arn_part(arn, 4)

    @signature({"types": ["string"]})
    def _func_arn_resource(self, arn: str) -> str | None:
        return arn_part(arn, 5)

    # --- policies: resource policies read with IAM's meaning (engine/conditions/policies.py) ----
    @signature({"types": ["object", "string"]})
    def _func_policy_is_public(self, doc: dict[str, Any] | str) -> bool:
        return policies.policy_is_public(doc)

    @signature({"types": ["object", "string"]})
    def _func_policy_principals(self, doc: dict[str, Any] | str) -> list[str]:
        return policies.policy_principals(doc)

    # --- Sigma: the comparisons Sigma rules compile to (engine/sigma/; issue 14) ------------------
    # One block, each a shell over engine.conditions.sigma_patterns, so it moves to a registry in
    # one piece. The signatures accept any type and each function checks its own pattern argument
    # (a `_sigma_type` error is the library's JMESPathTypeError): a Sigma rule makes several of these
    # calls per event, and the library's per-call type walk cost more than the comparison.

    @signature({"types": []}, {"types": []})
    def _func_sigma_like(self, value: Any, patterns: Any) -> bool:
        return sigma_patterns.pattern_matches(value, _sigma_patterns("sigma_like", patterns))

    @signature({"types": []}, {"types": []})
    def _func_sigma_like_cased(self, value: Any, patterns: Any) -> bool:
        return sigma_patterns.pattern_matches(
            value, _sigma_patterns("sigma_like_cased", patterns), cased=True
        )

    @signature({"types": []}, {"types": []})
    def _func_sigma_re(self, value: Any, pattern: Any) -> bool:
        return sigma_patterns.regex_matches(value, _sigma_type("sigma_re", pattern, str, "string"))

    @signature({"types": []}, {"types": []})
    def _func_sigma_cidr(self, value: Any, cidrs: Any) -> bool:
        return sigma_patterns.cidr_matches(value, _sigma_patterns("sigma_cidr", cidrs))

    @signature({"types": []}, {"types": []}, {"types": []})
    def _func_sigma_cmp(self, value: Any, op: Any, bound: Any) -> bool:
        _sigma_type("sigma_cmp", op, str, "string")
        if isinstance(bound, bool) or not isinstance(bound, int | float):
            raise exceptions.JMESPathTypeError("sigma_cmp", bound, type(bound).__name__, ["number"])
        return sigma_patterns.compare_number(value, op, bound)

    @signature({"types": []}, {"types": []}, {"types": []})
    def _func_sigma_fieldref(self, value: Any, other: Any, how: Any) -> bool:
        return sigma_patterns.fieldref_matches(
            value, other, _sigma_type("sigma_fieldref", how, str, "string")
        )

    @signature({"types": []}, {"types": []})
    def _func_sigma_keyword(self, event: Any, patterns: Any) -> bool:
        return sigma_patterns.keyword_matches(event, _sigma_patterns("sigma_keyword", patterns))

    @signature({"types": []}, {"types": []})
    def _func_sigma_path(self, event: Any, path: Any) -> Any:
        return sigma_patterns.field_values(event, _sigma_type("sigma_path", path, str, "string"))

    # --- end of the Sigma block ------------------------------------------------------------------


FUNCTIONS = TrailwardenFunctions()
OPTIONS = jmespath.Options(custom_functions=FUNCTIONS)
KNOWN_FUNCTIONS: frozenset[str] = frozenset(FUNCTIONS.FUNCTION_TABLE)

# trailwarden's own functions (JMESPath's built-ins left out), for help texts, validation hints and
# the README's table; jmespath's function table stays what calls them at run time.
CONDITION_FUNCTIONS: PluginRegistry[Callable[..., Any]] = PluginRegistry("condition function")
for _name in sorted(KNOWN_FUNCTIONS - frozenset(Functions().FUNCTION_TABLE)):
    CONDITION_FUNCTIONS.add(_name, FUNCTIONS.FUNCTION_TABLE[_name]["function"])


# --- load-time checks ------------------------------------------------------------------------------


def _function_names(node: Mapping[str, Any]) -> Iterable[str]:
    if node["type"] == "function_expression":
        yield node["value"]
    for child in node.get("children", ()):
        if isinstance(child, dict):  # slice children are ints or None, not nodes
            yield from _function_names(child)


def unknown_functions(expression: str) -> list[tuple[str, int]]:
    """Each call of a function jmespath does not know, with its character offset, in text order.

    Raises the parser's ``ParseError`` when ``expression`` is not valid JMESPath. Offsets come from
    the library's own lexer (an identifier directly followed by ``(`` is a call), so names inside
    string literals, raw strings and quoted identifiers are never mistaken for calls.
    """
    unknown = set(_function_names(parser.Parser().parse(expression).parsed)) - KNOWN_FUNCTIONS
    if not unknown:
        return []
    tokens = list(lexer.Lexer().tokenize(expression))
    return [
        (token["value"], token["start"])
        for token, following in itertools.pairwise(tokens)
        if token["type"] == "unquoted_identifier"
        and following["type"] == "lparen"
        and token["value"] in unknown
    ]
