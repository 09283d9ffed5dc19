"""One step of a day in its own process (so its peak memory is its own): `python -m benchmarks.child STEP DAY`.

- ingest: the raw assets materialised by Dagster for the day (the daily job's first steps);
- checks: every Great Expectations suite (raw and marts) on the day, as the Dagster checks run them.
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date

from benchmarks.steps import QUIET


def ingest(day: date, url: str) -> None:
    import dagster as dg

    from assets.raw import raw_assets
    from assets.resources import TikTokSource

    result = dg.materialize(
        raw_assets,
        partition_key=day.isoformat(),
        resources={"tiktok": TikTokSource(simulator_url=url)},
        raise_on_error=False,
        run_config=QUIET,
    )
    if not result.success:
        sys.exit(f"ingest of {day} failed")


def checks(day: date) -> None:
    from assets.warehouse import Warehouse
    from expectations.datasets import DATASETS, get_dataset
    from expectations.runner import validate_raw
    from tiktok_api.settings import data_dir

    warehouse = Warehouse.from_env()
    for dataset in DATASETS:
        if get_dataset(dataset).layer == "raw":
            validate_raw(dataset, day, data_dir=data_dir())
        else:
            warehouse.validate_mart(dataset, day)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.child", description=__doc__)
    parser.add_argument("step", choices=["ingest", "checks"])
    parser.add_argument("day", type=date.fromisoformat)
    parser.add_argument("--url")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.step == "ingest":
        ingest(args.day, args.url)
    else:
        checks(args.day)


if __name__ == "__main__":
    main()
