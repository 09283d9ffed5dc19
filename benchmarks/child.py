"""One step of a day in its own process (so its peak memory is its own): `python -m benchmarks.child STEP DAY`.

- ingest: the raw assets materialised by Dagster for the day (the daily job's first steps);
- checks: every Great Expectations suite (raw and marts) on the day, as the Dagster checks run them;
- scores: the comment texts of DAY .. --last scored as the asset tiktok_comment_scores scores them (read, look up,
  score the new, write), then each day's texts scored again by the scorer alone, its models loaded; figures to --out.
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


def scores(first: date, last: date, out: str) -> None:
    import json
    import time
    from datetime import timedelta

    from assets.enrichment import score_day
    from assets.warehouse import Warehouse
    from tiktok_api import comment_scores
    from tiktok_api.settings import data_dir

    warehouse = Warehouse.from_env()
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    started = time.perf_counter()
    per_day = [score_day(warehouse, day) for day in days]
    asset_seconds = time.perf_counter() - started
    # the scorer alone, its models loaded by the pass above, over each day's distinct texts again
    texts = [text for day in days for text in comment_scores.landed_comment_texts(data_dir(), day)]
    started = time.perf_counter()
    for text in texts:
        comment_scores.score_text(text)
    scorer_seconds = time.perf_counter() - started
    figures = {
        "days": len(days),
        "texts_seen": sum(int(d["texts_seen"]) for d in per_day),
        "newly_scored": sum(int(d["newly_scored"]) for d in per_day),
        "asset_seconds": asset_seconds,
        "scorer_texts": len(texts),
        "scorer_seconds": scorer_seconds,
    }
    with open(out, "w") as handle:
        json.dump(figures, handle)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.child", description=__doc__)
    parser.add_argument("step", choices=["ingest", "checks", "scores"])
    parser.add_argument("day", type=date.fromisoformat)
    parser.add_argument("--url")
    parser.add_argument("--last", type=date.fromisoformat, help="scores: the last day (default DAY)")
    parser.add_argument("--out", help="scores: the JSON file of its figures")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.step == "ingest":
        ingest(args.day, args.url)
    elif args.step == "scores":
        scores(args.day, args.last or args.day, args.out)
    else:
        checks(args.day)


if __name__ == "__main__":
    main()
