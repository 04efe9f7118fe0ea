"""Splunk HTTP Event Collector: `splunk+https://host:8088` (or `splunk+http://` for a lab).

A batch is the HEC envelopes of its findings concatenated in one POST to `/services/collector/event`
with `Authorization: Splunk <token>`; the token comes from env `TRAILWARDEN_HEC_TOKEN` or the file
named by `TRAILWARDEN_HEC_TOKEN_FILE`. URL settings: `index`, `sourcetype`, `source`, `host` (set on
every envelope), `ack=true` (indexer acknowledgement), `ack_timeout` (seconds, default 60),
`channel` (a UUID; one is made per run otherwise). A path after the port is kept as a prefix for
HEC behind a reverse proxy.

What the answers mean here: a batch is delivered only on HEC's own success answer, HTTP 200 with
the JSON `{"text": "Success", "code": 0}`; any other 200 (a proxy's or load balancer's HTML page, an
empty body) is retried, naming what came back. Otherwise HEC's documented `code` and the HTTP
status decide: 8 (internal error), 9 (server busy), 18-20 (unhealthy: queues full, ack service
unavailable), and 408, 429, 5xx and network errors are retried; the rest (token, data format,
index, channel: 400/401/403) is rejected with HEC's text and code. A 400 naming
`invalid-event-number` rejects that one finding and re-sends the others at once; Splunk may
already have indexed the events before the bad one, so those can arrive twice (delivery is at
least once; they are counted as re-sent). With `ack=true` a batch counts as delivered only when
the indexers acknowledge its `ackId`; one not acknowledged within `ack_timeout` is sent again.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import orjson
import structlog

from engine.errors import UsageError
from engine.formats import dump_json
from engine.sinks.base import Delivery, Finding, Sink, SinkOptions, load_format, register_sink
from engine.sinks.http import HttpClient, Response, TransportError, retryable_status
from engine.sinks.url import SinkURL

log = structlog.get_logger()

TOKEN_ENV = "TRAILWARDEN_HEC_TOKEN"
EVENT_PATH = "/services/collector/event"
ACK_PATH = "/services/collector/ack"
_ENVELOPE_KEYS = ("index", "sourcetype", "source", "host")
# HEC's documented status codes worth another try: 8 internal server error, 9 server is busy,
# 18-20 unhealthy (queues full, ack service unavailable). Every other code is about the token,
# the data, the index or the channel, which a retry does not change.
HEC_RETRYABLE_CODES = frozenset({8, 9, 18, 19, 20})
HEC_SUCCESS = 0


@register_sink("splunk+https", "splunk+http")
class SplunkHecSink(Sink):
    default_format = "hec"
    # HEC's default max_content_length is 1 MB (limits.conf); stay under it.
    default_batch_size = 500
    default_batch_bytes = 800_000

    def __init__(self, url: SinkURL, options: SinkOptions) -> None:
        super().__init__(url, options)
        if url.transport not in ("http", "https") or not url.host:
            raise UsageError(f"sink {self.url}: expected splunk+https://host:8088")
        token = self.secret("token", TOKEN_ENV)
        if not token:
            raise UsageError(
                f"sink {self.url}: no HEC token",
                hint=f"set {TOKEN_ENV} or {TOKEN_ENV}_FILE (a file holding the token)",
            )
        # The envelope always comes from the `hec` format; another format (native by default)
        # fills its `event`.
        inner = "native" if self.format_name == "hec" else self.format_name
        settings = {key: self.params[key] for key in _ENVELOPE_KEYS if self.params.get(key)}
        self.envelope = load_format("hec", inner=inner, **settings)
        self.ack = self.flag("ack")
        self.ack_timeout = self.number("ack_timeout", 60.0)
        self.channel = self.param("channel") or str(uuid.uuid4())
        self.prefix = url.path
        self.headers = {"Authorization": f"Splunk {token}", "Content-Type": "application/json"}
        if self.ack:
            self.headers["X-Splunk-Request-Channel"] = self.channel
        self.client = HttpClient(url.base(8088), timeout=options.timeout, environ=options.env())
        self._warned_no_ack = False

    def encode(self, finding: Finding) -> bytes:
        return dump_json(self.envelope.to_record(finding))

    def send(self, batch: Sequence[Finding]) -> Delivery:
        events, outcome = self.encode_each(batch, self.encode)
        # Each 400 with invalid-event-number removes one event, so this ends within len(batch) posts.
        while events:
            body = b"\n".join(data for _, data in events)
            ids = [fid for fid, _ in events]
            try:
                resp = self.client.post(self.prefix + EVENT_PATH, body, self.headers)
            except TransportError as exc:
                return outcome + Delivery.failed(
                    ids, f"HEC unreachable: {exc}", nbytes=len(body), unanswered=exc.unanswered
                )
            if resp.status == 200:
                not_hec = _not_success(resp)
                if not_hec is not None:
                    return outcome + Delivery.failed(ids, not_hec, nbytes=len(body))
                return outcome + self._accepted(ids, resp, len(body))
            bad = _invalid_event(resp, len(events))
            if bad is None:
                return outcome + self._refused(ids, resp, len(body))
            fid, _ = events.pop(bad)
            outcome += Delivery.refused([fid], f"HEC rejected the event: {_reason(resp)}", nbytes=len(body))
            # The events before the bad one may already be indexed: sending them again is a re-send.
            outcome += Delivery(resent=bad)
        return outcome

    def _accepted(self, ids: list[str], resp: Response, nbytes: int) -> Delivery:
        if not self.ack:
            return Delivery.ok(ids, nbytes)
        body = resp.json()
        ack_id = body.get("ackId") if isinstance(body, dict) else None
        if ack_id is None:
            if not self._warned_no_ack:
                log.warning(
                    "splunk.ack_disabled", sink=self.url, detail="token has no indexer acknowledgement"
                )
                self._warned_no_ack = True
            return Delivery.ok(ids, nbytes)
        if self._wait_for_ack(int(ack_id)):
            return Delivery.ok(ids, nbytes)
        return Delivery.failed(  # HEC took the batch: it may be indexed without the ack
            ids,
            f"ackId {ack_id} not acknowledged within {self.ack_timeout:g}s",
            nbytes=nbytes,
            unanswered=True,
        )

    def _wait_for_ack(self, ack_id: int) -> bool:
        """Poll the ack endpoint until the indexers confirm `ack_id` or `ack_timeout` passes."""
        policy = self.retry
        deadline = policy.clock() + self.ack_timeout
        delay = 0.1
        body = orjson.dumps({"acks": [ack_id]})
        path = f"{self.prefix}{ACK_PATH}?channel={self.channel}"
        while True:
            try:
                resp = self.client.post(path, body, self.headers)
            except TransportError:
                resp = None
            if resp is not None and resp.status == 200:
                acks = resp.json()
                if isinstance(acks, dict) and (acks.get("acks") or {}).get(str(ack_id)) is True:
                    return True
            remaining = deadline - policy.clock()
            if remaining <= 0:
                return False
            policy.sleep(min(delay, remaining))
            delay = min(delay * 2, 2.0)

    def _refused(self, ids: list[str], resp: Response, nbytes: int) -> Delivery:
        reason = f"HEC answered HTTP {resp.status}: {_reason(resp)}"
        if _retryable(resp):
            return Delivery.failed(ids, reason, nbytes=nbytes, retry_after=resp.retry_after())
        return Delivery.refused(ids, reason, nbytes=nbytes)

    def close(self) -> None:
        self.client.close()


def _hec_code(resp: Response) -> int | None:
    """HEC's own status `code`, when the body is HEC's JSON answer (`text` and `code`, as HEC
    always writes them; a gateway's `{"code": 503}` is not one)."""
    body = resp.json()
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        return None
    code = body.get("code")
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def _not_success(resp: Response) -> str | None:
    """Why a 200 is not HEC's success answer (`{"code": 0}`), or None when it is."""
    body = resp.json()
    success = body.get("code") if isinstance(body, dict) else None
    if type(success) is int and success == HEC_SUCCESS:  # not `False`, which equals 0
        return None
    code = _hec_code(resp)
    kind = resp.headers.get("content-type", "no content type").split(";")[0].strip() or "no content type"
    if code is not None:
        return f"HEC answered HTTP 200 with code {code}, not success: {_reason(resp)}"
    return (
        f'HTTP 200 ({kind}) but not HEC\'s answer {{"code": 0}}: {resp.excerpt(120) or "no body"}'
        " (a proxy or load balancer in front of HEC?)"
    )


def _retryable(resp: Response) -> bool:
    """Worth another try when HEC's documented code says so (busy, internal error, unhealthy) or,
    whatever the body (a proxy's page, a gateway's JSON), when the HTTP status does: for HEC
    itself the two agree, and a contradiction is settled on the side that keeps the findings
    coming."""
    code = _hec_code(resp)
    return (code is not None and code in HEC_RETRYABLE_CODES) or retryable_status(resp.status)


def _invalid_event(resp: Response, count: int) -> int | None:
    """The 0-based index of the bad event a 400 names, when it names one within the batch."""
    if resp.status != 400:
        return None
    body = resp.json()
    number = body.get("invalid-event-number") if isinstance(body, dict) else None
    if isinstance(number, int) and 0 <= number < count:
        return number
    return None


def _reason(resp: Response) -> str:
    body = resp.json()
    if isinstance(body, dict) and "text" in body:
        return f"{body['text']} (code {body.get('code')})"
    return resp.excerpt() or "no body"
