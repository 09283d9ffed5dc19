"""The quality rule book: every rule passes on clean data and fails, with its id, severity and offending keys,
on data that breaks it; the suite files are well formed; Data Docs stay bounded; memory stays flat."""

from __future__ import annotations

import gc
import json
import resource
import subprocess
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from sqlalchemy.engine import URL

from expectations import custom
from expectations.datasets import DATASETS, SUITES_DIR, partition_sql, suite_rule_ids
from expectations.rules import RULES, SUITE_RULE_IDS
from expectations.runner import (
    HISTORY_LIMIT,
    SuiteResult,
    load_suite,
    validate_frame,
    validate_in_warehouse,
    validate_raw,
)

D = date(2026, 11, 12)


def load_partition(dataset: str, partition: date, warehouse: Path, data_dir: Path) -> pd.DataFrame:
    """The rows a partition's SQL selects, as a frame: to look at what a suite is given."""
    raw = DATASETS[dataset].layer == "raw"
    with duckdb.connect(":memory:" if raw else str(warehouse), read_only=not raw) as con:
        return con.execute(partition_sql(dataset, partition, data_dir)).df()


def validate_duckdb_mart(dataset: str, partition: date, warehouse: Path, **options: object) -> SuiteResult:
    """Validate a mart partition inside a DuckDB file, as the warehouse resource does."""
    url = URL.create("duckdb", database=str(warehouse), query={"access_mode": "read_only"})
    return validate_in_warehouse(dataset, partition, url, **options)  # type: ignore[arg-type]


DAY = pd.Timestamp(D)
PREVIOUS = pd.Timestamp(D - timedelta(days=1))
ITEM_1, ITEM_2, ITEM_3 = "7300000000000000001", "7300000000000000002", "7300000000000000003"


# --- clean frames, one per dataset (as the loaders return them: dates as datetime64) -------------------------------


def account_daily() -> pd.DataFrame:
    def day(business_id, metric_date, total, new, lost, clicks):
        return {
            "business_id": business_id,
            "metric_date": metric_date,
            "followers_total": total,
            "new_followers": new,
            "lost_followers": lost,
            "net_followers": new - lost,
            "video_views": 500,
            "unique_video_views": 300,
            "profile_views": 20,
            "likes": 50,
            "comments": 5,
            "shares": 2,
            "engagements": 57,
            "engaged_audience": 40,
            "bio_link_clicks": clicks,
            "email_clicks": clicks,
            "address_clicks": clicks,
            "phone_number_clicks": clicks,
            "app_download_clicks": clicks,
            "total_clicks": None if clicks is None else 5 * clicks,
            "lead_submissions": clicks,
        }

    frame = pd.DataFrame(
        [
            day("acct_a", PREVIOUS, 1000, 12, 2, 1),
            day("acct_a", DAY, 1010, 15, 5, 1),
            day("acct_b", PREVIOUS, 150, 1, 1, None),
            day("acct_b", DAY, 153, 4, 1, None),
        ]
    )
    for column in (
        "bio_link_clicks",
        "email_clicks",
        "address_clicks",
        "phone_number_clicks",
        "app_download_clicks",
        "total_clicks",
        "lead_submissions",
    ):
        frame[column] = frame[column].astype("Int64")
    frame["in_partition"] = frame["metric_date"] == DAY
    # no fetch read the profile at the end of these days (followers_total_matches_profile judges only the total's
    # presence); the violation cases add a reading
    frame["profile_followers_count"] = pd.Series([None] * len(frame), dtype="Int64")
    frame["followers_total_profile_gap"] = pd.Series([None] * len(frame), dtype="float64")
    return frame


def accounts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "business_id": ["acct_a", "acct_b"],
            "account_type": ["business", "personal"],
            "followers_count": [5000, 50],
            "following_count": [10, 3],
            "total_likes": [900, 4],
            "videos_count": [12, 2],
            "is_eligible_for_audience_insights": [True, False],
            "has_audience_data": [True, False],
            "first_snapshot_date": [PREVIOUS, PREVIOUS],
            "latest_snapshot_date": [DAY, DAY],
            "audience_rows_on_partition": [7, 0],
            "has_audience_rows_on_partition": [True, False],
        }
    )


def account_audience() -> pd.DataFrame:
    buckets = [
        ("age", "18-24", 0.4),
        ("age", "25-34", 0.6),
        ("gender", "Female", 0.5),
        ("gender", "Male", 0.5),
        ("country", "US", 0.7),
        ("country", "DE", 0.2),
        ("city", "Berlin", 0.3),
    ]
    rows = [
        {
            "business_id": account,
            "snapshot_date": DAY,
            "dimension": dimension,
            "dimension_value": value,
            "share": share,
            "followers_count_on_snapshot": followers,
            "fetch_id": "f1",
        }
        for account, followers in (("acct_x", 5000.0), ("acct_y", None))
        for dimension, value, share in buckets
    ]
    return pd.DataFrame(rows)


def video_daily() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item_id": [ITEM_1, ITEM_2, ITEM_3],
            "business_id": "acct_a",
            "snapshot_date": DAY,
            "video_views": [1000, 200, 50],
            "reach": pd.array([800, 150, None], dtype="Int64"),
            "likes": [100, 20, 1],
            "comments": [5, 0, 0],
            "shares": [3, 1, 0],
            "favorites": [7, 0, 0],
            "new_followers": [2, 0, 0],
            "profile_views": [30, 2, 0],
            "total_time_watched_seconds": [5000.0, 900.0, None],
            "full_video_watched_rate": [0.3, 0.25, None],
            "video_views_gained": pd.array([100, 20, None], dtype="Int64"),
            "likes_gained": pd.array([10, 2, None], dtype="Int64"),
            "comments_gained": pd.array([1, 0, None], dtype="Int64"),
            "shares_gained": pd.array([0, 0, None], dtype="Int64"),
            "favorites_gained": pd.array([1, 0, None], dtype="Int64"),
            "new_followers_gained": pd.array([0, 0, None], dtype="Int64"),
        }
    )


def video_audience() -> pd.DataFrame:
    buckets = [
        ("country", "country", "US", 0.5),
        ("country", "country", "DE", 0.2),
        ("city", "city", "Berlin", 0.1),
        ("gender", "gender", "Female", 0.6),
        ("gender", "gender", "Male", 0.35),
        ("gender", "gender", "Other", 0.05),
        ("viewer_type", "new_vs_returning", "NEW_VIEWER", 0.8),
        ("viewer_type", "new_vs_returning", "RETURN_VIEWER", 0.2),
        ("viewer_type", "follower_vs_non_follower", "FOLLOWER_PERCENT", 0.3),
        ("viewer_type", "follower_vs_non_follower", "NON_FOLLOWER_PERCENT", 0.7),
        ("impression_source", "impression_source", "For You", 0.9),
        ("impression_source", "impression_source", "Follow", 0.1),
    ]
    return pd.DataFrame(
        [
            {
                "item_id": item,
                "business_id": "acct_a",
                "snapshot_date": DAY,
                "dimension": dimension,
                "dimension_group": group,
                "dimension_value": value,
                "share": share,
            }
            for item in (ITEM_1, ITEM_2)
            for dimension, group, value, share in buckets
        ]
    )


def retention() -> pd.DataFrame:
    rows = [
        {
            "item_id": item,
            "business_id": "acct_a",
            "snapshot_date": DAY,
            "video_second": second,
            "retention_share": 1.0 - 0.1 * second,
            "likes_share": None if second == 4 else 0.2,
        }
        for item in (ITEM_1, ITEM_2)
        for second in range(5)
    ]
    return pd.DataFrame(rows)


# raw datasets: the rows the loaders read from the landing files of D (the newest complete fetch per account)

_RAW_ACCOUNT_COUNTS = (
    "profile_views",
    "likes",
    "comments",
    "shares",
    "engaged_audience",
    "bio_link_clicks",
    "email_clicks",
    "address_clicks",
    "phone_number_clicks",
    "app_download_clicks",
    "lead_submissions",
)


def raw_account() -> pd.DataFrame:
    def day(business_id, metric_date, followers):
        return {
            "business_id": business_id,
            "metric_date": metric_date,
            "video_views": 500,
            "unique_video_views": 300,
            **dict.fromkeys(_RAW_ACCOUNT_COUNTS, 2),
            "followers_count": followers,
            "daily_new_followers": 5,
            "daily_lost_followers": 1,
            "daily_net_followers": 4,
            "profile_followers_count": followers,
            "profile_following_count": 10,
            "profile_total_likes": 900,
            "profile_videos_count": 12,
            "fetch_id": f"f_{business_id}",
        }

    return pd.DataFrame(
        [day(account, metric_date, followers) for account, followers in (("acct_a", 5000), ("acct_b", 50))
         for metric_date in (PREVIOUS, DAY)]
    )  # fmt: skip


def raw_account_audience() -> pd.DataFrame:
    buckets = [
        ("age", "18-24", 0.4),
        ("age", "25-34", 0.6),
        ("gender", "Female", 0.5),
        ("gender", "Male", 0.5),
        ("country", "US", 0.5),
        ("country", "DE", 0.3),
    ]
    return pd.DataFrame(
        [
            {
                "business_id": "acct_a",
                "dimension": dimension,
                "dimension_value": value,
                "share": share,
                "followers_count": 5000,
                "fetch_id": "f_acct_a",
            }
            for dimension, value, share in buckets
        ]
    )


def raw_videos() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "business_id": "acct_a",
            "item_id": [ITEM_1, ITEM_2, ITEM_3],
            "video_duration": [30.0, 12.5, 60.0],
            "video_views": [1000, 200, 50],
            "reach": pd.array([800, 150, None], dtype="Int64"),
            "likes": [100, 20, 1],
            "comments": [5, 0, 0],
            "shares": [3, 1, 0],
            "favorites": [7, 0, 0],
            "total_time_watched": [5000.0, 900.0, None],
            "average_time_watched": [5.0, 4.5, None],
            "full_video_watched_rate": [0.3, 0.25, None],
            "new_followers": [2, 0, 0],
            "profile_views": [30, 2, 0],
            **{
                name: pd.array([1, 0, None], dtype="Int64")
                for name in (
                    "website_clicks",
                    "phone_number_clicks",
                    "lead_submissions",
                    "app_download_clicks",
                    "email_clicks",
                    "address_clicks",
                )
            },
            "fetch_id": "f_acct_a",
        }
    )


def raw_video_breakdowns() -> pd.DataFrame:
    entries = [
        ("impression_sources", "For You", 0.9),
        ("impression_sources", "Follow", 0.1),
        ("audience_genders", "Female", 0.6),
        ("audience_genders", "Male", 0.4),
        ("video_view_retention", "0", 1.0),
        ("video_view_retention", "1", 0.7),
    ]
    return pd.DataFrame(
        [
            {
                "business_id": "acct_a",
                "item_id": item,
                "breakdown": breakdown,
                "entry_key": key,
                "share_group": breakdown,
                "share": share,
                "fetch_id": "f_acct_a",
            }
            for item in (ITEM_1, ITEM_2)
            for breakdown, key, share in entries
        ]
    )


CLEAN: dict[str, Callable[[], pd.DataFrame]] = {
    "fct_tiktok_account_daily": account_daily,
    "dim_tiktok_accounts": accounts,
    "fct_tiktok_account_audience": account_audience,
    "fct_tiktok_video_daily": video_daily,
    "fct_tiktok_video_audience": video_audience,
    "fct_tiktok_video_retention": retention,
    "raw_tiktok_account": raw_account,
    "raw_tiktok_account_audience": raw_account_audience,
    "raw_tiktok_videos": raw_videos,
    "raw_tiktok_video_breakdowns": raw_video_breakdowns,
}


def where(frame: pd.DataFrame, **equal) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column, value in equal.items():
        mask &= frame[column] == value
    return mask


# --- violations: (rule, dataset, break the clean frame, unexpected rows, their keys) ---------------------------


def _set(frame: pd.DataFrame, mask: pd.Series, **values) -> pd.DataFrame:
    for column, value in values.items():
        frame.loc[mask, column] = value
    return frame


def _duplicate_first_row(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([frame, frame.iloc[[0]]], ignore_index=True)


DAY_KEY = D.isoformat()
VIOLATIONS = [
    pytest.param(
        "share_in_unit_interval",
        "raw_tiktok_videos",
        lambda f: _set(f, where(f, item_id=ITEM_2), full_video_watched_rate=1.2),
        1,
        [{"business_id": "acct_a", "item_id": ITEM_2}],
        id="share_in_unit_interval",
    ),
    pytest.param(
        "share_in_unit_interval",
        "raw_tiktok_video_breakdowns",
        # a retention curve's point: no distribution to sum (a complete one would break distribution_sums_to_one too)
        lambda f: _set(f, where(f, item_id=ITEM_1, entry_key="1"), share=1.35),
        1,
        [{"item_id": ITEM_1, "breakdown": "video_view_retention", "entry_key": "1"}],
        id="share_in_unit_interval-breakdowns",
    ),
    pytest.param(
        "share_in_unit_interval",
        "raw_tiktok_account_audience",
        # out of [0, 1] while the ages still sum to 1
        lambda f: _set(
            _set(f, where(f, dimension_value="25-34"), share=1.2), where(f, dimension_value="18-24"), share=-0.2
        ),
        2,
        [{"business_id": "acct_a", "dimension": "age", "dimension_value": v} for v in ("18-24", "25-34")],
        id="share_in_unit_interval-account-audience",
    ),
    pytest.param(
        "distribution_sums_to_one",
        "raw_tiktok_video_breakdowns",
        lambda f: _set(f, where(f, item_id=ITEM_2, entry_key="Male"), share=0.2),
        2,
        [{"item_id": ITEM_2, "breakdown": "audience_genders", "entry_key": v} for v in ("Female", "Male")],
        id="distribution_sums_to_one-raw-post-genders",
    ),
    pytest.param(
        "top_list_sums_at_most_one",
        "raw_tiktok_account_audience",
        lambda f: _set(f, where(f, dimension_value="US"), share=0.8),
        2,
        [{"business_id": "acct_a", "dimension": "country", "dimension_value": v} for v in ("US", "DE")],
        id="top_list_sums_at_most_one-raw-account-countries",
    ),
    pytest.param(
        "distribution_sums_to_one",
        "fct_tiktok_video_audience",
        lambda f: _set(f, where(f, item_id=ITEM_1, dimension_value="Female"), share=0.5),
        3,
        [
            {"item_id": ITEM_1, "snapshot_date": DAY_KEY, "dimension": "gender", "dimension_value": v}
            for v in ("Female", "Male", "Other")
        ],
        id="distribution_sums_to_one",
    ),
    pytest.param(
        "distribution_sums_to_one",
        "fct_tiktok_account_audience",
        lambda f: _set(f, where(f, business_id="acct_y", dimension_value="25-34"), share=0.7),
        2,
        [
            {"business_id": "acct_y", "snapshot_date": DAY_KEY, "dimension": "age", "dimension_value": v}
            for v in ("18-24", "25-34")
        ],
        id="distribution_sums_to_one-account-ages",
    ),
    pytest.param(
        "top_list_sums_at_most_one",
        "fct_tiktok_account_audience",
        lambda f: _set(f, where(f, business_id="acct_x", dimension_value="US"), share=0.95),
        2,
        [
            {"business_id": "acct_x", "snapshot_date": DAY_KEY, "dimension": "country", "dimension_value": v}
            for v in ("US", "DE")
        ],
        id="top_list_sums_at_most_one",
    ),
    pytest.param(
        "audience_needs_100_followers",
        "raw_tiktok_account_audience",
        lambda f: f.assign(followers_count=99),
        6,
        [
            {"business_id": "acct_a", "dimension": d, "dimension_value": v}
            for d, v in (
                ("age", "18-24"),
                ("age", "25-34"),
                ("gender", "Female"),
                ("gender", "Male"),
                ("country", "US"),
                ("country", "DE"),
            )
        ],
        id="audience_needs_100_followers-raw",
    ),
    pytest.param(
        "audience_needs_100_followers",
        "fct_tiktok_account_audience",
        lambda f: _set(f, where(f, business_id="acct_x"), followers_count_on_snapshot=99.0),
        7,
        [
            {"business_id": "acct_x", "snapshot_date": DAY_KEY, "dimension": d, "dimension_value": v}
            for d, v in (
                ("age", "18-24"),
                ("age", "25-34"),
                ("gender", "Female"),
                ("gender", "Male"),
                ("country", "US"),
                ("country", "DE"),
                ("city", "Berlin"),
            )
        ],
        id="audience_needs_100_followers",
    ),
    pytest.param(
        "audience_needs_100_followers",
        "dim_tiktok_accounts",
        lambda f: _set(f, where(f, business_id="acct_b"), has_audience_data=True),
        1,
        [{"business_id": "acct_b"}],
        id="audience_needs_100_followers-dim-flag",
    ),
    pytest.param(
        "audience_needs_100_followers",
        "dim_tiktok_accounts",
        lambda f: _set(f, where(f, business_id="acct_b"), has_audience_rows_on_partition=True),
        1,
        [{"business_id": "acct_b"}],
        id="audience_needs_100_followers-dim-fact-rows",
    ),
    pytest.param(
        "follower_net_is_new_minus_lost",
        "fct_tiktok_account_daily",
        lambda f: _set(f, where(f, business_id="acct_a", metric_date=DAY), net_followers=13),
        1,
        [{"business_id": "acct_a", "metric_date": DAY_KEY}],
        id="follower_net_is_new_minus_lost",
    ),
    pytest.param(
        "followers_total_matches_profile",
        "fct_tiktok_account_daily",
        # D-1: the day's change does not explain the profile's move (checked on D-1 too: the total is anchored on D)
        # the profile read 200 at the end of D-1 while the total stepped back from D is 150: a gap of 50, 5x the
        # tolerance max(10, 0.1% of 200)
        lambda f: _set(
            f,
            where(f, business_id="acct_b", metric_date=PREVIOUS),
            profile_followers_count=200,
            followers_total_profile_gap=5.0,
        ),
        1,
        [{"business_id": "acct_b", "metric_date": PREVIOUS.date().isoformat()}],
        id="followers_total_matches_profile",
    ),
    pytest.param(
        "followers_total_matches_profile",
        "fct_tiktok_account_daily",
        # a null total never passes (e.g. no follower field at all on a day before the anchor)
        lambda f: _set(
            f, where(f, business_id="acct_b", metric_date=DAY), followers_total=None, followers_total_profile_gap=None
        ),
        1,
        [{"business_id": "acct_b", "metric_date": DAY_KEY}],
        id="followers_total_matches_profile-null-total",
    ),
    pytest.param(
        "counts_not_negative",
        "raw_tiktok_videos",
        lambda f: _set(f, where(f, item_id=ITEM_2), likes=-3),
        1,
        [{"business_id": "acct_a", "item_id": ITEM_2}],
        id="counts_not_negative",
    ),
    pytest.param(
        "counts_not_negative",
        "raw_tiktok_account",
        lambda f: _set(f, where(f, business_id="acct_b", metric_date=DAY), profile_followers_count=-1),
        1,
        [{"business_id": "acct_b", "metric_date": DAY_KEY}],
        id="counts_not_negative-account",
    ),
    pytest.param(
        "reach_within_views",
        "fct_tiktok_video_daily",
        lambda f: _set(f, where(f, item_id=ITEM_1), reach=1200),
        1,
        [{"item_id": ITEM_1, "snapshot_date": DAY_KEY}],
        id="reach_within_views",
    ),
    pytest.param(
        "reach_within_views",
        "raw_tiktok_videos",
        lambda f: _set(f, where(f, item_id=ITEM_1), reach=2010),
        1,
        [{"business_id": "acct_a", "item_id": ITEM_1}],
        id="reach_within_views-raw",
    ),
    pytest.param(
        "reach_within_views",
        "fct_tiktok_account_daily",
        lambda f: _set(f, where(f, business_id="acct_b", metric_date=DAY), unique_video_views=501),
        1,
        [{"business_id": "acct_b", "metric_date": DAY_KEY}],
        id="reach_within_views-unique-views",
    ),
    pytest.param(
        "keys_unique_not_null",
        "raw_tiktok_videos",
        _duplicate_first_row,  # a post listed twice in the newest fetch: caught before staging de-duplicates it
        2,
        [{"business_id": "acct_a", "item_id": ITEM_1}] * 2,
        id="keys_unique_not_null",
    ),
    pytest.param(
        "keys_unique_not_null",
        "raw_tiktok_account",
        _duplicate_first_row,
        2,
        [{"business_id": "acct_a", "metric_date": PREVIOUS.date().isoformat()}] * 2,
        id="keys_unique_not_null-account-day",
    ),
    pytest.param(
        "keys_unique_not_null",
        "raw_tiktok_video_breakdowns",
        lambda f: _set(f, where(f, item_id=ITEM_2, entry_key="Male"), entry_key=None),
        1,
        [{"item_id": ITEM_2, "breakdown": "audience_genders", "entry_key": None}],
        id="keys_unique_not_null-null",
    ),
    pytest.param(
        "lifetime_counters_do_not_fall",
        "fct_tiktok_video_daily",
        lambda f: _set(f, where(f, item_id=ITEM_2), likes_gained=-3),
        1,
        [{"item_id": ITEM_2, "snapshot_date": DAY_KEY}],
        id="lifetime_counters_do_not_fall",
    ),
    pytest.param(
        "retention_does_not_rise",
        "fct_tiktok_video_retention",
        lambda f: _set(f, where(f, item_id=ITEM_2, video_second=3), retention_share=0.85),
        1,
        [{"item_id": ITEM_2, "snapshot_date": DAY_KEY, "video_second": 3}],
        id="retention_does_not_rise",
    ),
]


@pytest.fixture(scope="module")
def docs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("quality")


def check(dataset: str, frame: pd.DataFrame, docs: Path) -> SuiteResult:
    return validate_frame(dataset, frame, D, docs, build_docs=False)


@pytest.mark.parametrize("dataset", sorted(CLEAN))
def test_clean_partition_passes_every_expectation(dataset: str, docs_dir: Path) -> None:
    result = check(dataset, CLEAN[dataset](), docs_dir)
    assert result.success, [(o.rule_id, o.columns, o.unexpected_count, o.exception) for o in result.failures]
    assert not result.blocking and not result.warnings
    assert all(outcome.exception is None for outcome in result.expectations)


@pytest.mark.parametrize(("rule_id", "dataset", "breaks", "unexpected", "keys"), VIOLATIONS)
def test_a_violation_fails_its_rule_only(rule_id, dataset, breaks, unexpected, keys, docs_dir: Path) -> None:
    result = check(dataset, breaks(CLEAN[dataset]()), docs_dir)

    assert not result.success
    assert {outcome.rule_id for outcome in result.failures} == {rule_id}
    assert sum(outcome.unexpected_count for outcome in result.failures) == unexpected
    for outcome in result.failures:
        assert outcome.severity == RULES[rule_id].severity
        assert outcome.runbook == RULES[rule_id].runbook
        assert outcome.exception is None
    assert (rule_id in {o.rule_id for o in result.errors}) == (RULES[rule_id].severity == "ERROR")
    assert result.blocking == (RULES[rule_id].severity == "ERROR")
    samples = [sample for outcome in result.failures for sample in outcome.sample_keys]
    assert sorted(json.dumps(sample, sort_keys=True) for sample in samples) == sorted(
        json.dumps(key, sort_keys=True) for key in keys
    )
    assert result.failed_rules() == {rule_id: unexpected}
    json.dumps(result.to_dict())  # serialisable for asset-check metadata


def test_every_suite_rule_has_a_violation_case() -> None:
    assert {param.values[0] for param in VIOLATIONS} == set(SUITE_RULE_IDS)


def test_account_daily_judges_only_the_partition_day(docs_dir: Path) -> None:
    """D-1 rows are in the batch for the follower-total rule only; their own problems belong to partition D-1."""
    frame = _set(account_daily(), pd.Series([True, False, False, False]), unique_video_views=9999, net_followers=99)
    result = check("fct_tiktok_account_daily", frame, docs_dir)
    assert result.success, [(o.rule_id, o.sample_keys) for o in result.failures]


def test_sample_keys_are_capped_at_ten(docs_dir: Path) -> None:
    posts = pd.concat([raw_videos().iloc[[0]]] * 25, ignore_index=True)
    frame = posts.assign(item_id=[f"{7300000000000000100 + i}" for i in range(25)], likes=-1)
    (outcome,) = check("raw_tiktok_videos", frame, docs_dir).failures
    assert outcome.unexpected_count == 25
    assert len(outcome.sample_keys) == 10 and set(outcome.sample_keys[0]) == {"business_id", "item_id"}


def test_a_missing_column_fails_loudly(docs_dir: Path) -> None:
    result = check("raw_tiktok_videos", raw_videos().drop(columns="favorites"), docs_dir)
    (outcome,) = result.failures
    assert outcome.rule_id == "counts_not_negative" and outcome.columns == ("favorites",)
    assert outcome.exception and result.blocking


# --- the suite files --------------------------------------------------------------------------------------------


def test_every_dataset_has_one_suite_file_and_every_expectation_names_its_rule() -> None:
    assert {path.stem for path in SUITES_DIR.glob("*.json")} == set(DATASETS)
    used: set[str] = set()
    for dataset in DATASETS:
        document = json.loads((SUITES_DIR / f"{dataset}.json").read_text())
        suite = load_suite(dataset)
        assert suite.name == dataset == document["name"]
        assert len(suite.expectations) == len(document["expectations"]) > 0
        for expectation in document["expectations"]:
            meta = expectation["meta"]
            assert {"rule_id", "severity", "runbook"} <= set(meta), expectation
            rule = RULES[meta["rule_id"]]
            assert meta["severity"] == rule.severity and meta["runbook"] == rule.runbook
            assert expectation["severity"] == rule.gx_severity
            used.add(meta["rule_id"])
        assert suite_rule_ids(dataset) == list(dict.fromkeys(e.meta["rule_id"] for e in suite.expectations))
    assert used == set(SUITE_RULE_IDS)
    assert all(rule.runbook.startswith("docs/runbook.md#") for rule in RULES.values())


def test_every_rule_links_to_its_runbook_section() -> None:
    runbook = Path(__file__).resolve().parents[2] / "docs" / "runbook.md"
    if not runbook.exists():
        pytest.skip("docs/runbook.md is not written yet")
    text = runbook.read_text(encoding="utf-8")
    missing = [rule.runbook for rule in RULES.values() if f'id="{rule.runbook.split("#", 1)[1]}"' not in text]
    assert not missing, f"runbook sections missing: {missing}"


def test_custom_expectations_are_registered_with_gx() -> None:
    from great_expectations.expectations.registry import get_expectation_impl

    for cls in custom.CUSTOM_EXPECTATIONS:
        assert get_expectation_impl(cls.expectation_type) is cls


# --- loading one partition ----------------------------------------------------------------------------------------


def _write_fetch(
    root: Path, stream: str, account: str, fetch_id: str, landed_at: str, data: dict, complete: bool = True
) -> None:
    folder = root / "raw" / "tiktok" / stream / f"date={D.isoformat()}" / f"account={account}"
    folder.mkdir(parents=True, exist_ok=True)
    document = {
        "stream": stream,
        "partition_date": D.isoformat(),
        "business_id": account,
        "fetch_id": fetch_id,
        "landed_at": landed_at,
        "source": "test",
        "complete": complete,
        "pages": [{"endpoint": "/x/", "request_id": "r", "response": {"code": 0, "message": "OK", "data": data}}],
    }
    (folder / f"{landed_at[:19].replace(':', '').replace('-', '')}Z_{fetch_id}.json").write_text(json.dumps(document))


def _account_data(followers: int, views: int, audience: bool) -> dict:
    share = [{"gender": "Female", "percentage": 0.5}, {"gender": "Male", "percentage": 0.5}]
    return {
        "followers_count": followers,
        "following_count": 1,
        "total_likes": 2,
        "videos_count": 3,
        "audience_genders": share if audience else [],
        "audience_ages": [],
        "audience_countries": [],
        "audience_cities": [],
        "metrics": [
            {
                "date": day,
                "video_views": views,
                "unique_video_views": 1,
                "daily_new_followers": 1,
                "daily_lost_followers": 0,
                "daily_total_followers": 1,
            }
            for day in ("2026-11-11", "2026-11-12")
        ],
    }


def test_raw_partition_reads_the_newest_complete_fetch_per_account(tmp_path: Path) -> None:
    _write_fetch(tmp_path, "account", "acc1", "old", "2026-11-13T05:00:00+00:00", _account_data(500, 10, True))
    _write_fetch(tmp_path, "account", "acc1", "new", "2026-11-13T06:00:00+00:00", _account_data(500, 20, True))
    _write_fetch(
        tmp_path, "account", "acc1", "broken", "2026-11-13T07:00:00+00:00", _account_data(500, -9, True), complete=False
    )
    _write_fetch(tmp_path, "account", "acc2", "small", "2026-11-13T06:00:00+00:00", _account_data(80, 5, True))
    (tmp_path / "raw/tiktok/account/date=2026-11-12/account=acc1/.tmp-half.json").write_text('{"pages": [')
    video = {
        "item_id": ITEM_1,
        "video_views": 10,
        "reach": 5,
        "impression_sources": [{"impression_source": "For You", "percentage": 45.0}],
        "video_view_retention": [{"second": "0", "percentage": 1.0}, {"second": "1", "percentage": 0.5}],
    }
    _write_fetch(tmp_path, "videos", "acc1", "v1", "2026-11-13T06:00:00+00:00", {"videos": [video]})

    metrics = load_partition("raw_tiktok_account", D, tmp_path / "none.duckdb", tmp_path)
    assert sorted(metrics["fetch_id"].unique()) == ["new", "small"]
    assert metrics.loc[metrics["business_id"] == "acc1", "video_views"].tolist() == [20, 20]
    breakdowns = load_partition("raw_tiktok_video_breakdowns", D, tmp_path / "none.duckdb", tmp_path)
    assert len(breakdowns) == 3 and set(breakdowns["breakdown"]) == {"impression_sources", "video_view_retention"}
    assert load_partition("raw_tiktok_videos", date(2020, 1, 1), tmp_path, tmp_path).empty

    docs = tmp_path / "quality"
    account = validate_raw("raw_tiktok_account", D, data_dir=tmp_path, docs_dir=docs)
    assert account.success and account.row_count == 4
    audience = validate_raw("raw_tiktok_account_audience", D, data_dir=tmp_path, docs_dir=docs)
    assert audience.failed_rules() == {"audience_needs_100_followers": 2}
    assert {key["business_id"] for outcome in audience.failures for key in outcome.sample_keys} == {"acc2"}
    shares = validate_raw("raw_tiktok_video_breakdowns", D, data_dir=tmp_path, docs_dir=docs)
    # 45.0 on the 0-100 scale: out of [0, 1], and the impression sources sum to 45
    assert shares.failed_rules() == {"share_in_unit_interval": 1, "distribution_sums_to_one": 1}
    assert shares.errors[0].sample_keys == (
        {"item_id": ITEM_1, "breakdown": "impression_sources", "entry_key": "For You"},
    )


# Columns the dataset's SQL computes (a mart table does not have them)
MART_SQL_COLUMNS = ["in_partition", "followers_total_profile_gap"]


def test_mart_partitions_filter_on_their_date(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    frame = pd.concat(
        [
            account_daily().drop(columns=MART_SQL_COLUMNS),
            account_daily().drop(columns=MART_SQL_COLUMNS).assign(metric_date=pd.Timestamp("2026-11-10")),
        ]
    )
    on_d = frame["metric_date"] == DAY  # the profile read at the end of D is 100 above the derived total
    frame.loc[on_d, "profile_followers_count"] = frame.loc[on_d, "followers_total"] + 100
    dim, audience = accounts(), account_audience()
    audience["business_id"] = audience["business_id"].map({"acct_x": "acct_a", "acct_y": "acct_b"})
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        for name, table in (
            ("fct_tiktok_account_daily", frame),
            ("dim_tiktok_accounts", dim),
            ("fct_tiktok_account_audience", audience),
        ):
            con.register("source", table)
            con.execute(f"create table marts.{name} as select * from source")
            con.unregister("source")

    daily = load_partition("fct_tiktok_account_daily", D, warehouse, tmp_path)
    assert sorted(daily["metric_date"].dt.date.unique()) == [D - timedelta(days=1), D]
    assert daily.loc[daily["in_partition"], "metric_date"].eq(DAY).all() and daily["in_partition"].sum() == 2
    result = validate_duckdb_mart(
        "fct_tiktok_account_daily",
        D,
        warehouse,
        docs_dir=tmp_path / "quality",
        build_docs=False,
    )
    assert result.failed_rules() == {"followers_total_matches_profile": 2} and not result.blocking

    joined = load_partition("fct_tiktok_account_audience", D, warehouse, tmp_path)
    assert set(joined.loc[joined["business_id"] == "acct_b", "followers_count_on_snapshot"]) == {50}
    result = validate_duckdb_mart(
        "fct_tiktok_account_audience",
        D,
        warehouse,
        docs_dir=tmp_path / "quality",
        build_docs=False,
    )
    assert result.failed_rules() == {"audience_needs_100_followers": 7}
    later = load_partition("fct_tiktok_account_audience", D + timedelta(days=1), warehouse, tmp_path)
    assert later.empty
    dim_rows = load_partition("dim_tiktok_accounts", D, warehouse, tmp_path)
    assert dict(zip(dim_rows["business_id"], dim_rows["has_audience_rows_on_partition"], strict=True)) == {
        "acct_a": True,
        "acct_b": True,
    }


# --- Data Docs ----------------------------------------------------------------------------------------------------


def test_data_docs_are_written_and_history_stays_bounded(tmp_path: Path) -> None:
    docs = tmp_path / "quality"
    pages = []
    for n in range(HISTORY_LIMIT + 5):
        frame = raw_videos() if n != 2 else _set(raw_videos(), where(raw_videos(), item_id=ITEM_1), likes=-1)
        result = validate_frame("raw_tiktok_videos", frame, D + timedelta(days=n), docs)
        assert result.docs_page is not None and result.docs_page.exists()
        pages.append(result.docs_page)

    index = docs / "data_docs" / "local_site" / "index.html"
    assert index.exists() and result.docs_index == index.resolve()
    assert "raw_tiktok_videos" in index.read_text()
    assert len(list((docs / "validations" / "raw_tiktok_videos").rglob("*.json"))) == HISTORY_LIMIT
    site_pages = list((docs / "data_docs" / "local_site" / "validations" / "raw_tiktok_videos").rglob("*.html"))
    assert len(site_pages) == HISTORY_LIMIT
    assert not pages[0].exists() and all(page.exists() for page in pages[-HISTORY_LIMIT:])
    suite_pages = {page.stem for page in (docs / "data_docs" / "local_site" / "expectations").glob("*.html")}
    assert suite_pages == set(DATASETS)


# --- memory: one partition at a time ----------------------------------------------------------------------------

_SYNTHETIC_RETENTION = """
import sys, duckdb
with duckdb.connect(sys.argv[1]) as con:
    con.execute("create schema marts")
    con.execute('''
        create table marts.fct_tiktok_video_retention as
        select cast(7300000000000000000 + d * 1000 + i // 50 as varchar) as item_id, 'acct' as business_id,
            date '2026-01-01' + cast(d as integer) as snapshot_date, cast(i % 50 as integer) as video_second,
            1.0 - (i % 50) / 60.0 as retention_share, 0.02 as likes_share, 'f' || d as fetch_id,
            timestamptz '2026-03-01 00:00:00+00' as landed_at
        from range(60) as days(d), range(20000) as seconds(i)
        order by snapshot_date
    ''')
"""


def _rss_mb() -> tuple[float, float]:
    """(peak RSS, current RSS) of this process in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux
    with open("/proc/self/statm") as statm:
        current = int(statm.read().split()[1]) * resource.getpagesize() / 2**20
    return peak, current


def test_validating_60_partitions_one_at_a_time_keeps_memory_flat(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    # built in another process, so building the table does not raise this process's peak
    subprocess.run([sys.executable, "-c", _SYNTHETIC_RETENTION, str(warehouse)], check=True)
    measured = {}
    for n in range(1, 61):
        result = validate_duckdb_mart(
            "fct_tiktok_video_retention",
            date(2026, 1, 1) + timedelta(days=n - 1),
            warehouse,
            docs_dir=tmp_path / "quality",
        )
        assert result.success and result.row_count == 20_000
        if n in (10, 60):
            gc.collect()
            measured[n] = _rss_mb()
    # no earlier partition's frame is still referenced (GX keeps at most the last batch); frames of other tests'
    # GX contexts (other docs folders) are not this test's
    retained = [
        obj
        for obj in gc.get_objects()
        if isinstance(obj, pd.DataFrame) and len(obj) >= 20_000 and "video_second" in obj.columns
    ]
    assert len(retained) <= 1
    peak_growth = measured[60][0] - measured[10][0]
    current_growth = measured[60][1] - measured[10][1]
    assert peak_growth < 100, f"peak RSS grew {peak_growth:.0f} MB from partition 10 to 60"
    assert current_growth < 100, f"RSS grew {current_growth:.0f} MB from partition 10 to 60"


# --- bad values in landing files: the loader never throws, a value it cannot type becomes NULL -------------------


def _no_loader_exception(result: SuiteResult) -> None:
    assert all(outcome.exception is None for outcome in result.failures), [
        (o.rule_id, o.exception) for o in result.failures
    ]


def test_raw_loader_turns_nan_and_infinity_into_null(tmp_path: Path) -> None:
    """NaN and +-Infinity (JSON text the API must not send, which Python writes and reads) cannot be typed as
    counts or shares: they become NULL instead of stopping every account's check."""
    video = {
        "item_id": ITEM_1,
        "video_views": float("nan"),
        "reach": float("inf"),
        "likes": 3,
        "video_duration": float("nan"),
        "full_video_watched_rate": float("-inf"),
        "impression_sources": [{"impression_source": "For You", "percentage": float("nan")}],
    }
    _write_fetch(tmp_path, "videos", "acc1", "v1", "2026-11-13T06:00:00+00:00", {"videos": [video]})
    account = _account_data(500, 10, True)
    account["followers_count"] = float("inf")
    account["audience_genders"][0]["percentage"] = float("nan")
    account["metrics"][1]["video_views"] = float("nan")
    _write_fetch(tmp_path, "account", "acc1", "a1", "2026-11-13T06:00:00+00:00", account)
    assert "NaN" in next((tmp_path / "raw").rglob("*_v1.json")).read_text()  # the file holds the bare token

    videos = load_partition("raw_tiktok_videos", D, tmp_path / "none.duckdb", tmp_path)
    row = videos.iloc[0]
    assert row["item_id"] == ITEM_1 and row["likes"] == 3
    assert all(pd.isna(row[c]) for c in ("video_views", "reach", "video_duration", "full_video_watched_rate"))
    shares = load_partition("raw_tiktok_video_breakdowns", D, tmp_path / "none.duckdb", tmp_path)
    assert shares["share"].isna().all() and len(shares) == 1
    metrics = load_partition("raw_tiktok_account", D, tmp_path / "none.duckdb", tmp_path)
    assert metrics["profile_followers_count"].isna().all()
    assert metrics.sort_values("metric_date")["video_views"].isna().tolist() == [False, True]

    docs = tmp_path / "quality"
    for dataset in ("raw_tiktok_videos", "raw_tiktok_account"):
        result = validate_raw(dataset, D, data_dir=tmp_path, docs_dir=docs, build_docs=False)
        _no_loader_exception(result)
        assert result.success, (dataset, result.failed_rules())
    # the one impression source's share is NULL: the distribution adds up to nothing, and the rule says so
    breakdowns = validate_raw("raw_tiktok_video_breakdowns", D, data_dir=tmp_path, docs_dir=docs, build_docs=False)
    _no_loader_exception(breakdowns)
    assert set(breakdowns.failed_rules()) == {"distribution_sums_to_one"}
    audience = validate_raw("raw_tiktok_account_audience", D, data_dir=tmp_path, docs_dir=docs, build_docs=False)
    _no_loader_exception(audience)
    # followers_count NULL: the audience cannot be shown to have its 100 followers, and the rule says so; the
    # genders' NULL share leaves them short of 1
    assert set(audience.failed_rules()) <= {"audience_needs_100_followers", "distribution_sums_to_one"}


def test_raw_loader_turns_an_impossible_date_into_null_and_the_key_rule_names_it(tmp_path: Path) -> None:
    account = _account_data(500, 10, True)
    account["metrics"][0]["date"] = "2026-02-30"
    _write_fetch(tmp_path, "account", "acc1", "a1", "2026-11-13T06:00:00+00:00", account)
    metrics = load_partition("raw_tiktok_account", D, tmp_path / "none.duckdb", tmp_path)
    assert metrics["metric_date"].isna().sum() == 1 and len(metrics) == 2

    result = validate_raw("raw_tiktok_account", D, data_dir=tmp_path, docs_dir=tmp_path / "quality", build_docs=False)
    _no_loader_exception(result)
    assert result.failed_rules() == {"keys_unique_not_null": 1} and result.blocking
    (outcome,) = result.failures
    assert outcome.columns == ("metric_date",) and outcome.sample_keys == (
        {"business_id": "acc1", "metric_date": None},
    )


def test_raw_loader_reads_numbers_sent_as_text_and_nulls_what_is_no_number(tmp_path: Path) -> None:
    video = {"item_id": ITEM_1, "video_views": "12", "likes": "lots", "video_duration": "7.5", "reach": True}
    _write_fetch(tmp_path, "videos", "acc1", "v1", "2026-11-13T06:00:00+00:00", {"videos": [video]})
    row = load_partition("raw_tiktok_videos", D, tmp_path / "none.duckdb", tmp_path).iloc[0]
    assert row["video_views"] == 12 and row["video_duration"] == 7.5
    assert pd.isna(row["likes"]) and pd.isna(row["reach"])
    result = validate_raw("raw_tiktok_videos", D, data_dir=tmp_path, docs_dir=tmp_path / "quality", build_docs=False)
    _no_loader_exception(result)


@pytest.mark.parametrize(
    "first, second",
    [(int(ITEM_1), int(ITEM_1)), (int(ITEM_1), ITEM_1), (ITEM_1, ITEM_1)],
    ids=["both-numbers", "number-and-text", "both-text"],
)
def test_a_post_id_sent_twice_as_number_or_text_is_one_key_and_a_duplicate(
    tmp_path: Path, first: object, second: object
) -> None:
    videos = [{"item_id": first, "likes": 1}, {"item_id": second, "likes": 2}, {"item_id": int(ITEM_2), "likes": 3}]
    _write_fetch(tmp_path, "videos", "acc1", "v1", "2026-11-13T06:00:00+00:00", {"videos": videos})
    assert str(int(ITEM_1)) in next((tmp_path / "raw").rglob("*_v1.json")).read_text()
    rows = load_partition("raw_tiktok_videos", D, tmp_path / "none.duckdb", tmp_path)
    assert sorted(rows["item_id"]) == [ITEM_1, ITEM_1, ITEM_2]  # the decimal text, whatever JSON type it came as
    result = validate_raw("raw_tiktok_videos", D, data_dir=tmp_path, docs_dir=tmp_path / "quality", build_docs=False)
    _no_loader_exception(result)
    assert result.failed_rules() == {"keys_unique_not_null": 2} and result.blocking


def test_a_validation_draws_no_progress_bar(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """GX's batch metrics draw tqdm bars on stderr whatever the context says: the demo's output stays readable."""
    result = validate_frame("raw_tiktok_videos", raw_videos(), D, tmp_path / "quality", build_docs=False)
    assert result.success and result.row_count == len(raw_videos())
    assert "Calculating Metrics" not in capfd.readouterr().err
