"""The TikTok source as a Dagster resource: the real API when credentials are configured, else the simulator."""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import httpx
from pydantic import Field

from tiktok_api import contract
from tiktok_api.client import TikTokClient
from tiktok_api.ingestion import RawFetcher, StreamOutcome
from tiktok_api.ratelimit import ClientRateLimiter, scaled_time
from tiktok_api.secrets import Secret
from tiktok_api.settings import data_dir
from tiktok_api.simulator import FaultConfig, Simulator, SimulatorServer
from tiktok_api.tokens import FileTokenStore, TokenSet


@dataclass
class TikTokSession:
    """What an asset needs for one run: a client, the accounts, and the API's clock."""

    fetcher: RawFetcher
    business_ids: list[str]
    source: str  # "simulator" or "tiktok"
    api_now: Callable[[], datetime]
    max_workers: int

    def for_each_account(
        self,
        stream: str,
        fetch: Callable[[str], StreamOutcome],
        on_done: Callable[[StreamOutcome, float], None] | None = None,
    ) -> list[StreamOutcome]:
        """Fetch one stream for every account concurrently: the API's rate limits, not network latency, bound
        a run. One account failing never stops the others: its outcome carries the error instead.

        `on_done(outcome, seconds)` is called as each account finishes, in the calling thread (where a Dagster
        context may log), with the seconds its fetch took. Outcomes are returned in the order of the accounts.
        """

        def guarded(business_id: str) -> tuple[StreamOutcome, float]:
            started = time.monotonic()
            try:
                outcome = fetch(business_id)
            except Exception as error:  # noqa: BLE001 - reported per account, the others go on
                outcome = StreamOutcome(business_id, stream, error=f"{type(error).__name__}: {error}")
            return outcome, time.monotonic() - started

        with ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="tiktok-account") as pool:
            futures = {pool.submit(guarded, business_id): i for i, business_id in enumerate(self.business_ids)}
            outcomes: dict[int, StreamOutcome] = {}
            for future in as_completed(futures):
                outcome, seconds = future.result()
                outcomes[futures[future]] = outcome
                if on_done is not None:
                    on_done(outcome, seconds)
        return [outcomes[i] for i in range(len(self.business_ids))]


class TikTokSource(dg.ConfigurableResource):
    """The TikTok Accounts API, or the built-in simulator when no credentials are configured.

    Accounts: every account in the token store (TIKTOK_TOKEN_STORE), or the comma-separated business_ids
    in TIKTOK_ACCOUNTS. With the simulator, its demo accounts.
    """

    client_id: str | None = Field(default=None, description="TIKTOK_CLIENT_ID: the app's client key.")
    client_secret: str | None = Field(default=None, description="TIKTOK_CLIENT_SECRET.")
    api_base_url: str = Field(default=contract.REAL_BASE_URL, description="TIKTOK_API_BASE_URL.")
    token_store: str | None = Field(
        default=None,
        description="TIKTOK_TOKEN_STORE: the 0600 JSON file of tokens (default in the data dir).",
    )
    accounts: str | None = Field(default=None, description="TIKTOK_ACCOUNTS: business_ids to ingest, comma-separated.")
    simulator_url: str | None = Field(
        default=None, description="TIKTOK_SIMULATOR_URL: use this running simulator instead of starting one."
    )
    simulator_seed: int = 42
    simulator_accounts: int = 4
    simulator_speed: float = Field(
        default=60.0, description="Simulated seconds per real second: rate-limit waits take seconds."
    )
    max_concurrent_accounts: int = 8
    request_timeout: float = 30.0

    @property
    def uses_simulator(self) -> bool:
        return not self.client_id

    @contextmanager
    def open_session(
        self, log: logging.Logger | dg.DagsterLogManager, run_id: str | None = None
    ) -> Iterator[TikTokSession]:
        run_id = run_id or uuid.uuid4().hex
        if not self.uses_simulator:
            yield from self._real_session(log, run_id)
        elif self.simulator_url:
            log.info(f"No TikTok credentials configured: using the simulator at {self.simulator_url}.")
            yield from self._simulator_session(self.simulator_url, run_id)
        else:
            simulator = Simulator(
                seed=self.simulator_seed,
                accounts=self.simulator_accounts,
                faults=FaultConfig.parse(os.environ.get("TIKTOK_SIMULATOR_FAULTS")),
                speed=self.simulator_speed,
            )
            with SimulatorServer(simulator) as server:
                log.info(
                    "No TikTok credentials configured (TIKTOK_CLIENT_ID is not set): fetching from the built-in "
                    f"simulator, started for this run at {server.url}. Its data is synthetic."
                )
                yield from self._simulator_session(server.url, run_id)

    def _real_session(self, log, run_id: str) -> Iterator[TikTokSession]:
        store = FileTokenStore(Path(self.token_store or data_dir() / "secrets" / "tokens.json"))
        business_ids = [a.strip() for a in (self.accounts or "").split(",") if a.strip()] or store.business_ids()
        if not business_ids:
            raise dg.Failure(
                "TIKTOK_CLIENT_ID is set but no account is authorised: run "
                "`python -m tiktok_api.authorize --auth-code CODE --redirect-uri URI` for each account."
            )
        log.info(f"Fetching from the TikTok API at {self.api_base_url} for {len(business_ids)} account(s).")
        with TikTokClient(
            self.api_base_url,
            store,
            client_id=self.client_id,
            client_secret=Secret(self.client_secret or ""),
            timeout=self.request_timeout,
        ) as client:
            fetcher = RawFetcher(client, data_dir(), source="tiktok", run_id=run_id, api_now=_utc_now)
            yield TikTokSession(fetcher, business_ids, "tiktok", _utc_now, self.max_concurrent_accounts)

    def _simulator_session(self, url: str, run_id: str) -> Iterator[TikTokSession]:
        admin = httpx.Client(base_url=url, timeout=10)
        accounts = admin.get("/_simulator/accounts").json()
        speed = admin.get("/_simulator/clock").json()["speed"]
        # Simulator tokens are bootstrapped afresh for each run: the simulator's state is its own.
        store = FileTokenStore(data_dir() / "secrets" / "simulator_tokens.json")
        for row in accounts["accounts"]:
            store.put(
                TokenSet(
                    business_id=row["business_id"],
                    access_token=Secret(row["access_token"]),
                    refresh_token=Secret(row["refresh_token"]),
                    access_expires_at=None,
                    refresh_expires_at=None,
                )
            )
        wanted = [a.strip() for a in (self.accounts or "").split(",") if a.strip()]
        business_ids = [r["business_id"] for r in accounts["accounts"] if not wanted or r["business_id"] in wanted]

        def api_now() -> datetime:
            return datetime.fromtimestamp(admin.get("/_simulator/clock").json()["now"], UTC)

        speed = speed if speed > 0 else 1.0
        clock, sleep = scaled_time(speed)
        # 20 ms of real loopback jitter is 20 ms x speed of simulated time.
        limiter = ClientRateLimiter(jitter_allowance=0.02 * speed, clock=clock, sleep=sleep)
        try:
            with TikTokClient(
                url + contract.API_PREFIX,
                store,
                client_id=accounts["client_id"],
                client_secret=Secret(accounts["client_secret"]),
                timeout=self.request_timeout,
                rate_limiter=limiter,
                clock=clock,
                sleep=sleep,
            ) as client:
                fetcher = RawFetcher(client, data_dir(), source="simulator", run_id=run_id, api_now=api_now)
                yield TikTokSession(fetcher, business_ids, "simulator", api_now, self.max_concurrent_accounts)
        finally:
            admin.close()


def _utc_now() -> datetime:
    return datetime.now(UTC)
