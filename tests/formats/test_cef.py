"""CEF: the header and extension escaping rules, proved by a round trip through parse_cef."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.formats import get_format
from engine.formats.cef import parse_cef
from engine.formats.product import product_version
from engine.formats.text import MARKER
from tests.formats.findings import NASTY, UNICODE, cloudtrail_event, corpus, make_finding

CORPUS = corpus()
CEF = get_format("cef")


def _parse(finding: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    return parse_cef(CEF.to_line(finding))


# Every character a terminal or a line-splitting receiver may act on, but the line breaks
# (C0, DEL, C1, the Unicode line and paragraph separators).
CONTROLS = [chr(c) for c in [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029] if chr(c) not in "\r\n"]


def _header_text(title: str) -> str:
    """What the header's name field reads as: line breaks as spaces, controls written visibly."""
    flat = title.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    return "".join(
        f"\\x{ord(c):02x}" if c in CONTROLS and ord(c) <= 0xFF else f"\\u{ord(c):04x}" if c in CONTROLS else c
        for c in flat
    )


def test_header_fields() -> None:
    """Vendor, product, version, rule id as signature, title as name, severity on 0-10."""
    finding = CORPUS["eks-root-create-cluster"]
    header, _ = _parse(finding)
    assert header == [
        "CEF:0",
        "trailwarden",
        "trailwarden",
        product_version(),
        finding["rule_id"],
        finding["title"],
        "10",
    ]
    scale = {"info": "1", "low": "3", "medium": "5", "high": "8", "critical": "10"}
    for each in CORPUS.values():
        assert _parse(each)[0][6] == scale[each["severity"]]


def test_extension_keys_from_the_cef_dictionary() -> None:
    """rt, src, suser, act, externalId, msg and labelled custom strings carry the finding."""
    finding = CORPUS["iam-attach-role-policy"]
    _, ext = _parse(finding)
    assert ext["rt"] == "1795169100000"
    assert ext["src"] == "198.51.100.7"
    assert ext["suser"] == "ci-deployer"
    assert ext["act"] == "AttachRolePolicy"
    assert ext["destinationServiceName"] == "iam.amazonaws.com"
    assert ext["externalId"] == finding["finding_id"]
    assert ext["msg"] == finding["title"]
    assert (ext["cs1Label"], ext["cs1"]) == ("AWS Account", "111122223333")
    assert (ext["cs3Label"], ext["cs3"]) == ("Actor ARN", finding["actor"]["arn"])
    assert ext["cat"] == "Persistence, Privilege Escalation"
    assert ext["outcome"] == "success"


def test_ipv6_service_and_failures() -> None:
    """IPv6 callers go to c6a2, service callers to shost; an error code gives outcome=failure."""
    _, denied = _parse(CORPUS["iam-access-denied-ipv6"])
    assert (denied["c6a2"], denied["c6a2Label"]) == ("2001:db8::8a2e:370:7334", "Source IPv6 Address")
    assert "src" not in denied
    assert (denied["outcome"], denied["reason"]) == ("failure", "AccessDenied")
    _, service = _parse(CORPUS["aws-service-call"])
    assert service["shost"] == "eks.amazonaws.com" and "src" not in service


def test_nasty_characters_round_trip() -> None:
    """Pipes, equals, backslashes and line breaks survive in extensions; the header escapes | and \\."""
    finding = CORPUS["nasty-characters"]
    line = CEF.to_line(finding)
    assert b"\n" not in line and b"\r" not in line
    header, ext = parse_cef(line)
    assert header[4] == finding["rule_id"]
    assert header[5] == _header_text(NASTY)
    assert ext["msg"] == NASTY
    assert ext["requestClientApplication"] == NASTY
    assert ext["cs5"].endswith(NASTY)
    assert set(ext) >= {"rt", "msg", "externalId", "cs6", "flexString1"}


def test_unicode_round_trips() -> None:
    """Non-ASCII text is written as UTF-8 and read back unchanged."""
    finding = CORPUS["unicode"]
    header, ext = _parse(finding)
    assert header[5] == finding["title"] and ext["msg"] == finding["title"]
    assert ext["requestClientApplication"] == UNICODE


def test_dictionary_lengths_are_kept() -> None:
    """Values longer than the CEF dictionary allows are cut with a marker (msg 1023, header name 512)."""
    header, ext = _parse(CORPUS["huge-strings"])
    assert len(ext["msg"]) == 1023 and ext["msg"].endswith(MARKER)
    assert len(ext["requestClientApplication"]) == 1023
    assert len(header[5]) == 512


def test_lone_surrogates_do_not_break_encoding() -> None:
    """A lone surrogate from hostile input becomes U+FFFD instead of failing the UTF-8 encoding."""
    _, ext = _parse(CORPUS["hostile-values"])
    assert ext["msg"] == "hostile \ufffd title"


def test_parse_cef_rejects_what_is_not_cef() -> None:
    """parse_cef says why a line is not CEF."""
    with pytest.raises(ValueError, match="does not start"):
        parse_cef("<134>hello")
    with pytest.raises(ValueError, match="header fields"):
        parse_cef("CEF:0|a|b|c")
    with pytest.raises(ValueError, match="extension key"):
        parse_cef("CEF:0|a|b|c|d|e|1|bad key!=1")


text_values = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=60
).filter(lambda s: s.strip())


@settings(max_examples=150, deadline=None)
@given(title=text_values, agent=text_values, context=text_values)
def test_any_text_round_trips(title: str, agent: str, context: str) -> None:
    """Whatever text a title, user agent or context holds, parse_cef gives it back exactly."""
    finding = make_finding(cloudtrail_event(userAgent=agent), title=title, context={"k": context})
    header, ext = _parse(finding)
    assert ext["msg"] == title
    assert ext["requestClientApplication"] == agent
    assert ext["cs6"] == orjson.dumps({"k": context}).decode()
    assert header[5] == _header_text(title)


def test_control_characters_never_reach_the_line() -> None:
    """NUL, ESC (and so every ANSI sequence), DEL, C1 (NEL among them), U+2028/2029 in any field an
    attacker shapes are written as visible escapes — in the header and the extensions — and
    parse_cef reads the extensions back exactly."""
    hostile = "x" + "".join(CONTROLS) + "\x1b[2J\x1b]0;owned\x07y"
    finding = make_finding(cloudtrail_event(userAgent=hostile), title=hostile, context={"k": hostile})
    line = CEF.to_line(finding).decode("utf-8")
    assert not any(c in line for c in CONTROLS) and "\n" not in line and "\r" not in line
    header, ext = parse_cef(line)
    assert ext["msg"] == hostile and ext["requestClientApplication"] == hostile
    assert header[5] == _header_text(hostile) and "\\x1b[2J" in header[5]
