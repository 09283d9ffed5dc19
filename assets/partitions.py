"""Daily UTC partitions shared by every asset, the jobs and the schedules (their calendar: tiktok_api/days.py)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import dagster as dg

from tiktok_api import landing
from tiktok_api.days import FIRST_PARTITION, PUBLISHED_FOR_CERTAIN
from tiktok_api.settings import data_dir

START_DATE_VARIABLE = "TIKTOK_START_DATE"


def earliest_landed_day(root: Path) -> date | None:
    """The oldest partition day for which any stream holds a fetch file under `root`; None when nothing landed."""
    earliest: date | None = None
    for stream in landing.STREAMS:
        folder = landing.stream_dir(root, stream)
        if not folder.is_dir():
            continue
        # date=YYYY-MM-DD folders sort by day: the first one holding a fetch file is the stream's oldest
        for day_folder in sorted(folder.glob(f"{landing.DATE_KEY}=*")):
            try:
                day = date.fromisoformat(day_folder.name.removeprefix(f"{landing.DATE_KEY}="))
            except ValueError:
                continue  # not a partition folder
            if earliest is not None and day >= earliest:
                break
            if any(day_folder.glob(f"{landing.ACCOUNT_KEY}=*/{landing.FILE_NAME_GLOB}")):
                earliest = day
                break
    return earliest


def first_partition(environ: Mapping[str, str] | None = None, root: Path | None = None) -> date:
    """The first daily partition: TIKTOK_START_DATE when set; else the oldest day landed under $TIKTOK_DATA_DIR,
    so that after a 14-day demo the UI shows 14 days and not a year of missing ones; else FIRST_PARTITION.

    A deployment that backfills days before its first landing sets TIKTOK_START_DATE (docs/decisions.md).
    """
    env = os.environ if environ is None else environ
    configured = (env.get(START_DATE_VARIABLE) or "").strip()
    if configured:
        return date.fromisoformat(configured)
    return earliest_landed_day(data_dir() if root is None else root) or FIRST_PARTITION


# Read once, when a process loads the definitions, so a process's partitions never move under it. The last
# partition is the newest day TikTok has published for certain: a day is published within the publication lag after
# it ends, so yesterday and the day before are not partitions yet, and a range chosen in the UI never reaches a day
# whose fetch must fail.
daily_partitions = dg.DailyPartitionsDefinition(
    start_date=first_partition().isoformat(),
    timezone="UTC",
    end_offset=-PUBLISHED_FOR_CERTAIN.days,
)
