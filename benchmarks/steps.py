"""The measured steps: landing a day, dbt, the bare DuckDB scan, the checks; each timed, some in a child process.

A step run in a child process reports its peak resident memory: os.wait4 returns the child's rusage, whose
ru_maxrss covers the child and the processes it waited for (dbt's own child processes, for instance).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx

from benchmarks.workload import fetch_time

REPO_ROOT = Path(__file__).resolve().parent.parent
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}  # Dagster's run log stays quiet
DBT_PROJECT = REPO_ROOT / "dbt_project"
log = logging.getLogger("benchmarks")


@dataclass(frozen=True)
class StepResult:
    seconds: float
    peak_mb: float = 0.0


def run_child(args: list[str], env: dict[str, str] | None = None, quiet: bool = True) -> StepResult:
    """Run a command as a child process; its wall time and peak resident memory (MB)."""
    started = time.perf_counter()
    out = subprocess.DEVNULL if quiet else None
    process = subprocess.Popen(args, env={**os.environ, **(env or {})}, stdout=out, stderr=subprocess.PIPE)
    assert process.stderr is not None
    stderr = process.stderr.read()  # drained while it runs, so the child never blocks on a full pipe
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])} ... failed ({process.returncode}):\n{stderr.decode()[-3000:]}")
    return StepResult(seconds, usage.ru_maxrss / 1024)


# ---------------------------------------------------------------- the simulator's admin endpoints


def set_clock(url: str, day: date) -> None:
    httpx.post(f"{url}/_simulator/clock", json={"now": fetch_time(day)}, timeout=30).raise_for_status()


def reset_stats(url: str) -> None:
    httpx.delete(f"{url}/_simulator/stats", timeout=30).raise_for_status()


def data_calls(url: str) -> tuple[int, int]:
    """(HTTP calls on the data endpoints since the last reset, of which refused with 40105)."""
    stats = httpx.get(f"{url}/_simulator/stats", timeout=30).json()
    calls = sum(n for by_account in stats["calls"].values() for n in by_account.values())
    return calls, int(stats["codes"].get("40105", 0))


# ---------------------------------------------------------------- landing


def land_plain(
    url: str, day: date, streams: tuple[str, ...] = ("account", "videos", "comments"), *, set_time: bool = True
) -> float:
    """One day of every stream for every account through the fetcher, without Dagster, fetched at the day's own
    fetch time (as the daily run fetches it), or, with `set_time=False`, at the simulator's running clock (a
    backfill: the caller sets it once; setting it back for each day would replay the API's rate windows); seconds."""
    from assets.resources import TikTokSource

    if set_time:
        set_clock(url, day)
    started = time.perf_counter()
    with TikTokSource(simulator_url=url).open_session(log) as session:
        for stream in streams:
            fetch = getattr(session.fetcher, f"fetch_{stream}")
            outcomes = session.for_each_account(stream, lambda business_id, fetch=fetch: fetch(business_id, day))
            failed = [o for o in outcomes if o.error]
            if failed:
                raise RuntimeError(f"landing {stream} of {day} failed: {failed[0].error}")
    return time.perf_counter() - started


# ---------------------------------------------------------------- dbt


def dbt_window(first: date, last: date) -> dict[str, str]:
    """The partition window as the dbt asset passes it (end exclusive)."""
    return {"TIKTOK_DBT_MIN_DATE": first.isoformat(), "TIKTOK_DBT_MAX_DATE": (last + timedelta(days=1)).isoformat()}


def dbt(data_dir: Path, first: date, last: date, command: str = "build") -> StepResult:
    """`dbt build` (or `run`, or `test`) of a partition range as a plain child process, leaving out what the dbt
    asset leaves out (unit tests and SQL-logic tests)."""
    from assets.dbt import BUILD_EXCLUSIONS

    executable = str(Path(sys.executable).parent / "dbt")
    args = [
        executable, command, "--project-dir", str(DBT_PROJECT),
        "--profiles-dir", str(DBT_PROJECT), "--target-path", str(data_dir / "dbt_target"),
        "--log-path", str(data_dir / "dbt_logs"), "--quiet",
        *(BUILD_EXCLUSIONS if command != "run" else []),
    ]  # fmt: skip
    return run_child(args, env={"TIKTOK_DATA_DIR": str(data_dir), **dbt_window(first, last)})


def dbt_spark(data_dir: Path, master: str) -> StepResult:
    """`dbt build --target spark` of everything landed in `data_dir` (a first build: every model rebuilt whole), as
    the dbt asset would build it, on the Spark master `master`; a fresh Spark warehouse each time."""
    from assets.dbt import BUILD_EXCLUSIONS
    from benchmarks.spark_cluster import spark_environment

    shutil.rmtree(data_dir / "spark", ignore_errors=True)
    executable = str(Path(sys.executable).parent / "dbt")
    args = [
        executable, "build", "--target", "spark", "--project-dir", str(DBT_PROJECT),
        "--profiles-dir", str(DBT_PROJECT), "--target-path", str(data_dir / "dbt_target_spark"),
        "--log-path", str(data_dir / "dbt_logs"), "--quiet", *BUILD_EXCLUSIONS,
    ]  # fmt: skip
    env = {**spark_environment(), "TIKTOK_DATA_DIR": str(data_dir), "TIKTOK_SPARK_MASTER": master}
    return run_child(args, env=env)


def backfill_dagster(url: str, first: date, last: date, instance) -> float:  # noqa: ANN001 - a DagsterInstance
    """A backfill of the raw assets and the dbt asset over a partition range, launched as the UI launches it: ONE
    run (every asset's single-run backfill policy), in which the raw steps land the days one after another and
    dbt builds the range once; seconds. The simulator's clock follows the raw step to each day's fetch time."""
    import dagster as dg

    from assets.dbt import DBT_STEPS, dbt_cli
    from assets.raw import raw_assets
    from assets.resources import TikTokSource
    from assets.warehouse import Warehouse

    warehouse = Warehouse.from_env()
    set_clock(url, last)
    started = time.perf_counter()
    result = dg.materialize(
        [*raw_assets, *DBT_STEPS],
        instance=instance,
        tags={
            "dagster/asset_partition_range_start": first.isoformat(),
            "dagster/asset_partition_range_end": last.isoformat(),
        },
        resources={"tiktok": TikTokSource(simulator_url=url), "dbt": dbt_cli(warehouse), "warehouse": warehouse},
        raise_on_error=False,
        run_config=QUIET,
    )
    if not result.success:
        raise RuntimeError(f"Dagster backfill {first}..{last} failed")
    return time.perf_counter() - started


def dbt_node_times(data_dir: Path, target: str = "dbt_target") -> dict[str, float]:
    """Seconds per kind of dbt node in the last run (staging, mart, data test, unit test): the profile."""
    results = json.loads((data_dir / target / "run_results.json").read_text())["results"]
    kinds: dict[str, float] = {}
    for node in results:
        uid = node["unique_id"]
        kind = uid.split(".")[0]
        if kind == "model":
            kind = "staging model" if ".stg_" in uid else "mart model"
        kinds[kind] = kinds.get(kind, 0.0) + node["execution_time"]
    return kinds


# ---------------------------------------------------------------- the physical limit


def bare_scan(data_dir: Path) -> tuple[float, int]:
    """DuckDB's bare read_json of every raw file, parsed through to the pages: seconds, bytes read."""
    import duckdb

    root = data_dir / "raw" / "tiktok"
    files = list(root.glob("*/*/*/*.json"))
    size = sum(path.stat().st_size for path in files)
    started = time.perf_counter()
    with duckdb.connect(":memory:") as con:
        for stream in ("account", "videos", "comments"):
            pattern = str(root / stream / "*" / "*" / "*.json")
            # len(pages) makes DuckDB parse and convert every page (a count(*) alone could skip them)
            con.execute(f"select count(*), sum(len(pages)) from read_json('{pattern}', format='auto')").fetchall()
    return time.perf_counter() - started, size


# ---------------------------------------------------------------- a day's steps in child processes


def child(step: str, day: date, data_dir: Path, url: str | None = None) -> StepResult:
    """Run `python -m benchmarks.child <step>` for one day: its time and peak memory."""
    args = [sys.executable, "-m", "benchmarks.child", step, day.isoformat()]
    if url:
        args += ["--url", url]
    return run_child(args, env={"TIKTOK_DATA_DIR": str(data_dir)})


@dataclass(frozen=True)
class ScoringResult:
    """The comment scoring step over a range of days (benchmarks.child scores), in its own process."""

    step: StepResult
    days: int
    texts_seen: int  # distinct texts per day, summed
    newly_scored: int
    asset_seconds: float  # the asset's path: read the landed texts, look up, score the new ones, write
    scorer_texts: int  # each day's distinct texts, summed (a comment's text is scored once a day at most)
    scorer_seconds: float  # lingua and VADER alone on those, their models already loaded

    @property
    def scorer_per_second(self) -> float:
        return self.scorer_texts / self.scorer_seconds if self.scorer_seconds else 0.0

    @property
    def asset_per_second(self) -> float:
        return self.texts_seen / self.asset_seconds if self.asset_seconds else 0.0


def comment_scoring(data_dir: Path, first: date, last: date) -> ScoringResult:
    """Score the comment texts landed for first .. last into the data folder's DuckDB warehouse, as the asset
    tiktok_comment_scores does, then time the scorer alone over the same texts; the figures and the peak memory."""
    out = data_dir / "comment_scoring.json"
    args = [sys.executable, "-m", "benchmarks.child", "scores", first.isoformat(), "--last", last.isoformat()]
    step = run_child([*args, "--out", str(out)], env={"TIKTOK_DATA_DIR": str(data_dir)})
    return ScoringResult(step, **json.loads(out.read_text()))


def day_run(day: date, data_dir: Path, url: str) -> dict[str, StepResult]:
    """One day's full run, step by step, each in its own process: ingest, the dbt models, the dbt data tests, the
    Great Expectations checks (raw and marts)."""
    set_clock(url, day)
    return {
        "ingest": child("ingest", day, data_dir, url),
        "dbt": dbt(data_dir, day, day, "run"),
        "dbt tests": dbt(data_dir, day, day, "test"),
        "checks": child("checks", day, data_dir),
    }
