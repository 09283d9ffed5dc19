"""`make demo`: the whole pipeline on the built-in simulator, day by day over the last 14 days.

The simulator's clock is walked forward so that each day is fetched when a real daily run would fetch
it (48 h after the day ends, the API's worst-case lag). Runs are recorded in the Dagster instance under
$TIKTOK_DATA_DIR/dagster, so `make ui` shows them afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from contextlib import redirect_stdout
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from assets.publish import read_marts
from assets.settings import Warehouse, data_dir, warehouse
from tiktok_api.simulator import FaultConfig, Simulator, SimulatorServer

DEMO_DAYS = 14


def demo_partitions(today: date, days: int = DEMO_DAYS) -> list[date]:
    """The last `days` days whose data the API has surely published by now (48 h after they end)."""
    last = today - timedelta(days=3)
    return [last - timedelta(days=i) for i in reversed(range(days))]


def fetch_time(partition: date) -> float:
    """When the daily run fetches a partition: 48 h after the day ends, plus a minute."""
    day_end = datetime(partition.year, partition.month, partition.day, tzinfo=UTC) + timedelta(days=1)
    return (day_end + timedelta(hours=48, minutes=1)).timestamp()


def prepare_dagster_home(home: Path) -> None:
    """The instance config (orchestration/dagster.yaml) goes where Dagster looks for it, once."""
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    if not target.exists():
        target.write_text((Path(__file__).parent / "dagster.yaml").read_text())


def print_headlines(chosen: Warehouse) -> None:
    """A few headline numbers from the marts, read from the warehouse (the DuckDB file or the server)."""
    if chosen.kind == "duckdb" and not (chosen.duckdb_path and chosen.duckdb_path.exists()):
        return
    tables = read_marts(
        chosen.location,
        {"marts": "select table_name from information_schema.tables where table_schema = 'marts' order by 1"},
    )["marts"]["table_name"].tolist()
    counts = read_marts(chosen.location, {name: f"select count(*) as n from marts.{name}" for name in tables})
    print(f"\nWarehouse: {chosen.describe()}")
    for name in tables:
        print(f"  marts.{name:40} {int(counts[name]['n'].iloc[0]):>9} rows")
    if {"dim_tiktok_accounts", "fct_tiktok_account_daily"} <= set(tables):
        print("\nAccounts (latest day):")
        for row in read_marts(chosen.location, {"headlines": HEADLINE_SQL})["headlines"].itertuples(index=False):
            print("  @{:<14} {:>8} followers  {:>+6} net  {:>8} views  {:>6.2%} engagement rate".format(*row))


def print_quality(root: Path, checks_run: int, failed: dict, held_back: int, tick: object) -> None:
    print(f"\nQuality: {checks_run} check evaluations, {sum(len(v) for v in failed.values())} failed.")
    for (asset, check), where in sorted(failed.items()):
        print(f"  FAILED {asset} / {check}: {len(where)} day(s), e.g. {where[0]}")
    if held_back:
        print(f"  Marts held back on {held_back} day(s): an ERROR check blocked them (see docs/runbook.md).")
    docs = root / "quality" / "data_docs" / "local_site" / "index.html"
    print(f"  Data Docs: {docs}")
    alerts = root / "alerts.jsonl"
    if os.environ.get("TIKTOK_ALERT_WEBHOOK_URL"):
        print("  Alerts: sent to the webhook in TIKTOK_ALERT_WEBHOOK_URL")
    else:
        count = len(alerts.read_text().splitlines()) if alerts.exists() else 0
        print(f"  Alerts: {count} in {alerts}")
    print(f"  Alert sensor: {getattr(tick, 'skip_message', tick)}")
    report = root / "reports" / "tiktok_report.html"
    if report.exists():
        print(f"\nReport: {report}")
        if warehouse().kind == "duckdb":
            print(f"BI copy of the marts (open read-only): {root / 'bi' / 'tiktok_marts.duckdb'}")
        else:
            print(f"BI reads schema marts on {warehouse().describe()}")


HEADLINE_SQL = """
    select a.username, d.followers_total, d.net_followers, d.video_views, coalesce(d.engagement_rate, 0)
    from marts.dim_tiktok_accounts as a
    join marts.fct_tiktok_account_daily as d using (business_id)
    where d.metric_date = (select max(metric_date) from marts.fct_tiktok_account_daily)
    order by d.followers_total desc
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=DEMO_DAYS)
    parser.add_argument("--accounts", type=int, default=4)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)

    root = data_dir()
    os.environ.setdefault("TIKTOK_DATA_DIR", str(root))
    os.environ.setdefault("DAGSTER_HOME", str(root / "dagster"))
    prepare_dagster_home(Path(os.environ["DAGSTER_HOME"]))
    faults = FaultConfig.parse(os.environ.get("TIKTOK_SIMULATOR_FAULTS"))
    partitions = demo_partitions(datetime.now(UTC).date(), args.days)
    simulator = Simulator(seed=args.seed, accounts=args.accounts, faults=faults,
                          now=fetch_time(partitions[0]), speed=60.0)  # fmt: skip

    with SimulatorServer(simulator) as server:
        os.environ["TIKTOK_SIMULATOR_URL"] = server.url
        # Imported only now: the code location reads its configuration from the environment.
        import dagster as dg

        from orchestration.definitions import defs

        print(f"TikTok demo: built-in simulator at {server.url} (synthetic data, seed {args.seed}), "
              f"{len(simulator.world.accounts)} accounts, {partitions[0]} .. {partitions[-1]}")  # fmt: skip
        print(f"Data folder: {root}")
        instance = dg.DagsterInstance.get()
        job = defs.resolve_job_def("tiktok_daily")
        quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
        totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        (root / "logs").mkdir(parents=True, exist_ok=True)
        dbt_log = open(root / "logs" / "demo_dbt.log", "a")  # noqa: SIM115 - open for the whole walk
        failed_checks: dict[tuple[str, str], list[str]] = defaultdict(list)
        checks_run = failures = held_back = 0
        print("  day         run     time   landed                                        marts    checks")
        for partition in partitions:
            simulator.clock.set(now=fetch_time(partition))
            started = time.monotonic()
            with redirect_stdout(dbt_log):  # dbt's own console output goes to the log file, not the screen
                result = job.execute_in_process(
                    partition_key=partition.isoformat(), instance=instance, raise_on_error=False, run_config=quiet
                )
            landed = []
            marts_built = False
            for event in result.get_asset_materialization_events():
                asset = event.asset_key.to_user_string()
                if not asset.startswith("raw_"):
                    marts_built = True
                    continue
                meta = {k: v.value for k, v in event.materialization.metadata.items()}
                for key in ("records", "api_calls", "bytes", "retries"):
                    totals[asset][key] += int(meta.get(key) or 0)
                totals[asset]["files"] += len(meta.get("files") or [])
                landed.append(f"{asset.removeprefix('raw_tiktok_')} {meta.get('records')}/{meta.get('api_calls')}")
            evaluations = result.get_asset_check_evaluations()
            checks_run += len(evaluations)
            for evaluation in evaluations:
                if not evaluation.passed:
                    key = (evaluation.asset_key.to_user_string(), evaluation.check_name)
                    failed_checks[key].append(f"{partition} {evaluation.severity.value}")
            failed_today = sum(not e.passed for e in evaluations)
            held_back += not marts_built
            failures += not result.success
            print(
                f"  {partition}  {'ok' if result.success else 'FAILED':6} {time.monotonic() - started:5.1f}s   "
                f"{', '.join(landed):45} {'built' if marts_built else 'HELD':8} "
                f"{len(evaluations) - failed_today} passed, {failed_today} failed"
            )
        dbt_log.close()
        # Whether every published day has landed (the real clock), then one tick of the alert sensor, as the
        # daemon under `make ui` would run them.
        freshness = defs.resolve_job_def("tiktok_freshness").execute_in_process(instance=instance, run_config=quiet)
        for evaluation in freshness.get_asset_check_evaluations():
            checks_run += 1
            if not evaluation.passed:
                failed_checks[(evaluation.asset_key.to_user_string(), evaluation.check_name)].append("now")
        from orchestration.sensors import quality_alert_sensor

        tick = quality_alert_sensor(dg.build_sensor_context(instance=instance))

    print("\nLanded (raw files under raw/tiktok/):")
    print(f"  {'stream':22} {'files':>6} {'records':>9} {'API calls':>10} {'MB':>8} {'retries':>8}")
    for stream, t in sorted(totals.items()):
        print(f"  {stream:22} {t['files']:>6} {t['records']:>9} {t['api_calls']:>10} "
              f"{t['bytes'] / 1e6:>8.1f} {t['retries']:>8}")  # fmt: skip
    print_headlines(warehouse())
    print_quality(root, checks_run, failed_checks, held_back, tick)
    print("\nOpen the Dagster UI over these runs with:  make ui   (then http://127.0.0.1:3000)")
    if failures:
        print(f"\n{failures} day(s) failed: see the runs in the UI.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
