"""The code location loads cleanly and exposes the expected assets, groups, partitions and kinds."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from orchestration.definitions import defs

RAW = {"raw_tiktok_account", "raw_tiktok_videos", "raw_tiktok_comments"}


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
        assert node.kinds == {"python", "json"}
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
