"""Quality alerts end to end: failed asset checks in a real Dagster instance -> sensor -> outbox -> webhook.

The webhook is a real HTTP server on loopback that records what it accepts and can answer 500 on demand.
Time is injected (the sensor's clock, the outbox's `now`), so retries with backoff need no sleeping.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from orchestration.alerts import (
    FALLBACK_ANCHOR,
    RULE_IDS,
    Alert,
    AlertOutbox,
    DeliveryError,
    JsonlSender,
    WebhookSender,
    backoff_seconds,
    runbook_anchor,
)
from orchestration.sensors import build_quality_alert_sensor, quality_alert_sensor

REPO = Path(__file__).resolve().parents[2]
PARTITION = "2026-11-17"
SECRET_PATH = "/services/T000/B000/not-a-real-secret"
EXPECTED_TEXT = (
    "[ERROR] raw_tiktok_videos 2026-11-17: share_in_unit_interval \u2014 3 offending rows; "
    "runbook: docs/runbook.md#share-in-unit-interval"
)

daily = dg.DailyPartitionsDefinition(start_date="2026-11-01", timezone="UTC")


@dg.asset(
    name="raw_tiktok_videos",
    partitions_def=daily,
    check_specs=[
        dg.AssetCheckSpec("share_in_unit_interval", asset="raw_tiktok_videos"),
        dg.AssetCheckSpec("keys_unique_not_null", asset="raw_tiktok_videos"),
    ],
)
def videos_with_bad_shares() -> Iterator[Any]:
    yield dg.MaterializeResult()
    yield dg.AssetCheckResult(
        check_name="share_in_unit_interval",
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        description="3 impression source percentages are above 1.",
        metadata={
            "rule_id": "share_in_unit_interval",
            "severity": "error",
            "offending_count": 3,
            "sample_keys": dg.MetadataValue.json(["7426966111828521472", "7426966111828521473"]),
            "runbook": "docs/runbook.md#share-in-unit-interval",
            "data_docs": "/data/quality/data_docs/local_site/index.html",
        },
    )
    yield dg.AssetCheckResult(
        check_name="keys_unique_not_null", passed=True, metadata={"rule_id": "keys_unique_not_null"}
    )


@dg.asset(
    name="fct_tiktok_video_daily",
    partitions_def=daily,
    check_specs=[dg.AssetCheckSpec("counts_not_negative", asset="fct_tiktok_video_daily")],
)
def clean_videos() -> Iterator[Any]:
    yield dg.MaterializeResult()
    yield dg.AssetCheckResult(
        check_name="counts_not_negative", passed=True, metadata={"rule_id": "counts_not_negative", "offending_count": 0}
    )


@dg.asset(
    name="fct_tiktok_account_daily",
    partitions_def=daily,
    check_specs=[dg.AssetCheckSpec("assert_account_daily_net_is_new_minus_lost", asset="fct_tiktok_account_daily")],
)
def account_daily_like_dbt() -> Iterator[Any]:
    """What dagster-dbt reports for a failed dbt test: no rule metadata, dbt's failure count."""
    yield dg.MaterializeResult()
    yield dg.AssetCheckResult(
        check_name="assert_account_daily_net_is_new_minus_lost",
        passed=False,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"status": "fail", "dagster_dbt/failed_row_count": 2},
    )


# -- fixtures ----------------------------------------------------------------------------------------------


class Webhook:
    """A Slack-like incoming webhook on loopback: records accepted POST bodies, answers `status`."""

    def __init__(self) -> None:
        self.status = 200
        self.received: list[dict[str, Any]] = []
        self.attempts = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.attempts += 1
                status = outer.status
                if 200 <= status < 300:
                    outer.received.append(json.loads(body))
                answer = b"ok" if status < 300 else b"internal_error"
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{SECRET_PATH}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.stop()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "data"
    monkeypatch.setenv("TIKTOK_DATA_DIR", str(root))
    monkeypatch.delenv("TIKTOK_ALERT_WEBHOOK_URL", raising=False)
    return root


def _instance(kind: str, tmp_path: Path) -> dg.DagsterInstance:
    if kind == "in_memory":  # SQL storage with global ids, as PostgreSQL
        return dg.DagsterInstance.ephemeral()
    # the default SQLite storage, sharded per run, that `make demo` and `make ui` use
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "orchestration" / "dagster.yaml").read_text())
    return dg.DagsterInstance.from_config(str(home))


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[dg.DagsterInstance]:
    inst = _instance("in_memory", tmp_path)
    yield inst
    inst.dispose()


@pytest.fixture(params=["in_memory", "sqlite_run_sharded"])
def any_instance(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dg.DagsterInstance]:
    """Both ways an event log stores check evaluations: the sensor must read them alike."""
    inst = _instance(request.param, tmp_path)
    yield inst
    inst.dispose()


def materialize(instance: dg.DagsterInstance, asset: Any, partition: str = PARTITION) -> None:
    result = dg.materialize([asset], instance=instance, partition_key=partition)
    assert result.success


def tick(sensor: dg.SensorDefinition, instance: dg.DagsterInstance, cursor: str | None) -> tuple[str | None, str]:
    context = dg.build_sensor_context(instance=instance, cursor=cursor)
    result = sensor(context)
    assert isinstance(result, dg.SkipReason)
    return context.cursor, result.skip_message or ""


def dead_url() -> str:
    """A loopback URL where nothing listens: connection refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{SECRET_PATH}"


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


# -- the sensor against a real instance ----------------------------------------------------------------------


def test_a_failed_check_is_sent_once_with_what_on_call_needs(
    any_instance: dg.DagsterInstance, data_dir: Path, webhook: Webhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance = any_instance
    monkeypatch.setenv("TIKTOK_ALERT_WEBHOOK_URL", webhook.url)
    materialize(instance, videos_with_bad_shares)

    cursor, message = tick(quality_alert_sensor, instance, None)

    assert len(webhook.received) == 1, "one failed evaluation, one alert; the passing check sends nothing"
    payload = webhook.received[0]
    assert payload["text"] == EXPECTED_TEXT
    blocks = block_text(payload)
    for expected in (
        "raw_tiktok_videos",
        PARTITION,
        "share_in_unit_interval",
        "ERROR",
        '*Offending rows*\\n3"',
        "docs/runbook.md#share-in-unit-interval",
        "7426966111828521472",
        "3 impression source percentages are above 1.",
        "/data/quality/data_docs/local_site/index.html",
    ):
        assert expected in blocks, expected
    assert cursor is not None and int(cursor) > 0
    assert "2 check evaluation(s) read, 1 failed, 1 alert(s) enqueued" in message
    assert "delivered 1" in message and "pending 0" in message

    # a second tick, and one that lost its cursor (a crash before Dagster stored it): nothing more is sent
    cursor2, message2 = tick(quality_alert_sensor, instance, cursor)
    assert cursor2 == cursor and "0 check evaluation(s) read" in message2
    tick(quality_alert_sensor, instance, None)
    assert len(webhook.received) == 1

    # the next day's failure is the next alert, exactly one
    materialize(instance, videos_with_bad_shares, "2026-11-18")
    tick(quality_alert_sensor, instance, cursor2)
    assert [p["text"].split(":")[0] for p in webhook.received] == [
        "[ERROR] raw_tiktok_videos 2026-11-17",
        "[ERROR] raw_tiktok_videos 2026-11-18",
    ]


def test_a_passing_check_makes_no_alert(
    any_instance: dg.DagsterInstance, data_dir: Path, webhook: Webhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance = any_instance
    monkeypatch.setenv("TIKTOK_ALERT_WEBHOOK_URL", webhook.url)
    materialize(instance, clean_videos)

    cursor, message = tick(quality_alert_sensor, instance, None)

    assert webhook.attempts == 0
    assert AlertOutbox().pending() == []
    assert cursor is not None, "the cursor moves past passing evaluations too"
    assert "1 check evaluation(s) read, 0 failed, 0 alert(s) enqueued" in message


def test_webhook_errors_keep_the_alert_pending_until_it_recovers(
    instance: dg.DagsterInstance, data_dir: Path, webhook: Webhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIKTOK_ALERT_WEBHOOK_URL", webhook.url)
    clock = Clock()
    sensor = build_quality_alert_sensor(clock=clock)
    materialize(instance, videos_with_bad_shares)
    webhook.status = 500

    cursor, message = tick(sensor, instance, None)  # does not raise

    assert webhook.attempts == 1 and webhook.received == []
    assert "1 alert(s) enqueued" in message and "failed 1, pending 1" in message
    [pending] = AlertOutbox().pending()
    assert pending.rule_id == "share_in_unit_interval" and pending.partition == PARTITION
    state = AlertOutbox().retry_state(pending.evaluation_id)
    assert state is not None and state["attempts"] == 1
    assert state["next_attempt_at"] == pytest.approx(clock.now + 30)
    assert "HTTP 500" in state["last_error"] and SECRET_PATH not in state["last_error"]

    clock.now += 10  # backoff not over: no attempt
    cursor, message = tick(sensor, instance, cursor)
    assert webhook.attempts == 1 and "1 waiting for retry" in message

    clock.now += 20  # 30 s after the failure: tried again, fails again, waits twice as long
    cursor, _ = tick(sensor, instance, cursor)
    assert webhook.attempts == 2
    state = AlertOutbox().retry_state(pending.evaluation_id)
    assert state is not None and state["attempts"] == 2
    assert state["next_attempt_at"] == pytest.approx(clock.now + 60)

    webhook.status = 200  # recovered
    clock.now += 60
    cursor, message = tick(sensor, instance, cursor)
    assert len(webhook.received) == 1 and webhook.received[0]["text"] == EXPECTED_TEXT
    assert "delivered 1" in message and "pending 0" in message
    assert AlertOutbox().retry_state(pending.evaluation_id) is None

    clock.now += 3600
    tick(sensor, instance, cursor)
    tick(sensor, instance, None)
    assert len(webhook.received) == 1 and webhook.attempts == 3


def test_a_webhook_that_is_down_neither_blocks_the_tick_nor_loses_the_alert(
    instance: dg.DagsterInstance, data_dir: Path, webhook: Webhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    sensor = build_quality_alert_sensor(clock=clock)
    for day in ("2026-11-15", "2026-11-16", PARTITION):
        materialize(instance, videos_with_bad_shares, day)
    monkeypatch.setenv("TIKTOK_ALERT_WEBHOOK_URL", dead_url())

    started = time.monotonic()
    cursor, message = tick(sensor, instance, None)

    assert time.monotonic() - started < 5
    assert "3 alert(s) enqueued" in message
    assert "failed 1, pending 3" in message and "stopped: channel unavailable" in message
    assert len(AlertOutbox().pending()) == 3

    monkeypatch.setenv("TIKTOK_ALERT_WEBHOOK_URL", webhook.url)  # back up, at its (new) address
    clock.now += backoff_seconds(1)
    tick(sensor, instance, cursor)
    assert sorted(p["text"].split(":")[0] for p in webhook.received) == [
        "[ERROR] raw_tiktok_videos 2026-11-15",
        "[ERROR] raw_tiktok_videos 2026-11-16",
        "[ERROR] raw_tiktok_videos 2026-11-17",
    ]
    clock.now += 3600
    tick(sensor, instance, cursor)
    assert len(webhook.received) == 3


def test_without_a_webhook_alerts_are_appended_to_alerts_jsonl_once(
    instance: dg.DagsterInstance, data_dir: Path
) -> None:
    materialize(instance, videos_with_bad_shares)

    cursor, message = tick(quality_alert_sensor, instance, None)
    tick(quality_alert_sensor, instance, cursor)
    tick(quality_alert_sensor, instance, None)

    lines = (data_dir / "alerts.jsonl").read_text().splitlines()
    assert len(lines) == 1
    alert = json.loads(lines[0])
    assert alert["summary"] == EXPECTED_TEXT
    assert alert["asset_key"] == "raw_tiktok_videos" and alert["partition"] == PARTITION
    assert alert["severity"] == "ERROR" and alert["offending_count"] == 3
    assert alert["run_id"] and alert["evaluation_id"].startswith(alert["run_id"] + ":")
    assert "alerts.jsonl" in message


def test_a_dbt_test_failure_without_rule_metadata_falls_back_gracefully(
    instance: dg.DagsterInstance, data_dir: Path
) -> None:
    materialize(instance, account_daily_like_dbt)

    tick(quality_alert_sensor, instance, None)

    [line] = (data_dir / "alerts.jsonl").read_text().splitlines()
    alert = json.loads(line)
    assert alert["check_name"] == "assert_account_daily_net_is_new_minus_lost"
    assert alert["rule_id"] == "follower_net_is_new_minus_lost"
    assert alert["severity"] == "WARN" and alert["offending_count"] == 2
    assert alert["summary"] == (
        "[WARN] fct_tiktok_account_daily 2026-11-17: follower_net_is_new_minus_lost \u2014 2 offending rows; "
        "runbook: docs/runbook.md#follower-net-is-new-minus-lost"
    )


def test_the_first_tick_skips_failures_older_than_a_day(instance: dg.DagsterInstance, data_dir: Path) -> None:
    materialize(instance, videos_with_bad_shares)
    clock = Clock()
    clock.now += 2 * 86400  # the sensor starts two days after the failure

    cursor, message = tick(build_quality_alert_sensor(clock=clock), instance, None)

    assert "1 failed, 0 alert(s) enqueued (1 older than 24 h skipped on the first tick)" in message
    assert cursor is not None and not (data_dir / "alerts.jsonl").exists()


def test_the_sensor_is_on_by_default_every_30_seconds() -> None:
    assert quality_alert_sensor.name == "quality_alert_sensor"
    assert quality_alert_sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert quality_alert_sensor.minimum_interval_seconds == 30
    dg.Definitions(sensors=[quality_alert_sensor]).resolve_all_job_defs()  # loads in a code location


# -- the outbox on its own ----------------------------------------------------------------------------------


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


# -- the alert itself ---------------------------------------------------------------------------------------


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


def test_every_rule_has_a_runbook_section_under_its_anchor() -> None:
    runbook = (REPO / "docs" / "runbook.md").read_text()
    anchors = re.findall(r'<a id="([a-z0-9-]+)"></a>', runbook)
    assert len(anchors) == len(set(anchors))
    for rule in RULE_IDS:
        anchor = runbook_anchor(rule)
        assert anchor == rule.replace("_", "-") and anchor in anchors, rule
        section = runbook.split(f'<a id="{anchor}"></a>', 1)[1].split("<a id=", 1)[0]
        assert f"`{rule}`" in section.splitlines()[1], f"the heading of {anchor} names the rule id"
        for part in ("**What it means.**", "**Severity.**", "**Likely causes.**", "**What to do.**"):
            assert part in section, (rule, part)
    assert FALLBACK_ANCHOR in anchors
    assert "quality/data_docs/local_site/index.html" in runbook
