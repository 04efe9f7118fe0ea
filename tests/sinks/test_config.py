"""The sink config file: several sinks with routing; credentials by reference only."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from engine.errors import UsageError
from engine.sinks import load_sink_config, open_routes
from engine.sinks.secrets import SecretRef


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sinks.yml"
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def test_a_config_with_several_sinks_gives_their_routing_and_settings(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        sinks:
          - url: webhook+https://hooks.example.com/trailwarden
            min_severity: high
            batch_size: 50
            secret_env: MY_WEBHOOK_SECRET
          - url: splunk+https://splunk.example.com:8088
            token_file: /run/secrets/hec
            timeout: 5
            settings: {index: security, ack: true}
            retry: {attempts: 8, max_elapsed: 300}
        """,
    )
    webhook, splunk = load_sink_config(path)
    assert webhook.min_severity == "high" and webhook.options.batch_size == 50
    assert webhook.options.secrets == {"secret": SecretRef(env="MY_WEBHOOK_SECRET")}
    assert splunk.min_severity == "info"
    assert splunk.options.params == {"index": "security", "ack": "true"}
    assert splunk.options.secrets["token"] == SecretRef(file="/run/secrets/hec")
    assert splunk.options.retry.attempts == 8 and splunk.options.retry.max_elapsed == 300.0
    assert splunk.options.timeout == 5.0


def test_an_inline_token_is_refused_with_its_line_and_value_never_echoed(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        sinks:
          - url: file:///tmp/findings.jsonl
          - url: splunk+https://splunk.example.com:8088
            token: 11111111-2222-3333-4444-555555555555
        """,
    )
    with pytest.raises(UsageError) as caught:
        load_sink_config(path)
    text = str(caught.value)
    assert f"{path}:4: sinks[1].token: secrets are never written in the config file" in text
    assert "token_env" in text
    assert "11111111-2222" not in text


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        sinks:
          - url: webhook+https://hooks.example.com/x
            min_severity: urgent
            batch_size: -3
          - min_severity: high
            colour: blue
            settings: {password: hunter2hunter2}
        """,
    )
    with pytest.raises(UsageError) as caught:
        load_sink_config(path)
    text = str(caught.value)
    assert ":3: sinks[0].min_severity" in text
    assert ":4: sinks[0].batch_size" in text
    assert "sinks[1]: `url` is required" in text
    assert ":6: sinks[1]: unknown key 'colour'" in text
    assert ":7: sinks[1].settings.password" in text and "hunter2hunter2" not in text


def test_a_file_that_is_not_a_sink_list_says_what_is_expected(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="top-level `sinks:` list"):
        load_sink_config(write(tmp_path, "- url: file:///tmp/x\n"))


def test_open_routes_joins_command_line_urls_and_the_config_file(tmp_path: Path) -> None:
    out = tmp_path / "a.jsonl"
    path = write(
        tmp_path, f"sinks:\n  - url: {(tmp_path / 'b.jsonl').as_uri()}\n    min_severity: critical\n"
    )
    routes = open_routes([str(out)], path)
    try:
        assert [r.sink.url for r in routes] == [out.as_uri(), (tmp_path / "b.jsonl").as_uri()]
        assert [r.min_severity for r in routes] == ["info", "critical"]
    finally:
        for route in routes:
            route.sink.close()


def test_a_referenced_env_var_that_is_not_set_is_named_in_the_error(tmp_path: Path) -> None:
    path = write(
        tmp_path, "sinks:\n  - url: webhook+https://hooks.example.com/x\n    secret_env: NOT_SET_ANYWHERE\n"
    )
    with pytest.raises(UsageError, match="NOT_SET_ANYWHERE is not set"):
        open_routes(config=path)
