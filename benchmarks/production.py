"""Producing what the measured steps start from, in a child process: `python -m benchmarks.production PART ROOT SCALE`.

- history: the history workload's first days landed and built, without measuring: `history_7` holds 7 days
  (day 8 is measured later), `history` the days up to the two 30-day backfills that are measured later.
- memory: one day at 10x W, each step in its own process, for its peak resident memory (a size, which other
  work on the machine does not change, so it is measured here, beside the rest of production). The state a
  full run of the day before leaves (every post's comments fetched at its snapshot's count) is seeded first,
  so that the day is a steady day rather than the one-off first load of every comment.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path

import httpx

from benchmarks import steps
from benchmarks.simulator import SimulatorProcess
from benchmarks.workload import Workload, fetch_time, workloads

BACKFILL_DAYS = 30
MEMORY_RESULT = "memory_result.json"


def _use(data_dir: Path) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["TIKTOK_DATA_DIR"] = str(data_dir)
    return data_dir


def history(root: Path, h: Workload) -> None:
    days = h.dates
    first_week, middle = days[:7], days[7 : -1 - 2 * BACKFILL_DAYS]
    data_dir = _use(root / "history")
    with SimulatorProcess.for_workload(h, h.first_day) as url:
        for day in first_week:
            steps.land_plain(url, day)
        week_dir = root / "history_7"
        shutil.copytree(data_dir, week_dir)
        steps.dbt(week_dir, first_week[0], first_week[-1], command="run")  # history: built, not tested again
        for day in middle:
            steps.land_plain(url, day)
    steps.dbt(data_dir, first_week[0], middle[-1], command="run")
    print(f"history: {len(first_week) + len(middle)} days landed and built", flush=True)


def memory(root: Path, m: Workload) -> None:
    data_dir = _use(root / "memory")
    with SimulatorProcess.for_workload(m, m.first_day) as url:
        seed_comment_state(data_dir, url, fetch_time(m.first_day - timedelta(days=1)))
        print(f"memory: state seeded for {m.accounts} accounts", flush=True)
        results = steps.day_run(m.first_day, data_dir, url)
    (root / MEMORY_RESULT).write_text(json.dumps({step: asdict(r) for step, r in results.items()}))


def seed_comment_state(data_dir: Path, url: str, previous_fetch: float) -> None:
    """Every account's comments as fetched by the previous day's run: at the counts of its snapshot."""
    from tiktok_api.files import locked_json

    counts = httpx.get(f"{url}/_bench/comment_counts", params={"now": previous_fetch}, timeout=600).json()
    for business_id, posts in counts.items():
        # the layout of RawFetcher._state_path
        with locked_json(data_dir / "state" / "tiktok" / "comments" / f"{business_id}.json") as state:
            state["comment_counts"] = {item_id: n for item_id, n in posts.items() if n}


def main(argv: list[str]) -> None:
    part, root, scale = argv[0], Path(argv[1]), float(argv[2])
    loads = workloads(scale)
    if part == "history":
        history(root, loads["history"])
    elif part == "memory":
        memory(root, loads["memory"])
    else:
        sys.exit(f"unknown part {part!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
