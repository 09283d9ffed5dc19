"""`python -m benchmarks --scale 1.0`: run the benchmark and print its six figures (see docs/benchmarks.md)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from benchmarks.workload import HISTORY_POSTS, PARTITIONS_START
from tiktok_api.settings import load_env_file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies W's 20 accounts (default 1)")
    parser.add_argument(
        "--history-posts",
        type=int,
        default=HISTORY_POSTS,
        help=f"posts per account of the history workload (default {HISTORY_POSTS}; W has 200)",
    )
    parser.add_argument(
        "--spark", action="store_true", help="only W's build on DuckDB, on Spark local and on a 2-worker Spark cluster"
    )
    parser.add_argument("--out", type=Path, help="bench data folder (default $TIKTOK_DATA_DIR/bench), emptied first")
    args = parser.parse_args(argv)
    load_env_file()
    if args.scale <= 0:
        parser.error("--scale must be positive")
    if args.history_posts <= 0:
        parser.error("--history-posts must be positive")
    # Before Dagster loads: the history's partitions start in 2025, and the user's warehouse is never touched.
    os.environ["TIKTOK_START_DATE"] = PARTITIONS_START
    os.environ.pop("TIKTOK_SIMULATOR_FAULTS", None)
    os.environ["TIKTOK_WAREHOUSE"] = "duckdb"  # the figures are the embedded default's
    root = args.out or Path(os.environ.get("TIKTOK_DATA_DIR") or Path(__file__).resolve().parent.parent / "data")
    root = (root if args.out else root / "bench").resolve()
    from benchmarks import runner

    return runner.main(args.scale, root, args.history_posts, spark_only=args.spark)


if __name__ == "__main__":
    sys.exit(main())
