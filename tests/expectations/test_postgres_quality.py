"""The mart suites on a PostgreSQL warehouse: validated inside PostgreSQL by GX's SQL engine, with the same
outcomes as on a DuckDB warehouse holding the same rows (GX's SQL engine there too).

Every scenario writes the same mart rows to PostgreSQL (a real server, `postgres_server`) and to a DuckDB file,
validates one partition on each (`validate_in_warehouse`, `validate_duckdb_mart`), and compares every
expectation's outcome (rule, success, counts, sorted sample keys, whether it raised). The scenarios: each
mart's clean partition, every violation of tests/expectations/test_rules.py (each rule the mart suites check),
null and tolerance edge cases of the custom expectations, empty partitions and a missing column.
Separately: the work is pushed down (a big
partition is not fetched), and the warehouse password appears in no file under docs_dir, no log record and no
error message.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote, quote_plus

import duckdb
import pandas as pd
import psycopg2
import pytest
import sqlalchemy as sa
from psycopg2.extras import execute_values
from sqlalchemy.engine import URL

from expectations.datasets import MART_DATASETS, partition_sql
from expectations.rules import RULES
from expectations.runner import (
    SuiteResult,
    WarehouseValidationError,
    get_context,
    validate_in_warehouse,
    validate_raw,
)
from tests.expectations.test_rules import (
    CLEAN,
    DAY,
    ITEM_1,
    ITEM_2,
    PREVIOUS,
    VIOLATIONS,
    D,
    _set,
    validate_duckdb_mart,
    where,
)
from tests.postgres_server import PostgresServer

# GX's own SQL for compound-column uniqueness under a row_condition (not this project's code)
pytestmark = pytest.mark.filterwarnings("ignore:Implicit coercion of SELECT:sqlalchemy.exc.SADeprecationWarning")

# --- the marts' tables (the columns the datasets read; types of the dbt contracts, _*__models.yml) --------------

_COUNT, _SHARE, _TEXT, _DAY, _INT, _FLAG = "bigint", "double", "varchar", "date", "integer", "boolean"
_CLICKS = ("bio_link_clicks", "email_clicks", "address_clicks", "phone_number_clicks", "app_download_clicks")
TABLES: dict[str, dict[str, str]] = {
    "fct_tiktok_account_daily": {
        "business_id": _TEXT,
        "metric_date": _DAY,
        **dict.fromkeys(("followers_total", "new_followers", "lost_followers", "net_followers"), _COUNT),
        "profile_followers_count": _COUNT,
        **dict.fromkeys(("video_views", "unique_video_views", "profile_views", "likes", "comments"), _COUNT),
        **dict.fromkeys(("shares", "engagements", "engaged_audience", *_CLICKS), _COUNT),
        **dict.fromkeys(("total_clicks", "lead_submissions"), _COUNT),
    },
    "dim_tiktok_accounts": {
        "business_id": _TEXT,
        "account_type": _TEXT,
        **dict.fromkeys(("followers_count", "following_count", "total_likes", "videos_count"), _COUNT),
        "is_eligible_for_audience_insights": _FLAG,
        "has_audience_data": _FLAG,
        "first_snapshot_date": _DAY,
        "latest_snapshot_date": _DAY,
    },
    "fct_tiktok_account_audience": {
        "business_id": _TEXT,
        "snapshot_date": _DAY,
        "dimension": _TEXT,
        "dimension_value": _TEXT,
        "share": _SHARE,
        "fetch_id": _TEXT,
    },
    "fct_tiktok_video_daily": {
        "item_id": _TEXT,
        "business_id": _TEXT,
        "snapshot_date": _DAY,
        **dict.fromkeys(("video_views", "reach", "likes", "comments", "shares", "favorites"), _COUNT),
        **dict.fromkeys(("new_followers", "profile_views"), _COUNT),
        "total_time_watched_seconds": _SHARE,
        "full_video_watched_rate": _SHARE,
        **dict.fromkeys(("video_views_gained", "likes_gained", "comments_gained", "shares_gained"), _COUNT),
        **dict.fromkeys(("favorites_gained", "new_followers_gained"), _COUNT),
    },
    "fct_tiktok_video_audience": {
        "item_id": _TEXT,
        "business_id": _TEXT,
        "snapshot_date": _DAY,
        "dimension": _TEXT,
        "dimension_group": _TEXT,
        "dimension_value": _TEXT,
        "share": _SHARE,
    },
    "fct_tiktok_video_retention": {
        "item_id": _TEXT,
        "business_id": _TEXT,
        "snapshot_date": _DAY,
        "video_second": _INT,
        "retention_share": _SHARE,
        "likes_share": _SHARE,
    },
    "fct_tiktok_audience_activity_hourly": {
        "business_id": _TEXT,
        "activity_date": _DAY,
        "hour_utc": _INT,
        "active_followers": _COUNT,
        "share_of_day": _SHARE,
    },
    "fct_tiktok_comments": {
        "comment_id": _TEXT,
        "item_id": _TEXT,
        "business_id": _TEXT,
        "likes": _COUNT,
        "reply_count": _COUNT,
        "last_seen_date": _DAY,
    },
}
_POSTGRES_TYPES = {_SHARE: "double precision"}

Tables = dict[str, pd.DataFrame]


def _cell(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if not isinstance(value, list | tuple) and pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") else value


def _rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    return [tuple(_cell(value) for value in row) for row in frame[columns].itertuples(index=False, name=None)]


def _ddl(table: str, columns: dict[str, str], postgres: bool) -> str:
    types = {name: _POSTGRES_TYPES.get(kind, kind) if postgres else kind for name, kind in columns.items()}
    return f"create table marts.{table} ({', '.join(f'{name} {kind}' for name, kind in types.items())})"


@pytest.fixture(scope="module")
def pg(postgres_server: PostgresServer) -> Iterator[tuple[PostgresServer, URL]]:
    yield postgres_server, postgres_server.create_database("tiktok_quality_marts")


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("quality_pg")


def write_marts(pg: tuple[PostgresServer, URL], duckdb_file: Path, tables: Tables) -> None:
    """The same rows in `marts` of the PostgreSQL database and of a fresh DuckDB file (every mart table exists)."""
    server, url = pg
    columns = {table: dict(TABLES[table]) for table in TABLES}
    for table, frame in tables.items():  # a scenario may drop a column
        columns[table] = {name: kind for name, kind in columns[table].items() if name in frame.columns}
    connection = psycopg2.connect(**server.connect_args(url))
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute("drop schema if exists marts cascade; create schema marts")
            for table, table_columns in columns.items():
                cursor.execute(_ddl(table, table_columns, postgres=True))
                if table in tables and len(tables[table]):
                    names = list(table_columns)
                    insert = f"insert into marts.{table} ({', '.join(names)}) values %s"
                    execute_values(cursor, insert, _rows(tables[table], names))
    finally:
        connection.close()
    duckdb_file.unlink(missing_ok=True)
    with duckdb.connect(str(duckdb_file)) as con:
        con.execute("create schema marts")
        for table, table_columns in columns.items():
            con.execute(_ddl(table, table_columns, postgres=False))
            if table in tables and len(tables[table]):
                names = list(table_columns)
                placeholders = ", ".join("?" for _ in names)
                con.executemany(
                    f"insert into marts.{table} ({', '.join(names)}) values ({placeholders})",
                    _rows(tables[table], names),
                )


# --- from a dataset's rows (test_rules' frames, as the loaders return them) to the mart tables behind them ------------


def tables_for(dataset: str, frame: pd.DataFrame) -> Tables:
    """The mart tables whose partition D reads back as `frame`."""
    if dataset == "fct_tiktok_account_daily":
        # in_partition and followers_total_profile_gap are computed by the dataset's SQL, not mart columns
        return {dataset: frame.drop(columns=["in_partition", "followers_total_profile_gap"], errors="ignore")}
    if dataset == "fct_tiktok_comments":
        return {dataset: frame.assign(last_seen_date=DAY)}
    if dataset == "dim_tiktok_accounts":
        # audience rows on D: as many as the frame says, at least one where it flags rows on D
        flagged = frame["has_audience_rows_on_partition"].astype(bool).astype(int)
        counts = frame["audience_rows_on_partition"].where(frame["audience_rows_on_partition"] > 0, flagged)
        audience = pd.DataFrame(
            [
                {
                    "business_id": business_id,
                    "snapshot_date": DAY,
                    "dimension": "age",
                    "dimension_value": f"bucket-{n}",
                    "share": 1.0 / count,
                    "fetch_id": "f1",
                }
                for business_id, count in zip(frame["business_id"], counts, strict=True)
                for n in range(int(count))
            ],
            columns=list(TABLES["fct_tiktok_account_audience"]),
        )
        dim = frame.drop(columns=["audience_rows_on_partition", "has_audience_rows_on_partition"])
        return {dataset: dim, "fct_tiktok_account_audience": audience}
    if dataset == "fct_tiktok_account_audience":
        # the dim describes D's snapshot where the frame carries followers, an older one where it has none
        followers = frame.groupby("business_id", sort=False, dropna=False)["followers_count_on_snapshot"].first()
        dim = pd.DataFrame(
            {
                "business_id": followers.index,
                "account_type": "business",
                "followers_count": [10 if pd.isna(value) else int(value) for value in followers],
                "following_count": 1,
                "total_likes": 1,
                "videos_count": 1,
                "is_eligible_for_audience_insights": [bool(value >= 100) for value in followers.fillna(0)],
                "has_audience_data": True,
                "first_snapshot_date": PREVIOUS,
                "latest_snapshot_date": [PREVIOUS if pd.isna(value) else DAY for value in followers],
            }
        )
        return {dataset: frame.drop(columns="followers_count_on_snapshot"), "dim_tiktok_accounts": dim}
    return {dataset: frame}


# --- comparing the two engines -------------------------------------------------------------------------------------


def outcomes(result: SuiteResult) -> list[tuple]:
    """Per expectation: what must not depend on the engine."""
    return sorted(
        (
            o.rule_id,
            o.expectation_type,
            o.columns,
            o.severity,
            o.success,
            o.element_count,
            o.unexpected_count,
            tuple(sorted(json.dumps(key, sort_keys=True) for key in o.sample_keys)),
            o.exception is None,
        )
        for o in result.expectations
    )


def both(
    pg: tuple[PostgresServer, URL], tmp_path: Path, docs: Path, dataset: str, partition: date = D, **kwargs
) -> tuple[SuiteResult, SuiteResult]:
    """(PostgreSQL, DuckDB) validations of one partition of `dataset`, asserted to agree."""
    options = {"docs_dir": docs, "build_docs": False, **kwargs}
    in_postgres = validate_in_warehouse(dataset, partition, pg[1], **options)
    in_duckdb = validate_duckdb_mart(dataset, partition, tmp_path / "warehouse.duckdb", **options)
    assert outcomes(in_postgres) == outcomes(in_duckdb)
    assert (in_postgres.success, in_postgres.row_count, in_postgres.key_columns) == (
        in_duckdb.success,
        in_duckdb.row_count,
        in_duckdb.key_columns,
    )
    assert in_postgres.suite_name == in_duckdb.suite_name == dataset
    assert in_postgres.failed_rules() == in_duckdb.failed_rules()
    assert [o.expectation_type for o in in_postgres.expectations] == [
        o.expectation_type for o in in_duckdb.expectations
    ]
    return in_postgres, in_duckdb


def keys(result: SuiteResult) -> list[str]:
    return sorted(json.dumps(key, sort_keys=True) for o in result.failures for key in o.sample_keys)


# --- clean partitions and every violation of the rule book ------------------------------------------------------------


@pytest.mark.parametrize("dataset", MART_DATASETS)
def test_clean_partition_passes_in_postgres_as_in_duckdb(pg, tmp_path: Path, docs: Path, dataset: str) -> None:
    write_marts(pg, tmp_path / "warehouse.duckdb", tables_for(dataset, CLEAN[dataset]()))
    in_postgres, _ = both(pg, tmp_path, docs, dataset)
    assert in_postgres.success, [(o.rule_id, o.unexpected_count, o.exception) for o in in_postgres.failures]
    assert in_postgres.row_count == len(CLEAN[dataset]()) > 0
    assert all(o.exception is None for o in in_postgres.expectations)


MART_VIOLATIONS = [param for param in VIOLATIONS if param.values[1] in MART_DATASETS]


def test_the_violations_cover_every_rule_of_the_mart_suites() -> None:
    from expectations.datasets import suite_rule_ids

    checked = {rule for dataset in MART_DATASETS for rule in suite_rule_ids(dataset)}
    assert {param.values[0] for param in MART_VIOLATIONS} == checked


@pytest.mark.parametrize(("rule_id", "dataset", "breaks", "unexpected", "expected_keys"), MART_VIOLATIONS)
def test_a_violation_fails_the_same_way_in_postgres(
    pg, tmp_path: Path, docs: Path, rule_id, dataset, breaks, unexpected, expected_keys
) -> None:
    write_marts(pg, tmp_path / "warehouse.duckdb", tables_for(dataset, breaks(CLEAN[dataset]())))
    in_postgres, _ = both(pg, tmp_path, docs, dataset)
    assert in_postgres.failed_rules() == {rule_id: unexpected}
    assert keys(in_postgres) == sorted(json.dumps(key, sort_keys=True) for key in expected_keys)
    assert in_postgres.blocking == (RULES[rule_id].severity == "ERROR")


# --- the custom expectations' edge cases (nulls, gaps, tolerances) ---------------------------------------------------


def _video_audience(changes: dict[tuple[str, str], float]) -> pd.DataFrame:
    frame = CLEAN["fct_tiktok_video_audience"]()
    for (item, value), share in changes.items():
        frame = _set(frame, where(frame, item_id=item, dimension_value=value), share=share)
    return frame


def _null_shares() -> pd.DataFrame:
    frame = CLEAN["fct_tiktok_video_audience"]()
    # ITEM_1: a missing share adds nothing (0.65 + 0.35 + null = 1); its countries all missing: a top list of 0
    frame = _set(frame, where(frame, item_id=ITEM_1, dimension_value="Other"), share=None)
    frame = _set(frame, where(frame, item_id=ITEM_1, dimension_value="Female"), share=0.65)
    frame = _set(frame, where(frame, item_id=ITEM_1, dimension_group="country"), share=None)
    # ITEM_2: a complete distribution whose shares are all missing sums to 0: each of its rows fails
    return _set(frame, where(frame, item_id=ITEM_2, dimension_group="gender"), share=None)


def _null_item_shares() -> pd.DataFrame:
    frame = CLEAN["fct_tiktok_video_audience"]()
    # null keys form one group (pandas: dropna=False), judged like any other
    frame = _set(frame, where(frame, item_id=ITEM_2), item_id=None)
    frame.loc[frame["item_id"].isna() & (frame["dimension_value"] == "Female"), "share"] = 0.5
    return frame


def _account_daily(rows: list[tuple[str | None, pd.Timestamp, dict]]) -> pd.DataFrame:
    frame = CLEAN["fct_tiktok_account_daily"]()
    for business_id, day, values in rows:
        frame = _set(frame, where(frame, business_id=business_id, metric_date=day), **values)
    return frame


def _missing_operands() -> pd.DataFrame:
    # missing net / new: net = new - lost is not judged (ignore_row_if)
    return _account_daily([("acct_b", DAY, {"net_followers": None}), ("acct_a", DAY, {"new_followers": None})])


def _retention(changes: dict[tuple[str, int], float | None]) -> pd.DataFrame:
    frame = CLEAN["fct_tiktok_video_retention"]()
    for (item, second), value in changes.items():
        frame = _set(frame, where(frame, item_id=item, video_second=second), retention_share=value)
    return frame


def _null_item_retention() -> pd.DataFrame:
    frame = _set(
        _retention({(ITEM_2, 4): 0.9}), where(CLEAN["fct_tiktok_video_retention"](), item_id=ITEM_2), item_id=None
    )
    return frame


EDGE_CASES = [
    pytest.param(
        "fct_tiktok_video_audience",
        _null_shares,
        {"distribution_sums_to_one": 3},
        [
            {"item_id": ITEM_2, "snapshot_date": D.isoformat(), "dimension": "gender", "dimension_value": value}
            for value in ("Female", "Male", "Other")
        ],
        id="shares-missing-values-add-nothing",
    ),
    pytest.param(
        "fct_tiktok_video_audience",
        _null_item_shares,
        {"distribution_sums_to_one": 3},
        None,
        id="shares-null-group-key",
    ),
    pytest.param(
        "fct_tiktok_video_audience",
        lambda: _video_audience({(ITEM_1, "US"): 0.805, (ITEM_2, "Female"): 0.605, (ITEM_2, "Male"): 0.345}),
        {},
        [],
        id="shares-within-tolerance",
    ),
    pytest.param("fct_tiktok_account_daily", _missing_operands, {}, [], id="net-missing-operands-not-judged"),
    pytest.param(
        "fct_tiktok_video_retention",
        lambda: _retention({(ITEM_1, 2): None, (ITEM_1, 3): 0.85, (ITEM_2, 2): None, (ITEM_2, 3): 0.95}),
        {"retention_does_not_rise": 1},
        [{"item_id": ITEM_2, "snapshot_date": D.isoformat(), "video_second": 3}],
        id="not-rising-skips-missing-values",
    ),
    pytest.param(
        "fct_tiktok_video_retention",
        _null_item_retention,
        {"retention_does_not_rise": 1},
        None,
        id="not-rising-null-group-key",
    ),
    pytest.param(
        "fct_tiktok_video_retention",
        lambda: _retention({(ITEM_1, 3): 0.8 + 5e-10, (ITEM_2, 1): 1.0 + 2e-9}),
        {"retention_does_not_rise": 1},
        [{"item_id": ITEM_2, "snapshot_date": D.isoformat(), "video_second": 1}],
        id="not-rising-tolerance",
    ),
]


@pytest.mark.parametrize(("dataset", "frame", "failed", "expected_keys"), EDGE_CASES)
def test_custom_expectation_edge_cases_agree(
    pg, tmp_path: Path, docs: Path, dataset, frame, failed, expected_keys
) -> None:
    write_marts(pg, tmp_path / "warehouse.duckdb", tables_for(dataset, frame()))
    in_postgres, _ = both(pg, tmp_path, docs, dataset)
    assert in_postgres.failed_rules() == failed
    if expected_keys is not None:
        assert keys(in_postgres) == sorted(json.dumps(key, sort_keys=True) for key in expected_keys)
    assert all(o.exception is None for o in in_postgres.expectations)


def test_empty_partitions_agree(pg, tmp_path: Path, docs: Path) -> None:
    tables: Tables = {}
    for dataset in MART_DATASETS:
        for table, frame in tables_for(dataset, CLEAN[dataset]()).items():
            tables.setdefault(table, frame)
    write_marts(pg, tmp_path / "warehouse.duckdb", tables)
    for dataset in MART_DATASETS:
        in_postgres, _ = both(pg, tmp_path, docs, dataset, D + timedelta(days=30))
        # the dim lists every account known by D (none has audience rows on D + 30)
        assert in_postgres.row_count == (2 if dataset == "dim_tiktok_accounts" else 0)


def test_a_missing_column_fails_loudly_in_postgres_too(pg, tmp_path: Path, docs: Path) -> None:
    write_marts(
        pg,
        tmp_path / "warehouse.duckdb",
        {
            "fct_tiktok_video_daily": tables_for("fct_tiktok_video_daily", CLEAN["fct_tiktok_video_daily"]())[
                "fct_tiktok_video_daily"
            ].drop(columns="reach")
        },
    )
    in_postgres, _ = both(pg, tmp_path, docs, "fct_tiktok_video_daily")
    (outcome,) = in_postgres.failures
    assert outcome.rule_id == "reach_within_views" and "reach" in outcome.columns
    assert outcome.exception and in_postgres.blocking


# --- the SQL path: one SQL text per mart, pushed down, no password anywhere ------------------------------------------


def test_one_sql_text_per_mart_names_the_partition_as_a_standard_date_literal() -> None:
    for dataset in MART_DATASETS:
        sql = partition_sql(dataset, D)
        assert "date '2026-11-12'" in sql and "{partition}" not in sql and "$" not in sql
    with pytest.raises(ValueError, match="data_dir is required"):
        partition_sql("raw_tiktok_account", D)


def test_raw_datasets_read_landing_files_whatever_the_warehouse(pg, tmp_path: Path, docs: Path) -> None:
    """A raw partition is read by DuckDB from data_dir (here: none landed); a mart is refused there."""
    result = validate_raw("raw_tiktok_videos", D, data_dir=tmp_path, docs_dir=docs)
    assert result.success and result.row_count == 0 and result.dataset == "raw_tiktok_videos"
    with pytest.raises(ValueError, match="landing files"):
        validate_in_warehouse("raw_tiktok_videos", D, pg[1], docs_dir=docs)


_BIG_RETENTION = """
    insert into marts.fct_tiktok_video_retention
    select cast(7400000000000000000 + i / 50 as varchar), 'acct', date '2026-11-13', cast(i % 50 as integer),
        case when i < 1000 and i % 50 = 7 then 0.99 else 1.0 - (i % 50) / 60.0 end, 0.02
    from generate_series(0, 39999) as seconds(i)
"""


def test_the_work_is_pushed_down_to_postgres(pg, tmp_path: Path, docs: Path) -> None:
    """40,000 rows in the partition; GX's SQL engine fetches a handful (counts, ten sampled keys)."""
    duckdb_sql = _BIG_RETENTION.replace("generate_series(0, 39999)", "range(40000)").replace("i / 50", "i // 50")
    write_marts(pg, tmp_path / "warehouse.duckdb", {})
    server, url = pg
    connection = psycopg2.connect(**server.connect_args(url))
    with connection, connection.cursor() as cursor:
        cursor.execute(_BIG_RETENTION)
    connection.close()
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute(duckdb_sql)

    fetched: list[int] = []

    def count_rows(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            fetched.append(max(cursor.rowcount, 0))

    sa.event.listen(sa.engine.Engine, "after_cursor_execute", count_rows)
    try:
        started = time.perf_counter()
        in_postgres = validate_in_warehouse("fct_tiktok_video_retention", D + timedelta(days=1), url, docs_dir=docs)
        seconds = time.perf_counter() - started
    finally:
        sa.event.remove(sa.engine.Engine, "after_cursor_execute", count_rows)
    in_duckdb = validate_duckdb_mart(
        "fct_tiktok_video_retention",
        D + timedelta(days=1),
        tmp_path / "warehouse.duckdb",
        docs_dir=docs,
        build_docs=False,
    )

    # GX keeps a context's last pandas batch: leave a small one (test_rules counts big frames left in the process)
    validate_duckdb_mart(
        "fct_tiktok_video_retention", D, tmp_path / "warehouse.duckdb", docs_dir=docs, build_docs=False
    )
    assert in_postgres.row_count == in_duckdb.row_count == 40_000
    # 20 posts rise at second 7; both engines count them, each samples ten of them
    assert in_postgres.failed_rules() == in_duckdb.failed_rules() == {"retention_does_not_rise": 20}
    (outcome,) = in_postgres.failures
    rising = {(f"{7400000000000000000 + i // 50}", 7) for i in range(7, 1000, 50)}
    assert len(outcome.sample_keys) == 10
    assert {(key["item_id"], key["video_second"]) for key in outcome.sample_keys} <= rising
    assert fetched and sum(fetched) < 200, f"GX fetched {sum(fetched)} rows in {len(fetched)} queries"
    # the stored result names the SQL batch: the partition's PostgreSQL query
    stored = json.loads(next((docs / "validations" / "fct_tiktok_video_retention").rglob("*.json")).read_text())
    assert stored["meta"]["batch_spec"]["query"].startswith("select * from (")
    assert "snapshot_date = date '2026-11-13'" in stored["meta"]["batch_spec"]["query"]
    assert stored["meta"]["active_batch_definition"]["datasource_name"].startswith("tiktok_warehouse_")
    engine = get_context(docs).data_sources.get(stored["meta"]["active_batch_definition"]["datasource_name"])
    assert type(engine.get_execution_engine()).__name__ == "SqlAlchemyExecutionEngine"
    assert seconds < 30


def _password_forms(url: URL) -> list[str]:
    password = str(url.password)
    return [password, quote(password, safe=""), quote_plus(password), url.render_as_string(hide_password=False)]


def test_the_password_is_in_no_docs_file_result_log_or_error(
    pg, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server, url = pg
    docs = tmp_path / "quality"
    caplog.set_level(logging.DEBUG)
    dataset = "fct_tiktok_video_retention"
    broken = _retention({(ITEM_2, 3): 0.85})
    write_marts(pg, tmp_path / "warehouse.duckdb", tables_for(dataset, broken))
    results = [validate_in_warehouse(dataset, D, url, docs_dir=docs)]
    # an expectation that raises (its message and traceback are stored and rendered)
    videos = tables_for("fct_tiktok_video_daily", CLEAN["fct_tiktok_video_daily"]())["fct_tiktok_video_daily"]
    write_marts(pg, tmp_path / "warehouse.duckdb", {"fct_tiktok_video_daily": videos.drop(columns="reach")})
    results.append(validate_in_warehouse("fct_tiktok_video_daily", D, url, docs_dir=docs))
    assert results[0].failed_rules() == {"retention_does_not_rise": 1} and results[1].failures[0].exception
    assert all(result.docs_page and result.docs_page.exists() for result in results)

    # a wrong password and an unreachable server: the errors do not show the password tried
    wrong = url.set(password="Wr0ng-" + str(url.password)[::-1])
    unreachable = url.set(port=1)
    errors = []
    for bad in (wrong, unreachable):
        with pytest.raises(Exception) as raised:
            validate_in_warehouse(dataset, D, bad, docs_dir=docs)
        errors.append((bad, "".join(traceback.format_exception(raised.value))))
    assert "password authentication failed" in errors[0][1]

    written = [path for path in docs.rglob("*") if path.is_file()]
    assert any(path.suffix == ".html" for path in written) and any(path.suffix == ".json" for path in written)
    texts = {str(path): path.read_bytes().decode("utf-8", errors="replace") for path in written}
    texts["results"] = json.dumps([result.to_dict() for result in results])
    texts["log"] = caplog.text + "\n".join(repr(record.args) for record in caplog.records)
    for bad, error in errors:
        texts[f"error {bad!r}"] = error
    for form in {*_password_forms(url), *_password_forms(wrong)}:
        leaks = [name for name, text in texts.items() if form in text]
        assert not leaks, f"the password is written in {leaks}"
    # the datasource's connection string is GX's template, resolved only in memory
    datasource = get_context(docs).data_sources.get("tiktok_warehouse_1")
    assert str(datasource.connection_string) == "${TIKTOK_QUALITY_WAREHOUSE_URL_1}"
    assert str(url.password) not in json.dumps(datasource.dict(), default=str)


def test_an_error_showing_the_password_is_masked() -> None:
    from expectations.runner import _no_password_in_errors

    with pytest.raises(WarehouseValidationError) as raised, _no_password_in_errors(("s3cret-value",)):
        try:
            raise ValueError("could not parse postgresql://u:s3cret-value@h/db")
        except ValueError as error:
            raise RuntimeError("engine failed") from error
    error = raised.value
    assert str(error) == "RuntimeError: engine failed" and "s3cret-value" not in repr(error)
    assert error.__cause__ is None and error.__suppress_context__  # the chain that shows it is not printed
    assert "s3cret-value" not in "".join(traceback.format_exception_only(error))
