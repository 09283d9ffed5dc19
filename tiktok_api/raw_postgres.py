"""Loading the raw landing files into PostgreSQL raw tables, in bulk, idempotently per partition.

Layout: schema `raw_tiktok`, one table per stream (`raw_tiktok.account`, `raw_tiktok.videos`,
`raw_tiktok.comments`) and ONE ROW PER PAGE, i.e. per HTTP answer of a fetch. A row carries the fetch's
header (partition_date, business_id, fetch_id, landed_at, fetch_source, complete, run_id), the page's own
fields (page_number: its 0-based index in the file's `pages`, endpoint, request_id, http_status, fetched_at),
the landing file it came from (relative to the data dir) and `payload`: the API's JSON body as jsonb.
The key is (fetch_id, page_number); dbt parses the payloads, exactly as it parses the files under DuckDB.

Idempotence: the landing files are the truth and the tables are a copy of them. Loading a (stream, partition)
deletes that partition's rows and COPYs every landing file of the partition back, in one transaction. So
loading twice gives the same rows, a fetch landed since the last load appears, a partition whose folder is
gone ends empty, and a load that fails (a broken file, a lost connection) rolls back to the rows it found.
Loads of the same partition are serialised with an advisory lock: without it, two runs would both delete
the old rows and then both copy the same (fetch_id, page_number) keys.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import psycopg2
from psycopg2.extensions import connection as Connection
from psycopg2.extensions import cursor as Cursor
from sqlalchemy.engine import URL

from tiktok_api.landing import ACCOUNT_KEY, STREAMS, landed_partitions, partition_files, read_fetch
from tiktok_api.secrets import password_forms, redact

log = logging.getLogger(__name__)

RAW_SCHEMA = "raw_tiktok"
REQUIRED_HEADER = ("business_id", "fetch_id", "landed_at", "pages")
# The COPY column order; loaded_at is left to its default (the transaction's start).
COPY_COLUMNS = (
    "partition_date",
    "business_id",
    "fetch_id",
    "page_number",
    "landed_at",
    "fetch_source",
    "complete",
    "run_id",
    "endpoint",
    "request_id",
    "http_status",
    "fetched_at",
    "landing_file",
    "payload",
)
# A partition's rows are sent in COPY chunks of about this size: memory stays bounded by the chunk and one file.
FLUSH_CHARS = 32 * 1024 * 1024

_TABLE_DDL = """
create table if not exists {table} (
    partition_date date not null,
    business_id text not null,
    fetch_id text not null,
    page_number integer not null,
    landed_at timestamptz not null,
    fetch_source text,
    complete boolean not null,
    run_id text,
    endpoint text,
    request_id text,
    http_status integer,
    fetched_at timestamptz,
    landing_file text not null,
    payload jsonb not null,
    loaded_at timestamptz not null default now(),
    primary key (fetch_id, page_number)
)"""
_INDEX_DDL = "create index if not exists {name}_partition_date_idx on {table} (partition_date)"
# COPY text format: one row per line, so a line number PostgreSQL reports leads back to a file and page.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_LINE = re.compile(r"^COPY [^,]+, line (\d+)", re.MULTILINE)
_DDL_LOCK = 0x7261775F  # advisory lock key for the DDL: concurrent `create ... if not exists` can still collide


class RawLoadError(RuntimeError):
    """A raw load failed: the message names the file or server and the cause (never a password).

    `loaded` holds the partitions committed by the same call before the failure.
    """

    loaded: RawLoadResult | None = None


@dataclass(frozen=True)
class PartitionLoad:
    """One (stream, partition) as loaded: the partition's rows in the table are exactly these pages."""

    stream: str
    partition_date: date
    fetches: int  # landing files, including those with no pages
    pages: int  # rows now in the table for the partition
    empty_fetches: tuple[str, ...] = ()  # landing files with zero pages: no rows, so listed to stay visible
    replaced_rows: int = 0  # rows the partition had before this load


@dataclass(frozen=True)
class RawLoadResult:
    loads: tuple[PartitionLoad, ...]

    @property
    def fetches(self) -> int:
        return sum(load.fetches for load in self.loads)

    @property
    def pages(self) -> int:
        return sum(load.pages for load in self.loads)

    def get(self, stream: str, partition_date: date) -> PartitionLoad:
        for load in self.loads:
            if load.stream == stream and load.partition_date == partition_date:
                return load
        raise KeyError(f"{stream} {partition_date} was not loaded")


def raw_table(stream: str) -> str:
    """The qualified table of a stream, e.g. `raw_tiktok.videos`."""
    if stream not in STREAMS:
        raise ValueError(f"unknown raw stream {stream!r}; expected one of {STREAMS}")
    return f"{RAW_SCHEMA}.{stream}"


def describe_server(url: URL) -> str:
    """user@host:port/db, for messages: never the password."""
    return f"{url.username}@{url.host or 'localhost'}:{url.port or 5432}/{url.database}"


def load_raw_partitions(
    url: URL,
    data_dir: Path,
    partitions: Iterable[date],
    streams: Iterable[str] = STREAMS,
) -> RawLoadResult:
    """Replace each (stream, partition)'s rows with its landing files, one transaction per (stream, partition).

    Raises RawLoadError on a broken landing file, a header that does not match its folders, or a database
    failure; the failing partition keeps its previous rows, and the partitions committed before it stay.
    """
    wanted = (streams,) if isinstance(streams, str) else tuple(dict.fromkeys(streams))  # "videos" is one stream
    for stream in wanted:
        raw_table(stream)  # unknown stream: ValueError before touching the server
    days = [_check_date(day) for day in partitions]
    data_dir = Path(data_dir)
    loads: list[PartitionLoad] = []
    connection = _connect(url)
    try:
        _create_tables(connection, url)
        for day in days:
            for stream in wanted:
                loads.append(_load_partition(connection, url, data_dir, stream, day))
    except RawLoadError as error:
        error.loaded = RawLoadResult(tuple(loads))
        raise
    finally:
        connection.close()
    return RawLoadResult(tuple(loads))


def partitions_to_load(url: URL, data_dir: Path, window: Iterable[date]) -> list[date]:
    """The window's partitions plus every landed partition of a stream whose raw table has no row of it yet.

    dbt on DuckDB reads the landing files themselves, so a first (non-incremental) build sees every landed
    day; loading the never-loaded days too gives PostgreSQL the same view, and a later window then only
    reloads its own days.
    """
    missing: set[date] = set()
    connection = _connect(url)
    try:
        with connection.cursor() as cursor:
            for stream in STREAMS:
                landed = set(landed_partitions(Path(data_dir), stream))
                cursor.execute("select to_regclass(%s) is not null", (raw_table(stream),))
                if landed and cursor.fetchone()[0]:
                    cursor.execute(f"select distinct partition_date from {raw_table(stream)}")
                    landed -= {row[0] for row in cursor.fetchall()}
                missing |= landed
    except psycopg2.Error as error:
        raise RawLoadError(
            f"cannot read the {RAW_SCHEMA} tables on {describe_server(url)}: {_scrub(error, url)}"
        ) from None
    finally:
        connection.close()
    return sorted(set(window) | missing)


def _check_date(day: object) -> date:
    # A datetime is a date too, but it would name the folder `date=2026-11-17T00:00:00`.
    if not isinstance(day, date) or isinstance(day, datetime):
        raise TypeError(f"partitions are datetime.date values, not {day!r}")
    return day


def _connect(url: URL) -> Connection:
    try:
        connection = psycopg2.connect(
            host=url.host,
            port=url.port,
            user=url.username,
            password=url.password,
            dbname=url.database,
            connect_timeout=10,
            application_name="tiktok-raw-load",
        )
        connection.set_client_encoding("UTF8")
    except psycopg2.Error as error:
        # `from None`: the chained driver error would travel on unscrubbed.
        raise RawLoadError(f"cannot connect to PostgreSQL {describe_server(url)}: {_scrub(error, url)}") from None
    log.debug("connected to PostgreSQL %s", describe_server(url))
    return connection


def _scrub(error: BaseException, url: URL) -> str:
    """The error's text with the password blanked, should a driver ever echo it."""
    password = str(url.password) if url.password else None
    return redact(" ".join(str(error).split()), password_forms(password))


def _create_tables(connection: Connection, url: URL) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("select pg_advisory_xact_lock(%s)", (_DDL_LOCK,))
            cursor.execute(f"create schema if not exists {RAW_SCHEMA}")
            for stream in STREAMS:
                table = raw_table(stream)
                cursor.execute(_TABLE_DDL.format(table=table))
                cursor.execute(_INDEX_DDL.format(name=stream, table=table))
        connection.commit()
    except psycopg2.Error as error:
        _rollback(connection)
        raise RawLoadError(
            f"cannot create the {RAW_SCHEMA} tables on {describe_server(url)}: {_scrub(error, url)}"
        ) from None


def _rollback(connection: Connection) -> None:
    # If the connection is gone, the server has rolled the transaction back itself.
    with contextlib.suppress(psycopg2.Error):
        connection.rollback()


def _load_partition(connection: Connection, url: URL, data_dir: Path, stream: str, day: date) -> PartitionLoad:
    table = raw_table(stream)
    files = partition_files(data_dir, stream, day)
    fetch_files: dict[str, Path] = {}
    empty: list[str] = []
    pages = 0
    try:
        with connection.cursor() as cursor:
            cursor.execute("select pg_advisory_xact_lock(hashtext(%s), %s)", (table, day.toordinal()))
            cursor.execute(f"delete from {table} where partition_date = %s", (day,))
            replaced = cursor.rowcount
            copier = _Copier(cursor, table)
            for path in files:
                fetch_id, rows = _fetch_rows(path, data_dir, stream, day)
                if fetch_id in fetch_files:
                    raise RawLoadError(
                        f"{path}: fetch_id {fetch_id!r} is also the fetch_id of {fetch_files[fetch_id]}; "
                        "a fetch is landed once, so one of the two files is a copy"
                    )
                fetch_files[fetch_id] = path
                if not rows:
                    empty.append(_relative(path, data_dir))
                pages += len(rows)
                copier.add(path, rows)
            copier.flush()
        connection.commit()
    except psycopg2.Error as error:
        _rollback(connection)
        raise RawLoadError(
            f"loading {table} partition {day} on {describe_server(url)} failed: {_scrub(error, url)}"
        ) from None
    except BaseException:  # a RawLoadError from a file, or an interrupt: the partition keeps its rows
        _rollback(connection)
        raise
    log.info(
        "%s %s: loaded %d fetch(es) (%d without pages), %d page(s), replacing %d row(s)",
        table,
        day,
        len(fetch_files),
        len(empty),
        pages,
        replaced,
    )
    return PartitionLoad(stream, day, len(fetch_files), pages, tuple(empty), replaced)


class _Copier:
    """Rows in COPY text format, sent in chunks; remembers which file each row came from, for errors."""

    def __init__(self, cursor: Cursor, table: str):
        self.cursor = cursor
        self.statement = f"copy {table} ({', '.join(COPY_COLUMNS)}) from stdin"
        self.buffer = io.StringIO()
        self.rows = 0
        self.starts: list[int] = []  # first row of each file in the chunk
        self.files: list[Path] = []

    def add(self, path: Path, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        self.starts.append(self.rows)
        self.files.append(path)
        for row in rows:
            self.buffer.write("\t".join(_copy_value(value) for value in row))
            self.buffer.write("\n")
        self.rows += len(rows)
        if self.buffer.tell() >= FLUSH_CHARS:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.buffer.seek(0)
            try:
                self.cursor.copy_expert(self.statement, self.buffer)
            except (psycopg2.DataError, psycopg2.IntegrityError) as error:  # a row's content, not the server
                raise RawLoadError(self._explain(error)) from None
        self.buffer = io.StringIO()
        self.rows = 0
        self.starts, self.files = [], []

    def _explain(self, error: psycopg2.Error) -> str:
        """Name the file and page of the row PostgreSQL refused (its context says `COPY t, line N`)."""
        reason = " ".join(filter(None, [error.diag.message_primary, error.diag.message_detail])) or str(error)
        found = _COPY_LINE.search(error.diag.context or "")
        if found is None:
            return f"PostgreSQL refused a row of {', '.join(map(str, self.files))}: {reason}"
        row = int(found.group(1)) - 1
        index = bisect_right(self.starts, row) - 1
        return f"{self.files[index]}: PostgreSQL refused page {row - self.starts[index]}: {reason}"


def _copy_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value).translate(_COPY_ESCAPES)


def _relative(path: Path, data_dir: Path) -> str:
    return path.relative_to(data_dir).as_posix()


def _fetch_rows(path: Path, data_dir: Path, stream: str, day: date) -> tuple[str, list[tuple[Any, ...]]]:
    """One landing file as table rows (COPY_COLUMNS order), after checking its header against its folders."""
    try:
        fetch = read_fetch(path)
    except (OSError, ValueError) as error:  # ValueError: not JSON, or not UTF-8
        raise RawLoadError(f"{path}: cannot read the landing file: {error}") from None
    if not isinstance(fetch, dict):
        raise RawLoadError(f"{path}: a landing file is a JSON object, not {type(fetch).__name__}")
    missing = [name for name in REQUIRED_HEADER if fetch.get(name) in (None, "")]
    if missing:
        raise RawLoadError(f"{path}: the header lacks {', '.join(missing)}")
    folder_account = path.parent.name.removeprefix(f"{ACCOUNT_KEY}=")
    business_id = _required_text(path, fetch, "business_id")
    if business_id != folder_account:
        raise RawLoadError(f"{path}: header business_id {business_id!r} but the folder is account={folder_account}")
    if "partition_date" in fetch and fetch["partition_date"] != day.isoformat():
        raise RawLoadError(
            f"{path}: header partition_date {fetch['partition_date']!r} but the folder is date={day.isoformat()}"
        )
    if "stream" in fetch and fetch["stream"] != stream:
        raise RawLoadError(f"{path}: header stream {fetch['stream']!r} but the file is under the {stream} stream")
    fetch_id = _required_text(path, fetch, "fetch_id")
    landed_at = _timestamp(path, fetch, "landed_at")
    complete = fetch.get("complete", False)  # not marked complete: not trusted as complete
    if not isinstance(complete, bool):
        raise RawLoadError(f"{path}: header complete is {complete!r}, not true or false")
    source = _text(path, fetch, "source")
    run_id = _text(path, fetch, "run_id")
    pages = fetch["pages"]
    if not isinstance(pages, list):
        raise RawLoadError(f"{path}: pages is {type(pages).__name__}, not a list")
    landing_file = _relative(path, data_dir)
    rows: list[tuple[Any, ...]] = []
    for number, page in enumerate(pages):
        where = f"{path} page {number}"
        if not isinstance(page, dict) or not isinstance(page.get("response"), dict):
            raise RawLoadError(f"{where}: a page is an object with the response object under `response`")
        status = page.get("http_status")
        if status is not None and (isinstance(status, bool) or not isinstance(status, int)):
            raise RawLoadError(f"{where}: http_status is {status!r}, not a number")
        try:
            # ASCII escapes: PostgreSQL checks them (a \u0000 is refused, and the error names this page).
            payload = json.dumps(page["response"], allow_nan=False, separators=(",", ":"))
        except ValueError as error:  # NaN or Infinity: JSON has no such numbers, nor does jsonb
            raise RawLoadError(f"{where}: the response cannot be stored as JSON: {error}") from None
        rows.append(
            (
                day.isoformat(),
                business_id,
                fetch_id,
                number,
                landed_at,
                source,
                complete,
                run_id,
                _text(where, page, "endpoint"),
                _text(where, page, "request_id"),
                status,
                _timestamp(where, page, "fetched_at"),
                landing_file,
                payload,
            )
        )
    return fetch_id, rows


def _text(where: Path | str, record: dict[str, Any], name: str) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RawLoadError(f"{where}: {name} is {value!r}, not a string")
    try:
        value.encode("utf-8")  # a lone surrogate (from a \ud800 escape) is not UTF-8
        storable = "\x00" not in value  # and PostgreSQL text cannot hold a NUL
    except UnicodeEncodeError:
        storable = False
    if not storable:
        raise RawLoadError(f"{where}: {name} {value!r} cannot be stored as PostgreSQL text")
    return value


def _required_text(where: Path, record: dict[str, Any], name: str) -> str:
    value = _text(where, record, name)
    if not value:
        raise RawLoadError(f"{where}: the header lacks {name}")
    return value


def _timestamp(where: Path | str, record: dict[str, Any], name: str) -> str | None:
    """An ISO-8601 timestamp with its offset, re-rendered so PostgreSQL reads exactly what Python read."""
    value = record.get(name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise RawLoadError(f"{where}: {name} {value!r} is not an ISO-8601 timestamp with a time zone")
    return moment.isoformat()
