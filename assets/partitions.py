"""Daily UTC partitions shared by every asset, the jobs and the schedules (their calendar: tiktok_api/days.py)."""

from __future__ import annotations

import os

import dagster as dg

from tiktok_api.days import FIRST_PARTITION, PUBLISHED_FOR_CERTAIN

# TIKTOK_START_DATE moves the first partition. The last one is the newest day TikTok has published for certain:
# a day is published within the publication lag after it ends, so yesterday and the day before are not partitions
# yet, and a range chosen in the UI never reaches a day whose fetch must fail.
daily_partitions = dg.DailyPartitionsDefinition(
    start_date=os.environ.get("TIKTOK_START_DATE") or FIRST_PARTITION.isoformat(),
    timezone="UTC",
    end_offset=-PUBLISHED_FOR_CERTAIN.days,
)
