"""What the measured steps start from, in a child process: `python -m benchmarks.production PART ROOT SCALE [POSTS]`.

- history: the history workload's first days generated and built, without measuring: `history_7` holds 7 days
  (day 8 is measured later), `history` the days up to the two 30-day backfills that are measured later. The
  days are not fetched but generated from the simulator's world by the offline fetch
  (tiktok_api/simulator/offline_fetch.py: the files the daily run lands, the bytes the API sends, computed in
  process), its accounts split over a few worker processes (each account's days stay in one worker, in order,
  so the files are the same however they are split): 305 days of W's accounts do not land over HTTP in the
  bench's time. What was generated, and what it cost, goes to HISTORY_RESULT for the runner to print.
- memory: one day at 10x W, each step in its own process, for its peak resident memory (a size, which other
  work on the machine does not change, so it is measured here, beside the rest of production). The state a
  full run of the day before leaves (every post's comments fetched at its snapshot's count) is seeded first,
  so that the day is a steady day rather than the one-off first load of every comment.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path

import httpx

from benchmarks import steps
from benchmarks.simulator import SimulatorProcess, benchmark_simulator
from benchmarks.workload import HISTORY_POSTS, Workload, fetch_time, workloads

BACKFILL_DAYS = 30
MEMORY_RESULT = "memory_result.json"
HISTORY_RESULT = "history_result.json"
GENERATION_WORKERS = 4  # processes; landing files are fsynced, so more than the 2 cores keep the CPUs busy


def _use(data_dir: Path) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["TIKTOK_DATA_DIR"] = str(data_dir)
    return data_dir


def generate(h: Workload, data_dir: Path, days: list[date], workers: int = GENERATION_WORKERS) -> tuple[int, int]:
    """The history's landing files of `days` for every account, generated offline: (data calls, bytes)."""
    parts = min(workers, h.accounts)
    context = multiprocessing.get_context("spawn")  # a fresh interpreter per worker: no forked threads or locks
    with ProcessPoolExecutor(max_workers=parts, mp_context=context) as pool:
        jobs = [pool.submit(_generate_part, h, data_dir, days, part, parts) for part in range(parts)]
        results = [job.result() for job in jobs]
    return sum(calls for calls, _ in results), sum(size for _, size in results)


def _generate_part(h: Workload, data_dir: Path, days: list[date], part: int, parts: int) -> tuple[int, int]:
    from tiktok_api.simulator.offline_fetch import land_days

    simulator = benchmark_simulator(h.accounts, h.posts_per_day, h.created_at, fetch_time(days[0]), 0.0)
    business_ids = [a.business_id for a in simulator.world.accounts][part::parts]
    results = land_days(simulator, data_dir, days, business_ids=business_ids)
    return sum(r.api_calls for r in results), sum(r.bytes for r in results)


def history(root: Path, h: Workload) -> None:
    days = h.dates
    first_week, middle = days[:7], days[7 : -1 - 2 * BACKFILL_DAYS]
    data_dir = _use(root / "history")
    started = time.perf_counter()
    calls, size = generate(h, data_dir, first_week)
    generate_seconds = time.perf_counter() - started
    week_dir = root / "history_7"
    shutil.copytree(data_dir, week_dir)
    steps.dbt(week_dir, first_week[0], first_week[-1], command="run")  # history: built, not tested again
    started = time.perf_counter()
    more_calls, more_size = generate(h, data_dir, middle)
    generate_seconds += time.perf_counter() - started
    build = steps.dbt(data_dir, first_week[0], middle[-1], command="run")
    files = sum(1 for _ in (data_dir / "raw").rglob("*.json"))
    result = {
        "first_day": first_week[0].isoformat(),
        "last_day": middle[-1].isoformat(),
        "days": len(first_week) + len(middle),
        "files": files,
        "bytes": size + more_size,
        "calls": calls + more_calls,
        "generate_seconds": generate_seconds,
        "workers": min(GENERATION_WORKERS, h.accounts),
        "dbt_seconds": build.seconds,
        "dbt_peak_mb": build.peak_mb,
    }
    (root / HISTORY_RESULT).write_text(json.dumps(result))
    print(f"history: {result['days']} days generated in {generate_seconds:.0f} s and built in {build.seconds:.0f} s",
          flush=True)  # fmt: skip


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
    history_posts = int(argv[3]) if len(argv) > 3 else HISTORY_POSTS
    loads = workloads(scale, history_posts)
    if part == "history":
        history(root, loads["history"])
    elif part == "memory":
        memory(root, loads["memory"])
    else:
        sys.exit(f"unknown part {part!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
