"""Daily UTC partitions shared by every asset, the jobs and the schedules."""

from __future__ import annotations

import os

import dagster as dg

DEFAULT_START_DATE = "2026-01-01"

# TIKTOK_START_DATE moves the first partition; the last one is yesterday (UTC).
daily_partitions = dg.DailyPartitionsDefinition(
    start_date=os.environ.get("TIKTOK_START_DATE") or DEFAULT_START_DATE, timezone="UTC"
)
