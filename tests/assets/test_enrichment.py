"""The asset tiktok_comment_scores in real Dagster runs, and the sentiment marts it feeds, on both warehouses.

Two days of a small world (two demo accounts; the offline fetch, the same bytes every run: 1,243 distinct texts on
the first day, 60 more on the second) are landed once; each day is scored by the asset and built by the dbt asset,
as the daily job orders them, on DuckDB and on PostgreSQL. The marts must agree with the scores, with each other,
and between the warehouses.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import psycopg2
import pytest

from assets.enrichment import tiktok_comment_scores
from assets.warehouse import COMMENT_SCORES_TABLE, Warehouse
from tests.dbt.conftest import build_dbt, restored_environment
from tests.postgres_server import PostgresServer, warehouse_env
from tiktok_api import comment_scores, landing
from tiktok_api.days import daily_run_time
from tiktok_api.simulator import Simulator
from tiktok_api.simulator.offline_fetch import land_days

SEED, ACCOUNTS, POSTS_PER_DAY = 42, 2, 0.1
BUILT_DAYS = [date(2026, 11, 8), date(2026, 11, 9)]
ENV_KEYS = (
    "TIKTOK_DATA_DIR",
    "TIKTOK_DUCKDB_PATH",
    "TIKTOK_WAREHOUSE",
    "TIKTOK_POSTGRES_HOST",
    "TIKTOK_POSTGRES_PORT",
    "TIKTOK_POSTGRES_USER",
    "TIKTOK_POSTGRES_PASSWORD",
    "TIKTOK_POSTGRES_DATABASE",
)
SUMMARY_COLUMNS = (
    "comments, comments_scored, comments_not_scored, positive_comments, neutral_comments, negative_comments, "
    "share_positive, share_neutral, share_negative, mean_sentiment_compound"
)


def score(day: date) -> dict[str, object]:
    """Materialise the asset for `day` in a Dagster run against the warehouse the environment names."""
    result = dg.materialize(
        [tiktok_comment_scores], partition_key=day.isoformat(), resources={"warehouse": Warehouse.from_env()}
    )
    [event] = result.get_asset_materialization_events()
    return {key: getattr(value, "value", value) for key, value in event.materialization.metadata.items()}


@dataclass
class Built:
    data_dir: Path
    duckdb_path: Path
    first_runs: dict[date, dict[str, object]]

    def duckdb_rows(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.duckdb_path), read_only=True) as con:
            con.execute("set timezone = 'UTC'")
            return con.execute(sql).fetchall()

    def use_duckdb(self) -> None:
        for key in ENV_KEYS[1:]:
            os.environ.pop(key, None)
        os.environ["TIKTOK_WAREHOUSE"] = "duckdb"
        os.environ["TIKTOK_DUCKDB_PATH"] = str(self.duckdb_path)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    data_dir = tmp_path_factory.mktemp("comment_scores")
    simulator = Simulator(
        seed=SEED, accounts=ACCOUNTS, posts_per_day=POSTS_PER_DAY, now=daily_run_time(BUILT_DAYS[0]).timestamp()
    )
    # both days land first: the first build (a full one, which reads every landed file) stages day 2's comments before
    # day 2 is scored, so they are built 'not scored' and the day-2 build must give them their scores
    land_days(simulator, data_dir, BUILT_DAYS)
    with restored_environment(ENV_KEYS):
        os.environ["TIKTOK_DATA_DIR"] = str(data_dir)
        result = Built(data_dir, data_dir / "warehouse.duckdb", {})
        result.use_duckdb()
        for day in BUILT_DAYS:
            result.first_runs[day] = score(day)
            assert build_dbt(day).success, f"dbt build of {day} failed"
        yield result


def test_the_first_run_scores_every_distinct_landed_text(built: Built):
    day = BUILT_DAYS[0]
    texts = comment_scores.landed_comment_texts(built.data_dir, day)
    first = built.first_runs[day]
    assert first["texts_seen"] == len(texts) > 20
    assert first["newly_scored"] == len(texts) and first["reused"] == 0
    assert first["comments_per_second"] > 0
    stored = dict(built.duckdb_rows(f"select text_hash, scorer from {COMMENT_SCORES_TABLE}"))
    assert {comment_scores.text_hash(t) for t in texts} <= set(stored)
    assert set(stored.values()) == {comment_scores.SCORER}


def test_a_second_run_of_the_same_day_scores_nothing(built: Built):
    built.use_duckdb()
    again = score(BUILT_DAYS[0])
    assert again["newly_scored"] == 0
    assert again["reused"] == again["texts_seen"] == built.first_runs[BUILT_DAYS[0]]["texts_seen"]


def test_every_comment_has_a_sentiment_or_a_reason(built: Built):
    rows = built.duckdb_rows(
        "select comment_text, language, sentiment_label, sentiment_compound, sentiment_null_reason "
        "from marts.fct_tiktok_comments"
    )
    assert len(rows) > 50
    labels = {label for _, _, label, _, _ in rows}
    assert {"positive", "neutral", "negative"} <= labels, "the simulator's texts carry every sentiment"
    reasons = {reason for *_, reason in rows}
    assert {"not English", "no words", "no text"} <= reasons and "not scored" not in reasons
    for text, language, label, compound, reason in rows:
        expected = comment_scores.score_text(text)
        assert (language, label, compound, reason) == (
            expected.language,
            expected.sentiment_label,
            expected.sentiment_compound,
            expected.sentiment_null_reason,
        ), text
        assert (label is None) == (reason is not None) == (compound is None)


def _recount(group: str) -> str:
    """The daily summary recomputed from fct_tiktok_comments, the other way round from the mart's SQL."""
    return f"""
        select {group}, coalesce(cast(timezone('UTC', created_at) as date), first_seen_date) as comment_date,
            count(*), count(sentiment_label), count(*) filter (where sentiment_label is null),
            count(*) filter (where sentiment_label = 'positive'), count(*) filter (where sentiment_label = 'neutral'),
            count(*) filter (where sentiment_label = 'negative'),
            avg(case when sentiment_label = 'positive' then 1.0 when sentiment_label is not null then 0.0 end),
            avg(case when sentiment_label = 'neutral' then 1.0 when sentiment_label is not null then 0.0 end),
            avg(case when sentiment_label = 'negative' then 1.0 when sentiment_label is not null then 0.0 end),
            avg(sentiment_compound)
        from marts.fct_tiktok_comments
        where not coalesce(is_by_account_owner, false)
        group by all
    """


@pytest.mark.parametrize(
    ("mart", "group"),
    [("fct_tiktok_post_sentiment_daily", "item_id"), ("fct_tiktok_account_sentiment_daily", "business_id")],
)
def test_the_daily_summaries_recount_the_comments(built: Built, mart: str, group: str):
    summary = built.duckdb_rows(f"select {group}, comment_date, {SUMMARY_COLUMNS} from marts.{mart}")
    recount = built.duckdb_rows(_recount(group))
    assert len(summary) > 3

    def rounded(rows: list[tuple]) -> list[tuple]:
        return sorted(tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows)

    assert rounded(summary) == rounded(recount)
    for row in summary:
        comments, scored, not_scored, positive, neutral, negative, *shares, _ = row[2:]
        assert comments == scored + not_scored and scored == positive + neutral + negative
        assert (shares == [None, None, None]) == (scored == 0)


@pytest.fixture(scope="module")
def postgres(built: Built, postgres_server: PostgresServer) -> Iterator[dict]:
    url = postgres_server.create_database("tiktok_comment_scores")
    with restored_environment(ENV_KEYS):
        os.environ["TIKTOK_DATA_DIR"] = str(built.data_dir)
        os.environ.update(warehouse_env(url))
        for day in BUILT_DAYS:
            assert score(day)["newly_scored"] == built.first_runs[day]["newly_scored"]
            assert build_dbt(day).success, f"dbt build of {day} on PostgreSQL failed"
        yield postgres_server.connect_args(url)


def _postgres_rows(connect_args: dict, sql: str) -> list[tuple]:
    connection = psycopg2.connect(**connect_args, options="-c timezone=UTC")
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()
    finally:
        connection.close()


@pytest.mark.parametrize(
    "query",
    [
        "select comment_id, language, sentiment_label, sentiment_compound, sentiment_null_reason "
        "from marts.fct_tiktok_comments",
        f"select item_id, business_id, comment_date, {SUMMARY_COLUMNS} from marts.fct_tiktok_post_sentiment_daily",
        f"select business_id, comment_date, posts_commented, {SUMMARY_COLUMNS} "
        "from marts.fct_tiktok_account_sentiment_daily",
        f"select text_hash, language, sentiment_label, sentiment_compound, sentiment_null_reason, scorer "
        f"from {COMMENT_SCORES_TABLE}",
    ],
    ids=["comments", "post_daily", "account_daily", "scores"],
)
def test_postgres_holds_the_same_scores_and_summaries(built: Built, postgres: dict, query: str):
    def rounded(rows: list[tuple]) -> list[tuple]:
        return sorted(tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows)

    on_postgres = rounded(_postgres_rows(postgres, query))
    assert on_postgres and on_postgres == rounded(built.duckdb_rows(query))


# last: it scores one more text on DuckDB than the PostgreSQL comparison above holds
def test_a_changed_text_is_scored_and_the_rest_reused(built: Built):
    day = BUILT_DAYS[1]
    # a re-fetch of the day in which one comment's text was edited
    original, fetch, edited = next(
        (path, fetch, comment)
        for path in landing.partition_files(built.data_dir, "comments", day)
        for fetch in [json.loads(path.read_text())]
        for page in fetch["pages"]
        for comment in page["response"]["data"].get("comments") or []
        if comment["text"]
    )
    edited["text"] += " (edited: terrible service)"
    refetch = original.with_name("9" + original.name[1:])  # sorts after the original: the newest fetch
    refetch.write_text(json.dumps(fetch))
    built.use_duckdb()
    try:
        again = score(day)
    finally:
        refetch.unlink()
    assert again["newly_scored"] == 1
    assert again["reused"] == built.first_runs[day]["texts_seen"]
