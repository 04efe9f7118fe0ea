"""Sink URLs and the registry: schemes resolve to sinks, and credentials in URLs are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import UsageError
from engine.sinks import open_sink, registered_schemes
from engine.sinks.url import parse_sink_url

DOCUMENTED = {
    "stdout",
    "file",
    "splunk+https",
    "splunk+http",
    "elastic+https",
    "elastic+http",
    "webhook+https",
    "webhook+http",
    "securityhub",
    "syslog+udp",
    "syslog+tcp",
    "sentinel+https",
}


def test_every_documented_scheme_is_registered_and_nothing_undocumented() -> None:
    assert set(registered_schemes()) == DOCUMENTED


def test_every_registered_sink_module_says_how_to_use_it() -> None:
    """A meta-test over the registry: each sink class has a docstring naming its URL scheme."""
    import sys

    from engine.sinks.base import SINKS

    for scheme, factory in SINKS.items():
        module = sys.modules[factory.__module__]
        assert module.__doc__ and scheme.split("+")[0] in module.__doc__, scheme


def test_plain_paths_and_file_urls_are_the_same_sink(tmp_path: Path) -> None:
    target = tmp_path / "out" / "findings.jsonl"
    assert parse_sink_url(str(target)).raw == parse_sink_url(target.as_uri()).raw == target.as_uri()


def test_dash_means_stdout() -> None:
    assert parse_sink_url("-").scheme == "stdout"


def test_userinfo_in_a_url_is_refused_without_echoing_the_password() -> None:
    with pytest.raises(UsageError) as caught:
        open_sink("elastic+https://elastic:changeme-now@es.local:9200/findings")
    assert "changeme-now" not in str(caught.value)
    assert "credentials in the URL" in str(caught.value)


def test_secret_named_query_parameters_are_refused() -> None:
    with pytest.raises(UsageError, match="'token' looks like a secret") as caught:
        open_sink("splunk+https://splunk.local:8088?token=abcdef0123")
    assert "abcdef0123" not in str(caught.value)


def test_an_unknown_scheme_lists_the_known_ones() -> None:
    with pytest.raises(UsageError, match="unknown sink") as caught:
        open_sink("kafka://broker:9092/topic")
    assert "splunk+https://" in str(caught.value.hint)
