"""The pure rules behind the raw assets: windows, readiness, which posts need comments, post URLs."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tiktok_api import landing
from tiktok_api.client import Page
from tiktok_api.ingestion import (
    NotYetAvailable,
    account_window,
    check_partition_ready,
    parse_video_url,
    posts_needing_comments,
    snapshot_allowed,
    tracked_post_ids,
)

TODAY = date(2026, 11, 20)


@pytest.mark.parametrize(
    ("partition", "expected"),
    [
        (date(2026, 11, 17), (date(2026, 11, 14), date(2026, 11, 17))),
        (date(2026, 9, 24), (date(2026, 9, 23), date(2026, 9, 24))),  # start clipped to the safe 58 days
        (date(2026, 9, 23), (date(2026, 9, 23), date(2026, 9, 23))),  # exactly 58 days back
        (date(2026, 9, 22), None),  # 59 days back: skipped
        (date(2026, 1, 1), None),
    ],
)
def test_account_window_keeps_to_the_58_day_look_back(partition, expected):
    assert account_window(partition, TODAY) == expected


@pytest.mark.parametrize(
    ("now", "ready"),
    [
        (datetime(2026, 11, 18, 23, 59, tzinfo=UTC), False),  # 23:59 after the day's end
        (datetime(2026, 11, 19, 0, 0, tzinfo=UTC), True),  # 24 h after the day's end
        (datetime(2026, 11, 20, 12, 0, tzinfo=UTC), True),
    ],
)
def test_a_partition_is_ready_24_hours_after_its_day_ends(now, ready):
    if ready:
        check_partition_ready(date(2026, 11, 17), now)
    else:
        with pytest.raises(NotYetAvailable, match="Retry after 2026-11-19 00:00 UTC") as info:
            check_partition_ready(date(2026, 11, 17), now)
        assert info.value.retry_after == datetime(2026, 11, 19, tzinfo=UTC)


def test_snapshots_only_for_recent_partitions():
    assert snapshot_allowed(date(2026, 11, 17), TODAY)
    assert not snapshot_allowed(date(2026, 11, 16), TODAY)


def test_posts_needing_comments_are_the_changed_the_never_fetched_and_the_tracked():
    snapshot = {"a": 5, "b": 3, "c": 0, "d": 2}
    fetched = {"a": 5, "b": 2}
    assert posts_needing_comments(snapshot, fetched) == ["b", "d"]  # c never fetched but has no comments
    assert posts_needing_comments(snapshot, fetched, ["a", "b"]) == ["b", "d", "a"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://www.tiktok.com/@acme_coffee/video/7426966111828521472",
            ("acme_coffee", "7426966111828521472"),
        ),
        ("https://www.tiktok.com/@Acme/photo/7426966111828521472?lang=en", ("acme", "7426966111828521472")),
        ("https://www.tiktok.com/embed/v2/7426966111828521472", (None, "7426966111828521472")),
        ("7426966111828521472", (None, "7426966111828521472")),
    ],
)
def test_post_urls_resolve_to_ids(url, expected):
    assert parse_video_url(url) == expected


@pytest.mark.parametrize("url", ["https://vm.tiktok.com/ZMabc123/", "https://example.com/video/1", ""])
def test_unreadable_post_urls_say_what_is_expected(url):
    with pytest.raises(ValueError, match="expected https://www.tiktok.com/@user/video/<id>"):
        parse_video_url(url)


TRACKED = """# launch campaign
https://www.tiktok.com/@acme_coffee/video/7426966111828521472   # the teaser

7426966111828521473
https://www.tiktok.com/@acme_coffee/video/7426966111828521472
"""


def test_a_tracked_posts_file_gives_each_post_id_once_in_order_with_the_run_config_urls_after():
    extra = ["https://www.tiktok.com/@acme_coffee/video/7426966111828521474"]
    assert tracked_post_ids(TRACKED, extra) == ["7426966111828521472", "7426966111828521473", "7426966111828521474"]
    assert tracked_post_ids("") == []


@pytest.mark.parametrize(
    ("text", "extra", "named"),
    [
        (TRACKED + "https://vm.tiktok.com/ZMabc123/\n", [], "tracked_videos.txt line 6"),
        (TRACKED, ["https://example.com/video/1"], "the run config's track_video_urls"),
    ],
)
def test_a_line_or_url_that_is_no_post_url_is_named(text, extra, named):
    with pytest.raises(ValueError, match=f"^{named}: cannot read a TikTok post id"):
        tracked_post_ids(text, extra)


def _page(body: str) -> Page:
    return Page("/business/get/", {"business_id": "b1"}, 200, "r1", "l1", "2026-11-20T00:00:00+00:00", body, {})


def test_landing_keeps_the_body_byte_for_byte_and_leaves_no_temporary_file(tmp_path):
    body = '{"code":0,"message":"OK","request_id":"r1","data":{"v":0.10,"id":"7426966111828521472"}}'
    path = landing.write_fetch(tmp_path, "account", date(2026, 11, 17), "b1", {"source": "simulator"}, [_page(body)])
    assert path.parent == tmp_path / "raw/tiktok/account/date=2026-11-17/account=b1"
    assert body in path.read_text(), "the response is spliced in verbatim (0.10 stays 0.10)"
    assert json.loads(path.read_text())["pages"][0]["response"]["data"]["id"] == "7426966111828521472"
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_landing_refuses_bad_streams_ids_and_bodies(tmp_path):
    with pytest.raises(ValueError, match="unknown raw stream"):
        landing.write_fetch(tmp_path, "nope", date(2026, 11, 17), "b1", {}, [])
    with pytest.raises(ValueError, match="cannot name a folder"):
        landing.write_fetch(tmp_path, "account", date(2026, 11, 17), "../etc", {}, [])
    with pytest.raises(ValueError):
        landing.write_fetch(tmp_path, "account", date(2026, 11, 17), "b1", {}, [_page("<html>")])
    assert not list(tmp_path.rglob("*.json")), "a refused fetch leaves nothing behind"


# --- reproducible re-runs: which posts a day's snapshot lists -------------------------------------------------------


def test_the_paging_horizon_of_a_day_does_not_depend_on_later_days():
    from tiktok_api.days import day_start
    from tiktok_api.ingestion import SNAPSHOT_LIFE_DAYS, paging_horizon

    day = date(2026, 11, 10)
    oldest_with_a_snapshot = int((day_start(day) - timedelta(days=SNAPSHOT_LIFE_DAYS)).timestamp() * 1000)
    assert paging_horizon(day, None) is None, "nothing final stored yet: page to the end"
    older = oldest_with_a_snapshot - 86_400_000
    assert paging_horizon(day, older) == older, "stop where the stored final snapshots end"
    later_days_stored = oldest_with_a_snapshot + 30 * 86_400_000
    assert paging_horizon(day, later_days_stored) == oldest_with_a_snapshot, "never past the day's own posts"


def test_a_day_refetched_after_later_days_lists_the_same_posts_as_in_order(tmp_path: Path):
    """A backfill fetches days in any order. Measured before the fix: a day fetched after later days stopped paging
    at the later days' horizon and left out posts that still had a snapshot of that day; now each fetch of a day
    lists every post younger than SNAPSHOT_LIFE_DAYS on that day, with the same records, whatever ran before."""
    from tiktok_api.days import daily_run_time, day_start
    from tiktok_api.ingestion import SNAPSHOT_LIFE_DAYS
    from tiktok_api.simulator import Simulator
    from tiktok_api.simulator.offline_fetch import land_days

    days = [date(2026, 7, 1), date(2026, 9, 1), date(2026, 11, 10)]  # the horizon moves by some 60 posts

    def world() -> Simulator:
        return Simulator(seed=42, accounts=2, posts_per_day=1.0, now=daily_run_time(days[0]).timestamp())

    land_days(world(), tmp_path / "in_order", days, streams=("videos",))
    land_days(world(), tmp_path / "newest_first", days[::-1], streams=("videos",))

    for day in days:
        oldest = day_start(day).timestamp() - SNAPSHOT_LIFE_DAYS * 86_400
        for account in world().world.accounts:
            listed = []
            for order in ("in_order", "newest_first"):
                [path] = landing.list_fetches(tmp_path / order, "videos", day, account.business_id)
                posts = [v for page in landing.read_fetch(path)["pages"] for v in page["response"]["data"]["videos"]]
                listed.append({v["item_id"]: v for v in posts if int(v["create_time"]) >= oldest})
            assert listed[0] and listed[0] == listed[1], f"{day} {account.business_id}: the posts of the day differ"
