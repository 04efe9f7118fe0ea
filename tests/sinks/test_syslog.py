"""syslog sinks against real UDP and TCP listeners: RFC 5424 headers, CEF bodies, octet counting."""

from __future__ import annotations

import pytest

from engine.errors import UsageError
from engine.formats.cef import parse_cef
from engine.sinks import open_sink
from tests.sinks.conftest import findings
from tests.sinks.servers import TcpListener, UdpListener, parse_rfc5424


def test_udp_sends_one_rfc5424_message_per_finding_carrying_cef() -> None:
    listener = UdpListener()
    try:
        sink = open_sink(f"syslog+udp://127.0.0.1:{listener.port}?facility=local4")
        batch = findings(5)
        result = sink.send(batch)
        sink.close()
        messages = [parse_rfc5424(m) for m in listener.wait_for(5)]
    finally:
        listener.stop()
    assert len(result.delivered) == 5 and len(messages) == 5
    severity_codes = {"critical": 2, "high": 3, "medium": 4, "low": 5, "info": 6}
    by_pri = sorted(int(m["pri"]) for m in messages)
    assert by_pri == sorted(20 * 8 + severity_codes[f["severity"]] for f in batch)
    assert {m["app"] for m in messages} == {"trailwarden"}
    assert all(m["msg"].startswith("CEF:0|") for m in messages)
    assert all(m["ts"].endswith("Z") for m in messages)


def test_tcp_frames_messages_by_octet_counting_over_one_connection() -> None:
    listener = TcpListener()
    try:
        sink = open_sink(f"syslog+tcp://127.0.0.1:{listener.port}")
        sink.send(findings(3))
        sink.send(findings(4, start=3))
        sink.close()
        messages = [parse_rfc5424(m) for m in listener.wait_for(7)]
    finally:
        listener.stop()
    assert len(messages) == 7 and listener.connections == 1
    assert all(m["msg"].startswith("CEF:0|") for m in messages)
    assert all(16 * 8 <= int(m["pri"]) < 17 * 8 for m in messages)  # local0 by default


def test_tcp_reconnects_after_the_receiver_restarts() -> None:
    listener = TcpListener()
    port = listener.port
    sink = open_sink(f"syslog+tcp://127.0.0.1:{port}")
    assert len(sink.send(findings(1)).delivered) == 1
    listener.wait_for(1)
    listener.stop()
    # The receiver closed the connection: the sink must notice before writing, not count the
    # batch delivered into a socket nobody reads.
    failed = sink.send(findings(1, start=1))
    assert failed.retry and not failed.delivered
    listener = TcpListener(port=port)
    try:
        assert len(sink.send(findings(1, start=9)).delivered) == 1
        assert len(listener.wait_for(1)) == 1
    finally:
        sink.close()
        listener.stop()


def test_udp_rejects_a_message_over_max_size_instead_of_truncating_it() -> None:
    listener = UdpListener()
    try:
        sink = open_sink(f"syslog+udp://127.0.0.1:{listener.port}?max_size=480")
        result = sink.send(findings(2))
    finally:
        listener.stop()
    assert len(result.rejected) == 2
    assert "over this UDP sink's max_size 480; use syslog+tcp" in next(iter(result.rejected.values()))
    assert listener.messages == []


def test_an_unknown_facility_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="facility"):
        open_sink("syslog+udp://127.0.0.1:514?facility=kitchen")


def test_control_characters_in_a_finding_never_reach_the_receiver_raw() -> None:
    """NUL, ESC sequences, DEL, C1 and U+2028/2029 in fields an attacker shapes (user agent,
    title, context) arrive as visible escapes in one message per finding, over UDP and TCP, and
    the CEF body still reads back exactly."""
    controls = "".join(chr(c) for c in [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029])
    hostile = "ua" + controls + "\x1b[2J\x1b]0;owned\x07"
    batch = findings(2)
    for finding in batch:
        finding["user_agent"] = finding["title"] = hostile
        finding["context"] = {"k": hostile}
    for listener, scheme in ((UdpListener(), "syslog+udp"), (TcpListener(), "syslog+tcp")):
        try:
            sink = open_sink(f"{scheme}://127.0.0.1:{listener.port}")
            assert len(sink.send(batch).delivered) == 2
            sink.close()
            raw = listener.wait_for(2)
        finally:
            listener.stop()
        assert len(raw) == 2
        for data in raw:
            text = data.decode("utf-8")
            assert not any(c in text for c in controls), scheme
            _, ext = parse_cef(parse_rfc5424(data)["msg"])
            assert ext["requestClientApplication"] == hostile and ext["msg"] == hostile
