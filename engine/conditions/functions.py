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
from typing import Any

import jmespath
import re2
from jmespath import exceptions, lexer, parser
from jmespath.functions import Functions, signature

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


class InvalidArgumentError(exceptions.JMESPathError):
    """A function got an argument of the right type but an unusable value (a bad regex or CIDR)."""


# --- addresses -------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=_ADDRESS_CACHE)
def parse_address(text: str) -> IPAddress | None:
    """The address in ``text``, or None: CloudTrail puts service names such as
    ``eks.amazonaws.com`` in ``sourceIPAddress``, and those simply match no network."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


@functools.lru_cache(maxsize=_PATTERN_CACHE)
def parse_networks(cidrs: str | tuple[str, ...]) -> tuple[IPNetwork, ...]:
    """Parse one CIDR or a tuple of them once; host bits are allowed (``10.1.2.3/8`` means 10/8)."""
    texts = (cidrs,) if isinstance(cidrs, str) else cidrs
    networks = []
    for text in texts:
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError as error:
            raise InvalidArgumentError(f"In function cidr_match(), invalid CIDR {text!r}: {error}") from None
    return tuple(networks)


def address_in_networks(text: str, networks: tuple[IPNetwork, ...]) -> bool:
    """True when ``text`` is an address inside one of ``networks``.

    An address is compared with networks of its own IP version; an IPv4-mapped IPv6 address
    (``::ffff:10.0.0.1``) is also compared, as its IPv4 address, with the IPv4 networks, because
    dual-stack endpoints log IPv4 clients that way.
    """
    address = parse_address(text)
    if address is None:
        return False
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    for network in networks:
        if address.version == network.version:
            if address in network:
                return True
        elif mapped is not None and mapped in network:
            return True
    return False


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
def compile_regex(pattern: str) -> Callable[[str], Any]:
    """The ``search`` of an RE2 pattern: linear-time matching, so no pattern can hang a scan."""
    try:
        compiled = re2.compile(pattern, options=_RE2_OPTIONS)
    except re2.error as error:
        reason = error.args[0].decode("utf-8", "replace") if error.args else "invalid pattern"
        raise InvalidArgumentError(
            f"In function regex_match(), invalid regular expression {pattern!r}: {reason}"
        ) from None
    search: Callable[[str], Any] = compiled.search
    return search


def check_regex(pattern: str) -> str | None:
    """Why ``pattern`` is not a usable RE2 expression, or None: for validation at load time."""
    try:
        compile_regex(pattern)
    except InvalidArgumentError as error:
        return str(error)
    return None


@functools.lru_cache(maxsize=_PATTERN_CACHE)
def compile_glob(pattern: str) -> Callable[[str], Any]:
    """The ``match`` of a shell pattern with ``fnmatch.fnmatchcase`` semantics.

    ``fnmatch.translate`` has emitted backtracking-free regexes since Python 3.9 (bpo-40480), so
    Python's ``re`` is safe here; RE2 cannot run them (they rely on a lookahead and a backreference).
    """
    match: Callable[[str], Any] = re.compile(fnmatch.translate(pattern)).match
    return match


# --- ARNs ------------------------------------------------------------------------------------------


def arn_part(arn: str, index: int) -> str | None:
    """Part ``index`` of ``arn:partition:service:region:account:resource``, None if not an ARN.

    The resource is everything after the fifth colon, so it keeps its own colons and slashes.
    """
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return parts[index]


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
        return compile_regex(pattern)(string) is not None

    @signature({"types": ["string"]}, {"types": ["string"]})
    def _func_glob_match(self, string: str, pattern: str) -> bool:
        return compile_glob(pattern)(string) is not None

    @signature({"types": ["string"]})
    def _func_lower(self, string: str) -> str:
        return string.lower()

    @signature({"types": ["string"]})
    def _func_upper(self, string: str) -> str:
        return string.upper()

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


FUNCTIONS = TrailwardenFunctions()
OPTIONS = jmespath.Options(custom_functions=FUNCTIONS)
KNOWN_FUNCTIONS: frozenset[str] = frozenset(FUNCTIONS.FUNCTION_TABLE)


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
