"""The thin runner: produce the workloads, run the measured steps, print the six figures.

Two phases. Production lands what the figures need and measures nothing but API calls, so its three parts
run side by side (W's 30 days here; the history's first 305 days and the memory day's seed in child
processes). Measurement then runs one step at a time, alone on the machine, in the order of the figures.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import economy, production, steps
from benchmarks.report import Figure, format_table, machine_lines, ratio
from benchmarks.simulator import SimulatorProcess, benchmark_simulator
from benchmarks.workload import HISTORY_POSTS, POSTS_PER_ACCOUNT, Workload, fetch_time, workloads

GOALS = {1: 3.0, 2: 1.2, 3: 1.1, 4: 1.5, 5: 1024.0, 6: 0.3}
BACKFILL_DAYS = 30


@dataclass
class Run:
    """What one benchmark run measured, for the table and the notes under it."""

    root: Path
    started: float = field(default_factory=time.perf_counter)
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def progress(self, message: str) -> None:
        print(f"[{time.perf_counter() - self.started:4.0f} s] {message}", flush=True)


def _use(data_dir: Path) -> Path:
    """Point the platform (and every child process) at this workload's data folder."""
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["TIKTOK_DATA_DIR"] = str(data_dir)
    os.environ.pop("TIKTOK_DUCKDB_PATH", None)
    return data_dir


def _day_text(results: dict[str, steps.StepResult]) -> str:
    return ", ".join(f"{name} {r.seconds:.1f} s" for name, r in results.items())


# ---------------------------------------------------------------- production


def land_w(run: Run, w: Workload) -> tuple[int, int]:
    """W's 30 days through the fetcher, one day at a time: (data calls, calls refused with 40105)."""
    _use(run.root / "W")
    measured = refused = 0
    with SimulatorProcess.for_workload(w, w.first_day) as url:
        for day in w.dates:
            steps.reset_stats(url)
            steps.land_plain(url, day)
            calls, rejected = steps.data_calls(url)
            measured += calls - rejected
            refused += rejected
    return measured, refused


def produce(run: Run, loads: dict[str, Workload], scale: float) -> tuple[int, int]:
    """W in this process, the history and the memory seed in child processes, all at once."""
    log = open(run.root / "production.log", "w")  # noqa: SIM115 - closed below, after the children
    history_posts = str(loads["history"].posts)
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "benchmarks.production", part, str(run.root), repr(scale), history_posts],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for part in ("history", "memory")
    ]
    calls = land_w(run, loads["W"])
    run.progress(f"W landed: {loads['W'].describe()}, {calls[0]} data calls")
    for child in children:
        if child.wait() != 0:
            log.close()
            raise RuntimeError(f"production failed: see {run.root / 'production.log'}")
    log.close()
    run.progress(f"history produced ({history_text(run, loads['history'])}); memory measured at 10x W")
    return calls


def history_text(run: Run, h: Workload) -> str:
    """What the history's production did, from its result file; a note under the table says it in full."""
    r = json.loads((run.root / production.HISTORY_RESULT).read_text())
    run.notes.append(
        f"History ({h.describe()}): days {r['first_day']} .. {r['last_day']} ({r['days']} days, {r['files']} files, "
        f"{r['bytes'] / 1e9:.2f} GB of API answers, {r['calls']} calls) were not fetched but generated from the "
        f"simulator's world by the offline fetch (tiktok_api/simulator/offline_fetch.py: the files the daily run "
        f"lands, the bytes the API sends at the run's simulated moment) in {r['generate_seconds']:.0f} s with "
        f"{r['workers']} worker processes, then built by one `dbt run` in {r['dbt_seconds']:.0f} s (peak "
        f"{r['dbt_peak_mb']:.0f} MB); the first 7 of them were also built alone for figure 2's day after 7 days. "
        f"Fetched through the real pipeline: day 8 (after 7 days), the two {BACKFILL_DAYS}-day backfills of "
        f"figure 4 and day {h.days} (after {h.days - 1} days). "
        + (
            f"Posts reduced to {h.posts} per account from W's {POSTS_PER_ACCOUNT}: at W's posts the history is "
            f"about {POSTS_PER_ACCOUNT / h.posts:.0f}x the bytes to generate and build (`python -m benchmarks "
            f"--history-posts {POSTS_PER_ACCOUNT}`)."
            if h.posts < POSTS_PER_ACCOUNT
            else "W's posts per account."
        )
    )
    return (
        f"{r['days']} days of {h.accounts} accounts x {h.posts} posts generated offline in "
        f"{r['generate_seconds']:.0f} s, built in {r['dbt_seconds']:.0f} s"
    )


# ---------------------------------------------------------------- figures 1 and 3: W


def api_economy(run: Run, w: Workload, measured: int, refused: int) -> None:
    """Figure 3: the calls made against the contract's minimum, from the same deterministic world."""
    world = benchmark_simulator(w.accounts, w.posts_per_day, w.created_at, fetch_time(w.first_day), 1.0).world
    minimum = naive = 0
    times = [fetch_time(day) for day in w.dates]
    for account in world.accounts:
        for i, posts in enumerate(economy.account_days(world, account, times)):
            minimum += economy.minimum_calls(posts, first_day=i == 0)
            naive += economy.naive_calls(posts)
    account_days = w.accounts * w.days
    run.figures.append(
        Figure(
            3,
            "API calls per account-day / contract minimum",
            ratio(measured, minimum),
            GOALS[3],
            detail=f"{measured / account_days:.1f} calls per account-day, minimum {minimum / account_days:.1f}; "
            f"a naive fetch makes {naive / account_days:.1f} ({ratio(naive, minimum):.2f}x the minimum); W",
        )
    )
    run.notes.append(
        f"Figure 3 leaves out {refused} calls refused with 40105: the simulator session gives the fetcher its "
        "tokens without their expiry, so each day's first call finds the 24 h token expired and refreshes; a "
        "real token store knows the expiry and refreshes first."
    )


def transform(run: Run, w: Workload) -> steps.StepResult:
    """Figure 1: one dbt build over W's raw files against DuckDB's bare scan of the same files."""
    data_dir = _use(run.root / "W")
    build = steps.dbt(data_dir, w.dates[0], w.dates[-1])
    kinds = steps.dbt_node_times(data_dir)
    scan, size = steps.bare_scan(data_dir)
    run.progress(f"W: dbt build {build.seconds:.0f} s, bare read_json scan {scan:.1f} s of {size / 1e6:.0f} MB")
    run.figures.append(
        Figure(
            1,
            "dbt build over W's raw files / bare DuckDB read_json scan",
            ratio(build.seconds, scan),
            GOALS[1],
            detail=f"dbt build {build.seconds:.1f} s, scan {scan:.1f} s of {size / 1e6:.0f} MB "
            f"({size / 1e6 / scan:.0f} MB/s); W, one dbt run over {w.days} days",
        )
    )
    run.notes.append(
        "Figure 1 profile, dbt seconds per node kind (summed over dbt's 2 threads): "
        + ", ".join(f"{kind} {seconds:.1f}" for kind, seconds in sorted(kinds.items(), key=lambda kv: -kv[1]))
    )
    return build


def comment_scoring(run: Run, w: Workload) -> None:
    """The comment sentiment and language step (issue 17) over W's days: a throughput line under the table."""
    result = steps.comment_scoring(_use(run.root / "W"), w.dates[0], w.dates[-1])
    run.progress(f"W: comment scoring {result.scorer_per_second:,.0f} comments/s, peak {result.step.peak_mb:.0f} MB")
    run.notes.append(
        f"Comment scoring (tiktok_comment_scores), W's {result.days} days: the scorer alone (lingua + VADER, models "
        f"loaded) {result.scorer_per_second:,.0f} comments/s over {result.scorer_texts:,} comment texts; the asset's "
        f"path (read the landed texts, skip those scored before, score, write; lingua's models load once, about "
        f"3 s) {result.asset_per_second:,.0f} texts/s, {result.newly_scored:,} of them new, in "
        f"{result.asset_seconds:.1f} s; peak {result.step.peak_mb:.0f} MB."
    )


def spark(run: Run, w: Workload, w_dbt: steps.StepResult) -> None:
    """Issue 19: W's build on Spark, in dbt's own process (local[2]) and on a two-worker standalone cluster, against
    DuckDB's (figure 1's build): lines under the table, no figure of the six."""
    from benchmarks.spark_cluster import SparkCluster

    data_dir = _use(run.root / "W")
    local = steps.dbt_spark(data_dir, "local[2]")
    run.progress(f"W: dbt build on Spark local[2] {local.seconds:.0f} s")
    cluster = SparkCluster(run.root / "spark_cluster")
    cluster.folder.mkdir()
    cluster.start()
    try:
        on_cluster = steps.dbt_spark(data_dir, cluster.master_url)
    finally:
        cluster.stop()
    run.progress(f"W: dbt build on a 2-worker Spark cluster {on_cluster.seconds:.0f} s")
    kinds = steps.dbt_node_times(data_dir, "dbt_target_spark")
    size = sum(path.stat().st_size for path in (data_dir / "raw").rglob("*.json"))
    run.notes.append(
        f"Spark (issue 19), W's {w.days} days ({size / 1e6:.0f} MB of raw JSON) built whole: DuckDB "
        f"{w_dbt.seconds:.1f} s; Spark local[2] {local.seconds:.1f} s ({ratio(local.seconds, w_dbt.seconds):.2f}x "
        f"DuckDB); a standalone cluster of two one-core workers {on_cluster.seconds:.1f} s "
        f"({ratio(on_cluster.seconds, w_dbt.seconds):.2f}x). The cluster's profile, seconds per node kind: "
        + ", ".join(f"{kind} {seconds:.1f}" for kind, seconds in sorted(kinds.items(), key=lambda kv: -kv[1]))
        + " (the hooks repair the raw tables; docs/benchmarks.md says where Spark wins)."
    )


# ---------------------------------------------------------------- figures 2, 4 and 6: the history


def history(run: Run, h: Workload) -> None:
    """Day 8 after 7 days; two consecutive 30-day backfills (plain, then Dagster); the day after 365 days."""
    import dagster as dg

    days = h.dates
    day_8, last_day = days[7], days[-1]
    dagster_days = days[-1 - BACKFILL_DAYS : -1]
    plain_days = days[-1 - 2 * BACKFILL_DAYS : -1 - BACKFILL_DAYS]
    week_dir = _use(run.root / "history_7")
    # A fresh simulator per stretch: its refresh tokens live 365 days, as TikTok's do.
    with SimulatorProcess.for_workload(h, day_8) as url:
        after_7 = steps.day_run(day_8, week_dir, url)
    run.progress(f"history: the day after 7 days: {_day_text(after_7)}")
    data_dir = _use(run.root / "history")
    with SimulatorProcess.for_workload(h, plain_days[0]) as url:
        # a backfill fetches the present: both sides land their 30 days at their last day's clock (account metrics
        # for every day; post snapshots only for the days the API still has, tiktok_api/ingestion.py)
        steps.set_clock(url, plain_days[-1])
        plain_fetch = sum(steps.land_plain(url, day, set_time=False) for day in plain_days)
        plain_dbt = steps.dbt(data_dir, plain_days[0], plain_days[-1]).seconds
        (run.root / "dagster").mkdir(exist_ok=True)
        (run.root / "dagster" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        instance = dg.DagsterInstance.local_temp(str(run.root / "dagster"))
        with open(run.root / "dagster_dbt.log", "w") as dbt_log, redirect_stdout(dbt_log):
            dagster_total = steps.backfill_dagster(url, dagster_days[0], dagster_days[-1], instance)
        plain_total = plain_fetch + plain_dbt
        run.progress(f"history: 30 days as a plain script {plain_total:.0f} s, through Dagster {dagster_total:.0f} s")
        after_365 = steps.day_run(last_day, data_dir, url)
    run.progress(f"history: the day after 365 days: {_day_text(after_365)}")
    total_7 = sum(s.seconds for s in after_7.values())
    total_365 = sum(s.seconds for s in after_365.values())
    run.figures.append(
        Figure(
            2,
            "one day's run after 365 days of history / after 7 days",
            ratio(total_365, total_7),
            GOALS[2],
            detail=f"{total_365:.1f} s ({_day_text(after_365)}) against {total_7:.1f} s ({_day_text(after_7)}); "
            f"{h.accounts} accounts x {h.posts} posts, history generated offline (see the notes)",
        )
    )
    per_partition = (dagster_total - plain_total) / BACKFILL_DAYS
    run.figures.append(
        Figure(
            4,
            "30-day backfill through Dagster / plain script",
            ratio(dagster_total, plain_total),
            GOALS[4],
            detail=f"Dagster {dagster_total:.1f} s (one run: raw assets day by day, then one dbt build), plain "
            f"{plain_total:.1f} s (fetch {plain_fetch:.1f}, dbt {plain_dbt:.1f}): {per_partition:.2f} s a partition; "
            f"{h.accounts} accounts x {h.posts} posts, {plain_days[0]} on",
        )
    )

    def checks_and_build(day: dict[str, steps.StepResult]) -> tuple[float, float]:
        # every check is counted: the GX suites and dbt's data tests; the build is dbt's models
        return day["checks"].seconds + day["dbt tests"].seconds, day["dbt"].seconds

    checks, build = checks_and_build(after_365)
    run.figures.append(
        Figure(
            6,
            "all checks of a day / that day's dbt build",
            ratio(checks, build),
            GOALS[6],
            detail=f"checks {checks:.1f} s (GX {after_365['checks'].seconds:.1f} s, dbt data tests "
            f"{after_365['dbt tests'].seconds:.1f} s), dbt models {build:.1f} s, the day after 365 days (after 7 "
            f"days: {ratio(*checks_and_build(after_7)):.2f}x)",
        )
    )


# ---------------------------------------------------------------- figure 5: memory at 10x


def memory(run: Run, m: Workload, w_dbt: steps.StepResult) -> None:
    """Figure 5, from the day at 10x W that production ran (each step in its own process)."""
    results = {
        step: steps.StepResult(**values)
        for step, values in json.loads((run.root / production.MEMORY_RESULT).read_text()).items()
    }
    run.figures.append(
        Figure(
            5,
            "peak resident memory of a step at 10x W",
            max(r.peak_mb for r in results.values()),
            GOALS[5],
            unit="MB",
            detail=", ".join(f"{name} {r.peak_mb:.0f} MB" for name, r in results.items())
            + f" (one day of {m.accounts} accounts x {m.posts} posts); W's 30-day dbt build {w_dbt.peak_mb:.0f} MB",
        )
    )


# ---------------------------------------------------------------- all of it


def main(scale: float, root: Path, history_posts: int = HISTORY_POSTS, spark_only: bool = False) -> int:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    run = Run(root)
    loads = workloads(scale, history_posts)
    print("\n".join(machine_lines()))
    print(f"scale {scale}: W = {loads['W'].describe()}; history: {loads['history'].describe()}; "
          f"memory: {loads['memory'].describe()}; data in {root}", flush=True)  # fmt: skip
    if spark_only:
        # `make bench SPARK=1`: W landed and built on DuckDB, then on Spark; none of the six figures' other parts
        land_w(run, loads["W"])
        spark(run, loads["W"], transform(run, loads["W"]))
        return _report(run)
    measured, refused = produce(run, loads, scale)
    w_dbt = transform(run, loads["W"])
    comment_scoring(run, loads["W"])
    api_economy(run, loads["W"], measured, refused)
    history(run, loads["history"])
    memory(run, loads["memory"], w_dbt)
    return _report(run)


def _report(run: Run) -> int:
    elapsed = time.perf_counter() - run.started
    print()
    print(format_table(run.figures))
    print()
    for note in run.notes:
        print(f"- {note}")
    print(f"\nTotal wall time: {elapsed:.0f} s ({elapsed / 60:.1f} min)")
    return 0
