"""The publication calendar: which day is published for certain, and when a partition is late."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tiktok_api.days import hours_late, newest_published_day, published_at_the_earliest, published_for_certain


@pytest.mark.parametrize(
    ("now", "partition"),
    [
        ("2026-11-24T02:00:00+00:00", "2026-11-21"),  # the schedule's hour: the day that ended 50 h ago
        ("2026-11-24T00:00:00+00:00", "2026-11-21"),  # exactly 48 h after 11-21 ended
        ("2026-11-23T23:59:00+00:00", "2026-11-20"),  # a minute before that
        ("2026-03-01T02:00:00+00:00", "2026-02-26"),  # across a month end
        ("2028-03-01T02:00:00+00:00", "2028-02-27"),  # a leap year
        ("2026-01-02T02:00:00+00:00", "2025-12-30"),  # across a year end
    ],
)
def test_the_newest_day_published_for_certain(now, partition):
    assert newest_published_day(datetime.fromisoformat(now)).isoformat() == partition


def test_a_day_is_published_between_24_and_48_hours_after_it_ends():
    day = date(2026, 11, 17)
    assert published_at_the_earliest(day) == datetime(2026, 11, 19, tzinfo=UTC)
    assert published_for_certain(day) == datetime(2026, 11, 20, tzinfo=UTC)
    assert hours_late(day, datetime(2026, 11, 20, 6, tzinfo=UTC)) == 6
    assert hours_late(day, datetime(2026, 11, 19, 12, tzinfo=UTC)) < 0
