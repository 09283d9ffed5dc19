"""Freshness runs by itself: its schedule judges at the tick's time, late days WARN, stale days ERROR, and the
failed check alerts like any rule. The clock is the run tag the schedule sets, never the wall clock."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

from assets.quality import (
    FRESHNESS_CHECK,
    FRESHNESS_CLOCK_TAG,
    freshness_evaluation_time,
    freshness_severity,
    late_partitions,
)
from orchestration.definitions import defs
from orchestration.schedules import FRESHNESS_HOUR_UTC
from orchestration.sensors import quality_alert_sensor

FIRST = date(2026, 11, 1)


def test_a_day_is_late_48h_after_it_ended_and_stale_after_72h() -> None:
    now = datetime(2026, 11, 20, 4, tzinfo=UTC)
    landed = {(FIRST + timedelta(days=n)).isoformat() for n in range(16)}  # up to 11-16
    # 11-17 ended 11-18 00:00, 52 h ago: late; 11-18 ended 28 h ago: not yet due
    assert late_partitions(now, landed, FIRST) == {"2026-11-17": 52.0}
    assert freshness_severity({"2026-11-17": 52.0}) == "WARN"
    missing_two = landed - {"2026-11-16"}
    assert late_partitions(now, missing_two, FIRST) == {"2026-11-16": 76.0, "2026-11-17": 52.0}
    assert freshness_severity(late_partitions(now, missing_two, FIRST)) == "ERROR"
    # days before the first partition are never late
    assert late_partitions(now, set(), date(2026, 11, 17)) == {"2026-11-17": 52.0}


def test_the_evaluation_time_is_the_runs_tag_else_now() -> None:
    tick = datetime(2026, 11, 20, 4, tzinfo=UTC)
    assert freshness_evaluation_time({FRESHNESS_CLOCK_TAG: tick.isoformat()}) == tick
    assert freshness_evaluation_time({FRESHNESS_CLOCK_TAG: "2026-11-20T04:00:00"}) == tick  # naive means UTC
    before = datetime.now(UTC)
    assert freshness_evaluation_time({}) >= before
    with pytest.raises(ValueError, match=FRESHNESS_CLOCK_TAG):
        freshness_evaluation_time({FRESHNESS_CLOCK_TAG: "yesterday"})


def test_the_schedule_runs_the_freshness_job_daily_with_its_ticks_time() -> None:
    schedule = defs.resolve_schedule_def("tiktok_freshness_schedule")
    assert schedule.job_name == "tiktok_freshness"
    assert schedule.cron_schedule == f"0 {FRESHNESS_HOUR_UTC} * * *"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    tick = datetime(2026, 11, 20, FRESHNESS_HOUR_UTC, tzinfo=UTC)
    with dg.build_schedule_context(scheduled_execution_time=tick) as context:
        [request] = schedule.evaluate_tick(context).run_requests or []
    assert request.tags[FRESHNESS_CLOCK_TAG] == tick.isoformat()
    assert request.run_key == tick.isoformat()


def _run_freshness(instance: dg.DagsterInstance, at: datetime) -> dg.AssetCheckEvaluation:
    result = defs.resolve_job_def("tiktok_freshness").execute_in_process(
        instance=instance, tags={FRESHNESS_CLOCK_TAG: at.isoformat()}
    )
    assert result.success
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.check_name == FRESHNESS_CHECK
    return evaluation


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TIKTOK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TIKTOK_ALERT_WEBHOOK_URL", raising=False)
    return tmp_path


def test_a_missing_day_fails_the_check_warn_then_error_and_alerts_once_per_run(data_dir: Path) -> None:
    instance = dg.DagsterInstance.ephemeral()
    first = datetime.fromisoformat(str(defs.resolve_job_def("tiktok_daily").partitions_def.start)).date()  # type: ignore[union-attr]
    # every published day landed but the newest one due
    tick = datetime.combine(first + timedelta(days=10), datetime.min.time(), UTC).replace(hour=FRESHNESS_HOUR_UTC)
    due = first + timedelta(days=7)  # ended 52 h before the tick
    for n in range(7):
        instance.report_runless_asset_event(
            dg.AssetMaterialization("raw_tiktok_account", partition=(first + timedelta(days=n)).isoformat())
        )

    late = _run_freshness(instance, tick)
    assert not late.passed and late.severity == dg.AssetCheckSeverity.WARN
    meta = {key: value.value for key, value in late.metadata.items()}
    assert meta["sample_keys"] == [due.isoformat()] and meta["severity"] == "WARN"
    assert meta["evaluated_at"] == tick.isoformat() and meta["rule_id"] == FRESHNESS_CHECK

    stale = _run_freshness(instance, tick + timedelta(days=1))  # now 76 h late, and the next day 52 h
    assert not stale.passed and stale.severity == dg.AssetCheckSeverity.ERROR

    instance.report_runless_asset_event(dg.AssetMaterialization("raw_tiktok_account", partition=due.isoformat()))
    assert _run_freshness(instance, tick).passed

    context = dg.build_sensor_context(instance=instance)
    quality_alert_sensor(context)
    quality_alert_sensor(dg.build_sensor_context(instance=instance, cursor=context.cursor))
    alerts = [json.loads(line) for line in (data_dir / "alerts.jsonl").read_text().splitlines()]
    assert [(alert["rule_id"], alert["severity"]) for alert in alerts] == [
        (FRESHNESS_CHECK, "WARN"),
        (FRESHNESS_CHECK, "ERROR"),
    ]
    assert all(alert["runbook_url"].endswith("#partition-fresh-within-48h") for alert in alerts)
