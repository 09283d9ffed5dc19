"""The daily job end to end on the simulator: checks, blocking, alerts, the BI copy and the report."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.dbt import dbt_cli
from assets.resources import TikTokSource
from assets.warehouse import Warehouse, bi_copy_path
from expectations.rules import DAGSTER, DBT, GX, PARTITION_FRESH_WITHIN_48H, implementations
from orchestration.sensors import quality_alert_sensor
from tiktok_api.days import daily_run_time
from tiktok_api.simulator import FaultConfig, Simulator, SimulatorServer

DAY = date(2026, 11, 17)
FETCH_AT = daily_run_time(DAY).timestamp()  # 2026-11-20 00:01 UTC: 48 h after the day ended, as the schedule runs


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TIKTOK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TIKTOK_DUCKDB_PATH", raising=False)
    monkeypatch.delenv("TIKTOK_ALERT_WEBHOOK_URL", raising=False)
    return tmp_path


def run_daily(
    faults: str,
    accounts: int = 2,
    *,
    day: date = DAY,
    instance: dg.DagsterInstance | None = None,
    posts_per_day: float | None = None,
    assets: Sequence[str] | None = None,
) -> tuple[dg.ExecuteInProcessResult, dg.DagsterInstance]:
    """Run `tiktok_daily` for `day` when the daily schedule would (tiktok_api.days.daily_run_time), against a
    simulator of the first `accounts` demo accounts serving `faults`. A given instance keeps earlier runs. With
    `assets`, only those of the job's assets run, with their checks (the same definitions, materialised directly:
    a subset of the job cannot be given resources)."""
    from orchestration.definitions import PER_DAY, defs

    simulator = Simulator(
        accounts=accounts,
        now=daily_run_time(day).timestamp(),
        speed=600,
        faults=FaultConfig.parse(faults),
        posts_per_day=posts_per_day,
    )
    instance = instance or dg.DagsterInstance.ephemeral()
    warehouse = Warehouse.from_env()
    with SimulatorServer(simulator) as server:
        resources = {
            "tiktok": TikTokSource(simulator_url=server.url),
            "warehouse": warehouse,
            "dbt": dbt_cli(warehouse),
        }
        if assets is not None:
            result = dg.materialize(
                [*defs.assets, *defs.asset_checks],
                selection=dg.AssetSelection.assets(*assets) & PER_DAY,
                partition_key=day.isoformat(),
                instance=instance,
                resources=resources,
                raise_on_error=False,
            )
            return result, instance
        job = defs.resolve_job_def("tiktok_daily")
        result = job.execute_in_process(
            partition_key=day.isoformat(), instance=instance, raise_on_error=False, resources=resources
        )
    return result, instance


def use_warehouse(
    folder: Path, kind: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Warehouse:
    """Point the platform at a fresh data folder and a fresh warehouse of `kind` (a new database on the session's
    PostgreSQL server for `postgres`)."""
    from tests.postgres_server import warehouse_env

    monkeypatch.setenv("TIKTOK_DATA_DIR", str(folder))
    for name in ("TIKTOK_DUCKDB_PATH", "TIKTOK_ALERT_WEBHOOK_URL", "TIKTOK_WAREHOUSE"):
        monkeypatch.delenv(name, raising=False)
    if kind == "postgres":
        server = request.getfixturevalue("postgres_server")
        for key, value in warehouse_env(server.create_database(f"tiktok_{folder.name}")).items():
            monkeypatch.setenv(key, value)
    return Warehouse.from_env()


def run_daily_at(url: str, warehouse: Warehouse, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    """Run `tiktok_daily` for DAY against the simulator (or a proxy of it) at `url`."""
    from orchestration.definitions import defs

    resources = {"tiktok": TikTokSource(simulator_url=url), "warehouse": warehouse, "dbt": dbt_cli(warehouse)}
    job = defs.resolve_job_def("tiktok_daily")
    return job.execute_in_process(
        partition_key=DAY.isoformat(), instance=instance, raise_on_error=False, resources=resources
    )


def materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def test_clean_data_passes_every_check_and_builds_everything(env: Path):
    result, _ = run_daily("")
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    failed = [(e.asset_key.to_user_string(), e.check_name) for e in evaluations if not e.passed]
    assert failed == []
    # every check of the rule book ran (the freshness check has its own job): GX and Dagster checks are named
    # after their rule, dbt's carry it in their metadata
    evaluated = {
        (e.asset_key.to_user_string(), str(getattr(e.metadata.get("rule_id"), "value", e.check_name)))
        for e in evaluations
    }
    every_check = implementations(GX) | implementations(DBT) | implementations(DAGSTER)
    assert evaluated == every_check - {("raw_tiktok_account", PARTITION_FRESH_WITHIN_48H)}
    assert {"dim_tiktok_accounts", "fct_tiktok_video_daily", "tiktok_marts_for_bi", "tiktok_report"} <= materialized(
        result
    )
    # the comment texts were scored before dbt built the comments and their sentiment summaries (issue 17)
    assert {"tiktok_comment_scores", "fct_tiktok_comments", "fct_tiktok_account_sentiment_daily"} <= materialized(
        result
    )
    # the team's files (none here) were loaded before dbt built the label marts, empty without labels (issue 18)
    assert {"tiktok_account_settings", "tiktok_post_labels", "dim_tiktok_label_lines"} <= materialized(result)
    report = (env / "reports" / "tiktok_report.html").read_text()
    assert report.count('src="data:image/png;base64,') == 11, "eleven charts, embedded"
    assert "<script" not in report and "http" not in report.split("<body>")[1], "self-contained, offline"
    assert (env / "quality" / "data_docs" / "local_site" / "index.html").exists()
    with duckdb.connect(str(bi_copy_path(env)), read_only=True) as con:
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
    result, _ = run_daily("break=retention_does_not_rise", accounts=1)
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert failed and all(e.severity == dg.AssetCheckSeverity.WARN for e in failed)
    assert {"fct_tiktok_video_retention", "tiktok_marts_for_bi", "tiktok_report"} <= materialized(result)
