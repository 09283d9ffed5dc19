"""The code location: every asset, check, job, schedule and sensor of the platform."""

from __future__ import annotations

import dagster as dg

from assets.dbt import DBT_STEPS, dbt_cli
from assets.enrichment import tiktok_comment_scores
from assets.publish import tiktok_marts_for_bi
from assets.quality import quality_checks, raw_partitions_fresh
from assets.raw import raw_assets
from assets.report import tiktok_report
from assets.team_config import labels_match_posts, tiktok_team_config
from orchestration.resources import tiktok_source, warehouse
from orchestration.schedules import (
    build_daily_schedule,
    build_freshness_schedule,
    build_weekly_full_check_schedule,
)
from orchestration.sensors import dead_run_sensor, quality_alert_sensor

# The freshness check looks across partitions at the time of its schedule's tick: it runs on its own, not inside a
# day's run.
PER_DAY = dg.AssetSelection.all() - dg.AssetSelection.checks(raw_partitions_fresh)

# Every asset of these jobs has a single-run backfill policy (one policy per job, or Dagster falls back to one
# partition per run for the whole job): a backfill of a range launched from the UI, from the job's page or the
# asset graph, is one run, in which the raw steps land the days one after another and dbt builds the range once
# (tests/orchestration/test_backfill.py). `dagster job backfill` ignores backfill policies: one run per partition.
raw_ingestion_job = dg.define_asset_job(
    "tiktok_raw_ingestion",
    selection=dg.AssetSelection.groups("tiktok_raw") - dg.AssetSelection.checks(raw_partitions_fresh),
    description="Land every TikTok stream for every account: one UTC day, or a backfill's range in one run.",
)

daily_job = dg.define_asset_job(
    "tiktok_daily",
    selection=PER_DAY,
    description="One UTC day end to end: land every stream and check the raw contract, build staging and marts "
    "with dbt and check them, publish the marts for BI and render the report. A backfill of a range is one run: "
    "the raw steps land its days one after another, then dbt builds the whole range once.",
)

dbt_job = dg.define_asset_job(
    "tiktok_dbt",
    selection=dg.AssetSelection.assets(*DBT_STEPS),
    description="Build staging and marts (with their tests) for a day or, in one dbt run, a range of days.",
)

freshness_job = dg.define_asset_job(
    "tiktok_freshness",
    selection=dg.AssetSelection.checks(raw_partitions_fresh),
    description="Whether every day TikTok has published for certain (tiktok_api/days.py) has landed.",
)

# A day's run tests the large marts on the day's rows only (dbt_project/macros/test_window.sql); once a week every
# dbt data test reads its whole table.
full_check_job = dg.define_asset_job(
    "tiktok_weekly_full_check",
    selection=dg.AssetSelection.checks(*(key for step in DBT_STEPS for key in step.check_keys)),
    description="Every dbt data test over whole tables (a day's run tests the large marts on that day's rows).",
)

WAREHOUSE = warehouse()

# Every step of a run in one process: Great Expectations (some 6-7 s to import) and dbt's manifest load once per
# run, not once per step. Steps ran one at a time already (the pools, dagster.yaml); the trade-off is in
# docs/decisions.md ("One process per run").
defs = dg.Definitions(
    executor=dg.in_process_executor,
    assets=[
        *raw_assets,
        tiktok_comment_scores,
        tiktok_team_config,
        *DBT_STEPS,
        tiktok_marts_for_bi,
        tiktok_report,
    ],
    asset_checks=[*quality_checks, raw_partitions_fresh, labels_match_posts],
    jobs=[raw_ingestion_job, dbt_job, daily_job, freshness_job, full_check_job],
    schedules=[
        build_daily_schedule(daily_job),
        build_freshness_schedule(freshness_job),
        build_weekly_full_check_schedule(full_check_job),
    ],
    sensors=[quality_alert_sensor, dead_run_sensor],
    resources={
        "tiktok": tiktok_source(),
        "warehouse": WAREHOUSE,
        "dbt": dbt_cli(WAREHOUSE),
    },
)
