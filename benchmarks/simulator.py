"""The simulator in a process of its own, serving the benchmark's world: `python -m benchmarks.simulator`.

The benchmark measures the pipeline, not the simulator, so the simulator gets its own process (and core)
rather than a thread sharing the pipeline's interpreter lock. uvicorn runs in the process's main thread:
served from a background thread, loopback answers took 2-9 ms instead of 1 ms.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import socket
import subprocess
import sys
from datetime import date

import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from benchmarks.workload import Workload, fetch_time
from tiktok_api.simulator import Simulator
from tiktok_api.simulator.world import DAY


def benchmark_simulator(accounts: int, posts_per_day: float, created_at: float, now: float, speed: float,
                        seed: int = 42) -> Simulator:  # fmt: skip
    """The simulator's world with every posting account created at `created_at`, posting `posts_per_day`.

    So every account holds about posts_per_day x its age in posts (W: 200 posts, all within the 365-day
    metric horizon), instead of the demo accounts' mix of ages. Accounts without posts keep none.
    """
    simulator = Simulator(seed=seed, accounts=accounts, now=now, speed=speed, posts_per_day=posts_per_day)
    world = simulator.world
    world.accounts = [dataclasses.replace(a, created_at=created_at) for a in world.accounts]
    world.by_id = {a.business_id: a for a in world.accounts}
    return simulator


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.simulator", description=__doc__)
    parser.add_argument("--accounts", type=int, required=True)
    parser.add_argument("--posts-per-day", type=float, required=True)
    parser.add_argument("--created-at", type=float, required=True, help="epoch seconds")
    parser.add_argument("--now", type=float, required=True, help="simulated now, epoch seconds")
    parser.add_argument("--speed", type=float, default=600.0)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    simulator = benchmark_simulator(args.accounts, args.posts_per_day, args.created_at, args.now, args.speed, args.seed)
    simulator.app.router.routes.append(Route("/_bench/comment_counts", _comment_counts(simulator)))
    # Build every account's posts and follower history now, not inside the first (timed-out) admin call.
    for account in simulator.world.accounts:
        simulator.world.visible_posts(account, args.now)
        simulator.world.followers_now(account, args.now)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)  # connections wait in the backlog until uvicorn accepts them
    print(json.dumps({"url": f"http://127.0.0.1:{sock.getsockname()[1]}"}), flush=True)
    config = uvicorn.Config(simulator.app, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])  # exits on SIGTERM


def _comment_counts(simulator: Simulator):  # noqa: ANN202 - a Starlette endpoint
    """GET /_bench/comment_counts?now=<epoch>: every post's comment count in a snapshot taken at `now`.

    The benchmark's shortcut to the state a previous day's run leaves (comments fetched at these counts),
    served by the world itself instead of by fetching the previous day's snapshots page by page.
    """

    async def endpoint(request: Request) -> JSONResponse:
        now = float(request.query_params["now"])
        world = simulator.world
        counts = {}
        for account in world.accounts:
            as_of = now - world.post_metrics_lag(account)
            counts[account.business_id] = {
                post.item_id: post.metrics(as_of)["comments"] for post in world.visible_posts(account, now)
            }
        return JSONResponse(counts)

    return endpoint


class SimulatorProcess:
    """`with SimulatorProcess(...) as url:` a fresh simulator in a child process, stopped on exit."""

    def __init__(self, accounts: int, posts_per_day: float, created_at: float, now: float, speed: float = 600.0):
        self.args = [
            sys.executable, "-m", "benchmarks.simulator", "--accounts", str(accounts),
            "--posts-per-day", repr(posts_per_day), "--created-at", repr(created_at), "--now", repr(now),
            "--speed", repr(speed),
        ]  # fmt: skip
        self.process: subprocess.Popen[str] | None = None

    @classmethod
    def for_workload(cls, workload: Workload, day: date) -> SimulatorProcess:
        """A simulator of the workload's world, its clock at the day's fetch time."""
        return cls(workload.accounts, workload.posts_per_day, workload.created_at, fetch_time(day))

    def __enter__(self) -> str:
        self.process = subprocess.Popen(self.args, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the benchmark's simulator process did not start")
        return json.loads(line)["url"]

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)


__all__ = ["DAY", "SimulatorProcess", "benchmark_simulator"]

if __name__ == "__main__":
    main()
