"""Quality alerts on their own (no Dagster): what an alert says, the durable outbox, the channels.

The webhook is a real HTTP server on loopback that records what it accepts and can answer 500 on demand.
Time is injected (the outbox's `now`), so retries with backoff need no sleeping.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from expectations.alerts import (
    Alert,
    AlertOutbox,
    DeliveryError,
    JsonlSender,
    WebhookSender,
    backoff_seconds,
)
from expectations.rules import FALLBACK_ANCHOR, RULES, runbook_anchor
from tests.webhook import SECRET_PATH, Webhook, dead_url

REPO = Path(__file__).resolve().parents[2]
PARTITION = "2026-11-17"
EXPECTED_TEXT = (
    "[ERROR] raw_tiktok_videos 2026-11-17: share_in_unit_interval \u2014 3 offending rows; "
    "runbook: docs/runbook.md#share-in-unit-interval"
)


def block_text(payload: dict[str, Any]) -> str:
    return json.dumps(payload["blocks"], ensure_ascii=False)


def make_alert(n: int = 1, **overrides: Any) -> Alert:
    values: dict[str, Any] = {
        "asset_key": "raw_tiktok_videos",
        "check_name": "share_in_unit_interval",
        "metadata": {"rule_id": "share_in_unit_interval", "offending_count": n, "sample_keys": [f"v{n}"]},
        "evaluation_id": f"run-{n}:{n}",
        "run_id": f"run-{n}",
        "storage_id": n,
        "timestamp": 1_795_000_000.0 + n,
        "partition": PARTITION,
    }
    values.update(overrides)
    return Alert.from_check(**values)


class RecordingSender:
    name = "recording"

    def __init__(self, error: Exception | None = None) -> None:
        self.sent: list[str] = []
        self.calls = 0
        self.error = error

    def send(self, alert: Alert) -> None:
        self.calls += 1
        if self.error is not None:
            raise self.error
        self.sent.append(alert.evaluation_id)


def test_alerts_survive_a_new_outbox_and_are_delivered_once(tmp_path: Path) -> None:
    directory = tmp_path / "alerts"
    first, second = make_alert(1), make_alert(2)
    assert AlertOutbox(directory).enqueue([first, second, first]) == [first, second]
    down = RecordingSender(DeliveryError("HTTP 503", endpoint_down=False))
    report = AlertOutbox(directory).deliver(down, now=1000.0)
    assert report.failed == [first.evaluation_id, second.evaluation_id] and report.pending == 2

    reopened = AlertOutbox(directory)  # a new process
    assert reopened.pending() == [first, second]
    assert reopened.retry_state(first.evaluation_id)["attempts"] == 1  # type: ignore[index]

    up = RecordingSender()
    assert reopened.deliver(up, now=1000.0 + 29).delivered == []  # still backing off
    report = reopened.deliver(up, now=1000.0 + 30)
    assert up.sent == [first.evaluation_id, second.evaluation_id] and report.pending == 0

    again = AlertOutbox(directory)
    assert again.enqueue([first, second]) == [], "delivered alerts are not enqueued again"
    assert again.deliver(up, now=5000.0).delivered == [] and up.calls == 2
    assert again.delivered_ids() == {first.evaluation_id, second.evaluation_id}


def test_backoff_doubles_from_30_seconds_up_to_15_minutes_and_deliver_never_raises(tmp_path: Path) -> None:
    assert [backoff_seconds(n) for n in range(1, 9)] == [30, 60, 120, 240, 480, 900, 900, 900]
    outbox = AlertOutbox(tmp_path)
    outbox.enqueue([make_alert()])
    broken = RecordingSender(RuntimeError("a bug in the channel"))
    now, delays = 0.0, []
    for _ in range(7):
        report = outbox.deliver(broken, now=now)  # never raises
        assert report.failed and report.pending == 1
        state = outbox.retry_state(make_alert().evaluation_id)
        assert state is not None
        delays.append(state["next_attempt_at"] - now)
        now = state["next_attempt_at"]
    assert delays == [30, 60, 120, 240, 480, 900, 900]


def test_a_round_stops_at_a_down_channel_and_delivers_at_most_n(tmp_path: Path) -> None:
    outbox = AlertOutbox(tmp_path)
    outbox.enqueue([make_alert(n) for n in range(1, 6)])

    down = RecordingSender(DeliveryError("connection refused", endpoint_down=True))
    report = outbox.deliver(down, now=0.0)
    assert down.calls == 1 and report.stopped == "channel unavailable" and report.pending == 5

    up = RecordingSender()
    report = outbox.deliver(up, now=100.0, max_deliveries=2)
    assert up.sent == ["run-1:1", "run-2:2"], "oldest first"
    assert report.pending == 3 and report.stopped == "at most 2 deliveries per round"
    outbox.deliver(up, now=100.0, max_deliveries=20)
    assert up.sent == [f"run-{n}:{n}" for n in range(1, 6)] and outbox.pending() == []


def test_a_line_torn_by_a_crash_is_skipped_and_not_glued_to(tmp_path: Path) -> None:
    outbox = AlertOutbox(tmp_path)
    outbox.enqueue([make_alert(1)])
    with open(outbox.outbox_path, "a") as f:
        f.write('{"evaluation_id": "run-2:2", "alert": {"asset_k')  # the process died mid-append
    assert [a.evaluation_id for a in outbox.pending()] == ["run-1:1"]
    assert outbox.enqueue([make_alert(2)]) == [make_alert(2)]
    assert [a.evaluation_id for a in AlertOutbox(tmp_path).pending()] == ["run-1:1", "run-2:2"]


def test_the_webhook_sender_fails_on_non_2xx_and_on_connection_errors(webhook: Webhook) -> None:
    alert = make_alert()
    WebhookSender(webhook.url).send(alert)
    assert webhook.received == [alert.to_slack_payload()]

    webhook.status = 404
    with pytest.raises(DeliveryError) as not_found:
        WebhookSender(webhook.url).send(alert)
    assert not not_found.value.endpoint_down and "HTTP 404" in str(not_found.value)
    with pytest.raises(DeliveryError) as refused:
        WebhookSender(dead_url(), timeout=1).send(alert)
    assert refused.value.endpoint_down and SECRET_PATH not in str(refused.value)


def test_the_file_sender_appends_one_json_line_per_alert(tmp_path: Path) -> None:
    sender = JsonlSender(tmp_path / "alerts.jsonl")
    sender.send(make_alert(1))
    sender.send(make_alert(2))
    lines = [json.loads(line) for line in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert [line["evaluation_id"] for line in lines] == ["run-1:1", "run-2:2"]
    assert Alert.from_dict(lines[0]) == make_alert(1)


def test_the_slack_payload_is_a_summary_line_plus_blocks() -> None:
    alert = make_alert(3, description="x" * 5000)
    payload = alert.to_slack_payload()
    assert payload["text"] == EXPECTED_TEXT
    assert [b["type"] for b in payload["blocks"]] == ["header", "section", "section", "section", "context"]
    assert len(payload["blocks"][0]["text"]["text"]) <= 150
    assert all(len(b["text"]["text"]) <= 3000 for b in payload["blocks"] if "text" in b)
    assert len(payload["blocks"][2]["fields"]) <= 10
    assert json.loads(alert.to_json())["summary"] == EXPECTED_TEXT
    assert Alert.from_dict(json.loads(alert.to_json())) == alert


def test_missing_metadata_falls_back_to_the_check_and_a_generic_runbook_section() -> None:
    alert = Alert.from_check(
        asset_key="dim_tiktok_videos",
        check_name="accepted_values_dim_tiktok_videos_privacy_level",
        metadata={},
        evaluation_id="r:9",
        severity=None,
    )
    assert alert.rule_id == "accepted_values_dim_tiktok_videos_privacy_level"
    assert alert.severity == "ERROR" and alert.offending_count is None and alert.sample_keys == ()
    assert alert.summary() == (
        "[ERROR] dim_tiktok_videos: accepted_values_dim_tiktok_videos_privacy_level \u2014 check failed; "
        f"runbook: docs/runbook.md#{FALLBACK_ANCHOR}"
    )
    accounts = Alert.from_check(
        asset_key="raw_tiktok_account",
        check_name="all_accounts_fetched",
        metadata={"failed_accounts": {"acct_1": "40105 token revoked"}},
        evaluation_id="r:10",
        severity="WARN",
    )
    assert (accounts.rule_id, accounts.offending_count, accounts.sample_keys) == (
        "all_accounts_fetched",
        1,
        ("acct_1",),
    )
    assert accounts.runbook_url == "docs/runbook.md#all-accounts-fetched"


@pytest.mark.parametrize(
    "check_name",
    ["not_null_fct_tiktok_comments_comment_id", "accepted_range_fct_tiktok_video_daily_share__1__0", "unique_x"],
)
def test_the_rule_comes_from_the_metadata_never_from_the_check_name(check_name: str) -> None:
    guessed = Alert.from_check(asset_key="a", check_name=check_name, metadata={}, evaluation_id="r:1")
    assert guessed.rule_id == check_name and guessed.runbook_url.endswith(f"#{FALLBACK_ANCHOR}")
    named = Alert.from_check(
        asset_key="a", check_name=check_name, metadata={"rule_id": "counts_not_negative"}, evaluation_id="r:2"
    )
    assert named.rule_id == "counts_not_negative" and named.runbook_url == "docs/runbook.md#counts-not-negative"


def test_every_rule_has_a_runbook_section_under_its_anchor() -> None:
    runbook = (REPO / "docs" / "runbook.md").read_text()
    anchors = re.findall(r'<a id="([a-z0-9-]+)"></a>', runbook)
    assert len(anchors) == len(set(anchors))
    for rule in RULES:
        anchor = runbook_anchor(rule)
        assert anchor == rule.replace("_", "-") and anchor in anchors, rule
        section = runbook.split(f'<a id="{anchor}"></a>', 1)[1].split("<a id=", 1)[0]
        assert f"`{rule}`" in section.splitlines()[1], f"the heading of {anchor} names the rule id"
        for part in ("**What it means.**", "**Severity.**", "**Likely causes.**", "**What to do.**"):
            assert part in section, (rule, part)
    assert FALLBACK_ANCHOR in anchors
    assert "quality/data_docs/local_site/index.html" in runbook


def test_a_performance_alert_says_its_kind_in_its_fields_summary_and_slack_text() -> None:
    """Metric anomalies travel the same channel with another kind (the rule's, from the registry), so that on-call
    can route them; data-quality alerts read as before."""
    performance = Alert.from_check(
        asset_key="fct_tiktok_account_metric_anomalies",
        check_name="metrics_within_usual_range__fct_tiktok_account_metric_anomalies",
        metadata={"rule_id": "metrics_within_usual_range", "severity": "WARN", "dagster_dbt/failed_row_count": 2},
        evaluation_id="r:1",
        partition=PARTITION,
    )
    assert RULES["metrics_within_usual_range"].kind == "performance" == performance.kind
    assert performance.summary() == (
        "[WARN][performance] fct_tiktok_account_metric_anomalies 2026-11-17: metrics_within_usual_range \u2014 "
        "2 anomalous metrics; runbook: docs/runbook.md#metrics-within-usual-range"
    )
    payload = performance.to_slack_payload()
    assert payload["text"] == performance.summary()
    assert payload["blocks"][0]["text"]["text"].startswith("[WARN][performance] metrics_within_usual_range on ")
    fields = [field["text"] for field in payload["blocks"][2]["fields"]]
    assert "*Kind*\nperformance (not a data-quality failure)" in fields and "*Anomalous metrics*\n2" in fields
    assert "Offending rows" not in block_text(payload) and len(fields) <= 10
    stored = json.loads(performance.to_json())
    assert stored["kind"] == "performance" and Alert.from_dict(stored) == performance

    quality = make_alert(3)
    assert quality.kind == "data_quality" and quality.summary() == EXPECTED_TEXT
    assert "*Kind*\ndata quality" in [field["text"] for field in quality.to_slack_payload()["blocks"][2]["fields"]]
    unknown = Alert.from_check(asset_key="x", check_name="some_check", metadata={}, evaluation_id="r:2")
    assert unknown.kind == "data_quality", "a check without a rule of the registry is a data-quality check"
    # an alert written before alerts had a kind (an outbox line of an older version) reads as data quality
    older = {k: v for k, v in json.loads(quality.to_json()).items() if k != "kind"}
    assert Alert.from_dict(older).kind == "data_quality"
