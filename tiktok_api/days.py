"""UTC days: when TikTok has published a day, and which days each daily partition reads.

The one home of the publication lag and the look-back windows; the daily partitions (assets/partitions.py),
the schedule, the freshness rule, ingestion, the mart freshness policies and the demo all take them from here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tiktok_api import contract

FIRST_PARTITION = date(2026, 1, 1)
"""The default first daily partition (TIKTOK_START_DATE overrides it)."""

PUBLISHED_AT_THE_EARLIEST = timedelta(hours=contract.PUBLICATION_LAG_MIN_HOURS)
"""No data of a day exists before this long after the day ends: a partition fetched earlier is retried."""
PUBLISHED_FOR_CERTAIN = timedelta(hours=contract.PUBLICATION_LAG_MAX_HOURS)
"""Every day's data exists this long after it ends: the schedule fetches a day then, and freshness warns after it."""
STALE_AFTER = PUBLISHED_FOR_CERTAIN + timedelta(hours=24)
"""A day still missing this long after it ends is an error (a whole daily run missed), not a warning."""

ACCOUNT_REVISION_DAYS = 3
"""Account metrics arrive 24-48 h late and are revised afterwards: partition D re-reads D-3 .. D."""
SNAPSHOT_DAYS = 3
"""Post and comment snapshots are "as of now": a partition is snapshotted while it is among this many recent days."""
FRESHNESS_LOOKBACK_DAYS = 7
"""How many recent days the freshness rule looks at."""


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def day_end(day: date) -> datetime:
    return day_start(day) + timedelta(days=1)


def published_at_the_earliest(day: date) -> datetime:
    return day_end(day) + PUBLISHED_AT_THE_EARLIEST


def published_for_certain(day: date) -> datetime:
    return day_end(day) + PUBLISHED_FOR_CERTAIN


def daily_run_time(day: date) -> datetime:
    """When the daily run fetches a day: a minute after it is published for certain (the demo, tests and the
    benchmark walk a simulator's clock to these times)."""
    return published_for_certain(day) + timedelta(minutes=1)


def newest_published_day(now: datetime) -> date:
    """The newest UTC day whose data is published for certain at `now`."""
    now = now.astimezone(UTC)
    day = now.date()
    while published_for_certain(day) > now:
        day -= timedelta(days=1)
    return day


def hours_late(day: date, now: datetime) -> float:
    """Hours since `day` should have landed (negative while it need not have)."""
    return (now - published_for_certain(day)).total_seconds() / 3600
