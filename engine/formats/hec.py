"""Splunk HTTP Event Collector envelopes: `{"time", "host", "source", "sourcetype", "index",
"event"}`, where `event` is the finding in another format (native by default; OCSF, ECS or CEF
text work too). The HEC sink concatenates these lines into one request body.

`time` is the event's time in epoch seconds (what Splunk indexes on); when a finding has no time,
it is left out and Splunk stamps the time of receipt. `index` is left out unless given, so the
token's default index applies.

With the native finding inside (the default), the event also carries the fields of the Common
Information Model's Alerts data model (`engine.formats.cim`), which Splunk Enterprise Security's
correlation searches and dashboards read; `cim=False` leaves them out. The CloudTrail record in
the finding's `event` keeps CloudTrail's own field names, as the Splunk Add-on for AWS indexes
them (`aws:cloudtrail`)."""

from __future__ import annotations

import socket
from collections.abc import Mapping
from typing import Any

from engine.errors import UsageError
from engine.formats.base import Finding, Format
from engine.formats.cim import alert_fields
from engine.formats.registry import get_format, register_format
from engine.formats.timestamps import finding_time

DEFAULT_SOURCETYPE = "trailwarden:finding"
DEFAULT_SOURCE = "trailwarden"


@register_format("hec")
class HecFormat(Format):
    def __init__(
        self,
        *,
        index: str | None = None,
        host: str | None = None,
        source: str = DEFAULT_SOURCE,
        sourcetype: str = DEFAULT_SOURCETYPE,
        inner: str = "native",
        inner_options: Mapping[str, Any] | None = None,
        cim: bool = True,
    ) -> None:
        if inner == "hec":
            raise UsageError(
                "the hec format cannot wrap itself", hint="use inner=native, ocsf, ecs, asff or cef"
            )
        self._inner = get_format(inner, **dict(inner_options or {}))
        self._cim = cim and inner == "native"
        self._base: dict[str, Any] = {
            "host": host or socket.gethostname(),
            "source": source,
            "sourcetype": sourcetype,
        }
        if index:
            self._base["index"] = index

    def to_record(self, finding: Finding) -> dict[str, Any]:
        envelope: dict[str, Any] = {}
        moment = finding_time(finding)
        if moment is not None:
            envelope["time"] = round(moment.timestamp(), 3)
        envelope.update(self._base)
        event = self._inner.to_record(finding)
        envelope["event"] = {**event, **alert_fields(finding)} if self._cim else event
        return envelope
