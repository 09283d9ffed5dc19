"""Publishing the marts for BI.

DuckDB: a read-only copy, replaced atomically after each successful build. DuckDB allows one writing process
per file, and a BI tool holding the warehouse open would block the pipeline. So BI tools read
`$TIKTOK_DATA_DIR/bi/tiktok_marts.duckdb` instead: a separate file, written under a temporary name and
renamed over the old one. A reader that has the old file open keeps reading that complete build (the rename
does not touch an open file); the next connection sees the new complete build. A reader never blocks the
pipeline and never sees half a build.

PostgreSQL: BI tools read schema `marts` on the server itself (each dbt model is swapped in by a rename in
one transaction, and readers do not block writers), so there is nothing to copy: the asset records the
marts' row counts on the server.
"""

import os
import tempfile
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import sqlalchemy
from sqlalchemy.engine import URL

from assets.dbt import WAREHOUSE_POOL
from assets.partitions import daily_partitions
from assets.settings import data_dir, warehouse

MART_KEYS = [
    "dim_tiktok_accounts",
    "fct_tiktok_account_daily",
    "dim_tiktok_videos",
    "fct_tiktok_video_daily",
    "fct_tiktok_account_audience",
    "fct_tiktok_audience_activity_hourly",
    "fct_tiktok_video_audience",
    "fct_tiktok_video_retention",
    "fct_tiktok_comments",
]


def bi_path() -> Path:
    return data_dir() / "bi" / "tiktok_marts.duckdb"


def publish_marts(warehouse: Path, target: Path) -> dict[str, int]:
    """Copy every table of schema `marts` into a new DuckDB file and swap it in atomically; rows per table."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".duckdb")
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # DuckDB creates the file itself
    counts: dict[str, int] = {}
    try:
        with duckdb.connect(str(tmp)) as con:
            con.execute(f"attach '{warehouse}' as warehouse (read_only)")
            tables = [
                r[0]
                for r in con.execute(
                    "select table_name from duckdb_tables() where database_name = 'warehouse' "
                    "and schema_name = 'marts' order by 1"
                ).fetchall()
            ]
            if not tables:
                raise dg.Failure(f"the warehouse {warehouse} has no marts to publish: build them first")
            con.execute("create schema marts")
            for table in tables:
                con.execute(f"create table marts.{table} as select * from warehouse.marts.{table}")
                counts[table] = con.execute(f"select count(*) from marts.{table}").fetchall()[0][0]
            con.execute("detach warehouse")
            con.execute("checkpoint")
        os.replace(tmp, target)  # atomic: readers see the old complete file or the new one
    finally:
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
    return counts


def read_marts(source: Path | URL, queries: dict[str, str]) -> dict[str, pd.DataFrame]:
    """Run each query against the marts: a DuckDB file (read-only) or the PostgreSQL warehouse."""
    if isinstance(source, URL):
        engine = sqlalchemy.create_engine(source, connect_args={"options": "-c timezone=UTC"})
        try:
            with engine.connect() as connection:
                return {name: pd.read_sql_query(sqlalchemy.text(sql), connection) for name, sql in queries.items()}
        finally:
            engine.dispose()
    with duckdb.connect(str(source), read_only=True) as con:
        return {name: con.execute(sql).df() for name, sql in queries.items()}


def postgres_mart_counts(url: URL) -> dict[str, int]:
    """Rows per table of schema `marts` on the PostgreSQL warehouse."""
    tables = read_marts(
        url, {"tables": "select table_name from information_schema.tables where table_schema = 'marts' order by 1"}
    )["tables"]["table_name"].tolist()
    if not tables:
        raise dg.Failure(f"the warehouse {url} has no marts to publish: build them first")
    counts = read_marts(url, {table: f"select count(*) as n from marts.{table}" for table in tables})
    return {table: int(frame["n"].iloc[0]) for table, frame in counts.items()}


def marts_for_readers() -> Path | URL:
    """Where BI and the report read the marts: the published DuckDB copy, or the PostgreSQL warehouse."""
    chosen = warehouse()
    return bi_path() if chosen.kind == "duckdb" else chosen.location


@dg.asset(
    group_name="tiktok_bi",
    kinds={"duckdb", "postgres"},
    deps=MART_KEYS,
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WAREHOUSE_POOL,
    description=(
        "The marts published for BI tools. DuckDB: $TIKTOK_DATA_DIR/bi/tiktok_marts.duckdb, a read-only copy of "
        "schema `marts`, written under a temporary name and renamed into place after each successful build, "
        "so readers never block the pipeline and never see half a build. PostgreSQL: BI reads schema `marts` "
        "on the server; the asset records its row counts. See docs/bi.md to connect."
    ),
)
def tiktok_marts_for_bi(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    chosen = warehouse()
    if chosen.kind == "postgres":
        assert chosen.postgres is not None
        counts = postgres_mart_counts(chosen.postgres)
        context.log.info(f"{len(counts)} marts ready for BI on {chosen.describe()}")
        return dg.MaterializeResult(
            metadata={"warehouse": chosen.describe(), "schema": "marts", "rows": dg.MetadataValue.json(counts)}
        )
    target = bi_path()
    assert chosen.duckdb_path is not None
    counts = publish_marts(chosen.duckdb_path, target)
    context.log.info(f"Published {len(counts)} marts to {target}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(target)),
            "rows": dg.MetadataValue.json(counts),
            "bytes": target.stat().st_size,
        }
    )
