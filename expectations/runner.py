"""Validate one partition of a dataset against its suite and publish the result to Data Docs.

    validate_raw("raw_tiktok_videos", date(2026, 11, 12), data_dir=Path(".../data"))
    validate_in_warehouse("fct_tiktok_video_daily", date(2026, 11, 12), warehouse_url, docs_dir=...)
    validate_frame("fct_tiktok_comments", frame, date(2026, 11, 12), docs_dir)  # tests, ad-hoc checks

Every suite is validated by GX's SQL engine inside a database, one partition at a time: the partition's SQL
is a query asset that GX materialises as a temporary table, and every metric is a query pushed down to it.
- marts: inside the warehouse, whichever it is; the warehouse resource hands over its SQLAlchemy URL
  (`assets.warehouse.Warehouse.validate_mart`: a read-only DuckDB file, or PostgreSQL, whose password never
  reaches GX's configuration);
- raw datasets: an in-memory DuckDB whose query reads the partition's landing files, with a memory limit (it
  spills to a temporary folder beyond it);
- a frame (`validate_frame`): loaded into a table of that in-memory DuckDB first.
All publish into one ephemeral GX context per docs_dir: results under `<docs_dir>/validations` (the last
HISTORY_LIMIT per suite), Data Docs under `<docs_dir>/data_docs/local_site`.
Why it is built this way: docs/decisions.md, "Quality checks: how the engines are used".
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import logging
import os
import shutil
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

# before GX is imported: no usage statistics leave the machine
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx  # noqa: E402
import pandas as pd  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from great_expectations.core.run_identifier import RunIdentifier  # noqa: E402
from great_expectations.data_context.types.base import (  # noqa: E402
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from great_expectations.data_context.types.resource_identifiers import (  # noqa: E402
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)
from great_expectations.datasource.fluent.interfaces import GxDatasourceWarning  # noqa: E402
from great_expectations.execution_engine import SqlAlchemyExecutionEngine  # noqa: E402
from great_expectations.metrics import BatchRowCount  # noqa: E402
from great_expectations.render.renderer.site_builder import SiteBuilder  # noqa: E402
from sqlalchemy.engine import URL  # noqa: E402

from expectations import custom  # noqa: E402,F401  (registers the custom expectations with GX)
from expectations.datasets import (  # noqa: E402,F401
    DATASETS,
    SUITES_DIR,
    get_dataset,
    partition_sql,
    suite_path,
)
from expectations.rules import RULES  # noqa: E402
from tiktok_api.secrets import password_forms, redact  # noqa: E402

logger = logging.getLogger(__name__)

HISTORY_LIMIT = 30
"""Validation results kept per suite (older ones and their Data Docs pages are deleted)."""
SAMPLE_SIZE = 10
"""Offending rows whose keys a result carries per expectation."""
SITE_NAME = "local_site"
SQL_DATASOURCE_NAME = "tiktok_warehouse"
"""Warehouse datasources are named `tiktok_warehouse_<n>` (n-th warehouse URL seen under a docs_dir)."""
SCRATCH_DATASOURCE_NAME = "tiktok_scratch"
"""The in-memory DuckDB that reads raw partitions (and frames): `tiktok_scratch_<n>`, one per docs_dir."""
SCRATCH_MEMORY_LIMIT = "500MB"
"""What the in-memory DuckDB may hold before it spills to a temporary folder (TIKTOK_QUALITY_DUCKDB_MEMORY_LIMIT)."""
_URL_VARIABLE = "TIKTOK_QUALITY_WAREHOUSE_URL_{}"
"""The GX config variable (in the context's runtime environment only) holding database n's full URL."""
_FRAME_TABLE = "partition_frame"
"""The table of the in-memory DuckDB a frame is loaded into (`validate_frame`)."""


# --- GX's SQL engine: buffer every result before its connection closes -------------------------------------------


def _execute_query_buffered(self: SqlAlchemyExecutionEngine, query: Any) -> Any:
    """`SqlAlchemyExecutionEngine.execute_query`, with a row-returning result buffered while its connection is open.

    Upstream cause (great_expectations 1.24, execution_engine/sqlalchemy_execution_engine.py): `execute_query`
    returns the cursor result after its `with self.get_connection()` block has closed the connection (returned it
    to the pool), and the caller fetches the rows only then. psycopg2 has fetched them already; duckdb-engine drops
    the rows not yet fetched when the connection closes, so on DuckDB every metric query comes back empty
    (`select count(*)` has no row) and every expectation fails with an IndexError. The same SQL run through
    SQLAlchemy directly returns its rows. GX reads every result whole (fetchall, fetchone, scalar, or fetchmany
    of a query it has limited), so buffering it (`freeze()()`: the rows, in memory, behind the same Result API)
    changes nothing else, on any database.
    """
    with self.get_connection() as connection:
        result = self._execute_query_with_recovery(connection, query)
        return result.freeze()() if result.returns_rows else result


# Applied once, when the runner (the only module that sets GX up) is imported.
SqlAlchemyExecutionEngine.execute_query = _execute_query_buffered  # type: ignore[method-assign]


_contexts: dict[Path, _Quality] = {}
_contexts_lock = threading.Lock()


@dataclass(frozen=True)
class ExpectationOutcome:
    """The result of one expectation of a suite on one partition."""

    rule_id: str
    severity: str  # "ERROR" | "WARN"
    runbook: str
    expectation_type: str
    description: str | None
    columns: tuple[str, ...]
    success: bool
    element_count: int
    unexpected_count: int
    sample_keys: tuple[dict[str, Any], ...]
    """Key columns (the dataset's) of up to SAMPLE_SIZE offending rows."""
    exception: str | None = None
    """Set when the expectation could not be evaluated (e.g. a missing column); it then counts as failed."""


@dataclass(frozen=True)
class SuiteResult:
    """The validation of one dataset partition: per expectation outcome plus where its Data Docs page is."""

    dataset: str
    suite_name: str
    partition: date
    success: bool
    row_count: int
    key_columns: tuple[str, ...]
    expectations: tuple[ExpectationOutcome, ...]
    docs_page: Path | None
    """The Data Docs page of this validation (None when docs were not built)."""
    docs_index: Path | None
    validated_at: datetime
    statistics: dict[str, Any] = field(default_factory=dict)

    @property
    def failures(self) -> tuple[ExpectationOutcome, ...]:
        return tuple(outcome for outcome in self.expectations if not outcome.success)

    @property
    def errors(self) -> tuple[ExpectationOutcome, ...]:
        """Failed expectations of ERROR severity: they block downstream."""
        return tuple(outcome for outcome in self.failures if outcome.severity == "ERROR")

    @property
    def warnings(self) -> tuple[ExpectationOutcome, ...]:
        return tuple(outcome for outcome in self.failures if outcome.severity == "WARN")

    @property
    def blocking(self) -> bool:
        return bool(self.errors)

    def for_rule(self, rule_id: str) -> tuple[ExpectationOutcome, ...]:
        return tuple(outcome for outcome in self.expectations if outcome.rule_id == rule_id)

    def failed_rules(self) -> dict[str, int]:
        """rule_id -> total unexpected rows, for the failed rules."""
        totals: dict[str, int] = {}
        for outcome in self.failures:
            totals[outcome.rule_id] = totals.get(outcome.rule_id, 0) + outcome.unexpected_count
        return totals

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form (for asset-check metadata, logs, reports)."""
        data = asdict(self)
        data["partition"] = self.partition.isoformat()
        data["validated_at"] = self.validated_at.isoformat()
        data["docs_page"] = str(self.docs_page) if self.docs_page else None
        data["docs_index"] = str(self.docs_index) if self.docs_index else None
        return json.loads(json.dumps(data, default=str))


# --- suites ---------------------------------------------------------------------------------------------------


@cache
def _suite_document(dataset: str) -> str:
    return suite_path(dataset).read_text(encoding="utf-8")


def load_suite(dataset: str) -> gx.ExpectationSuite:
    """The reviewed suite file of `dataset` as a GX ExpectationSuite (fails on any invalid expectation)."""
    document = json.loads(_suite_document(dataset))
    document.pop("id", None)
    expectations = document.get("expectations", [])
    suite = gx.ExpectationSuite(**document)
    # GX logs and drops an expectation it cannot build: a reviewed file must not lose one silently
    if len(suite.expectations) != len(expectations):
        raise ValueError(
            f"{suite_path(dataset)}: {len(expectations) - len(suite.expectations)} expectation(s) are invalid"
        )
    for expectation in suite.expectations:
        meta = expectation.meta or {}
        rule_id = meta.get("rule_id")
        if rule_id not in RULES:
            raise ValueError(f"{suite_path(dataset)}: {expectation.expectation_type} has unknown rule_id {rule_id!r}")
    return suite


# --- the GX context -------------------------------------------------------------------------------------------


def _site_config(docs_dir: Path) -> dict[str, Any]:
    return {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(docs_dir / "data_docs" / SITE_NAME),
        },
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }


def _context_config(docs_dir: Path) -> DataContextConfig:
    defaults = InMemoryStoreBackendDefaults()
    stores = dict(defaults.stores)
    stores[defaults.validation_results_store_name] = {
        "class_name": "ValidationResultsStore",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir / "validations")},
    }
    return DataContextConfig(
        store_backend_defaults=defaults,
        stores=stores,
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        data_docs_sites={SITE_NAME: _site_config(docs_dir)},
    )


@dataclass(frozen=True)
class _SqlSource:
    """A database's GX datasource, the forms of its password to keep out of anything written, and the lock that
    lets one validation at a time use it (its engine keeps one connection, closed after each validation)."""

    datasource: Any
    secrets: tuple[str, ...]
    lock: threading.Lock = field(default_factory=threading.Lock, compare=False)


@dataclass
class _Quality:
    """One GX context per docs_dir, with its suites, its SQL datasources and a reusable Data Docs site builder."""

    docs_dir: Path
    context: Any
    suites: dict[str, gx.ExpectationSuite]
    site_builder: Any  # kept: a new SiteBuilder recompiles every Jinja template (most of a docs build)
    runtime_environment: dict[str, str]
    """GX's config variables of this context (the databases' URLs): in memory only, never serialised."""
    sources: dict[str, _SqlSource] = field(default_factory=dict)
    """SQL datasources by full URL (reused across validations)."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    """Serialises changes to the context's datasources and assets."""
    suite_pages_built: bool = False


def _quality(docs_dir: Path) -> _Quality:
    docs_dir = Path(docs_dir).resolve()
    with _contexts_lock:
        quality = _contexts.get(docs_dir)
        if quality is None:
            docs_dir.mkdir(parents=True, exist_ok=True)
            # GX keeps (and reads its ${VAR} substitutions from) this very dict: database URLs are added later
            runtime_environment: dict[str, str] = {}
            context = gx.get_context(
                mode="ephemeral", project_config=_context_config(docs_dir), runtime_environment=runtime_environment
            )
            suites = {name: context.suites.add(load_suite(name)) for name in DATASETS}
            site_config = {key: value for key, value in _site_config(docs_dir).items() if key != "class_name"}
            site_builder = SiteBuilder(data_context=context, site_name=SITE_NAME, **site_config)
            quality = _Quality(docs_dir, context, suites, site_builder, runtime_environment)
            _contexts[docs_dir] = quality
        return quality


def get_context(docs_dir: Path) -> Any:
    """The (cached) ephemeral GX context publishing under `docs_dir`: every suite and, once used, a SQL datasource
    per database validated in (the warehouses, the in-memory DuckDB of raw partitions).

    Its validation results store is `<docs_dir>/validations`, its Data Docs site `<docs_dir>/data_docs/local_site`
    (so `get_context(docs_dir).build_data_docs()` rebuilds the whole site).
    """
    return _quality(docs_dir).context


@contextlib.contextmanager
def _docs_lock(docs_dir: Path) -> Iterator[None]:
    docs_dir.mkdir(parents=True, exist_ok=True)
    with (docs_dir / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- results --------------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A JSON-friendly scalar (dates as ISO text, numpy scalars as Python numbers, missing as None)."""
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() and value.tz is None else value.isoformat()
    if isinstance(value, datetime | date):
        return value.isoformat()
    with contextlib.suppress(TypeError, ValueError):
        if pd.isna(value):
            return None
    if hasattr(value, "item"):
        return value.item()
    return value


def _columns(kwargs: dict[str, Any]) -> tuple[str, ...]:
    if kwargs.get("column"):
        return (kwargs["column"],)
    if kwargs.get("column_A"):
        return (kwargs["column_A"], kwargs["column_B"])
    return tuple(kwargs.get("column_list") or ())


def _exception_message(info: Any) -> str | None:
    """The error that stopped an expectation: GX reports it flat or per metric that failed to resolve."""
    if not isinstance(info, dict):
        return None
    entries = [info] if "raised_exception" in info else [entry for entry in info.values() if isinstance(entry, dict)]
    messages = [str(entry.get("exception_message")) for entry in entries if entry.get("raised_exception")]
    return "; ".join(dict.fromkeys(messages)) or None


def _outcome(result: Any, key_columns: list[str]) -> ExpectationOutcome:
    config = result.expectation_config
    meta = config.meta or {}
    rule_id = meta.get("rule_id", "")
    rule = RULES.get(rule_id)
    details = result.result or {}
    rows = details.get("partial_unexpected_index_list")
    if rows is None and key_columns:
        # GX's SQL engine gives no index list for compound-column uniqueness; its offending values (the
        # expectation's columns) are the keys when those columns include every key column
        values = details.get("partial_unexpected_list") or []
        if all(isinstance(value, dict) and set(key_columns) <= set(value) for value in values):
            rows = values
    samples = []
    for row in (rows or [])[:SAMPLE_SIZE]:
        if isinstance(row, dict):
            samples.append({key: _plain(row.get(key)) for key in key_columns})
    return ExpectationOutcome(
        rule_id=rule_id,
        severity=meta.get("severity") or (rule.severity if rule else "ERROR"),
        runbook=meta.get("runbook") or (rule.runbook if rule else ""),
        expectation_type=config.type,
        description=config.description,
        columns=_columns(config.kwargs),
        success=bool(result.success),
        element_count=int(details.get("element_count") or 0),
        unexpected_count=int(details.get("unexpected_count") or 0),
        sample_keys=tuple(samples),
        exception=_exception_message(result.exception_info),
    )


def _local_path(url: str | None) -> Path | None:
    if not url:
        return None
    parsed = urlparse(url)
    return Path(unquote(parsed.path)) if parsed.scheme in ("file", "") else None


def _prune_history(context: Any, suite_name: str, keep: int) -> None:
    """Delete all but the newest `keep` stored validation results of `suite_name`."""
    store = context.validation_results_store
    keys = [
        key
        for key in store.list_keys()
        if isinstance(key, ValidationResultIdentifier) and key.expectation_suite_identifier.name == suite_name
    ]
    keys.sort(key=lambda key: key.run_id.run_time, reverse=True)
    for key in keys[keep:]:
        store.remove_key(key)
    suite_folder = Path(store.store_backend.full_base_directory) / suite_name
    if suite_folder.is_dir():  # the backend leaves the run folders behind
        for folder in sorted(suite_folder.glob("**/"), key=lambda path: len(path.parts), reverse=True):
            if folder != suite_folder and not any(folder.iterdir()):
                folder.rmdir()


def _publish(
    quality: _Quality, dataset: str, partition: date, result: Any, run_id: RunIdentifier, history: int
) -> Path | None:
    """Store the result, prune the suite's history to `history`, then rebuild its page and the index."""
    key = ValidationResultIdentifier(
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=dataset),
        run_id=run_id,
        batch_identifier=partition.isoformat(),
    )
    context = quality.context
    # the suites' pages once per process (the index links them all), then only the one validated
    suites = [dataset] if quality.suite_pages_built else list(quality.suites)
    with _docs_lock(quality.docs_dir):
        context.validation_results_store.set(key, result)
        _prune_history(context, dataset, history)
        # incremental: this result's page, the suite page(s), and the index (which drops pruned results' pages)
        quality.site_builder.build(resource_identifiers=[key, *map(ExpectationSuiteIdentifier, suites)])
    quality.suite_pages_built = True
    return _local_path(quality.site_builder.get_resource_url(resource_identifier=key, only_if_exists=False))


def docs_index_path(docs_dir: Path) -> Path:
    return Path(docs_dir).resolve() / "data_docs" / SITE_NAME / "index.html"


# --- validation ---------------------------------------------------------------------------------------------------


def _as_date(partition: date | str) -> date:
    if isinstance(partition, datetime):
        return partition.date()
    if isinstance(partition, date):
        return partition
    return date.fromisoformat(str(partition))


def _result_format(key_columns: list[str]) -> dict[str, Any]:
    result_format: dict[str, Any] = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_SIZE}
    if key_columns:
        result_format["unexpected_index_column_names"] = key_columns
    return result_format


def _conclude(
    quality: _Quality,
    dataset: str,
    partition: date,
    result: Any,
    key_columns: list[str],
    row_count: int,
    build_docs: bool,
    history: int,
) -> SuiteResult:
    """The SuiteResult of a GX suite validation result, published to Data Docs if asked."""
    spec = get_dataset(dataset)
    suite = quality.suites[spec.name]
    validated_at = datetime.now(UTC)
    # as a ValidationDefinition does, so Data Docs show the run (name = dataset and partition) and its time
    run_id = RunIdentifier(run_name=f"{spec.name}__{partition.isoformat()}", run_time=validated_at)
    result.meta["run_id"] = run_id
    result.meta["validation_time"] = validated_at
    result.meta["dataset"] = spec.name
    result.meta["partition"] = partition.isoformat()
    outcomes = tuple(_outcome(expectation_result, key_columns) for expectation_result in result.results)
    docs_page = _publish(quality, spec.name, partition, result, run_id, history) if build_docs else None
    index = docs_index_path(quality.docs_dir)
    return SuiteResult(
        dataset=spec.name,
        suite_name=suite.name,
        partition=partition,
        success=all(outcome.success for outcome in outcomes),
        row_count=row_count,
        key_columns=tuple(key_columns),
        expectations=outcomes,
        docs_page=docs_page,
        docs_index=index if index.exists() else None,
        validated_at=validated_at,
        statistics=dict(result.statistics),
    )


# --- GX's SQL engine, in a database ------------------------------------------------------------------------------


def _secrets(url: URL) -> tuple[str, ...]:
    """The forms in which the URL's password could appear in text (raw, URL-escaped, the full URL)."""
    password = str(url.password) if url.password else None
    return password_forms(password, url.render_as_string(hide_password=False))


class WarehouseValidationError(RuntimeError):
    """Validating in a warehouse failed; the message is the cause's, with the password masked."""


@contextlib.contextmanager
def _no_password_in_errors(secrets: tuple[str, ...]) -> Iterator[None]:
    """Re-raise an error whose message (or a cause's) shows the password as one that does not."""
    try:
        yield
    except Exception as error:
        chain, seen = [], error
        while seen is not None and len(chain) < 20:
            chain.append(seen)
            seen = seen.__cause__ or seen.__context__
        if secrets and any(secret in f"{link!r} {link}" for link in chain for secret in secrets):
            raise WarehouseValidationError(redact(f"{type(error).__name__}: {error}", secrets)) from None
        raise


def _sql_source(quality: _Quality, url: URL, name: str) -> _SqlSource:
    """The context's SQL datasource for `url` (created on first use as `<name>_<n>`, then reused).

    Its engine keeps at most one connection (so a temporary table is seen by every metric of a validation), which
    `_validate_query` closes after each validation.
    """
    full_url = url.render_as_string(hide_password=False)
    with quality.lock:
        source = quality.sources.get(full_url)
        if source is None:
            number = len(quality.sources) + 1
            variable = _URL_VARIABLE.format(number)
            quality.runtime_environment[variable] = full_url
            try:  # GX connects once here (and keeps nothing when that fails)
                with warnings.catch_warnings():
                    # the generic SQL datasource serves every database alike (GX suggests its Postgres subclass)
                    warnings.simplefilter("ignore", GxDatasourceWarning)
                    datasource = quality.context.data_sources.add_sql(
                        f"{name}_{number}",
                        connection_string="${" + variable + "}",
                        create_temp_table=True,
                        kwargs={"pool_size": 1, "max_overflow": 0},
                    )
                datasource.get_engine().dispose()  # the connection GX tested with
            except BaseException:
                del quality.runtime_environment[variable]
                raise
            source = _SqlSource(datasource, _secrets(url))
            quality.sources[full_url] = source
        return source


def _close_connections(datasource: Any) -> None:
    """Close the datasource's pooled connections: a DuckDB file is released for its writer, an in-memory DuckDB
    (and everything in it) goes, a PostgreSQL session ends (and its temporary tables with it)."""
    datasource.get_execution_engine().engine.dispose()
    datasource.get_engine().dispose()


def _temporary_table(batch: Any) -> str | None:
    """The name of the temporary table GX created for the batch (None if it made none)."""
    table = getattr(batch.data, "selectable", None)
    return table.name if isinstance(table, sa.Table) and table.name.startswith("gx_temp_") else None


def _on_temporary_table(batch: Any, statement: str) -> None:
    """Run `statement` ({table}: the batch's temporary table) in the batch's session, if there is such a table."""
    name = _temporary_table(batch)
    if name is not None:
        batch.data.execution_engine.execute_query_in_transaction(sa.text(statement.format(table=f'"{name}"')))


def _columns_of(batch: Any) -> list[str]:
    """The batch's column names: read from its temporary table directly (GX's `Batch.columns()` computes a metric
    that draws a progress bar on stderr whatever the context's settings), else through GX."""
    name = _temporary_table(batch)
    if name is None:
        return list(batch.columns())
    result = batch.data.execution_engine.execute_query(sa.text(f'select * from "{name}" limit 0'))
    return list(result.keys())


def _row_count(batch: Any, asset_name: str) -> int:
    """The batch's rows: counted on its temporary table directly (GX's BatchRowCount metric draws a progress bar
    on stderr whatever the context's settings), else through GX."""
    name = _temporary_table(batch)
    if name is not None:
        result = batch.data.execution_engine.execute_query(sa.text(f'select count(*) from "{name}"'))
        return int(result.scalar_one())
    row_count = batch.compute_metrics(BatchRowCount())
    if not isinstance(getattr(row_count, "value", None), int):
        raise RuntimeError(f"counting the rows of {asset_name} failed: {row_count}")
    return row_count.value


def _redact_result(result: Any, secrets: tuple[str, ...]) -> None:
    """Mask the password in the texts a validation result stores (errors, tracebacks, the batch's query)."""
    if not secrets:
        return
    for expectation_result in result.results:
        info = expectation_result.exception_info
        if info and redact(info, secrets) != info:
            expectation_result.exception_info = redact(info, secrets)
    for key in ("batch_spec", "active_batch_definition"):
        if key in result.meta and redact(result.meta[key], secrets) != result.meta[key]:
            result.meta[key] = redact(result.meta[key], secrets)


def _validate_query(
    quality: _Quality,
    dataset: str,
    partition: date,
    source: _SqlSource,
    sql: str,
    build_docs: bool,
    history: int,
    prepare: Callable[[sa.Connection], None] | None = None,
) -> SuiteResult:
    """Validate the rows of `sql` (one partition of `dataset`) in the database of `source` with GX's SQL engine.

    The SQL is a query asset `<dataset>__<partition>`, materialised by GX as a temporary table that every metric
    reads (the partition's joins or file reads run once); only counts and the sampled offending keys come back.
    The asset and the table are removed once validated, and the connection is closed. `prepare` runs first, on
    that same connection (e.g. to load the table the SQL reads).
    """
    spec = get_dataset(dataset)
    datasource = source.datasource
    asset_name = f"{spec.name}__{partition.isoformat()}"
    with source.lock:
        try:
            if prepare is not None:
                with datasource.get_execution_engine().engine.connect() as connection:
                    prepare(connection)
                    connection.commit()
            with quality.lock:
                # a query asset must start with SELECT: the SQL (which may start with WITH) as a subquery
                asset = datasource.add_query_asset(asset_name, query=f"select * from (\n{sql}\n) as partition_rows")
            try:
                with quality.lock:  # the batch: the partition as a temporary table (created in the database by GX)
                    batch = asset.add_batch_definition_whole_table("partition").get_batch()
                try:
                    _on_temporary_table(batch, "analyze {table}")  # statistics for the planner
                    columns = _columns_of(batch)
                    key_columns = [column for column in spec.key_columns if column in columns]
                    row_count = _row_count(batch, asset_name)
                    result = batch.validate(quality.suites[spec.name], result_format=_result_format(key_columns))
                finally:
                    _on_temporary_table(batch, "drop table if exists {table}")
            finally:
                with quality.lock, contextlib.suppress(LookupError):
                    datasource.delete_asset(asset_name)
        finally:
            _close_connections(datasource)
    _redact_result(result, source.secrets)
    return _conclude(quality, spec.name, partition, result, key_columns, row_count, build_docs, history)


def validate_in_warehouse(
    dataset: str,
    partition: date | str,
    url: URL,
    *,
    docs_dir: Path,
    build_docs: bool = True,
    history: int = HISTORY_LIMIT,
) -> SuiteResult:
    """Validate ONE partition of the mart `dataset` inside the warehouse at `url` (GX's SQL engine).

    `url` is the warehouse's SQLAlchemy URL, whichever the warehouse (`assets.warehouse.Warehouse.validate_mart`
    gives it: a DuckDB file opened read-only, or a PostgreSQL database). The partition's SQL is a query asset of
    the warehouse's datasource (one per URL and docs_dir, reused), materialised as a temporary table; row_count
    is the partition query's rows, sample_keys the dataset's key columns of up to SAMPLE_SIZE offending rows.
    """
    spec = get_dataset(dataset)
    if spec.layer != "mart":
        raise ValueError(f"{dataset} is read from landing files, not the warehouse: use validate_raw")
    partition = _as_date(partition)
    quality = _quality(Path(docs_dir))
    with _no_password_in_errors(_secrets(url)):
        source = _sql_source(quality, url, SQL_DATASOURCE_NAME)
        sql = partition_sql(spec.name, partition).strip()
        return _validate_query(quality, spec.name, partition, source, sql, build_docs, history)


# --- raw partitions and frames: an in-memory DuckDB ---------------------------------------------------------------


@cache
def _scratch_folder() -> Path:
    """This process's folder for what the in-memory DuckDB spills (removed when the process ends)."""
    folder = Path(tempfile.mkdtemp(prefix="tiktok-quality-duckdb-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def scratch_memory_limit() -> str:
    """What the in-memory DuckDB may hold before it spills: $TIKTOK_QUALITY_DUCKDB_MEMORY_LIMIT, else
    SCRATCH_MEMORY_LIMIT."""
    return os.environ.get("TIKTOK_QUALITY_DUCKDB_MEMORY_LIMIT") or SCRATCH_MEMORY_LIMIT


def _scratch(quality: _Quality) -> _SqlSource:
    """The in-memory DuckDB that reads raw partitions (DuckDB's read_json) and holds frames: bounded in memory,
    spilling to this process's temporary folder beyond the limit. Each validation gets a fresh database (the
    connection is closed after it)."""
    url = URL.create(
        "duckdb",
        database=":memory:tiktok_quality",  # named, so that its engine pools one connection like any other
        query={
            "memory_limit": scratch_memory_limit(),
            "temp_directory": str(_scratch_folder()),
            "preserve_insertion_order": "false",
        },
    )
    return _sql_source(quality, url, SCRATCH_DATASOURCE_NAME)


def validate_raw(
    dataset: str,
    partition: date | str,
    *,
    data_dir: Path,
    docs_dir: Path | None = None,
    build_docs: bool = True,
    history: int = HISTORY_LIMIT,
    account: str | None = None,
) -> SuiteResult:
    """Validate ONE partition of a raw `dataset`: its landing files under data_dir, read by an in-memory DuckDB
    (the dataset's SQL as the query asset) and validated there by GX's SQL engine, whichever warehouse the marts
    live in. docs_dir defaults to `<data_dir>/quality`. With `account`, only that account's files (to find which
    accounts a failed rule belongs to)."""
    spec = get_dataset(dataset)
    if spec.layer != "raw":
        raise ValueError(f"{dataset} is a mart: validate it where the marts live (assets.warehouse.Warehouse)")
    partition = _as_date(partition)
    quality = _quality(Path(docs_dir) if docs_dir is not None else Path(data_dir) / "quality")
    sql = partition_sql(spec.name, partition, Path(data_dir), account).strip()
    return _validate_query(quality, spec.name, partition, _scratch(quality), sql, build_docs, history)


def _date_columns(frame: pd.DataFrame) -> list[str]:
    """The frame's datetime columns that hold days only (tz-naive, midnight): DATE columns, as in the warehouse."""
    return [
        str(column)
        for column in frame.columns
        if pd.api.types.is_datetime64_dtype(frame[column].dtype)
        and bool((frame[column].dropna() == frame[column].dropna().dt.normalize()).all())
    ]


def validate_frame(
    dataset: str,
    frame: pd.DataFrame,
    partition: date | str,
    docs_dir: Path,
    *,
    build_docs: bool = True,
    history: int = HISTORY_LIMIT,
) -> SuiteResult:
    """Validate a frame holding one partition of `dataset` against the dataset's suite, the way partitions are
    validated: the frame becomes a table of the in-memory DuckDB (datetime columns holding days become DATE
    columns, missing values NULL), validated there by GX's SQL engine. For tests and ad-hoc checks.

    With `build_docs`, the result is stored under docs_dir (keeping the last `history` per suite) and its Data
    Docs page and the index are rebuilt.
    """
    spec = get_dataset(dataset)
    partition = _as_date(partition)
    quality = _quality(Path(docs_dir))
    days = _date_columns(frame)

    def load(connection: sa.Connection) -> None:
        duckdb_connection = connection.connection.driver_connection
        duckdb_connection.register("tiktok_frame", frame)
        try:
            replace = ", ".join(f'cast("{column}" as date) as "{column}"' for column in days)
            select = f"select * replace ({replace}) from tiktok_frame" if days else "select * from tiktok_frame"
            connection.exec_driver_sql(f"create or replace table {_FRAME_TABLE} as {select}")
        finally:
            duckdb_connection.unregister("tiktok_frame")

    sql = f"select * from {_FRAME_TABLE}"
    return _validate_query(quality, spec.name, partition, _scratch(quality), sql, build_docs, history, prepare=load)
