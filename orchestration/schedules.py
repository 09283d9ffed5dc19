"""The daily schedule: each morning, the newest day TikTok has published for certain (tiktok_api/days.py)."""

from __future__ import annotations

import dagster as dg

from assets.partitions import daily_partitions
from assets.quality import FRESHNESS_CLOCK_TAG
from tiktok_api import contract
from tiktok_api.days import ACCOUNT_REVISION_DAYS, newest_published_day

# 02:00 UTC: the day that ended 50 h ago is published whatever its lag. Re-fetching the days before it needs no
# extra partition: partition D's account fetch re-reads the revision window before D.
SCHEDULE_HOUR_UTC = 2
# 04:00 UTC: two hours after the daily run was due, so a day it did not land is found the same morning (and
# alerted once a day while it stays missing, not every hour).
FRESHNESS_HOUR_UTC = 4


def build_daily_schedule(job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    @dg.schedule(
        job=job,
        cron_schedule=f"0 {SCHEDULE_HOUR_UTC} * * *",
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=(
            f"Every day at {SCHEDULE_HOUR_UTC:02d}:00 UTC: lands, builds and checks the newest day TikTok has surely "
            f"published (the API publishes a day {contract.PUBLICATION_LAG} after it ends). That partition's account "
            "fetch also "
            f"re-reads the {ACCOUNT_REVISION_DAYS} days before it, which TikTok may have revised; post and comment "
            "snapshots are taken of the present."
        ),
    )
    def tiktok_daily_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        partition = newest_published_day(context.scheduled_execution_time)
        key = partition.isoformat()
        if key not in daily_partitions.get_partition_keys(current_time=context.scheduled_execution_time):
            return dg.SkipReason(f"{key} is before the first partition ({daily_partitions.start:%Y-%m-%d})")
        return dg.RunRequest(run_key=key, partition_key=key)

    return tiktok_daily_schedule


def build_weekly_full_check_schedule(job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name="tiktok_weekly_full_check_schedule",
        job=job,
        cron_schedule="0 5 * * 0",  # Sundays 05:00 UTC, after the daily run
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Every Sunday at 05:00 UTC: every dbt data test over whole tables; a day's run tests the large "
        "marts on that day's rows only.",
    )


def build_freshness_schedule(job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    @dg.schedule(
        job=job,
        cron_schedule=f"0 {FRESHNESS_HOUR_UTC} * * *",
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=(
            f"Every day at {FRESHNESS_HOUR_UTC:02d}:00 UTC: whether every day TikTok has published for certain has "
            "landed (the partition_fresh_within_48h rule, WARN once a day is late, ERROR once it is stale), judged "
            "at the tick's time."
        ),
    )
    def tiktok_freshness_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        moment = context.scheduled_execution_time
        return dg.RunRequest(run_key=moment.isoformat(), tags={FRESHNESS_CLOCK_TAG: moment.isoformat()})

    return tiktok_freshness_schedule
