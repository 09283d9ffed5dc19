"""The daily job on a PostgreSQL warehouse: the same definitions, checks and alerts as on DuckDB.

Only the environment changes (TIKTOK_WAREHOUSE=postgres and the server's coordinates): the job lands the
day, COPYs it into raw_tiktok.*, builds the marts with dbt-postgres, validates them with GX's SQL engine
inside PostgreSQL, records the marts for BI and renders the report.
"""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import pytest

from orchestration.sensors import quality_alert_sensor
from tests.e2e.test_daily_job import DAY, materialized, run_daily
from tests.postgres_server import PostgresServer, warehouse_env


@pytest.fixture
def postgres_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_server: PostgresServer) -> dict[str, str]:
    env = warehouse_env(postgres_server.create_database("tiktok_daily_job"))
    monkeypatch.setenv("TIKTOK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TIKTOK_DUCKDB_PATH", raising=False)
    monkeypatch.delenv("TIKTOK_ALERT_WEBHOOK_URL", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def _no_password_anywhere(password: str, root: Path, instance: dg.DagsterInstance, run_id: str) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            assert password.encode() not in path.read_bytes(), f"the database password leaked into {path}"
    for record in instance.all_logs(run_id):
        assert password not in str(record), "the database password leaked into the run's events"


def test_the_daily_job_builds_checks_and_alerts_on_postgres_unchanged(
    postgres_env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    # a WARN rule broken by the simulator: everything is built, and the rule's checks fail and alert
    result, instance = run_daily("break=retention_does_not_rise")
    assert not (tmp_path / "warehouse.duckdb").exists(), "nothing was built in DuckDB"
    evaluations = result.get_asset_check_evaluations()
    assert {
        "fct_tiktok_account_daily",
        "fct_tiktok_video_daily",
        "fct_tiktok_video_retention",
        "fct_tiktok_comments",
    } <= {e.asset_key.to_user_string() for e in evaluations}, "the mart checks ran"
    failed = {(e.asset_key.to_user_string(), e.check_name): e for e in evaluations if not e.passed}
    # the rule's one check, a GX suite (a custom expectation's SQL) validated inside PostgreSQL, nothing else
    assert set(failed) == {("fct_tiktok_video_retention", "retention_does_not_rise")}
    assert all(e.severity == dg.AssetCheckSeverity.WARN for e in failed.values())
    gx_check = failed[("fct_tiktok_video_retention", "retention_does_not_rise")]
    meta = {key: value.value for key, value in gx_check.metadata.items()}
    assert meta["offending_count"] >= 1 and str(DAY) in json.dumps(meta["sample_keys"])

    built = materialized(result)
    assert {"dim_tiktok_accounts", "fct_tiktok_video_daily", "tiktok_marts_for_bi", "tiktok_report"} <= built
    events = result.get_asset_materialization_events()
    [bi] = [e for e in events if e.asset_key.to_user_string() == "tiktok_marts_for_bi"]
    metadata = bi.materialization.metadata
    assert metadata["warehouse"].value.startswith("postgres:") and metadata["rows"].value["dim_tiktok_videos"] > 0
    assert (tmp_path / "reports" / "tiktok_report.html").read_text().count("data:image/png;base64,") == 11
    # the demo's headline queries run on PostgreSQL too
    from assets.warehouse import Warehouse
    from orchestration.demo import print_headlines

    capsys.readouterr()
    print_headlines(Warehouse.from_env())
    headlines = capsys.readouterr().out
    assert "engagement rate" in headlines and "comments waiting for a reply" in headlines, headlines
    # the recommended slots too: one day is thin data, so each account's line is the mart's reason
    assert "When to post (" in headlines and "no recommendation: no " in headlines, headlines

    quality_alert_sensor(dg.build_sensor_context(instance=instance))
    alerts = [json.loads(line) for line in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert len(alerts) == 1 and all("retention_does_not_rise" in json.dumps(alert) for alert in alerts)
    _no_password_anywhere(postgres_env["TIKTOK_POSTGRES_PASSWORD"], tmp_path, instance, result.run_id)
