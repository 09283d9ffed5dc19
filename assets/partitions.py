"""Daily UTC partitions shared by every asset, the jobs and the schedules (their calendar: tiktok_api/days.py)."""

from __future__ import annotations

import os

import dagster as dg

from tiktok_api.days import FIRST_PARTITION

# TIKTOK_START_DATE moves the first partition; the last one is yesterday (UTC).
daily_partitions = dg.DailyPartitionsDefinition(
    start_date=os.environ.get("TIKTOK_START_DATE") or FIRST_PARTITION.isoformat(), timezone="UTC"
)
