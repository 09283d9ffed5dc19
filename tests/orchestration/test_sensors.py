"""Quality alerts end to end: failed asset checks in a real Dagster instance -> sensor -> outbox -> webhook.

Time is injected (the sensor's clock, the outbox's `now`), so retries with backoff need no sleeping.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from expectations.alerts import AlertOutbox, backoff_seconds
from orchestration.sensors import build_quality_alert_sensor, quality_alert_sensor
from tests.expectations.test_alerts import EXPECTED_TEXT, PARTITION, REPO, block_text
from tests.webhook import SECRET_PATH, Webhook, dead_url

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


DBT_CHECK = "references_resolve__fct_tiktok_account_daily"


@dg.asset(
    name="fct_tiktok_account_daily",
    partitions_def=daily,
    check_specs=[
        dg.AssetCheckSpec(DBT_CHECK, asset="fct_tiktok_account_daily"),
        dg.AssetCheckSpec("assert_something_new", asset="fct_tiktok_account_daily"),
    ],
)
def account_daily_like_dbt() -> Iterator[Any]:
    """What the dbt asset reports for failed dbt tests: dbt's failure count, and the rule of a test that has one
    (added from its meta in the manifest); a test without a rule id carries none."""
    yield dg.MaterializeResult()
    yield dg.AssetCheckResult(
        check_name=DBT_CHECK,
        passed=False,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "status": "warn",
            "dagster_dbt/failed_row_count": 2,
            "unique_id": f"test.tiktok.{DBT_CHECK}.0123456789",
            "rule_id": "references_resolve",
            "severity": "WARN",
            "runbook": "docs/runbook.md#references-resolve",
        },
    )
    yield dg.AssetCheckResult(
        check_name="assert_something_new",
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"status": "fail", "dagster_dbt/failed_row_count": 1},
    )


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


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


def test_dbt_test_failures_alert_under_their_rule_or_else_their_own_name(
    instance: dg.DagsterInstance, data_dir: Path
) -> None:
    materialize(instance, account_daily_like_dbt)

    tick(quality_alert_sensor, instance, None)

    alerts = {a["check_name"]: a for a in map(json.loads, (data_dir / "alerts.jsonl").read_text().splitlines())}
    assert set(alerts) == {DBT_CHECK, "assert_something_new"}
    ruled = alerts[DBT_CHECK]
    assert ruled["rule_id"] == "references_resolve"
    assert ruled["severity"] == "WARN" and ruled["offending_count"] == 2
    assert ruled["summary"] == (
        "[WARN] fct_tiktok_account_daily 2026-11-17: references_resolve \u2014 2 offending rows; "
        "runbook: docs/runbook.md#references-resolve"
    )
    # no rule metadata: no guessing from the name, the check's own name and the runbook's fallback section
    unruled = alerts["assert_something_new"]
    assert unruled["rule_id"] == "assert_something_new" and unruled["severity"] == "ERROR"
    assert unruled["runbook_url"] == "docs/runbook.md#other-failed-checks"


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
