"""The same marts on PostgreSQL: the same simulator days built day by day on both warehouses, equal row for row.

Each day is landed once (the raw assets, over loopback HTTP), then the dbt asset builds it on DuckDB and on
PostgreSQL (where it first loads the day's landing files into raw_tiktok.* with COPY). staged_at, the time
of the dbt run that staged a row, is the only column allowed to differ.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import psycopg2
import pytest

from assets.dbt import DBT_EXECUTABLE, dbt_project
from assets.team_config import tiktok_team_config
from assets.warehouse import Warehouse
from tests.dbt.conftest import assert_same_rows, build_dbt, fetch_time, land, load_team_config, restored_environment
from tests.dbt.test_marts import MARTS as ALL_MARTS
from tests.docs_blocks import tagged
from tests.postgres_server import PostgresServer, warehouse_env
from tiktok_api import landing
from tiktok_api.simulator import Simulator, SimulatorServer

FIRST_DAY = date(2026, 11, 12)
DAYS = 3
MARTS = sorted(ALL_MARTS)
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


# The anomaly scores need history: the six days of account metrics these three runs land give days with 3 to 5 days
# before them, so that the robust scores (not only their nulls) are compared too.
ANOMALY_MIN_HISTORY = "TIKTOK_ANOMALY_MIN_HISTORY_DAYS"


class Warehouses:
    def __init__(self, data_dir: Path, duckdb_path: Path, postgres: dict[str, str], connect_args: dict):
        self.data_dir = data_dir
        self.duckdb_path = duckdb_path
        self.postgres_env = postgres
        self.connect_args = connect_args

    def use(self, kind: str) -> None:
        """Point the platform (and the dbt it starts) at one warehouse."""
        for key in ENV_KEYS[2:]:
            os.environ.pop(key, None)
        if kind == "postgres":
            os.environ.update(self.postgres_env)
        else:
            os.environ["TIKTOK_WAREHOUSE"] = "duckdb"
            os.environ["TIKTOK_DUCKDB_PATH"] = str(self.duckdb_path)

    def duckdb_rows(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.duckdb_path), read_only=True) as con:
            con.execute("set timezone = 'UTC'")
            return con.execute(sql).fetchall()

    def postgres_rows(self, sql: str) -> list[tuple]:
        connection = psycopg2.connect(**self.connect_args, options="-c timezone=UTC")
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall()
        finally:
            connection.close()


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer) -> Iterator[Warehouses]:
    data_dir = tmp_path_factory.mktemp("tiktok_pg_data")
    url = postgres_server.create_database("tiktok_marts_equal")
    built = Warehouses(data_dir, data_dir / "warehouse.duckdb", warehouse_env(url), postgres_server.connect_args(url))
    simulator = Simulator(seed=7, accounts=4, now=fetch_time(FIRST_DAY), speed=600.0)
    with restored_environment((*ENV_KEYS, ANOMALY_MIN_HISTORY)), SimulatorServer(simulator) as server:
        os.environ["TIKTOK_DATA_DIR"] = str(data_dir)
        os.environ[ANOMALY_MIN_HISTORY] = "3"
        for kind in ("duckdb", "postgres"):
            built.use(kind)
            load_team_config(data_dir)
        # the team's accounts.csv, loaded into both warehouses: every account but the last in a business category,
        # so that the benchmark marts hold TikTok's averages too
        ids = [account.business_id for account in simulator.world.accounts]
        categories = zip(ids, ("beauty", "beauty", "travel", ""), strict=True)
        lines = "".join(f"{business_id},,{category}\n" for business_id, category in categories)
        (data_dir / "accounts.csv").write_text("business_id,time_zone,business_category\n" + lines)
        for kind in ("duckdb", "postgres"):
            built.use(kind)
            resources = {"warehouse": Warehouse.from_env()}
            assert dg.materialize(
                [tiktok_team_config], partition_key=FIRST_DAY.isoformat(), resources=resources
            ).success
        for day in (FIRST_DAY + timedelta(days=i) for i in range(DAYS)):
            land(server, day)
            for kind in ("duckdb", "postgres"):
                built.use(kind)
                result = build_dbt(day)
                assert result.success, f"dbt build of {day} on {kind} failed"
        yield built


def _columns(warehouses: Warehouses, mart: str) -> list[str]:
    rows = warehouses.duckdb_rows(
        "select column_name from information_schema.columns "
        f"where table_schema = 'marts' and table_name = '{mart}' order by ordinal_position"
    )
    return [name for (name,) in rows if name != "staged_at"]


def _comparable(row: tuple) -> tuple:
    return tuple(tuple(value) if isinstance(value, list) else value for value in row)


@pytest.mark.parametrize("mart", MARTS)
def test_marts_are_equal_row_for_row_on_both_warehouses(warehouses: Warehouses, mart: str):
    columns = _columns(warehouses, mart)
    postgres_columns = [name for (name,) in warehouses.postgres_rows(
        "select column_name from information_schema.columns "
        f"where table_schema = 'marts' and table_name = '{mart}' and column_name <> 'staged_at' "
        "order by ordinal_position"
    )]  # fmt: skip
    assert postgres_columns == columns, "the same columns in the same order"
    select = f"select {', '.join(columns)} from marts.{mart}"
    on_duckdb = map(_comparable, warehouses.duckdb_rows(select))
    assert_same_rows(mart, on_duckdb, map(_comparable, warehouses.postgres_rows(select)), "PostgreSQL")


def test_the_marts_cover_every_day_and_account(warehouses: Warehouses):
    days = warehouses.postgres_rows("select count(distinct metric_date) from marts.fct_tiktok_account_daily")
    accounts = warehouses.postgres_rows("select count(*) from marts.dim_tiktok_accounts")
    snapshot_days = warehouses.postgres_rows("select count(distinct snapshot_date) from marts.fct_tiktok_video_daily")
    assert days[0][0] >= DAYS and accounts[0][0] == 4 and snapshot_days[0][0] == DAYS


def test_the_benchmark_marts_compare_the_configured_accounts_on_both_warehouses(warehouses: Warehouses):
    """The row-for-row comparison above covers TikTok's category averages: three accounts have them on the days the
    daily runs landed, the fourth (no category) has its reason."""
    sql = (
        "select count(distinct business_id) filter (where category_average_engagement_rate is not null), "
        "count(*) filter (where no_benchmark_reason = 'no business category configured in accounts.csv') "
        "from marts.fct_tiktok_account_benchmarks"
    )
    compared, without = warehouses.postgres_rows(sql)[0]
    assert compared == 3 and without > 0
    assert warehouses.duckdb_rows(sql) == warehouses.postgres_rows(sql)


def test_the_column_types_are_the_contracts_on_postgres(warehouses: Warehouses):
    types = dict(warehouses.postgres_rows(
        "select table_name || '.' || column_name, data_type from information_schema.columns "
        "where table_schema = 'marts'"
    ))  # fmt: skip
    assert types["dim_tiktok_videos.item_id"] == "text", "a 19-digit id stays text"
    assert types["dim_tiktok_videos.hashtags"] == "ARRAY"
    assert types["fct_tiktok_account_daily.engagement_rate"] == "double precision", "a ratio, not integer division"
    assert types["fct_tiktok_comments.created_at"] == "timestamp with time zone"
    assert types["fct_tiktok_response_times_daily.answered_share"] == "double precision"


def test_raw_tables_hold_one_row_per_landed_page(warehouses: Warehouses):
    landed = 0
    for path in (warehouses.data_dir / "raw" / "tiktok").glob("*/date=*/account=*/[0-9]*.json"):
        landed += len(json.loads(path.read_text())["pages"])
    loaded = sum(warehouses.postgres_rows(f"select count(*) from raw_tiktok.{s}")[0][0] for s in landing.STREAMS)
    assert loaded == landed > 0


def test_a_rebuilt_day_changes_nothing(warehouses: Warehouses):
    before = {m: warehouses.postgres_rows(f"select count(*) from marts.{m}")[0][0] for m in MARTS}
    warehouses.use("postgres")
    try:
        assert build_dbt(FIRST_DAY + timedelta(days=1)).success
    finally:
        warehouses.use("duckdb")
    after = {m: warehouses.postgres_rows(f"select count(*) from marts.{m}")[0][0] for m in MARTS}
    assert after == before
    test_marts_are_equal_row_for_row_on_both_warehouses(warehouses, "fct_tiktok_video_daily")


def test_dbt_unit_tests_pass_on_postgres(warehouses: Warehouses, tmp_path: Path):
    warehouses.use("postgres")
    try:
        proc = subprocess.run(
            [DBT_EXECUTABLE, "test", "--select", "test_type:unit", "--profiles-dir", ".", "--target-path", tmp_path],
            cwd=dbt_project.project_dir,
            capture_output=True,
            text=True,
        )
    finally:
        warehouses.use("duckdb")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "Registered adapter: postgres" in proc.stdout and "PASS=" in proc.stdout


# The post-level rollup of Fivetran's social_media_reporting package as it lands: union_relations' bookkeeping
# column first, the first platform's column order (Facebook: page_id left as a number), UTC timestamps without a
# zone, bigint sums.
FIVETRAN_ROLLUP_SCHEMA = "social_media_reporting_rollup"
FIVETRAN_ROLLUP = f"""
create table {FIVETRAN_ROLLUP_SCHEMA}.social_media_reporting__rollup_report (
    _dbt_source_relation text, created_timestamp timestamp, post_id text, post_message text, post_url text,
    page_id bigint, page_name text, source_relation text, platform text, clicks bigint, impressions bigint,
    likes bigint, comments bigint, shares bigint
);
insert into {FIVETRAN_ROLLUP_SCHEMA}.social_media_reporting__rollup_report values
    ('facebook_posts', timestamp '2026-11-13 10:00:00', '1234_5678', 'Our new roast', 'https://facebook.com/1234_5678',
     1234, 'Acme Coffee', '', 'facebook', 4, 900, 40, 3, 2),
    ('twitter_posts', timestamp '2026-11-12 09:30:00', '1590000000000000001', 'Roasting today',
     'https://x.com/acme/status/1590000000000000001', 77, 'Acme', '', 'twitter', 0, 300, 9, 1, 1);
"""


def test_the_bi_guides_cross_platform_union_runs_on_both_warehouses(warehouses: Warehouses, tmp_path: Path):
    """docs/bi.md's union of the package's rollup and fct_tiktok_social_media_rollup runs on DuckDB and PostgreSQL
    beside a rollup shaped as the package writes it: every TikTok post and every other platform's post, in one
    time order, TikTok's missing clicks still null."""
    block = tagged("docs/bi.md", "by tests/dbt/test_postgres_marts.py", "social_media_reporting__rollup_report")
    union = block.text.replace("<rollup_schema>", FIVETRAN_ROLLUP_SCHEMA)
    columns = "created_timestamp, post_id, post_message, page_id, page_name, post_url, platform, clicks, " + (
        "impressions, likes, shares, comments"
    )
    tiktok = f"select {columns} from marts.fct_tiktok_social_media_rollup"
    others = [
        (datetime(2026, 11, 13, 10), "1234_5678", "Our new roast", "1234", "Acme Coffee",
         "https://facebook.com/1234_5678", "facebook", 4, 900, 40, 2, 3),
        (datetime(2026, 11, 12, 9, 30), "1590000000000000001", "Roasting today", "77", "Acme",
         "https://x.com/acme/status/1590000000000000001", "twitter", 0, 300, 9, 1, 1),
    ]  # fmt: skip

    copy = tmp_path / "warehouse.duckdb"  # the module's warehouse stays as built
    copy.write_bytes(warehouses.duckdb_path.read_bytes())
    with duckdb.connect(str(copy)) as con:
        con.execute("set timezone = 'UTC'")
        con.execute(f"create schema {FIVETRAN_ROLLUP_SCHEMA}")
        con.execute(FIVETRAN_ROLLUP)
        on_duckdb = (con.execute(union).fetchall(), con.execute(tiktok).fetchall())
    connection = psycopg2.connect(**warehouses.connect_args, options="-c timezone=UTC")
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"create schema {FIVETRAN_ROLLUP_SCHEMA}")
            cursor.execute(FIVETRAN_ROLLUP)
            cursor.execute(union)
            unioned = cursor.fetchall()
            cursor.execute(tiktok)
            on_postgres = (unioned, cursor.fetchall())
    finally:
        connection.rollback()  # the module's database stays as built
        connection.close()

    for where, (rows, tiktok_rows) in (("DuckDB", on_duckdb), ("PostgreSQL", on_postgres)):
        assert tiktok_rows and any(r[7] is None for r in tiktok_rows), f"{where}: a Personal account's posts"
        assert Counter(rows) == Counter(tiktok_rows) + Counter(others), where
        times = [r[0] for r in rows]
        assert times == sorted(times, reverse=True) and all(isinstance(t, datetime) and t.tzinfo is None for t in times)


def test_the_anomaly_scores_compared_include_scored_days(warehouses: Warehouses):
    """With a minimum history of 3 (ANOMALY_MIN_HISTORY), some days are scored on both warehouses: the row-for-row
    comparison covers the robust scores, not only their nulls."""
    scored = (
        "select count(*) from marts.fct_tiktok_account_metric_anomalies "
        "where robust_score is not null and history_days >= 3"
    )
    assert warehouses.duckdb_rows(scored)[0][0] == warehouses.postgres_rows(scored)[0][0] > 0
