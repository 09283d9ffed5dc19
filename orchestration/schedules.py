"""The daily schedule: each morning, the newest day the API's 24-48 h lag has surely published."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import dagster as dg

from assets.partitions import daily_partitions

# 02:00 UTC: the day that ended 50 h ago is published whatever its lag (at most 48 h).
SCHEDULE_HOUR_UTC = 2
PUBLISHED_AFTER = timedelta(hours=48)


def partition_for_morning(now: datetime) -> date:
    """The newest UTC day whose data is published for certain at `now` (48 h after the day ended).

    Re-fetching the days before it needs no extra partition: partition D's account fetch covers
    D-3 .. D, so each morning revises the three days before the new one.
    """
    now = now.astimezone(UTC)
    latest_end = datetime(now.year, now.month, now.day, tzinfo=UTC)  # midnight that ended "yesterday"
    while latest_end + PUBLISHED_AFTER > now:
        latest_end -= timedelta(days=1)
    return (latest_end - timedelta(days=1)).date()


def build_daily_schedule(job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    @dg.schedule(
        job=job,
        cron_schedule=f"0 {SCHEDULE_HOUR_UTC} * * *",
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=(
            f"Every day at {SCHEDULE_HOUR_UTC:02d}:00 UTC: lands, builds and checks the newest day TikTok has surely "
            "published (the one that ended 48 h or more ago: the API publishes a day 24-48 h after it ends). "
            "That partition's account fetch also re-reads the three days before it, which TikTok may have "
            "revised; post and comment snapshots are taken of the present."
        ),
    )
    def tiktok_daily_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        partition = partition_for_morning(context.scheduled_execution_time)
        key = partition.isoformat()
        if key not in daily_partitions.get_partition_keys(current_time=context.scheduled_execution_time):
            return dg.SkipReason(f"{key} is before the first partition ({daily_partitions.start:%Y-%m-%d})")
        return dg.RunRequest(run_key=key, partition_key=key)

    return tiktok_daily_schedule
