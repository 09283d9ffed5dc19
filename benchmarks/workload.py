"""The benchmark's workloads: which simulated accounts, posts and days each figure runs on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from tiktok_api.days import daily_run_time

DAY_SECONDS = 86_400.0
POSTS_PER_ACCOUNT = 200
HORIZON_DAYS = 365  # a post's metrics freeze after this: every W post stays inside the paging horizon


def fetch_time(day: date) -> float:
    """When the daily run fetches a partition (as the demo does)."""
    return daily_run_time(day).timestamp()


def day_range(first: date, days: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(days)]


@dataclass(frozen=True)
class Workload:
    """`accounts` simulated accounts with about `posts` posts each, over `days` days from `first_day`.

    Every posting account is created HORIZON_DAYS before first_day and posts posts/HORIZON_DAYS a day, so
    it holds about `posts` posts, all within the 365-day horizon a daily run pages through.
    """

    name: str
    accounts: int
    days: int
    first_day: date
    posts: int = POSTS_PER_ACCOUNT

    @property
    def posts_per_day(self) -> float:
        return self.posts / HORIZON_DAYS

    @property
    def created_at(self) -> float:
        d = self.first_day
        return datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp() - HORIZON_DAYS * DAY_SECONDS

    @property
    def dates(self) -> list[date]:
        return day_range(self.first_day, self.days)

    def describe(self) -> str:
        return f"{self.accounts} accounts x {self.posts} posts x {self.days} days from {self.first_day}"


# The partitions every workload uses must exist: TIKTOK_START_DATE is set to this before Dagster loads.
PARTITIONS_START = "2025-01-01"
W_FIRST_DAY = date(2026, 10, 1)
HISTORY_FIRST_DAY = date(2025, 9, 1)  # 365 days of history end the day before 2026-09-01
MEMORY_DAY = date(2026, 11, 5)


HISTORY_DAYS = 366  # 365 days of history, then the measured day
HISTORY_POSTS = 50
"""The history's posts per account by default: a quarter of W's. W's 200 (`--history-posts 200`) make the
history about 7.5 GB of raw files at 20 accounts and take most of an hour to generate and build on 2 cores."""


def workloads(scale: float, history_posts: int = HISTORY_POSTS) -> dict[str, Workload]:
    """W (scaled) and the workloads the history figures and the memory figure use; see docs/benchmarks.md."""
    accounts = max(2, round(20 * scale))
    return {
        "W": Workload("W", accounts, 30, W_FIRST_DAY),
        # W's accounts over 365 days and the day after; the days before the measured ones are generated from the
        # simulator's world (tiktok_api/simulator/offline_fetch.py), not fetched (benchmarks/production.py)
        "history": Workload("history", accounts, HISTORY_DAYS, HISTORY_FIRST_DAY, posts=history_posts),
        # one day at 10x W's accounts, for peak memory
        "memory": Workload("memory", accounts * 10, 1, MEMORY_DAY),
    }
