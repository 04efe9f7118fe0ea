"""The CloudTrail key layout: file names, layout paths, listing positions and the scan scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine.sources.trail_keys import Scope, parse_key, parse_layout, position, rewind

KEY = (
    "logs/AWSLogs/o-aa11bb22cc/111122223333/CloudTrail/us-east-1/2026/11/20/"
    "111122223333_CloudTrail_us-east-1_20261120T0005Z_Mu0KsOhtH1ar15ZZ.json.gz"
)


def test_log_file_names_give_account_region_and_delivery_minute() -> None:
    parsed = parse_key(KEY)
    assert parsed is not None
    assert (parsed.account, parsed.kind, parsed.region) == ("111122223333", "CloudTrail", "us-east-1")
    assert parsed.delivered == datetime(2026, 11, 20, 0, 5, tzinfo=UTC)
    assert not parsed.is_digest


def test_digest_and_insight_names_are_recognised() -> None:
    digest = parse_key(
        "x/111122223333_CloudTrail-Digest_us-east-2_org-trail_us-east-2_20261106T191425Z.json.gz"
    )
    insight = parse_key("x/111122223333_CloudTrail-Insight_eu-west-1_20261120T1200Z_abc.json.gz")
    assert digest is not None and digest.is_digest
    assert digest.delivered == datetime(2026, 11, 6, 19, 14, 25, tzinfo=UTC)
    assert insight is not None and insight.kind == "CloudTrail-Insight" and insight.region == "eu-west-1"
    assert parse_key("exports/events.json") is None
    assert parse_key("x/111122223333_CloudTrail_us-east-1_20261340T0005Z_a.json.gz") is None  # month 13


def test_rewind_crosses_midnight_into_the_previous_day_folder() -> None:
    """Late files sort before the last key read: the re-listing position goes back across days."""
    assert rewind(KEY, timedelta(minutes=15)) == (
        "logs/AWSLogs/o-aa11bb22cc/111122223333/CloudTrail/us-east-1/2026/11/19/"
        "111122223333_CloudTrail_us-east-1_20261119T2350Z"
    )
    assert rewind(KEY, timedelta(minutes=15)) < KEY
    assert rewind("exports/events.json", timedelta(minutes=15)) == "exports/events.json"


def test_position_sorts_before_keys_of_that_minute_and_after_earlier_ones() -> None:
    folder = "AWSLogs/111122223333/CloudTrail/us-east-1/"
    stem = "111122223333_CloudTrail_us-east-1_"
    at = position(folder, stem, datetime(2026, 11, 20, 12, 5, tzinfo=UTC))
    assert f"{folder}2026/11/20/{stem}20261120T1205Z_aaaa.json.gz" > at
    assert f"{folder}2026/11/20/{stem}20261120T1200Z_zzzz.json.gz" < at
    assert f"{folder}2026/11/19/{stem}20261119T2355Z_zzzz.json.gz" < at


def test_layout_paths_are_read_as_far_as_they_go() -> None:
    path = parse_layout("logs/AWSLogs/o-aa11bb22cc/111122223333/CloudTrail/us-east-1/2026/11/")
    assert path is not None
    assert (path.base, path.org, path.account, path.folder, path.region, path.date) == (
        "logs/AWSLogs/",
        "o-aa11bb22cc",
        "111122223333",
        "CloudTrail",
        "us-east-1",
        ("2026", "11"),
    )
    assert parse_layout("AWSLogs") == parse_layout("AWSLogs/")
    assert parse_layout("AWSLogs/111122223333/").account == "111122223333"  # type: ignore[union-attr]


def test_prefixes_outside_the_layout_are_listed_as_they_are() -> None:
    assert parse_layout("exports/2026/") is None
    assert parse_layout("AWSLogs/111122223333/elasticloadbalancing/") is None
    assert parse_layout(KEY) is None  # a file: past the day folder


def test_scope_says_why_a_key_is_not_wanted() -> None:
    scope = Scope(
        since=datetime(2026, 11, 20, 0, 0, tzinfo=UTC),
        until=datetime(2026, 11, 20, 12, 0, tzinfo=UTC),
        accounts=frozenset({"111122223333"}),
        regions=frozenset({"us-east-1"}),
    )
    assert scope.why_not(KEY) is None
    assert scope.why_not(KEY.replace("0005Z", "1255Z")) is None  # within the hour of delivery lag
    assert scope.why_not(KEY.replace("0005Z", "1305Z")) == "delivered after --until"
    assert scope.why_not(KEY.replace("20261120T0005Z", "20261119T2350Z")) == "delivered before --since"
    assert scope.why_not(KEY.replace("111122223333_", "444455556666_")) == "account not in --accounts"
    assert scope.why_not(KEY.replace("_us-east-1_", "_eu-west-1_")) == "region not in --regions"
    digest = "a/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20261120T010000Z.json.gz"
    assert scope.why_not(digest) == "CloudTrail digest file (hashes, not events)"
    assert scope.why_not("exports/events.json") is None  # unknown names go to decoding
