"""Sinks: where findings go, batched, retried, and spooled when a destination is down.

`open_sink(url)` opens one sink from its URL; `open_routes(urls, config)` opens several with their
routing; a `Dispatcher` takes findings from the scan and reports what was delivered, spooled or
rejected; `flush_spool` re-sends the spool without scanning.
"""

from engine.sinks.base import Delivery, Sink, SinkOptions, open_sink, register_sink, registered_schemes
from engine.sinks.config import load_sink_config, open_routes
from engine.sinks.dispatch import Dispatcher, DispatchReport, Route, Settled
from engine.sinks.flush import flush_spool
from engine.sinks.redact import install_redaction, redact, redact_processor
from engine.sinks.retry import RetryPolicy

__all__ = [
    "Delivery",
    "DispatchReport",
    "Dispatcher",
    "RetryPolicy",
    "Route",
    "Settled",
    "Sink",
    "SinkOptions",
    "flush_spool",
    "install_redaction",
    "load_sink_config",
    "open_routes",
    "open_sink",
    "redact",
    "redact_processor",
    "register_sink",
    "registered_schemes",
]
