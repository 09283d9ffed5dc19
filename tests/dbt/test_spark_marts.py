"""The same marts on Apache Spark, built on a real two-worker cluster, equal row for row to DuckDB's.

The simulator's days are landed once (the raw assets, over loopback HTTP) and built day by day on DuckDB by the dbt
assets, as the daily job does. Then a Spark standalone master and two workers start from the installed pyspark
(benchmarks/spark_cluster.py) and `dbt build --target spark` builds every model and runs every data test on the cluster,
reading the same landing files. A further day is then landed and built on both, on Spark incrementally: each model
rewrites only the day partitions its run touches (insert_overwrite, dbt_project/macros/incremental.sql). staged_at,
the time of the dbt run that staged a row, is the only column allowed to differ, and a double may differ in its last
bits (Spark adds a sum's terms in the order its tasks finish).
The guide's `make demo` on Spark then runs the daily job for one new day against the same cluster.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.dbt import DBT_EXECUTABLE, dbt_project
from assets.team_config import tiktok_team_config
from assets.warehouse import Warehouse, spark_table_query
from benchmarks.spark_cluster import SparkCluster, spark_environment
from tests.dbt.conftest import assert_same_rows, build_dbt, fetch_time, land, load_team_config, restored_environment
from tests.dbt.frozen import dbt_vars
from tests.dbt.test_marts import MARTS as ALL_MARTS
from tests.docs_blocks import REPO_ROOT, tagged
from tiktok_api.simulator import Simulator, SimulatorServer

FIRST_DAY = date(2026, 11, 12)
DAYS = 3
INCREMENTAL_DAY = FIRST_DAY + timedelta(days=DAYS)  # built on both after the first build, on Spark incrementally
MARTS = sorted(ALL_MARTS)
ENV_KEYS = ("TIKTOK_DATA_DIR", "TIKTOK_DUCKDB_PATH", "TIKTOK_WAREHOUSE", "TIKTOK_ANOMALY_MIN_HISTORY_DAYS")
SIGNIFICANT_DIGITS = 12
DOCUMENTED_BUILD = tagged("docs/deployment.md", "by tests/dbt/test_spark_marts.py", "--target spark")
DOCUMENTED_DEMO = tagged("docs/deployment.md", "by tests/dbt/test_spark_marts.py", "make demo")


@dataclass
class Built:
    data_dir: Path
    spark_warehouse: Path
    event_log: Path
    cluster: SparkCluster
    dbt: subprocess.CompletedProcess
    run_results: dict
    duckdb_test_results: dict  # the data tests on DuckDB over the same days as `dbt`'s
    folders_before_incremental: dict[str, dict[str, float]]  # a mart's day folders: their files' mtimes
    incremental: subprocess.CompletedProcess

    def duckdb_rows(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.data_dir / "warehouse.duckdb"), read_only=True) as con:
            con.execute("set timezone = 'UTC'")
            return con.execute(sql).fetchall()

    def spark_table(self, schema: str, table: str) -> str:
        """A Spark table's Parquet files, as the platform reads them through DuckDB."""
        return f"({spark_table_query(self.spark_warehouse / f'{schema}.db' / table)})"


def _day_folders(table: Path) -> dict[str, dict[str, float]]:
    return {day.name: {f.name: f.stat().st_mtime for f in day.iterdir()} for day in table.glob("*=*")}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    data_dir = tmp_path_factory.mktemp("tiktok_spark_data")
    spark_dir = tmp_path_factory.mktemp("spark")
    simulator = Simulator(seed=7, accounts=4, now=fetch_time(FIRST_DAY), speed=600.0)
    with restored_environment(ENV_KEYS), SimulatorServer(simulator) as server:
        os.environ.update(TIKTOK_DATA_DIR=str(data_dir), TIKTOK_WAREHOUSE="duckdb", TIKTOK_ANOMALY_MIN_HISTORY_DAYS="3")
        os.environ.pop("TIKTOK_DUCKDB_PATH", None)
        load_team_config(data_dir)
        ids = [account.business_id for account in simulator.world.accounts]
        categories = zip(ids, ("beauty", "beauty", "travel", ""), strict=True)
        lines = "".join(f"{business_id},,{category}\n" for business_id, category in categories)
        (data_dir / "accounts.csv").write_text("business_id,time_zone,business_category\n" + lines)
        resources = {"warehouse": Warehouse.from_env()}
        assert dg.materialize([tiktok_team_config], partition_key=FIRST_DAY.isoformat(), resources=resources).success
        for day in (FIRST_DAY + timedelta(days=i) for i in range(DAYS)):
            land(server, day)
            assert build_dbt(day).success, f"dbt build of {day} on DuckDB failed"

        spark_warehouse = data_dir / "spark" / "warehouse"
        # the team's files loaded by the same step into Spark's tables (Parquet files that dbt's hook declares)
        on_spark = {"warehouse": Warehouse.from_env({"TIKTOK_WAREHOUSE": "spark"})}
        assert dg.materialize([tiktok_team_config], partition_key=FIRST_DAY.isoformat(), resources=on_spark).success
        event_log = spark_dir / "events"
        event_log.mkdir()
        cluster = SparkCluster(spark_dir).start()
        try:
            target = spark_dir / "dbt_target"  # not the project's target, which the Dagster definitions read
            # the guide's block finds Java itself; the driver stays on loopback, as the test cluster does
            env = {
                **{key: value for key, value in os.environ.items() if key != "JAVA_HOME"},
                "SPARK_LOCAL_IP": spark_environment()["SPARK_LOCAL_IP"],
                "TIKTOK_SPARK_EVENT_LOG": str(event_log),
                "TIKTOK_SPARK_EXECUTOR_MEMORY": "768m",
                "DBT_TARGET_PATH": str(target),
            }
            # docs/deployment.md's command, with the cluster's master filled in
            script = DOCUMENTED_BUILD.text.replace("<spark_master>", cluster.master_url)
            proc = subprocess.run(["bash", "-e", "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True)
            run_results = json.loads((target / "run_results.json").read_text()) if proc.returncode == 0 else {}
            duckdb_test_results = _duckdb_data_tests(data_dir, spark_dir / "duckdb_tests")

            # one more day, built as the daily job builds it: on Spark, the partition window's run
            retention = spark_warehouse / "marts.db" / "fct_tiktok_video_retention"
            folders_before = _day_folders(retention)
            land(server, INCREMENTAL_DAY)
            assert build_dbt(INCREMENTAL_DAY).success, f"dbt build of {INCREMENTAL_DAY} on DuckDB failed"
            build_day = f"{script.rstrip()} --vars '{dbt_vars(INCREMENTAL_DAY)}' --target-path {spark_dir}/day_target"
            day_events = spark_dir / "day_events"  # the first build's event log stays alone in its folder
            day_events.mkdir()
            incremental = subprocess.run(
                ["bash", "-e", "-c", build_day], cwd=REPO_ROOT, env={**env, "TIKTOK_SPARK_EVENT_LOG": str(day_events)},
                capture_output=True, text=True,
            )  # fmt: skip
            yield Built(
                data_dir, spark_warehouse, event_log, cluster, proc, run_results, duckdb_test_results, folders_before,
                incremental,
            )  # fmt: skip
        finally:
            cluster.stop()


def _duckdb_data_tests(data_dir: Path, target: Path) -> dict:
    proc = subprocess.run(
        [DBT_EXECUTABLE, "test", "--exclude", "test_type:unit", "--profiles-dir", ".", "--target-path", str(target)],
        cwd=dbt_project.project_dir,
        env={**os.environ, "TIKTOK_DATA_DIR": str(data_dir), "TIKTOK_WAREHOUSE": "duckdb"},
        capture_output=True,
        text=True,
    )
    assert (target / "run_results.json").exists(), proc.stdout[-3000:]
    return json.loads((target / "run_results.json").read_text())


def test_every_model_builds_and_every_data_test_has_duckdbs_result_on_the_cluster(built: Built):
    assert built.dbt.returncode == 0, built.dbt.stdout[-4000:]
    results = built.run_results["results"]
    built_models = {r["unique_id"] for r in results if r["unique_id"].startswith("model.") and r["status"] == "success"}
    models = {unique_id for unique_id, node in _manifest()["nodes"].items() if node["resource_type"] == "model"}
    assert built_models == models
    on_spark = {r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith("test.")}
    # the same data tests over the same rows on DuckDB (a WARN rule may find rows: it must find them on both)
    duckdb_results = built.duckdb_test_results["results"]
    on_duckdb = {r["unique_id"]: r["status"] for r in duckdb_results if r["unique_id"].startswith("test.")}
    assert on_spark == on_duckdb
    assert set(on_spark.values()) <= {"pass", "warn"} and len(on_spark) > 100


def test_a_days_run_rewrites_only_the_day_partitions_it_touches(built: Built):
    """The further day's incremental run on the cluster: every model built and every data test of its window passed;
    a mart whose run brings only the new day's rows (a snapshot of each post's retention) gained that day's folder
    and left the earlier days' files as they were. The marts' rows are compared with DuckDB's below."""
    assert built.incremental.returncode == 0, built.incremental.stdout[-4000:]
    retention = built.spark_warehouse / "marts.db" / "fct_tiktok_video_retention"
    after = _day_folders(retention)
    before = built.folders_before_incremental
    assert before and all(before.values()), before
    assert {day: after[day] for day in before} == before, "the earlier days' files are untouched"
    assert set(after) - set(before) == {f"snapshot_date={INCREMENTAL_DAY.isoformat()}"}


def _manifest() -> dict:
    return json.loads((dbt_project.project_dir / "target" / "manifest.json").read_text())


def _comparable(value: object) -> object:
    if isinstance(value, float) and not math.isnan(value):
        return float(f"{value:.{SIGNIFICANT_DIGITS}g}")
    if isinstance(value, list):
        return tuple(map(_comparable, value))
    return value


@pytest.mark.parametrize("mart", MARTS)
def test_marts_are_equal_row_for_row_on_spark_and_duckdb(built: Built, mart: str):
    assert built.dbt.returncode == 0, "the Spark build failed: see the test above"
    columns = [name for (name,) in built.duckdb_rows(
        "select column_name from information_schema.columns "
        f"where table_schema = 'marts' and table_name = '{mart}' and column_name <> 'staged_at' "
        "order by ordinal_position"
    )]  # fmt: skip
    assert built.incremental.returncode == 0, "the incremental Spark build failed: see the test above"
    spark = built.spark_table("marts", mart)
    spark_columns = [name for (name, *_) in built.duckdb_rows(f"describe select * exclude (staged_at) from {spark}")]
    assert spark_columns == columns, "the same columns in the same order"
    select = ", ".join(columns)
    on_duckdb = (tuple(map(_comparable, row)) for row in built.duckdb_rows(f"select {select} from marts.{mart}"))
    on_spark = (tuple(map(_comparable, row)) for row in built.duckdb_rows(f"select {select} from {spark}"))
    assert_same_rows(mart, on_duckdb, on_spark, "Spark")


def test_the_spark_marts_have_spark_types_for_the_contracts(built: Built):
    """The contracts (enforced on Spark too) name text, double precision, timestamps and text[]: Spark writes its own
    types for them, which read back as the same types."""
    videos = built.spark_table("marts", "dim_tiktok_videos")
    types = {name: kind for (name, kind, *_) in built.duckdb_rows(f"describe select * from {videos}")}
    assert types["item_id"] == "VARCHAR", "a 19-digit id stays text"
    assert types["hashtags"] == "VARCHAR[]"
    assert types["engagement_rate"] == "DOUBLE"
    assert types["published_at"] == "TIMESTAMP WITH TIME ZONE", "an instant"
    rollup = built.spark_table("marts", "fct_tiktok_social_media_rollup")
    rollup_types = {name: kind for (name, kind, *_) in built.duckdb_rows(f"describe select * from {rollup}")}
    assert rollup_types["created_timestamp"] == "TIMESTAMP", "a UTC wall clock, as the Fivetran rollup's"


def _assert_ran_on_both_workers(log: Path, cluster: SparkCluster) -> None:
    """Each worker offers one core: the application's tasks ran in two executors, one started by each worker."""
    events = [json.loads(line) for line in log.read_text().splitlines()]
    executors_with_tasks = {
        event["Task Info"]["Executor ID"] for event in events if event["Event"] == "SparkListenerTaskEnd"
    }
    assert len(executors_with_tasks - {"driver"}) == 2, executors_with_tasks
    app_id = next(event["App ID"] for event in events if event["Event"] == "SparkListenerApplicationStart")
    for number in (1, 2):
        executors = list((cluster.folder / f"worker{number}" / app_id).iterdir())
        assert executors, f"worker {number} started no executor for {log.name}"


def test_the_build_ran_on_both_workers(built: Built):
    assert built.dbt.returncode == 0, "the Spark build failed: see the test above"
    (log,) = built.event_log.iterdir()
    _assert_ran_on_both_workers(log, built.cluster)


def test_make_demo_runs_the_daily_job_on_the_cluster(built: Built, tmp_path: Path):
    """docs/deployment.md's `make demo` on Spark, against the cluster: the daily job lands a day from the simulator,
    writes the team's tables, runs both dbt steps on the two workers, checks the marts with the GX suites, publishes
    the BI copy and prints the headlines; no step fails, no traceback."""
    data, events = tmp_path / "data", tmp_path / "events"
    events.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("TIKTOK_") and key != "JAVA_HOME"}
    env.update(
        TIKTOK_DATA_DIR=str(data),
        DAGSTER_HOME=str(data / "dagster"),
        DEMO_ARGS="--days 1 --accounts 2",  # one day: each dbt step is a Spark application of some minutes here
        TIKTOK_SPARK_EXECUTOR_MEMORY="768m",
        TIKTOK_SPARK_EVENT_LOG=str(events),
        SPARK_LOCAL_IP=spark_environment()["SPARK_LOCAL_IP"],
        DBT_TARGET_PATH=str(tmp_path / "dbt_target"),  # make's parse for Spark leaves the project's manifest alone
    )
    script = DOCUMENTED_DEMO.text.replace("<spark_master>", built.cluster.master_url)
    demo = subprocess.run(
        ["bash", "-e", "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=1800
    )
    out = demo.stdout + demo.stderr
    assert demo.returncode == 0, out[-4000:]
    assert "Traceback" not in out and "emitted no result" not in out, out[-4000:]
    (day,) = [line for line in demo.stdout.splitlines() if line.startswith("  20")]
    assert " ok " in day and " built " in day and ", 0 failed" in day, day
    assert f"Warehouse: spark:{built.cluster.master_url} {data / 'spark' / 'warehouse'}" in demo.stdout
    # every mart, the derived ones too (built once the GX checks of the marts they read passed)
    built_marts = {line.split()[0] for line in demo.stdout.splitlines() if line.startswith("  marts.")}
    assert built_marts == {f"marts.{mart}" for mart in MARTS}
    assert "followers" in demo.stdout and "Quality: " in demo.stdout and " 0 failed." in demo.stdout
    with duckdb.connect(str(data / "bi" / "tiktok_marts.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_tiktok_account_daily").fetchall()[0][0] > 0
    logs = sorted(events.iterdir())
    assert len(logs) == 2, "the two dbt steps, each one Spark application"
    for log in logs:
        _assert_ran_on_both_workers(log, built.cluster)
