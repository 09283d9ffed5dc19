"""Landing files straight from the simulator's world (tiktok_api/simulator/offline_fetch.py).

The world: seed 42, three demo accounts (a business account, a personal one, one under 100 followers) posting
0.01 a day (about 10, 7 and 2 posts), four days: small enough for a loopback fetch in seconds, large enough for
comment pages, reply pages and posts whose comments change from one day to the next.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tiktok_api import landing
from tiktok_api.client import TikTokClient
from tiktok_api.days import daily_run_time
from tiktok_api.ingestion import RawFetcher
from tiktok_api.secrets import Secret
from tiktok_api.simulator import Simulator, SimulatorServer
from tiktok_api.simulator.offline_fetch import land_days, standing_still, unlimited_client_limiter
from tiktok_api.tokens import MemoryTokenStore, TokenSet

SEED, ACCOUNTS, POSTS_PER_DAY = 42, 3, 0.01
DAYS = [date(2026, 11, 8) + timedelta(days=i) for i in range(4)]
# Legitimately different from one fetch to the next: identities, stamps, and what the calls cost (a live
# session's first call of a day may be refused with 40105 and refreshed; the offline one authorises first).
PER_FETCH = {"fetch_id", "landed_at", "run_id", "request_ids", "log_ids", "stats"}
PER_REQUEST = {"request_id", "log_id", "fetched_at"}


def simulator() -> Simulator:
    return Simulator(seed=SEED, accounts=ACCOUNTS, posts_per_day=POSTS_PER_DAY, now=daily_run_time(DAYS[0]).timestamp())


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def fetches(root: Path) -> dict[tuple[str, str, str], dict]:
    """Every landed fetch by (stream, day, account); one fetch each."""
    found = {}
    for stream in landing.STREAMS:
        for day in landing.landed_partitions(root, stream):
            for path in landing.partition_files(root, stream, day):
                fetch = landing.read_fetch(path)
                key = (stream, fetch["partition_date"], fetch["business_id"])
                assert key not in found, f"two fetches of {key}"
                found[key] = fetch
    return found


def test_two_runs_write_byte_identical_files(tmp_path: Path):
    land_days(simulator(), tmp_path / "a", DAYS)
    land_days(simulator(), tmp_path / "b", DAYS)
    first, second = files(tmp_path / "a"), files(tmp_path / "b")
    assert len([name for name in first if name.endswith(".json") and "/date=" in name]) == 3 * ACCOUNTS * len(DAYS)
    assert first == second


def test_a_day_does_not_depend_on_how_the_days_were_split_into_runs(tmp_path: Path):
    land_days(simulator(), tmp_path / "together", DAYS)
    land_days(simulator(), tmp_path / "apart", DAYS[:2])
    land_days(simulator(), tmp_path / "apart", DAYS[2:])  # a fresh simulator; the state folder carries over
    assert files(tmp_path / "together") == files(tmp_path / "apart")


def test_accounts_can_be_split_between_runs_with_the_same_files(tmp_path: Path):
    # how the benchmark generates its history in several processes: each account's days stay in one of them
    land_days(simulator(), tmp_path / "together", DAYS)
    ids = [a.business_id for a in simulator().world.accounts]
    land_days(simulator(), tmp_path / "split", DAYS, business_ids=ids[1:])
    land_days(simulator(), tmp_path / "split", DAYS, business_ids=ids[:1])
    assert files(tmp_path / "together") == files(tmp_path / "split")


def test_stamps_are_the_simulated_moment_of_the_daily_run(tmp_path: Path):
    land_days(simulator(), tmp_path, DAYS[:1])
    for fetch in fetches(tmp_path).values():
        assert datetime.fromisoformat(fetch["landed_at"]) == daily_run_time(DAYS[0])
        assert {page["fetched_at"] for page in fetch["pages"]} <= {daily_run_time(DAYS[0]).isoformat()}
        assert fetch["pages"] or fetch["stream"] == "comments", "only a comments fetch can need no call"
        assert len(fetch["fetch_id"]) == 12 and fetch["complete"] and fetch["source"] == "simulator"


def land_over_loopback(root: Path) -> None:
    """The real fetcher and client over real loopback HTTP, the clock of a real server set to each day's run.

    The server's clock stands still at the moment and its rate limits are lifted (`standing_still`), as for the
    offline fetch: with the clock stopped a limit would never clear, and a moving clock changes the answers.
    The tokens are the simulator's current ones with unknown expiry, as the live simulator session seeds them.
    """
    sim = simulator()
    with SimulatorServer(sim) as server, standing_still(sim):
        store = MemoryTokenStore(
            TokenSet(business_id, Secret(access), Secret(refresh), None, None)
            for business_id, (access, refresh) in sim.current_tokens.items()
        )
        with TikTokClient(
            server.base_url,
            store,
            client_id=sim.client_id,
            client_secret=Secret(sim.client_secret),
            rate_limiter=unlimited_client_limiter(),
            wall_clock=sim.clock.now,
            timeout=10.0,
        ) as client:
            fetcher = RawFetcher(
                client,
                root,
                source="simulator",
                run_id=uuid.uuid4().hex,
                api_now=lambda: datetime.fromtimestamp(sim.clock.now(), UTC),
            )
            for day in DAYS:
                sim.clock.set(now=daily_run_time(day).timestamp())
                for stream in landing.STREAMS:
                    for account in sim.world.accounts:
                        outcome = getattr(fetcher, f"fetch_{stream}")(account.business_id, day)
                        assert outcome.error is None and outcome.path, outcome


def without(mapping: dict, keys: set[str]) -> dict:
    return {k: v for k, v in mapping.items() if k not in keys}


def test_the_pages_are_what_the_real_fetcher_lands_over_loopback_http(tmp_path: Path):
    for root in (tmp_path / "offline", tmp_path / "live"):  # the benchmarks need each account's business category
        root.mkdir()
        lines = "".join(f"{account.business_id},,beauty\n" for account in simulator().world.accounts)
        (root / "accounts.csv").write_text(lines)
    land_days(simulator(), tmp_path / "offline", DAYS, streams=landing.STREAMS)  # mentions too, as a live run
    land_over_loopback(tmp_path / "live")
    offline, live = fetches(tmp_path / "offline"), fetches(tmp_path / "live")
    assert offline.keys() == live.keys()
    comment_pages = reply_pages = 0
    for key, mine in offline.items():
        theirs = live[key]
        assert list(mine) == list(theirs), f"{key}: the header's fields and their order"
        assert without(mine, PER_FETCH | {"pages"}) == without(theirs, PER_FETCH | {"pages"}), key
        assert mine["stats"]["records"] == theirs["stats"]["records"], key
        assert len(mine["pages"]) == len(theirs["pages"]), f"{key}: page count"
        for page, other in zip(mine["pages"], theirs["pages"], strict=True):
            assert without(page, PER_REQUEST | {"response"}) == without(other, PER_REQUEST | {"response"}), key
            # the body as sent, key order included, but for the request id in its envelope
            body, other_body = without(page["response"], {"request_id"}), without(other["response"], {"request_id"})
            assert json.dumps(body) == json.dumps(other_body), f"{key}: {page['params']}"
            comment_pages += page["endpoint"].endswith("/comment/list/")
            reply_pages += page["endpoint"].endswith("/reply/list/")
    assert comment_pages > len(DAYS) and reply_pages > 0, "the world exercises comment and reply paging"
    # the comment rule: later days fetch only the posts whose comment count changed
    first = {k[2]: len(v["videos_fetched"]) for k, v in offline.items() if k[0] == "comments" and k[1] == "2026-11-08"}
    later = [len(v["videos_fetched"]) for k, v in offline.items() if k[0] == "comments" and k[1] > "2026-11-08"]
    assert sum(first.values()) > 0 and max(later) < max(first.values())


def test_an_unknown_account_or_stream_is_refused(tmp_path: Path):
    with pytest.raises(ValueError, match="not accounts"):
        land_days(simulator(), tmp_path, DAYS, business_ids=["nobody"])
    with pytest.raises(ValueError, match="unknown streams"):
        land_days(simulator(), tmp_path, DAYS, streams=["posts"])


def test_write_fetch_takes_fixed_stamps_and_refuses_a_fetch_id_that_cannot_name_a_file(tmp_path: Path):
    moment = daily_run_time(DAYS[0])
    path = landing.write_fetch(tmp_path, "account", DAYS[0], "b1", {}, [], fetch_id="abc123", landed_at=moment)
    assert path.name == "20261111T000100000000Z_abc123.json"
    fetch = landing.read_fetch(path)
    assert fetch["fetch_id"] == "abc123" and fetch["landed_at"] == moment.isoformat()
    with pytest.raises(ValueError, match="cannot name a file"):
        landing.write_fetch(tmp_path, "account", DAYS[0], "b1", {}, [], fetch_id="../up")
