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
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from assets.settings import data_dir, warehouse_path
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


def print_headlines(warehouse: Path) -> None:
    """A few headline numbers from the marts, read from the warehouse file."""
    import duckdb

    if not warehouse.exists():
        return
    with duckdb.connect(str(warehouse), read_only=True) as con:
        marts = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
        ).fetchall()]  # fmt: skip
        print(f"\nWarehouse: {warehouse}")
        for name in marts:
            rows = con.execute(f"select count(*) from marts.{name}").fetchall()[0][0]
            print(f"  marts.{name:40} {rows:>9} rows")
        if {"dim_tiktok_accounts", "fct_tiktok_account_daily"} <= set(marts):
            print("\nAccounts (latest day):")
            for row in con.execute(HEADLINE_SQL).fetchall():
                print("  @{:<14} {:>8} followers  {:>+6} net  {:>8} views  {:>6.2%} engagement rate".format(*row))


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
        job = defs.resolve_job_def("tiktok_raw_ingestion")
        quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
        totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        failures = 0
        for partition in partitions:
            simulator.clock.set(now=fetch_time(partition))
            started = time.monotonic()
            result = job.execute_in_process(
                partition_key=partition.isoformat(),
                instance=instance,
                raise_on_error=False,
                run_config=quiet,
            )
            line = []
            for event in result.get_asset_materialization_events():
                stream = event.asset_key.to_user_string()
                meta = {k: v.value for k, v in event.materialization.metadata.items()}
                for key in ("records", "api_calls", "bytes", "retries"):
                    totals[stream][key] += int(meta.get(key) or 0)
                totals[stream]["files"] += len(meta.get("files") or [])
                line.append(
                    f"{stream.removeprefix('raw_tiktok_')} {meta.get('records')} rec/{meta.get('api_calls')} calls"
                )
            status = "ok" if result.success else "FAILED"
            failures += not result.success
            print(f"  {partition}  {status:6}  {time.monotonic() - started:5.1f}s  " + ", ".join(line))

        # One dbt run over the whole range: the dbt assets' single-run backfill policy at work.
        started = time.monotonic()
        dbt_result = defs.resolve_job_def("tiktok_dbt").execute_in_process(
            instance=instance,
            raise_on_error=False,
            tags={
                "dagster/asset_partition_range_start": partitions[0].isoformat(),
                "dagster/asset_partition_range_end": partitions[-1].isoformat(),
            },
            run_config=quiet,
        )
        failures += not dbt_result.success
        status = "ok" if dbt_result.success else "FAILED"
        print(f"  dbt build {partitions[0]} .. {partitions[-1]}  {status}  {time.monotonic() - started:5.1f}s")

    print("\nLanded (raw files under raw/tiktok/):")
    print(f"  {'stream':22} {'files':>6} {'records':>9} {'API calls':>10} {'MB':>8} {'retries':>8}")
    for stream, t in sorted(totals.items()):
        print(f"  {stream:22} {t['files']:>6} {t['records']:>9} {t['api_calls']:>10} "
              f"{t['bytes'] / 1e6:>8.1f} {t['retries']:>8}")  # fmt: skip
    print_headlines(warehouse_path())
    print("\nOpen the Dagster UI over these runs with:  make ui   (then http://127.0.0.1:3000)")
    if failures:
        print(f"\n{failures} day(s) failed: see the runs in the UI.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
