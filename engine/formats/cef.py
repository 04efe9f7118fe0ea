"""ArcSight Common Event Format, for syslog receivers and SIEMs that read CEF:

    CEF:0|trailwarden|trailwarden|<version>|<rule_id>|<title>|<severity 0-10>|<extensions>

Escaping follows the CEF standard: in the header `\\` and `|` are escaped (a header cannot hold a
line break, so those become spaces there — the full title is in `msg`); in extension values `\\`
and `=` are escaped and line breaks written as `\\n` / `\\r`. Every other control character (NUL,
ESC, DEL, C1, U+2028/2029) is written `\\xNN` / `\\uNNNN`, in the header too, so no line carries a
terminal escape sequence or splits in a receiver. Keys come from the CEF dictionary where one fits,
with its length limits (values cut with a marker); the rest go in labelled custom
strings. `parse_cef` reads a line back, for tests and for receivers written in Python."""

from __future__ import annotations

import re
from typing import Any

from engine.formats.addresses import ip_version
from engine.formats.attack import read_tags
from engine.formats.base import Finding, Format
from engine.formats.product import NAME, VENDOR, product_version
from engine.formats.reading import event_of, mapping, origin_text, text, title_of
from engine.formats.registry import register_format
from engine.formats.text import as_text, truncate, valid_unicode
from engine.formats.timestamps import epoch_ms, finding_time, parse_time

SEVERITY = {"info": 1, "low": 3, "medium": 5, "high": 8, "critical": 10}

# Lengths the CEF dictionary gives the keys used here (and the header fields).
LIMITS = {
    "act": 63,
    "outcome": 63,
    "externalId": 40,
    "msg": 1023,
    "suser": 1023,
    "suid": 1023,
    "shost": 1023,
    "cat": 1023,
    "reason": 1023,
    "destinationServiceName": 1023,
    "requestClientApplication": 1023,
    "flexString1": 1023,
    "cs1": 4000,
    "cs2": 4000,
    "cs3": 4000,
    "cs4": 4000,
    "cs5": 4000,
    "cs6": 4000,
}
HEADER_LIMITS = {"signature": 1023, "name": 512}

_KEY = re.compile(r"^[A-Za-z0-9_.\[\]]+$")


@register_format("cef")
class CefFormat(Format):
    def __init__(self) -> None:
        self._prefix = "|".join(["CEF:0", _header(VENDOR), _header(NAME), _header(product_version())]) + "|"

    def to_record(self, finding: Finding) -> str:
        severity = SEVERITY.get(str(finding.get("severity")), 0)
        signature = _header(truncate(str(finding.get("rule_id")), HEADER_LIMITS["signature"]))
        name = _header(truncate(title_of(finding), HEADER_LIMITS["name"]))
        extension = " ".join(f"{key}={_value(key, value)}" for key, value in _extensions(finding))
        return f"{self._prefix}{signature}|{name}|{severity}|{extension}"

    def to_line(self, finding: Finding) -> bytes:
        return self.to_record(finding).encode("utf-8")


def _extensions(finding: Finding) -> list[tuple[str, str]]:
    """(key, raw value) pairs, in a fixed order, leaving out what the finding does not know."""
    pairs: list[tuple[str, Any]] = []
    moment = finding_time(finding)
    pairs.append(("rt", epoch_ms(moment) if moment else None))
    for key, field in (("start", "first_seen"), ("end", "last_seen")):
        seen = parse_time(finding.get(field))
        pairs.append((key, epoch_ms(seen) if seen else None))
    pairs.append(("cnt", finding.get("count")))
    pairs += _source(text(finding.get("source_ip")))
    actor = mapping(finding.get("actor"))
    pairs.append(("suser", text(actor.get("user_name")) or text(actor.get("arn"))))
    pairs.append(("suid", text(actor.get("principal_id"))))
    pairs.append(("act", text(finding.get("event_name"))))
    pairs.append(("destinationServiceName", text(finding.get("event_source"))))
    pairs.append(("requestClientApplication", text(finding.get("user_agent"))))
    tactics = read_tags(finding.get("tags") or ()).tactics
    pairs.append(("cat", ", ".join(t.name for t in tactics) or None))
    error = text(event_of(finding).get("errorCode"))
    if event_of(finding):
        pairs.append(("outcome", "failure" if error else "success"))
    pairs.append(("reason", error))
    pairs.append(("externalId", str(finding.get("finding_id"))))
    pairs.append(("msg", title_of(finding)))
    pairs += _labelled("cs1", "AWS Account", text(finding.get("account_id")))
    pairs += _labelled("cs2", "AWS Region", text(finding.get("region")))
    pairs += _labelled("cs3", "Actor ARN", text(actor.get("arn")))
    pairs += _labelled("cs4", "CloudTrail Event ID", text(finding.get("event_id")))
    pairs += _labelled("cs5", "Rule Tags", ", ".join(str(t) for t in finding.get("tags") or ()) or None)
    context = mapping(finding.get("context"))
    pairs += _labelled("cs6", "Context", as_text(dict(context)) if context else None)
    pairs += _labelled("flexString1", "Origin", origin_text(finding))
    return [(key, as_text(value)) for key, value in pairs if value is not None and as_text(value) != ""]


def _source(source: str | None) -> list[tuple[str, Any]]:
    version = ip_version(source)
    if version == 4:
        return [("src", source)]
    if version == 6:
        return [("c6a2", source), ("c6a2Label", "Source IPv6 Address")]
    return [("shost", source)]


def _labelled(key: str, label: str, value: str | None) -> list[tuple[str, Any]]:
    return [(key, value), (f"{key}Label", label)] if value else []


# Characters a receiver or the terminal of whoever reads the line may act on: the C0 controls but
# the line breaks (escaped as CEF's \n and \r), DEL, the C1 controls, the Unicode line and paragraph
# separators — so ESC and every ANSI sequence, NUL, and the NEL that some parsers split lines on.
# CEF defines no escape for them: they are written \xNN / \uNNNN, which no other escape of ours
# produces (a backslash itself is doubled), and parse_cef reads them back.
_CONTROL = re.compile("[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def _header(value: str) -> str:
    value = valid_unicode(value).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    value = value.replace("\\", "\\\\").replace("|", "\\|")
    return _CONTROL.sub(_visible, value)


def _value(key: str, value: str) -> str:
    limit = LIMITS.get(key)
    if limit is not None:
        value = truncate(value, limit)
    value = valid_unicode(value).replace("\\", "\\\\").replace("=", "\\=")
    value = value.replace("\r", "\\r").replace("\n", "\\n")
    return _CONTROL.sub(_visible, value)


def parse_cef(line: str | bytes) -> tuple[list[str], dict[str, str]]:
    """The seven header fields (starting with `CEF:0`) and the extension pairs of one CEF line,
    unescaped. Raises ValueError when the line is not CEF."""
    if isinstance(line, bytes):
        line = line.decode("utf-8")
    if not line.startswith("CEF:"):
        raise ValueError("not a CEF line: it does not start with 'CEF:'")
    header, rest = _split_header(line)
    return header, _parse_extension(rest)


def _split_header(line: str) -> tuple[list[str], str]:
    fields: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(line):
        char = line[index]
        if char == "\\" and index + 1 < len(line) and line[index + 1] in "\\|":
            current.append(line[index + 1])
            index += 2
            continue
        if char == "|":
            fields.append("".join(current))
            current = []
            if len(fields) == 7:
                return fields, line[index + 1 :]
        else:
            current.append(char)
        index += 1
    raise ValueError(f"not a CEF line: {len(fields)} header fields, CEF has 7")


def _parse_extension(text_: str) -> dict[str, str]:
    equals: list[int] = []
    index = 0
    while index < len(text_):
        if text_[index] == "\\":
            index += 2
            continue
        if text_[index] == "=":
            equals.append(index)
        index += 1
    starts = [text_.rfind(" ", 0, e) + 1 for e in equals]
    pairs: dict[str, str] = {}
    for number, (start, equal) in enumerate(zip(starts, equals, strict=True)):
        key = text_[start:equal]
        if not _KEY.match(key):
            raise ValueError(f"not a CEF extension key: {key!r}")
        end = starts[number + 1] - 1 if number + 1 < len(starts) else len(text_)
        pairs[key] = _unescape(text_[equal + 1 : end])
    return pairs


def _unescape(value: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(value):
        char = value[index]
        if char == "\\" and index + 1 < len(value):
            following = value[index + 1]
            digits = {"x": 2, "u": 4}.get(following, 0)
            code = value[index + 2 : index + 2 + digits]
            if digits and len(code) == digits and all(c in "0123456789abcdefABCDEF" for c in code):
                out.append(chr(int(code, 16)))  # a control character written visibly
                index += 2 + digits
                continue
            out.append({"n": "\n", "r": "\r", "\\": "\\", "=": "="}.get(following, char + following))
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)
