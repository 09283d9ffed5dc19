"""Publishing the marts for BI: a read-only DuckDB copy, replaced atomically after each successful build.

DuckDB allows one writing process per file, and a BI tool holding the warehouse open would block the
pipeline. So BI tools read `$TIKTOK_DATA_DIR/bi/tiktok_marts.duckdb` instead: a separate file, written under
a temporary name and renamed over the old one. A reader that has the old file open keeps reading that
complete build (the rename does not touch an open file); the next connection sees the new complete build.
A reader never blocks the pipeline and never sees half a build.
"""

import os
import tempfile
from pathlib import Path

import dagster as dg
import duckdb

from assets.dbt import WAREHOUSE_POOL
from assets.partitions import daily_partitions
from assets.settings import data_dir, warehouse_path

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


@dg.asset(
    group_name="tiktok_bi",
    kinds={"duckdb"},
    deps=MART_KEYS,
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WAREHOUSE_POOL,
    description=(
        "The marts published for BI tools as $TIKTOK_DATA_DIR/bi/tiktok_marts.duckdb: a read-only copy of "
        "schema `marts`, written under a temporary name and renamed into place after each successful build, "
        "so readers never block the pipeline and never see half a build. See docs/bi.md to connect."
    ),
)
def tiktok_marts_for_bi(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    target = bi_path()
    counts = publish_marts(warehouse_path(), target)
    context.log.info(f"Published {len(counts)} marts to {target}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(target)),
            "rows": dg.MetadataValue.json(counts),
            "bytes": target.stat().st_size,
        }
    )
