"""The daily job end to end on the simulator: checks, blocking, alerts, the BI copy and the report."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.publish import bi_path, publish_marts
from assets.resources import TikTokSource
from orchestration.schedules import partition_for_morning
from orchestration.sensors import quality_alert_sensor
from tiktok_api.simulator import FaultConfig, Simulator, SimulatorServer

DAY = date(2026, 11, 17)
FETCH_AT = datetime(2026, 11, 20, 0, 1, tzinfo=UTC).timestamp()  # 48 h after the day ended


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TIKTOK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TIKTOK_DUCKDB_PATH", raising=False)
    monkeypatch.delenv("TIKTOK_ALERT_WEBHOOK_URL", raising=False)
    return tmp_path


def run_daily(faults: str, accounts: int = 2) -> tuple[dg.ExecuteInProcessResult, dg.DagsterInstance]:
    from orchestration.definitions import defs

    simulator = Simulator(accounts=accounts, now=FETCH_AT, speed=600, faults=FaultConfig.parse(faults))
    instance = dg.DagsterInstance.ephemeral()
    with SimulatorServer(simulator) as server:
        job = defs.resolve_job_def("tiktok_daily")
        result = job.execute_in_process(
            partition_key=DAY.isoformat(),
            instance=instance,
            raise_on_error=False,
            resources={"tiktok": TikTokSource(simulator_url=server.url)},
        )
    return result, instance


def materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def test_clean_data_passes_every_check_and_builds_everything(env: Path):
    result, _ = run_daily("")
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    failed = [(e.asset_key.to_user_string(), e.check_name) for e in evaluations if not e.passed]
    assert failed == []
    assert len(evaluations) > 100
    assert {"dim_tiktok_accounts", "fct_tiktok_video_daily", "tiktok_marts_for_bi", "tiktok_report"} <= materialized(
        result
    )
    report = (env / "reports" / "tiktok_report.html").read_text()
    assert report.count('src="data:image/png;base64,') == 5, "five charts, embedded"
    assert "<script" not in report and "http" not in report.split("<body>")[1], "self-contained, offline"
    assert (env / "quality" / "data_docs" / "local_site" / "index.html").exists()
    with duckdb.connect(str(bi_path()), read_only=True) as con:
        assert con.execute("select count(*) from marts.dim_tiktok_videos").fetchall()[0][0] > 0


def test_an_error_check_holds_back_the_marts_and_alerts_once(env: Path):
    result, instance = run_daily("break=share_in_unit_interval")
    assert not result.success
    [broken] = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert (broken.asset_key.to_user_string(), broken.check_name) == ("raw_tiktok_videos", "share_in_unit_interval")
    assert broken.severity == dg.AssetCheckSeverity.ERROR
    meta = {k: v.value for k, v in broken.metadata.items()}
    assert meta["rule_id"] == "share_in_unit_interval" and meta["offending_count"] >= 1
    assert meta["sample_keys"] and str(DAY) in meta["sample_keys"][0]
    assert meta["runbook"].endswith("#share-in-unit-interval")
    built = materialized(result)
    assert "raw_tiktok_videos" in built and not any(a.startswith(("stg_", "dim_", "fct_")) for a in built), (
        "the marts are held back"
    )

    context = dg.build_sensor_context(instance=instance)
    quality_alert_sensor(context)
    quality_alert_sensor(dg.build_sensor_context(instance=instance, cursor=context.cursor))
    alerts = [json.loads(line) for line in (env / "alerts.jsonl").read_text().splitlines()]
    assert len(alerts) == 1, "one alert per failed evaluation, never repeated"
    text = json.dumps(alerts[0])
    for needle in (
        "raw_tiktok_videos",
        str(DAY),
        "share_in_unit_interval",
        "ERROR",
        "runbook.md#share-in-unit-interval",
    ):
        assert needle in text


def test_a_warn_check_does_not_hold_back_the_marts(env: Path):
    result, _ = run_daily("break=follower_total_moves_by_net", accounts=1)
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert failed and all(e.severity == dg.AssetCheckSeverity.WARN for e in failed)
    assert "fct_tiktok_account_daily" in materialized(result)


@pytest.mark.parametrize(
    ("now", "partition"),
    [
        ("2026-11-24T02:00:00+00:00", "2026-11-21"),  # the schedule's hour: the day that ended 50 h ago
        ("2026-11-24T00:00:00+00:00", "2026-11-21"),  # exactly 48 h after 11-21 ended
        ("2026-11-23T23:59:00+00:00", "2026-11-20"),  # a minute before that
        ("2026-03-01T02:00:00+00:00", "2026-02-26"),  # across a month end
        ("2028-03-01T02:00:00+00:00", "2028-02-27"),  # a leap year
        ("2026-01-02T02:00:00+00:00", "2025-12-30"),  # across a year end
    ],
)
def test_the_schedule_asks_each_morning_for_the_newest_surely_published_day(now, partition):
    assert partition_for_morning(datetime.fromisoformat(now)).isoformat() == partition


def test_the_schedule_and_sensors_are_on_by_default():
    from orchestration.definitions import defs

    [schedule] = defs.schedules
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert schedule.execution_timezone == "UTC"
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 11, 24, 2, tzinfo=UTC), repository_def=defs.get_repository_def()
    )
    [request] = schedule.evaluate_tick(context).run_requests
    assert request.partition_key == "2026-11-21"
    assert all(s.default_status == dg.DefaultSensorStatus.RUNNING for s in defs.sensors)


READER = """
import sys, time, duckdb
path, seen = sys.argv[1], set()
deadline = time.time() + float(sys.argv[2])
while time.time() < deadline:
    with duckdb.connect(path, read_only=True) as con:
        seen.add(con.execute("select count(*), sum(n) from marts.numbers").fetchall()[0])
print(sorted(seen))
"""


def test_a_reader_during_builds_meets_no_lock_and_sees_only_complete_builds(tmp_path: Path):
    # named like the real copy: a file called marts.duckdb would make catalog "marts" clash with schema "marts"
    warehouse, target = tmp_path / "warehouse.duckdb", tmp_path / "bi" / "tiktok_marts.duckdb"

    def build(version: int) -> None:  # a "build": the marts change completely between versions
        with duckdb.connect(str(warehouse)) as con:
            con.execute("create schema if not exists marts")
            con.execute(f"create or replace table marts.numbers as select range + {version} as n from range(200000)")

    build(0)
    publish_marts(warehouse, target)
    reader = subprocess.Popen([sys.executable, "-c", READER, str(target), "6"], stdout=subprocess.PIPE, text=True)
    versions = [0]
    deadline = time.time() + 4
    while time.time() < deadline:  # the writer rebuilds and republishes while the reader reads
        versions.append(versions[-1] + 1)
        build(versions[-1])
        publish_marts(warehouse, target)
    out, _ = reader.communicate(timeout=30)
    assert reader.returncode == 0, "the reader met an error (a lock?)"
    complete = {(200000, sum(range(200000)) + 200000 * v) for v in versions}
    seen = set(eval(out))  # noqa: S307 - our own subprocess's printed list of tuples
    assert seen and seen <= complete, "every read saw one whole build"
    assert len(seen) > 1, "the reader followed new builds"
