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


def workloads(scale: float) -> dict[str, Workload]:
    """W (scaled) and the reduced workloads the history figures use; see docs/benchmarks.md."""
    accounts = max(2, round(20 * scale))
    return {
        "W": Workload("W", accounts, 30, W_FIRST_DAY),
        # 365 days of history for one account of 100 posts (W's 20 accounts would not land in the time budget)
        "history": Workload("history", 1, 366, HISTORY_FIRST_DAY, posts=100),
        # one day at 10x W's accounts, for peak memory
        "memory": Workload("memory", accounts * 10, 1, MEMORY_DAY),
    }
