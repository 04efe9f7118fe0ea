"""syslog: RFC 5424 messages carrying CEF, over UDP (`syslog+udp://host:514`) or TCP
(`syslog+tcp://host:601`).

Each finding is one message: `<PRI>1 TIMESTAMP HOST trailwarden PID finding - CEF:0|…`, its syslog
severity taken from the finding's (critical→2 crit … info→6 info) and the facility from the URL
(`facility=local0` by default; any RFC 5424 keyword).

TCP frames messages by octet counting (RFC 6587: `<length> <message>`), which survives newlines in a
message; a batch goes out in one write over a kept-open connection, and a failed write closes it and
retries the batch (at least once: the receiver may see some of it twice). Before each batch the
connection is probed for an orderly close by the receiver (a restarted rsyslog, a load balancer's
idle timeout): the kernel accepts the first write into a half-closed socket and the receiver never
reads it, so writing without the probe would count a lost batch as delivered.

UDP is fire and forget: a datagram handed to the kernel counts as delivered, since UDP never says
whether anyone listened. One datagram holds one message of at most `max_size` bytes (default 8192,
at most 65507); a longer message is NOT truncated (that would cut the CEF extension silently): the
finding is rejected with a reason naming its size, kept in the spool as rejected, and the run exits
3 — send such findings over `syslog+tcp`, or raise `max_size` if the receiver accepts more.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
from collections.abc import Sequence
from datetime import UTC, datetime

from engine.errors import UsageError
from engine.sinks.base import Delivery, Finding, Sink, SinkOptions, register_sink
from engine.sinks.url import SinkURL
from engine.text import printable

FACILITIES = {
    "kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6, "news": 7,
    "uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11, "ntp": 12, "security": 13, "console": 14,
    "solaris-cron": 15, "local0": 16, "local1": 17, "local2": 18, "local3": 19, "local4": 20,
    "local5": 21, "local6": 22, "local7": 23,
}  # fmt: skip
SEVERITY_CODES = {"critical": 2, "high": 3, "medium": 4, "low": 5, "info": 6}
APP_NAME = "trailwarden"
MSGID = "finding"
MAX_UDP_PAYLOAD = 65507
DEFAULT_UDP_MAX = 8192


class _SyslogSink(Sink):
    default_format = "cef"
    allowed_formats = frozenset({"cef"})
    default_batch_size = 200
    default_batch_bytes = 1024 * 1024
    default_port = 514

    def __init__(self, url: SinkURL, options: SinkOptions) -> None:
        super().__init__(url, options)
        if not url.host:
            raise UsageError(f"sink {self.url}: expected {url.scheme}://host:port")
        facility = (self.param("facility") or "local0").lower()
        if facility not in FACILITIES:
            raise UsageError(f"sink {self.url}: unknown syslog facility {facility!r}")
        self.facility = FACILITIES[facility]
        self.address = (url.host, url.port or self.default_port)
        self.hostname = _header_word(socket.gethostname(), 255)
        self.procid = str(os.getpid())

    def message(self, finding: Finding) -> bytes:
        """One RFC 5424 message (no trailing newline; framing is the transport's job)."""
        record = self.format.to_record(finding)
        text = record if isinstance(record, str) else self.format.to_line(finding).decode("utf-8")
        severity = SEVERITY_CODES.get(str(finding.get("severity")), 5)
        stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        head = f"<{self.facility * 8 + severity}>1 {stamp} {self.hostname} {APP_NAME} {self.procid} {MSGID} -"
        # CEF already writes every control character visibly; this keeps it so whatever the body
        # (a line break would split the message in a receiver that frames by newline, ESC would
        # reach the terminal of whoever tails the log)
        return f"{head} {printable(text.rstrip())}".encode()


@register_sink("syslog+tcp")
class SyslogTcpSink(_SyslogSink):
    default_port = 601

    def __init__(self, url: SinkURL, options: SinkOptions) -> None:
        super().__init__(url, options)
        self.sock: socket.socket | None = None

    def send(self, batch: Sequence[Finding]) -> Delivery:
        messages, refused = self.encode_each(batch, self.message)
        ids = [fid for fid, _ in messages]
        frames = b"".join(_octet_counted(message) for _, message in messages)
        if not frames:
            return refused
        if self.sock is not None and _peer_closed(self.sock):
            self._disconnect()
        try:
            if self.sock is None:
                self.sock = socket.create_connection(self.address, timeout=self.options.timeout)
            self.sock.sendall(frames)
        except OSError as exc:
            self._disconnect()
            return refused + Delivery.failed(ids, f"syslog TCP {self.address[0]}:{self.address[1]}: {exc}")
        return refused + Delivery.ok(ids, len(frames))

    def _disconnect(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None

    def close(self) -> None:
        if self.sock is not None:
            # The peer may already have gone away; nothing is pending on our side then.
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_WR)
        self._disconnect()


@register_sink("syslog+udp")
class SyslogUdpSink(_SyslogSink):
    def __init__(self, url: SinkURL, options: SinkOptions) -> None:
        super().__init__(url, options)
        self.max_size = int(self.number("max_size", DEFAULT_UDP_MAX))
        if not 480 <= self.max_size <= MAX_UDP_PAYLOAD:
            raise UsageError(f"sink {self.url}: max_size must be between 480 and {MAX_UDP_PAYLOAD}")
        try:
            family, _, _, _, sockaddr = socket.getaddrinfo(*self.address, type=socket.SOCK_DGRAM)[0]
        except OSError as exc:
            raise UsageError(f"sink {self.url}: cannot resolve {self.address[0]}: {exc}") from None
        self.sockaddr = sockaddr
        self.sock = socket.socket(family, socket.SOCK_DGRAM)

    def send(self, batch: Sequence[Finding]) -> Delivery:
        messages, refused = self.encode_each(batch, self.message)
        return Delivery.combine([refused, *(self._send_one(fid, data) for fid, data in messages)])

    def _send_one(self, fid: str, data: bytes) -> Delivery:
        if len(data) > self.max_size:
            return Delivery.refused(
                [fid],
                f"syslog message is {len(data)} bytes, over this UDP sink's max_size {self.max_size}; "
                "use syslog+tcp or raise max_size",
            )
        try:
            self.sock.sendto(data, self.sockaddr)
        except OSError as exc:
            return Delivery.failed([fid], f"syslog UDP {self.address[0]}:{self.address[1]}: {exc}")
        return Delivery.ok([fid], len(data))

    def close(self) -> None:
        self.sock.close()


def _peer_closed(sock: socket.socket) -> bool:
    """True when the receiver has closed its end; a syslog receiver never sends, so any readable
    state is EOF or a reset (bytes it did send are left unread and mean nothing to us)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


def _octet_counted(message: bytes) -> bytes:
    return str(len(message)).encode("ascii") + b" " + message


def _header_word(text: str, limit: int) -> str:
    """A syslog header field: printable ASCII without spaces, or '-' when nothing is left."""
    word = "".join(ch for ch in text if 33 <= ord(ch) <= 126)[:limit]
    return word or "-"
