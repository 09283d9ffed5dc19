"""The daily run's landing files, computed in-process from a simulator's world: fast, offline, deterministic.

`land_days(simulator, data_dir, days)` writes, for each UTC day, the landing files the daily run writes when it
fetches that day at `tiktok_api.days.daily_run_time(day)`: the account, videos and comments streams of every
account, the same pages, each page's response body the bytes the HTTP API sends at that simulated moment. Two
runs with fresh simulators of the same world write byte-identical files. `python -m
tiktok_api.simulator.offline_fetch --help` does it from the command line.

What is real (the same code as the daily run):
- the API's answers: the simulator's own Starlette app, routes and handlers build and serialise every body
  (envelope, paging, short pages, cursors, repeated comments past 500, perishable fields);
- the fetch: `RawFetcher.fetch_account/fetch_videos/fetch_comments` over a real `TikTokClient` (parameters,
  paging until `has_more` is false, the 365-day paging horizon, inline replies and the reply endpoint, the
  comment rule: only posts whose comment count changed since their comments were last fetched, with its state
  kept per account under `$data_dir/state`, so a multi-day generation equals a daily run);
- the landing: `tiktok_api.landing.write_fetch` (layout, file names, atomic writes, bodies spliced verbatim).

What is a shortcut, and why:
- transport: httpx hands each request to the ASGI app in this process (`InProcessTransport`) instead of a
  socket; the body bytes are the app's, the same bytes uvicorn would send. Saves the loopback round trips.
- time: the simulator's clock stands still at the day's run time for the whole day (speed 0), so every page
  answers at the same simulated moment. A daily run against a running simulator sees its clock move during
  the fetch (x-expires of temporary URLs, metrics as of a few simulated minutes later); here nothing moves,
  which is what makes the output reproducible.
- rate limits: lifted on both sides for the generation (the server's windows and the client's pacing), since
  a standing clock would otherwise refuse the 11th call of a second forever. Rate limiting changes when calls
  are made, never what they answer.
- tokens: each account is authorised afresh at each day's moment (an auth code exchanged through the
  client's real token endpoint call) instead of carrying tokens and refreshing them: no grant expires over a
  long history, and no refused 40105 call enters the stats.
- stamps: `landed_at` is the simulated moment of the fetch, `fetch_id` and `run_id` are derived from (seed,
  day, stream, account), the pages' `fetched_at` is the simulated clock (a live run writes the wall clock),
  and the simulator's request counter restarts at a fixed value per account-day-stream, so request ids do
  not depend on what was generated before (`RawFetcher._stamps` is the hook).
- concurrency: accounts are fetched one after another (the daily run fetches them concurrently), so the
  order of calls, and with it every id, is fixed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tiktok_api import contract, landing
from tiktok_api.client import TikTokClient
from tiktok_api.days import daily_run_time
from tiktok_api.ingestion import RawFetcher, StreamOutcome
from tiktok_api.secrets import Secret
from tiktok_api.simulator.app import Simulator
from tiktok_api.simulator.world import hex_id
from tiktok_api.tokens import MemoryTokenStore

log = logging.getLogger("tiktok_api.simulator.offline_fetch")

STREAMS = landing.STREAMS  # account, videos, comments, mentions, mention_terms, benchmarks: the daily run's order
# What `land_days` lands unless asked: brand mentions (and their terms) are a separately approved product (and, at a
# thousand posts an account-day, would dominate the benchmark's data), so they are landed when asked for (`streams=`);
# so are the industry benchmarks, which need an accounts.csv in the data folder naming each account's category.
DEFAULT_STREAMS = ("account", "videos", "comments")
# Request ids hash a counter restarted per (account, stream) at a block of this order: fixed, so that the ids of
# the first three streams did not move when mentions were added.
_COUNTER_STREAMS = ("account", "videos", "comments")
REDIRECT_URI = "https://localhost/offline-fetch"
_COUNTER_BLOCK = 1 << 24  # request counter values reserved for one account, day and stream


class InProcessTransport(httpx.BaseTransport):
    """A synchronous httpx transport that hands each request to an ASGI app in this process.

    httpx's own ASGITransport is asynchronous only; this drives it on a private event loop, so a synchronous
    `TikTokClient` talks to the simulator's app without a socket. Not for use from several threads.
    """

    def __init__(self, app: Any) -> None:
        self._asgi = httpx.ASGITransport(app=app)
        self._loop = asyncio.new_event_loop()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def call() -> httpx.Response:
            response = await self._asgi.handle_async_request(request)
            body = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=body, request=request)

        return self._loop.run_until_complete(call())

    def close(self) -> None:
        self._loop.close()


class _NoServerLimits:
    """Stands in for the simulator's ServerRateLimits: every call is admitted."""

    def admit(self, business_id: str, endpoint: str, now: float) -> None:
        return None


class _NoClientLimits:
    """Stands in for the client's ClientRateLimiter: no call waits."""

    def acquire(self, business_id: str | None, endpoint: str) -> float:
        return 0.0


def unlimited_client_limiter() -> Any:
    """A client rate limiter that never waits (for a simulator whose limits are lifted and clock stands still)."""
    return _NoClientLimits()


@contextmanager
def standing_still(simulator: Simulator) -> Iterator[Simulator]:
    """The simulator with its clock stopped (speed 0) and its rate limits lifted; both restored afterwards.

    Also what a test uses to compare with a real `SimulatorServer` over loopback: the same frozen moment and no
    refusals, so the two answer alike.
    """
    with simulator.lock:
        limits, speed, now = simulator.limits, simulator.clock.speed, simulator.clock.now()
        simulator.limits = _NoServerLimits()  # type: ignore[assignment]
        simulator.clock.set(speed=0.0)
    try:
        yield simulator
    finally:
        with simulator.lock:
            simulator.limits = limits
            simulator.clock.set(now=now, speed=speed)


def fetch_id_for(seed: int, day: date, stream: str, business_id: str) -> str:
    """The fixed fetch id of one account's stream on one day: 12 hex digits, like a live fetch's."""
    return hex_id(seed, "offline-fetch", day.isoformat(), stream, business_id, length=12)


def run_id_for(seed: int, day: date) -> str:
    """The fixed run id of one day's generation: 32 hex digits, like a Dagster run id."""
    return hex_id(seed, "offline-run", day.isoformat(), length=32)


class _StampedFetcher(RawFetcher):
    """RawFetcher whose landing files carry fixed stamps: fetch_id from (seed, day, stream, account), landed_at
    the API's (frozen) clock, as every fetcher's."""

    def __init__(self, *args: Any, seed: int, day: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seed, self.day = seed, day

    def _stamps(self, outcome: StreamOutcome) -> dict[str, Any]:
        return {
            **super()._stamps(outcome),
            "fetch_id": fetch_id_for(self.seed, self.day, outcome.stream, outcome.business_id),
        }


@dataclass
class DayResult:
    """What one day's generation landed: the outcome of every account and stream, and the calls it took."""

    day: date
    outcomes: list[StreamOutcome] = field(default_factory=list)

    @property
    def api_calls(self) -> int:
        return sum(o.api_calls for o in self.outcomes)

    @property
    def bytes(self) -> int:
        return sum(o.bytes for o in self.outcomes)


def land_days(
    simulator: Simulator,
    data_dir: Path,
    days: Iterable[date],
    *,
    business_ids: Sequence[str] | None = None,
    streams: Sequence[str] = DEFAULT_STREAMS,
    tracked_ids: Sequence[str] = (),
) -> list[DayResult]:
    """Land each day's streams for every account (or `business_ids`) into `data_dir`, as the daily run would
    at `daily_run_time(day)`. Days are landed in the order given; the comment state under `data_dir/state`
    carries from one day to the next exactly as between daily runs. Raises if any fetch fails or is skipped.
    """
    data_dir = Path(data_dir)
    accounts = [a.business_id for a in simulator.world.accounts]
    wanted = list(business_ids) if business_ids is not None else accounts
    unknown = set(wanted) - set(accounts)
    if unknown:
        raise ValueError(f"not accounts of this simulator: {sorted(unknown)}")
    unknown_streams = set(streams) - set(STREAMS)
    if unknown_streams:
        raise ValueError(f"unknown streams {sorted(unknown_streams)}; expected some of {STREAMS}")
    results = []
    with (
        standing_still(simulator),
        TikTokClient(
            "http://simulator.invalid" + contract.API_PREFIX,
            MemoryTokenStore(),
            client_id=simulator.client_id,
            client_secret=Secret(simulator.client_secret),
            rate_limiter=unlimited_client_limiter(),
            max_attempts=1,  # nothing transient can happen in-process: a failure is a bug, shown at once
            wall_clock=simulator.clock.now,
            transport=InProcessTransport(simulator.app),
        ) as client,
    ):
        for day in days:
            moment = daily_run_time(day)
            simulator.clock.set(now=moment.timestamp())
            fetcher = _StampedFetcher(
                client,
                data_dir,
                source="simulator",
                run_id=run_id_for(simulator.seed, day),
                api_now=lambda: datetime.fromtimestamp(simulator.clock.now(), UTC),
                seed=simulator.seed,
                day=day,
            )
            result = DayResult(day)
            for business_id in wanted:
                _authorise(simulator, client, business_id)
            for stream in (s for s in STREAMS if s in streams):  # the daily run's order: comments need videos
                fetch = getattr(fetcher, f"fetch_{stream}")
                for business_id in wanted:
                    _restart_request_counter(simulator, stream, business_id)
                    takes_tracked = stream in ("videos", "comments")
                    outcome = fetch(business_id, day, tracked_ids) if takes_tracked else fetch(business_id, day)
                    if outcome.error or outcome.skipped or outcome.not_ready:
                        raise RuntimeError(
                            f"offline fetch of {stream} for {business_id} on {day} did not land: "
                            f"{outcome.error or outcome.skipped or outcome.not_ready}"
                        )
                    result.outcomes.append(outcome)
            log.info("landed %s: %d calls, %d bytes", day, result.api_calls, result.bytes)
            results.append(result)
    return results


def _authorise(simulator: Simulator, client: TikTokClient, business_id: str) -> None:
    """Fresh tokens for the account at the simulated moment, through the token endpoint (an auth code)."""
    client.exchange_auth_code(simulator.new_auth_code(business_id), REDIRECT_URI)


def _restart_request_counter(simulator: Simulator, stream: str, business_id: str) -> None:
    """Request ids hash the simulator's request counter: restart it at a value fixed by (account, stream), so
    that an account-day's ids do not depend on what was generated before it (request ids also carry the
    simulated second, which is the day's)."""
    index = simulator.world.by_id[business_id].index
    with simulator.lock:
        if stream in _COUNTER_STREAMS:
            block = index * len(_COUNTER_STREAMS) + _COUNTER_STREAMS.index(stream)
        else:  # streams added later count from far above the first three's blocks, in a range of their own each
            # (mentions keep the blocks they had when four streams existed)
            later = STREAMS.index(stream) - len(_COUNTER_STREAMS)
            block = (1 << 20) + index * 4 + 3 if later == 0 else ((1 + later) << 20) + index
        simulator._request_counter = block * _COUNTER_BLOCK


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tiktok_api.simulator.offline_fetch", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("data_dir", type=Path, help="the landing root (what TIKTOK_DATA_DIR names)")
    parser.add_argument("first_day", type=date.fromisoformat)
    parser.add_argument("days", type=int, help="how many consecutive UTC days")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--accounts", type=int, default=4)
    parser.add_argument("--posts-per-day", type=float, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    simulator = Simulator(seed=args.seed, accounts=args.accounts, posts_per_day=args.posts_per_day)
    land_days(simulator, args.data_dir, [args.first_day + timedelta(days=i) for i in range(args.days)])


if __name__ == "__main__":
    main()
