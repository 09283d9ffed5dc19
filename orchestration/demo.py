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

from assets.settings import data_dir
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
        totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        failures = 0
        for partition in partitions:
            simulator.clock.set(now=fetch_time(partition))
            started = time.monotonic()
            result = job.execute_in_process(
                partition_key=partition.isoformat(),
                instance=instance,
                raise_on_error=False,
                run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
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

    print("\nLanded (raw files under raw/tiktok/):")
    print(f"  {'stream':22} {'files':>6} {'records':>9} {'API calls':>10} {'MB':>8} {'retries':>8}")
    for stream, t in sorted(totals.items()):
        print(f"  {stream:22} {t['files']:>6} {t['records']:>9} {t['api_calls']:>10} "
              f"{t['bytes'] / 1e6:>8.1f} {t['retries']:>8}")  # fmt: skip
    print("\nOpen the Dagster UI over these runs with:  make ui   (then http://127.0.0.1:3000)")
    if failures:
        print(f"\n{failures} day(s) failed: see the runs in the UI.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
