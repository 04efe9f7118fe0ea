"""Secrets are masked in any text a log line or error message may carry."""

from __future__ import annotations

import logging

from engine.sinks.redact import (
    MASK,
    RedactingFilter,
    redact,
    redact_processor,
    register_env_secrets,
    register_secret,
)


def test_a_registered_secret_is_masked_wherever_it_appears() -> None:
    register_secret("hunter2-but-longer")
    assert redact("the server said: bad token hunter2-but-longer!") == f"the server said: bad token {MASK}!"


def test_url_userinfo_is_masked() -> None:
    assert (
        redact("POST https://elastic:changeme@es.local:9200/_bulk")
        == f"POST https://{MASK}@es.local:9200/_bulk"
    )


def test_authorization_values_and_secret_query_parameters_are_masked() -> None:
    assert redact("Authorization: Splunk 0b1c2d3e-aaaa") == f"Authorization: Splunk {MASK}"
    assert redact("headers={'Authorization': 'ApiKey dGVzdDp0ZXN0MQ=='}").count(MASK) == 1
    assert "s3cr3t" not in redact("https://hooks.local/x?token=s3cr3t&team=blue")
    assert redact('{"password": "p4ssw0rd!"}') == f'{{"password": "{MASK}"}}'


def test_prose_about_tokens_is_left_readable() -> None:
    text = "HEC answered HTTP 403: Invalid token (code 4); Basic authentication failed"
    assert redact(text) == text


def test_env_vars_named_like_secrets_are_registered() -> None:
    register_env_secrets({"MY_HEC_TOKEN": "abcdef-123456-xyz", "HOME": "/root", "SOME_SECRET_FILE": "/run/x"})
    assert MASK in redact("saw abcdef-123456-xyz")
    assert redact("/root and /run/x") == "/root and /run/x"


def test_structlog_processor_masks_nested_values() -> None:
    register_secret("nested-secret-9876")
    event = {"event": "x", "detail": {"reasons": ["got nested-secret-9876"]}, "n": 3}
    out = redact_processor(None, "info", event)
    assert out["detail"] == {"reasons": [f"got {MASK}"]} and out["n"] == 3


def test_logging_filter_masks_messages_and_tracebacks() -> None:
    register_secret("filter-secret-5555")
    try:
        raise ValueError("token filter-secret-5555 refused")
    except ValueError:
        import sys

        args = ("filter-secret-5555",)
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "sent %s", args, sys.exc_info())
    RedactingFilter().filter(record)
    assert "filter-secret-5555" not in record.getMessage()
    assert record.exc_text is not None and "filter-secret-5555" not in record.exc_text
