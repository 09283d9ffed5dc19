"""The HTML report renders whatever the marts hold: a NULL metric is "no data", never a crash."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from assets.report import NO_DATA, best_hours, render_report

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
CHARTS = 8


def marts(**nulls: dict[str, list[str]]) -> dict[str, pd.DataFrame]:
    """Query results as the warehouse returns them (NULL as None in object columns), some columns NULL."""
    data = {
        "daily": pd.DataFrame(
            {
                "username": ["acme", "acme", "jules", "jules"],
                "metric_date": [date(2026, 11, 10), date(2026, 11, 11)] * 2,
                "followers_total": [1000, 1010, 200, 203],
                "net_followers": [12, 10, 1, 3],
                "video_views": [500, 800, 50, 70],
                "engagement_rate": [0.1, 0.12, 0.05, 0.07],
            }
        ),
        "top_posts": pd.DataFrame(
            {
                "username": ["acme", "jules"],
                "caption": ["hello #coffee", "a craft"],
                "video_views": [900, 80],
                "engagement_rate": [0.1, 0.2],
            }  # fmt: skip
        ),
        "countries": pd.DataFrame({"country": ["US", "DE"], "share": [0.6, 0.3]}),
        "hours": pd.DataFrame(
            {
                "hour_utc": list(range(24)),
                "active_followers": [10 * h for h in range(24)],
                "engagement_rate": [0.1] * 24,
                "posts": [1] * 24,
            }  # fmt: skip
        ),
        "mentions": pd.DataFrame(
            {
                "username": ["acme", "acme", "jules"],
                "snapshot_date": [date(2026, 11, 10), date(2026, 11, 11), date(2026, 11, 11)],
                "mentioned_posts": [40, 42, 3],
                "views": [90_000, 95_000, 1_200],
            }  # fmt: skip
        ),
        "sentiment": pd.DataFrame(
            {
                "username": ["acme", "acme", "jules"],
                "comment_date": [date(2026, 11, 10), date(2026, 11, 11), date(2026, 11, 11)],
                "share_positive": [0.5, 0.6, 0.3],
                "share_negative": [0.2, 0.1, 0.4],
                "comments_scored": [30, 25, 5],
            }  # fmt: skip
        ),
        "reply_queue": pd.DataFrame(
            {
                "username": ["acme", "acme", "jules"],
                "waiting": ["< 1 day", "> 7 days", "1-3 days"],
                "comments": [12, 3, 2],
                "oldest_hours": [20.0, 400.0, 50.0],
            }  # fmt: skip
        ),
    }
    for query, columns in nulls.items():
        for column in columns:
            frame = data[query].astype({column: object})
            frame[column] = None
            data[query] = frame
    return data


def test_the_report_renders_clean_marts():
    page = render_report(marts(), NOW)
    assert page.count("<img") == CHARTS
    assert "Audience is most active at 23:00, 22:00, 21:00 UTC." in page
    assert "17 comments wait for a reply; the oldest for 16.7 days." in page


@pytest.mark.parametrize(
    "nulls",
    [
        pytest.param({"daily": ["net_followers"]}, id="net_followers"),
        pytest.param({"daily": ["video_views"]}, id="video_views"),
        pytest.param({"daily": ["followers_total", "engagement_rate"]}, id="followers_total-and-rate"),
        pytest.param({"top_posts": ["video_views", "caption", "engagement_rate"]}, id="top-posts"),
        pytest.param({"countries": ["share", "country"]}, id="countries"),
        pytest.param({"hours": ["active_followers", "engagement_rate"]}, id="hours"),
        pytest.param({"daily": ["username"], "hours": ["hour_utc"]}, id="labels"),
        pytest.param({"mentions": ["mentioned_posts", "views"]}, id="mentions"),
        pytest.param({"sentiment": ["share_positive", "share_negative"]}, id="sentiment"),
        pytest.param({"reply_queue": ["comments", "oldest_hours"]}, id="reply-queue"),
    ],
)
def test_a_null_metric_renders_as_no_data_and_never_crashes(nulls):
    page = render_report(marts(**nulls), NOW)
    assert page.count("<img") == CHARTS


def test_a_partly_null_column_keeps_its_known_values():
    data = marts()
    for column in ("net_followers", "video_views", "followers_total"):
        data["daily"] = data["daily"].astype({column: object})
        data["daily"].loc[1, column] = None
    assert render_report(data, NOW).count("<img") == CHARTS


def test_every_metric_null_says_no_data():
    data = marts(
        daily=["followers_total", "net_followers", "video_views", "engagement_rate"],
        top_posts=["video_views", "engagement_rate"],
        countries=["share"],
        hours=["active_followers", "engagement_rate", "posts"],
        mentions=["mentioned_posts", "views"],
        sentiment=["share_positive", "share_negative", "comments_scored"],
    )
    page = render_report(data, NOW)
    assert f"Audience activity: {NO_DATA}." in page
    assert page.count("<img") == CHARTS


def test_empty_marts_render():
    data = {name: frame.iloc[0:0] for name, frame in marts().items()}
    page = render_report(data, NOW)
    assert page.count("<img") == CHARTS
    assert "No comment waits for a reply." in page, "an empty queue is news, not missing data"


def test_best_hours_skip_null_hours_and_counts():
    hours = pd.DataFrame({"hour_utc": [1, None, 3], "active_followers": [5, 100, None]}, dtype=object)
    assert best_hours(hours) == "01:00 UTC"
    assert best_hours(hours.iloc[0:0]) == NO_DATA


def test_audience_by_country_is_a_mean_over_every_account_with_audience_data():
    """Measured before: each country averaged over only the accounts that have it, so the bars added up to about
    1.7. An account without the country counts as 0 there, and the shares add up to at most 1."""
    import duckdb

    from assets.report import QUERIES

    with duckdb.connect() as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.fct_tiktok_account_audience as select * from (values "
            "('a', date '2026-11-10', 'country', 'US', 0.6), ('a', date '2026-11-10', 'country', 'DE', 0.4), "
            "('b', date '2026-11-10', 'country', 'FR', 1.0), ('b', date '2026-11-09', 'country', 'US', 1.0)) "
            "as t(business_id, snapshot_date, dimension, dimension_value, share)"
        )
        shares = dict(con.execute(QUERIES["countries"]).fetchall())
    assert shares == pytest.approx({"FR": 0.5, "US": 0.3, "DE": 0.2})
    assert sum(shares.values()) == pytest.approx(1.0)


def test_followers_use_a_log_scale_when_account_sizes_differ_by_more_than_ten_times():
    from assets.report import follower_scale

    assert follower_scale(pd.Series([98_000.0, 1_100.0, 20.0])) == "log"
    assert follower_scale(pd.Series([1_000.0, 1_500.0])) == "linear"
    assert follower_scale(pd.Series([0.0, 5_000.0])) == "linear", "log cannot show 0"
    assert follower_scale(pd.Series([None, None], dtype="float64")) == "linear"


def test_the_demo_headline_shows_a_null_rate_as_no_data_not_zero():
    from orchestration.demo import headline

    line = headline("acme", 1000, 5, 0, None)
    assert "no data engagement rate" in line and "0.00%" not in line
    assert "  1000 followers" in headline("acme", 1000.0, 5, 10, 0.5)


def test_the_demo_community_line_shows_missing_mentions_and_sentiment_as_no_data():
    from orchestration.demo import community_line

    line = community_line("acme", None, None, 0, None)
    assert "no data mentions" in line and "no data negative" in line and "   0 comments waiting" in line
    assert "oldest" not in line, "no oldest comment in an empty queue"
    line = community_line("acme", 42, 0.125, 3, 49.6)
    assert "42 mentions" in line and "12.5% negative" in line and "the oldest for 50 h" in line
    tagged = community_line("acme", 42, 0.125, 3, 49.6, "fyp")
    assert "42 mentions #fyp " in tagged and len(tagged) == len(line), "the day's top hashtag, in a column of its own"


def test_an_impossible_day_is_left_out_not_a_crash():
    """The report reads days as text (QUERIES): a comment dated in the year 56147 (times_are_possible) is parsed to
    nothing and left out, where PostgreSQL's driver failed on the date itself."""
    data = marts()
    data["sentiment"] = data["sentiment"].astype({"comment_date": object})
    data["sentiment"].loc[0, "comment_date"] = "56147-03-01"
    assert render_report(data, NOW).count("<img") == CHARTS
