"""Producing what the measured steps start from, in a child process: `python -m benchmarks.production PART ROOT SCALE`.

- history: the history workload's first days landed and built, without measuring: `history_7` holds 7 days
  (day 8 is measured later), `history` the days up to the two 30-day backfills that are measured later.
- memory: the state a full run of the day before leaves at 10x W (post snapshots landed, comments counted),
  so that the measured day is a steady day rather than the one-off first load of every comment.
"""

from __future__ import annotations

import os
import shutil
import sys
from datetime import date, timedelta
from pathlib import Path

from benchmarks import steps
from benchmarks.simulator import SimulatorProcess
from benchmarks.workload import Workload, workloads

BACKFILL_DAYS = 30


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
    before = m.first_day - timedelta(days=1)
    with SimulatorProcess.for_workload(m, before) as url:
        steps.land_plain(url, before, streams=("videos",))
    seed_comment_state(data_dir, before)
    shutil.rmtree(data_dir / "raw")  # the measured day's build then reads that day only
    print(f"memory: state of {before} seeded for {m.accounts} accounts", flush=True)


def seed_comment_state(data_dir: Path, day: date) -> None:
    """Every account's comment counts as of its snapshot of `day`: what fetching its comments then records."""
    from assets.ingestion import latest_videos_snapshot, locked_json
    from assets.landing import stream_dir

    for account_dir in (stream_dir(data_dir, "videos") / f"date={day.isoformat()}").glob("account=*"):
        business_id = account_dir.name.removeprefix("account=")
        snapshot = latest_videos_snapshot(data_dir, day, business_id) or []
        counts = {v["item_id"]: int(v.get("comments") or 0) for v in snapshot}
        # the layout of RawFetcher._state_path
        with locked_json(data_dir / "state" / "tiktok" / "comments" / f"{business_id}.json") as state:
            state["comment_counts"] = {item_id: n for item_id, n in counts.items() if n}


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
