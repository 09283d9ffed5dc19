"""The code location loads cleanly and exposes the expected assets, groups, partitions and kinds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.execution.api import create_execution_plan

from assets.catalog import DEFAULT_OWNER, asset_owners, file_link, runbook_link
from assets.dbt import DBT_STEPS, GX_BLOCKING_MARTS, dbt_project
from assets.partitions import earliest_landed_day, first_partition
from assets.quality import check_result
from assets.warehouse import Warehouse
from orchestration.definitions import defs
from tiktok_api import landing
from tiktok_api.days import FIRST_PARTITION

RAW = {"raw_tiktok_account", "raw_tiktok_videos", "raw_tiktok_comments", "raw_tiktok_mentions", "raw_tiktok_benchmarks"}


LOAD_AND_RECORD = """
import json, sys, warnings
warnings.simplefilter("always")
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import orchestration.definitions as d
    d.defs.resolve_asset_graph()
    d.defs.resolve_all_job_defs()
print(json.dumps([[w.filename, str(w.message)] for w in caught if issubclass(w.category, DeprecationWarning)]))
"""


def test_definitions_load_without_warnings_about_deprecated_apis():
    # a fresh interpreter, so that warnings raised at import time are seen; deprecations only (Dagster's
    # preview and beta notices, e.g. for partitioned asset checks, are not about deprecated APIs); one about
    # an API we call is attributed to our own file (Dagster warns with the caller's stack level), third-party internals
    # (e.g. GX importing sre_constants) to theirs
    proc = subprocess.run([sys.executable, "-c", LOAD_AND_RECORD], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    repo = str(Path(__file__).resolve().parent.parent)
    ours = [
        (path, message)
        for path, message in json.loads(proc.stdout.strip().splitlines()[-1])
        if path.startswith(repo) and "/.venv/" not in path
    ]
    assert ours == [], ours


def test_raw_assets_keys_groups_partitions_and_kinds():
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert keys >= RAW
    for name in RAW:
        node = graph.get(dg.AssetKey(name))
        assert node.group_name == "tiktok_raw"
        assert isinstance(node.partitions_def, dg.DailyPartitionsDefinition)
        assert node.partitions_def.timezone == "UTC"
        assert node.kinds == {"tiktok", "python", "json"}
        assert node.description and len(node.description) > 80
    assert "D-3 .. D" in graph.get(dg.AssetKey("raw_tiktok_account")).description
    comments = graph.get(dg.AssetKey("raw_tiktok_comments"))
    assert dg.AssetKey("raw_tiktok_videos") in comments.parent_keys


def test_each_raw_asset_reports_failed_accounts_as_a_check():
    checks = {(k.asset_key.to_user_string(), k.name) for k in defs.resolve_asset_graph().asset_check_keys}
    assert {(name, "all_accounts_fetched") for name in RAW} <= checks


def test_the_raw_ingestion_job_covers_every_raw_asset():
    job = defs.resolve_job_def("tiktok_raw_ingestion")
    assert isinstance(job.partitions_def, dg.DailyPartitionsDefinition)
    assert {k.to_user_string() for k in job.asset_layer.selected_asset_keys} == RAW


def test_the_schedules_and_sensors_are_on_by_default():
    schedules = {s.name: s for s in defs.schedules}
    assert all(s.default_status == dg.DefaultScheduleStatus.RUNNING for s in schedules.values())
    weekly = schedules["tiktok_weekly_full_check_schedule"]
    assert (weekly.cron_schedule, weekly.job_name) == ("0 5 * * 0", "tiktok_weekly_full_check")
    schedule = schedules["tiktok_daily_schedule"]
    assert schedule.execution_timezone == "UTC"
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 11, 24, 2, tzinfo=UTC), repository_def=defs.get_repository_def()
    )
    [request] = schedule.evaluate_tick(context).run_requests
    assert request.partition_key == "2026-11-21"
    assert all(s.default_status == dg.DefaultSensorStatus.RUNNING for s in defs.sensors)


def test_loading_the_definitions_prints_no_warning_a_user_can_do_nothing_about():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-W", "default", "-c", "import orchestration.definitions"],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    assert "BetaWarning" not in result.stderr and "PreviewWarning" not in result.stderr, result.stderr


# ---------------------------------------------------------------- what a newcomer reads in the UI

# dbt shortens a generated test name of 64 characters or more to a prefix and a hash (its identifier limit); the
# UI's check lists show names of this length in full, so a name within it reads as written.
CHECK_NAME_LIMIT = 64


def _manifest() -> dict:
    return json.loads(dbt_project.manifest_path.read_text())


def test_every_dbt_model_is_described_in_yml_not_by_its_sql():
    graph = defs.resolve_asset_graph()
    nodes = [n for n in _manifest()["nodes"].values() if n["resource_type"] == "model"]
    assert nodes
    for node in nodes:
        assert node["description"].strip(), f"{node['name']} has no description in its yml"
        undocumented = [name for name, column in node["columns"].items() if not column.get("description")]
        assert undocumented == [], f"{node['name']}: columns without a description {undocumented}"
        # dagster-dbt shows the model's SQL when the yml has no description
        shown = graph.get(dg.AssetKey(node["name"])).description or ""
        assert shown.strip() == node["description"].strip(), node["name"]
        assert "select" not in shown.lower().split(), node["name"]


def test_every_dbt_check_has_a_description_and_a_name_shown_whole():
    specs = [spec for step in DBT_STEPS for spec in step.check_specs]
    assert len(specs) > 20
    for spec in specs:
        where = f"{spec.name} on {spec.asset_key.to_user_string()}"
        assert spec.description and spec.description.strip(), where
        assert len(spec.name) <= CHECK_NAME_LIMIT, where
        assert "dbt_utils" not in spec.name and not spec.name[-32:].isalnum(), f"{where}: a generated name"
        runbook = spec.metadata["runbook"]
        assert isinstance(runbook, dg.UrlMetadataValue) and runbook.url.startswith("file://"), where


def test_a_model_reading_a_mart_that_gx_checks_with_an_error_rule_is_built_after_the_check():
    """The marts Great Expectations checks with an ERROR rule are built by the first dbt step; every model that reads
    one, directly or not, by the second, which waits for those blocking checks."""
    first, derived = DBT_STEPS
    graph = defs.resolve_asset_graph()
    checked = {dg.AssetKey(name) for name in GX_BLOCKING_MARTS}
    assert checked and checked <= set(first.keys)
    for key in first.keys:
        assert not graph.get(key).parent_keys & set(derived.keys), f"{key.to_user_string()} reads a derived mart"
        upstream = dg.AssetSelection.assets(key).upstream(include_self=False).resolve(graph)
        assert not upstream & checked, f"{key.to_user_string()} reads a checked mart in the same dbt step"
    for key in derived.keys:
        upstream = dg.AssetSelection.assets(key).upstream(include_self=False).resolve(graph)
        assert upstream & checked, f"{key.to_user_string()} need not wait"
    assert dg.AssetKey("fct_tiktok_account_metric_anomalies") in derived.keys
    # in the daily job, the derived step waits for the suites of the checked marts it reads
    job = defs.resolve_job_def("tiktok_daily")
    plan = create_execution_plan(job, run_config={}, tags={"dagster/partition": "2026-11-01"})
    waits_for = plan.get_step_by_key(derived.op.name).get_execution_dependency_keys()
    assert {"quality_fct_tiktok_account_daily", "quality_fct_tiktok_video_daily", first.op.name} <= waits_for


def test_every_asset_has_the_configured_owner():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        assert list(graph.get(key).owners) == [DEFAULT_OWNER], key.to_user_string()


@pytest.mark.parametrize(
    ("value", "owners"),
    [
        (None, ["team:data"]),
        ("team:growth", ["team:growth"]),
        ("marketing, ana@example.com", ["team:marketing", "ana@example.com"]),
    ],
)
def test_the_owner_comes_from_tiktok_asset_owner(value: str | None, owners: list[str]):
    assert asset_owners({} if value is None else {"TIKTOK_ASSET_OWNER": value}) == owners


def test_a_wrong_owner_is_refused_naming_the_variable():
    with pytest.raises(ValueError, match="TIKTOK_ASSET_OWNER"):
        asset_owners({"TIKTOK_ASSET_OWNER": "team:"})


def test_kinds_name_the_warehouse_the_assets_are_stored_in():
    graph = defs.resolve_asset_graph()
    kind = Warehouse.from_env().asset_kind
    assert graph.get(dg.AssetKey("stg_tiktok__post_snapshots")).kinds == {"dbt", kind, "table"}  # incremental
    assert graph.get(dg.AssetKey("int_tiktok__post_audience_shares")).kinds == {"dbt", kind, "view"}
    assert graph.get(dg.AssetKey("fct_tiktok_video_daily")).kinds == {"dbt", kind, "table"}
    assert graph.get(dg.AssetKey("tiktok_marts_for_bi")).kinds == {kind}


def test_links_to_local_pages_open_in_a_browser(tmp_path: Path):
    page = tmp_path / "data docs" / "index.html"
    assert file_link(page).value == page.resolve().as_uri()  # file:///.../data%20docs/index.html
    link = runbook_link("share_in_unit_interval")
    assert link.url.startswith("file:///") and link.url.endswith("/docs/runbook.md#share-in-unit-interval")
    assert Path(link.url.removeprefix("file://").split("#")[0]).exists()
    result = check_result("share_in_unit_interval", [], [str(page)])
    assert isinstance(result.metadata["runbook"], dg.UrlMetadataValue)
    assert result.metadata["data_docs"] == dg.MetadataValue.url(page.resolve().as_uri())


# ---------------------------------------------------------------- where the partitions start


def _land(root: Path, stream: str, day: str, name: str = "20261101T000000000000Z_f.json") -> None:
    folder = root / landing.RAW_PATH / stream / f"{landing.DATE_KEY}={day}" / f"{landing.ACCOUNT_KEY}=a1"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("{}")


def test_partitions_start_at_the_start_date_else_the_oldest_landed_day_else_the_default(tmp_path: Path):
    assert earliest_landed_day(tmp_path) is None
    assert first_partition({}, tmp_path) == FIRST_PARTITION, "nothing landed"
    _land(tmp_path, "videos", "2026-11-20")
    _land(tmp_path, "account", "2026-11-14")
    _land(tmp_path, "account", "2026-11-02", name=".tmp-20261101_f.json.partial")  # a killed write: not data
    (tmp_path / landing.RAW_PATH / "comments" / "date=latest").mkdir(parents=True)  # not a partition folder
    assert first_partition({}, tmp_path) == date(2026, 11, 14)
    assert first_partition({"TIKTOK_START_DATE": "2026-10-01"}, tmp_path) == date(2026, 10, 1)


def test_old_dbt_invocation_folders_are_pruned_beyond_the_newest(tmp_path: Path):
    from assets.dbt import prune_dbt_targets

    now = 1_800_000_000.0
    for i in range(6):  # one an hour: hours 0 (newest) .. 5, then two two-day-old ones
        (tmp_path / f"tiktok_dbt_models-run{i}").mkdir()
        os.utime(tmp_path / f"tiktok_dbt_models-run{i}", (now - i * 3600, now - i * 3600))
    for i in (6, 7):
        (tmp_path / f"tiktok_dbt_models-run{i}").mkdir()
        os.utime(tmp_path / f"tiktok_dbt_models-run{i}", (now - 2 * 86400 - i, now - 2 * 86400 - i))
    (tmp_path / "compiled").mkdir()  # dbt's own folders are left alone
    assert prune_dbt_targets(tmp_path, "tiktok_dbt_models", keep=3, now=now) == 2, "beyond 3, only the day-old ones"
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == ["compiled", *(f"tiktok_dbt_models-run{i}" for i in range(6))]
