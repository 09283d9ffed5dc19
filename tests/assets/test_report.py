"""The HTML report renders whatever the marts hold: a NULL metric is "no data", never a crash."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from assets.report import BENCHMARK_FIGURES, NO_DATA, best_hours, render_report

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
CHARTS = 11


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
        # acme's median post has 1000 views at day 7, jules's 10: each posted twice its median on Monday 09:00 UTC
        "slot_posts": pd.DataFrame(
            {
                "business_id": ["a", "a", "a", "j", "j", "j"],
                "weekday_utc": [1, 3, 3, 1, 5, 5],
                "hour_utc": [9, 18, 18, 9, 20, 20],
                "day_7_video_views": [2000, 1000, 1000, 20, 10, 10],
            }  # fmt: skip
        ),
        "slot_audience": pd.DataFrame(
            {
                "weekday_utc": [w for w in range(1, 8) for _ in range(24)],
                "hour_utc": list(range(24)) * 7,
                "active_followers": [float(w * h) for w in range(1, 8) for h in range(24)],
            }  # fmt: skip
        ),
        "labels": pd.DataFrame(
            {
                "label": ["launch", "launch", "recipe", "recipe"],
                "snapshot_date": [date(2026, 11, 10), date(2026, 11, 11)] * 2,
                "video_views_gained": [1000, 1500, 300, 200],
                "engagements_gained": [80, 90, 30, 10],
            }  # fmt: skip
        ),
        "benchmarks": pd.DataFrame(
            {
                "username": ["acme", "jules"],
                "metric_date": [date(2026, 11, 11)] * 2,
                "metric_days": [30, 12],
                "business_category": ["Food & Beverage", None],
                "engagement_rate_30d": [0.06, 0.1],
                "category_average_engagement_rate": [0.04, None],
                "video_views_30d": [120_000, 900],
                "category_average_video_views_30d": [80_000.0, None],
                "videos_posted_30d": [12, 3],
                "category_average_videos_posted_30d": [15.0, None],
                "likes_per_video_30d": [500.0, 20.0],
                "category_average_likes_per_video": [400.0, None],
                "no_benchmark_reason": [None, "no business category configured in accounts.csv"],
            }  # fmt: skip
        ),
        "anomalies": pd.DataFrame(
            {
                "username": ["acme"],
                "metric_date": [date(2026, 11, 11)],
                "metric": ["video_views"],
                "metric_value": [48_000.0],
                "history_median": [2_400.0],
                "robust_score": [41.7],
                "direction": ["spike"],
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
        pytest.param({"slot_posts": ["day_7_video_views"], "slot_audience": ["active_followers"]}, id="timing"),
        pytest.param({"slot_posts": ["business_id", "weekday_utc", "hour_utc"]}, id="timing-slots"),
        pytest.param({"labels": ["label", "video_views_gained"]}, id="labels-views"),
        pytest.param({"labels": ["engagements_gained"]}, id="labels-engagements"),
        pytest.param({"benchmarks": ["category_average_engagement_rate", "engagement_rate_30d"]}, id="benchmarks"),
        pytest.param({"benchmarks": ["metric_days", "business_category", "no_benchmark_reason"]}, id="bench-text"),
        pytest.param({"anomalies": ["metric_value", "history_median", "robust_score", "direction"]}, id="anomalies"),
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
        slot_posts=["day_7_video_views"],
        slot_audience=["active_followers"],
        labels=["video_views_gained", "engagements_gained"],
        benchmarks=[column for _, *columns in BENCHMARK_FIGURES for column in columns],
    )
    page = render_report(data, NOW)
    assert f"Audience activity: {NO_DATA}." in page
    assert (
        f"<td>@acme</td><td>Food &amp; Beverage</td><td>2026-11-11 (30 of 30 days)</td><td>{NO_DATA} vs {NO_DATA}"
        in page
    )
    assert page.count("<img") == CHARTS


def test_empty_marts_render():
    data = {name: frame.iloc[0:0] for name, frame in marts().items()}
    page = render_report(data, NOW)
    assert page.count("<img") == CHARTS
    assert "No comment waits for a reply." in page, "an empty queue is news, not missing data"
    assert "No anomaly in the last 14 days." in page and f"Benchmarks: {NO_DATA}." in page


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


def test_the_insight_charts_and_tables_show_what_the_marts_hold():
    from assets.report import BENCHMARK_TITLE, TIMING_TITLE, render_charts

    data = marts()
    assert {TIMING_TITLE, "Label performance by day", BENCHMARK_TITLE} <= set(render_charts(data))
    page = render_report(data, NOW)
    assert "(UTC)" in TIMING_TITLE, "the clock is named"
    # the benchmark's figures beside the chart, and the account without a category says why instead of a category
    assert (
        "<td>@acme</td><td>Food &amp; Beverage</td><td>2026-11-11 (30 of 30 days)</td><td>6.00% vs 4.00%</td>" in page
    )
    assert "<td>120,000 vs 80,000</td><td>12 vs 15</td><td>500 vs 400</td>" in page
    assert "<td>@jules</td><td>no benchmark: no business category configured in accounts.csv</td>" in page
    assert f"<td>10.00% vs {NO_DATA}</td>" in page
    assert (
        "<tr><td>2026-11-11</td><td>@acme</td><td>video_views</td><td>spike</td><td>48,000</td><td>2,400</td>"
        "<td>41.7</td></tr>"
    ) in page
    assert "No anomaly" not in page


def test_a_day_7_slot_is_the_median_of_its_posts_each_against_its_own_accounts_median_post():
    """Raw views would only show when the big account posted: acme's median post has 1000 views, jules's 10, and
    both posted twice their median on Monday 09:00. A post without day-7 views, or of an account whose median post
    has none, is left out, not read as 0."""
    from assets.report import clean, timing_grid

    posts = marts()["slot_posts"]
    extra = pd.DataFrame(
        {
            "business_id": ["a", "z", "z"],
            "weekday_utc": [1, 2, 2],
            "hour_utc": [9, 3, 3],
            "day_7_video_views": [None, 0, 0],
        },  # fmt: skip
        dtype=object,
    )
    median, counts = timing_grid(clean({"slot_posts": pd.concat([posts, extra])})["slot_posts"])
    assert median.shape == counts.shape == (7, 24), "every weekday and hour, posted in or not"
    assert median.loc[1, 9] == 2.0 and counts.loc[1, 9] == 2, "two posts, each twice its account's median"
    assert median.loc[3, 18] == 1.0 and median.loc[5, 20] == 1.0
    assert pd.isna(median.loc[2, 3]) and pd.isna(counts.loc[2, 3]), "an account without views has no ratio"
    assert median.stack().dropna().size == 3
    assert timing_grid(clean({"slot_posts": posts.iloc[0:0]})["slot_posts"])[0].isna().all().all()


def test_every_mart_the_report_reads_is_in_the_bi_copy_it_depends_on():
    """The asset depends on tiktok_marts_for_bi, which depends on MART_KEYS: a mart read but not there would be
    read before it is built (or not be in the BI copy at all)."""
    import re

    from assets.publish import MART_KEYS
    from assets.report import QUERIES

    read = {table for sql in QUERIES.values() for table in re.findall(r"marts\.(\w+)", sql)}
    assert {"fct_tiktok_post_timing", "fct_tiktok_label_daily", "fct_tiktok_account_benchmarks"} <= read
    assert read <= set(MART_KEYS), read - set(MART_KEYS)


def _marts_in_duckdb(con, tables: dict[str, str]) -> None:
    con.execute("create schema marts")
    for name, select in tables.items():
        con.execute(f"create table marts.{name} as {select}")


def test_the_anomaly_query_lists_the_anomalies_of_the_newest_14_days_of_data():
    """The newest day of the mart is Nov 20: Nov 7 is the 14th day back and listed, Nov 6 is not; a day scored but
    not an anomaly is not listed; the window follows the data, not today's date."""
    import duckdb

    from assets.report import QUERIES, anomaly_table

    with duckdb.connect() as con:
        _marts_in_duckdb(
            con,
            {
                "dim_tiktok_accounts": "select * from (values ('a', 'acme')) as t(business_id, username)",
                "fct_tiktok_account_metric_anomalies": (
                    "select * from (values "
                    "('a', date '2026-11-06', 'video_views', 9000.0, 100.0, 50.0, true, 'spike'), "
                    "('a', date '2026-11-07', 'profile_views', 1.0, 100.0, -4.0, true, 'drop'), "
                    "('a', date '2026-11-19', 'net_followers', 60.0, 5.0, 12.5, true, 'spike'), "
                    "('a', date '2026-11-20', 'video_views', 110.0, 100.0, 0.4, false, null)) "
                    "as t(business_id, metric_date, metric, metric_value, history_median, robust_score, is_anomaly, "
                    "direction)"
                ),
            },
        )
        anomalies = con.execute(QUERIES["anomalies"]).df()
    assert list(zip(anomalies["metric_date"], anomalies["metric"], strict=True)) == [
        ("2026-11-19", "net_followers"),
        ("2026-11-07", "profile_views"),
    ]
    table = anomaly_table(anomalies)
    assert "<td>2026-11-19</td><td>@acme</td><td>net_followers</td><td>spike</td><td>60</td>" in table
    assert "2026-11-06" not in table


def test_the_benchmark_query_reads_each_accounts_newest_day():
    import duckdb

    from assets.report import QUERIES, benchmark_table

    figures = ", ".join(column for _, *columns in BENCHMARK_FIGURES for column in columns)
    with duckdb.connect() as con:
        _marts_in_duckdb(
            con,
            {
                "dim_tiktok_accounts": (
                    "select * from (values ('a', 'acme'), ('j', 'jules')) as t(business_id, username)"
                ),
                "fct_tiktok_account_benchmarks": (
                    "select * from (values "
                    "('a', date '2026-11-10', 29, 'Food', 0.05, 0.04, 1000, 800.0, 3, 4.0, 9.0, 8.0, null), "
                    "('a', date '2026-11-11', 30, 'Food', 0.06, 0.04, 1200, 800.0, 4, 4.0, 9.0, 8.0, null), "
                    "('j', date '2026-11-09', 5, null, 0.1, null, 10, null, 1, null, 2.0, null, "
                    "'no business category configured in accounts.csv')) "
                    f"as t(business_id, metric_date, metric_days, business_category, {figures}, no_benchmark_reason)"
                ),
            },
        )
        benchmarks = con.execute(QUERIES["benchmarks"]).df()
    assert benchmarks[["username", "metric_date"]].values.tolist() == [["acme", "2026-11-11"], ["jules", "2026-11-09"]]
    table = benchmark_table(benchmarks)
    assert "<td>@acme</td><td>Food</td><td>2026-11-11 (30 of 30 days)</td><td>6.00% vs 4.00%</td>" in table
    assert "<td>@jules</td><td>no benchmark: no business category configured in accounts.csv</td>" in table
