"""Elasticsearch / OpenSearch `_bulk`: `elastic+https://host:9200/<index>` (`elastic+http://` for a lab).

Each finding is a `create` action with `_id` = finding_id and its ECS document, so sending a finding
twice never makes two documents: the second answer is 409, which counts as delivered. Item results
are read one by one: 429 and 5xx items are retried, any other item error is rejected with Elastic's
reason (a mapping conflict will not heal by retrying). Credentials: env `TRAILWARDEN_ELASTIC_API_KEY`
(the encoded key Elastic prints; sent as `Authorization: ApiKey …`) or, failing that,
`TRAILWARDEN_ELASTIC_USERNAME` and `TRAILWARDEN_ELASTIC_PASSWORD` for basic auth; each also as a
file named by the same env var with `_FILE`. URL settings: `pipeline` (an ingest pipeline);
`install_template=true` puts trailwarden's ECS index template for this index
(`engine.formats.ecs_template`, as `trailwarden template elastic` prints it) before the first
batch, so a new index maps every field trailwarden writes and no other (an index that already
exists keeps its mapping: a template applies when an index is created).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode

import orjson

from engine.errors import UsageError
from engine.formats.ecs_template import index_template
from engine.sinks.base import Delivery, Finding, Sink, SinkOptions, finding_id, register_sink
from engine.sinks.http import HttpClient, Response, TransportError, retryable_status
from engine.sinks.url import SinkURL

API_KEY_ENV = "TRAILWARDEN_ELASTIC_API_KEY"
USERNAME_ENV = "TRAILWARDEN_ELASTIC_USERNAME"
PASSWORD_ENV = "TRAILWARDEN_ELASTIC_PASSWORD"


@register_sink("elastic+https", "elastic+http")
class ElasticBulkSink(Sink):
    default_format = "ecs"
    allowed_formats = frozenset({"ecs", "native", "ocsf"})
    default_batch_size = 500
    default_batch_bytes = 5 * 1024 * 1024

    def __init__(self, url: SinkURL, options: SinkOptions) -> None:
        super().__init__(url, options)
        index = url.path.strip("/")
        if url.transport not in ("http", "https") or not url.host or not index or "/" in index:
            raise UsageError(f"sink {self.url}: expected elastic+https://host:9200/<index>")
        self.headers = {"Content-Type": "application/x-ndjson", **self._auth()}
        query = {"pipeline": self.params["pipeline"]} if self.params.get("pipeline") else {}
        self.path = f"/{quote(index)}/_bulk" + (f"?{urlencode(query)}" if query else "")
        self.client = HttpClient(url.base(9200), timeout=options.timeout, environ=options.env())
        self.template: tuple[str, bytes] | None = None
        if self.flag("install_template"):
            if self.format_name != "ecs":
                raise UsageError(f"sink {self.url}: install_template is for format=ecs")
            # One above the printed template's priority: Elastic refuses two overlapping at the same one.
            body = orjson.dumps(index_template((index,), policy=None, priority=201))
            self.template = (f"/_index_template/{quote(_template_name(index))}", body)

    def _auth(self) -> dict[str, str]:
        api_key = self.secret("api_key", API_KEY_ENV)
        if api_key:
            return {"Authorization": f"ApiKey {api_key}"}
        username = self.secret("username", USERNAME_ENV)
        password = self.secret("password", PASSWORD_ENV)
        if username and password:
            pair = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
            return {"Authorization": f"Basic {pair}"}
        if username or password:
            raise UsageError(f"sink {self.url}: basic auth needs both {USERNAME_ENV} and {PASSWORD_ENV}")
        return {}  # a cluster without security (a lab); Elastic will say 401 otherwise

    def encode(self, finding: Finding) -> bytes:
        action = orjson.dumps({"create": {"_id": finding_id(finding)}})
        record = self.format.to_record(finding)
        return action + b"\n" + orjson.dumps(record) + b"\n"

    def send(self, batch: Sequence[Finding]) -> Delivery:
        actions, refused = self.encode_each(batch, self.encode)
        if not actions:
            return refused
        ids = [fid for fid, _ in actions]
        if self.template is not None:
            failed = self._install_template(ids)
            if failed is not None:
                return refused + failed
        return refused + self._bulk(ids, b"".join(data for _, data in actions))

    def _install_template(self, ids: list[str]) -> Delivery | None:
        """Put the index template once, before the first `_bulk`; until Elastic takes it, the
        batch waits (retried, or rejected with Elastic's reason: a key without the
        `manage_index_templates` privilege must not quietly create an unmapped index)."""
        assert self.template is not None
        path, body = self.template
        try:
            resp = self.client.post(path, body, {**self.headers, "Content-Type": "application/json"})
        except TransportError as exc:
            return Delivery.failed(ids, f"Elastic unreachable: {exc}")
        if resp.status == 200:
            self.template = None
            return None
        answer = _error_text(resp.json()) or resp.excerpt()
        reason = f"installing the index template, Elastic answered HTTP {resp.status}: {answer}"
        if retryable_status(resp.status):
            return Delivery.failed(ids, reason, retry_after=resp.retry_after())
        return Delivery.refused(ids, reason)

    def _bulk(self, ids: list[str], body: bytes) -> Delivery:
        try:
            resp = self.client.post(self.path, body, self.headers)
        except TransportError as exc:
            return Delivery.failed(
                ids, f"Elastic unreachable: {exc}", nbytes=len(body), unanswered=exc.unanswered
            )
        if resp.status != 200:
            return _whole_request(ids, resp, len(body))
        answer = resp.json()
        items = answer.get("items") if isinstance(answer, dict) else None
        if not isinstance(items, list) or len(items) != len(ids):
            return Delivery.failed(ids, f"unexpected _bulk answer: {resp.excerpt()}", nbytes=len(body))
        head = Delivery(bytes=len(body), retry_after=resp.retry_after())
        return Delivery.combine([head, *(_item(fid, item) for fid, item in zip(ids, items, strict=True))])

    def close(self) -> None:
        self.client.close()


def _template_name(index: str) -> str:
    """One template per index a sink writes to, named apart from the one `trailwarden template
    elastic` prints, so neither replaces the other."""
    return f"trailwarden-sink-{index}"


def _whole_request(ids: list[str], resp: Response, nbytes: int) -> Delivery:
    reason = f"Elastic answered HTTP {resp.status}: {_error_text(resp.json()) or resp.excerpt()}"
    if retryable_status(resp.status):
        return Delivery.failed(ids, reason, nbytes=nbytes, retry_after=resp.retry_after())
    if resp.status == 413:
        reason += " (lower batch_bytes for this sink)"
    return Delivery.refused(ids, reason)


def _item(fid: str, item: Any) -> Delivery:
    """One `_bulk` item result: 2xx and 409 delivered, 429/5xx retried, the rest rejected."""
    result: Mapping[str, Any] = next(iter(item.values()), {}) if isinstance(item, dict) else {}
    status = result.get("status")
    if not isinstance(status, int):
        return Delivery.failed([fid], f"_bulk item without a status: {item!r:.200}")
    if result.get("_id", fid) != fid:  # items come in the order of the actions; one out of place
        return Delivery.failed([fid], f"_bulk answered for _id {result.get('_id')!r:.80} in its place")
    if 200 <= status < 300 or status == 409:
        return Delivery.ok([fid])
    reason = f"HTTP {status}: {_error_text(result) or 'no reason given'}"
    if retryable_status(status):
        return Delivery.failed([fid], reason)
    return Delivery.refused([fid], reason)


def _error_text(body: Any) -> str:
    """Elastic's `error` is either a string or `{type, reason, caused_by}`; name type and reason."""
    if not isinstance(body, Mapping):
        return ""
    error = body.get("error")
    if isinstance(error, str):
        return error
    if isinstance(error, Mapping):
        text = f"{error.get('type', 'error')}: {error.get('reason', '')}".strip()
        caused = error.get("caused_by")
        if isinstance(caused, Mapping) and caused.get("reason"):
            text += f" (caused by {caused.get('type')}: {caused.get('reason')})"
        return text
    return ""
