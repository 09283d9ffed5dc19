"""Helpers for the client-against-simulator tests: a real simulator over loopback, clients wired to its clock.

A `Rig` bundles one simulator server with a token store file seeded from the simulator's current tokens,
and builds `TikTokClient`s whose clock reads the simulator's clock and whose sleep advances it (the
simulator runs frozen, speed 0, unless a test asks otherwise), so backoff waits and the 5-minute 40100
penalty cost no real time. Sleep hooks (e.g. "clear the faults after the first failure") run inside
that sleep.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tiktok_api.client import TikTokClient
from tiktok_api.secrets import Secret
from tiktok_api.simulator import SimulatorServer
from tiktok_api.simulator.world import AccountSpec
from tiktok_api.tokens import FileTokenStore, TokenSet


def seeded_store(server: SimulatorServer, path: Path) -> FileTokenStore:
    """A token file holding the simulator's current tokens of every account, with unknown expiries."""
    store = FileTokenStore(path)
    for business_id, (access, refresh) in server.simulator.current_tokens.items():
        store.put(TokenSet(business_id, Secret(access), Secret(refresh), None, None))
    return store


class Rig:
    """One simulator server, a seeded token file, and clients that live on the simulator's clock."""

    def __init__(self, server: SimulatorServer, directory: Path) -> None:
        self.server = server
        self.sim = server.simulator
        directory.mkdir(parents=True, exist_ok=True)
        self.token_path = directory / "tokens.json"
        self.store = seeded_store(server, self.token_path)
        self.sleeps: list[float] = []  # every wait the clients asked for, in API seconds
        self.hooks: list[Callable[[float], None]] = []
        self.clients: list[TikTokClient] = []
        self._admin = httpx.Client(base_url=server.url, timeout=10)

    # --- accounts and time
    def account(self, index: int) -> AccountSpec:
        return self.sim.world.accounts[index]

    def bid(self, index: int) -> str:
        return self.account(index).business_id

    def now(self) -> float:
        return self.sim.clock.now()

    def sleep(self, seconds: float) -> None:
        """The clients' sleep: record the wait, move the simulator's clock, then run the hooks."""
        self.sleeps.append(seconds)
        self.sim.clock.advance(max(0.0, seconds))
        for hook in list(self.hooks):
            hook(seconds)

    # --- clients
    def client(self, store: Any = None, **kwargs: Any) -> TikTokClient:
        options: dict[str, Any] = {
            "client_id": self.sim.client_id,
            "client_secret": Secret(self.sim.client_secret),
            "clock": self.sim.clock.now,
            "sleep": self.sleep,
            "wall_clock": self.sim.clock.now,
            "timeout": 5.0,
        }
        options.update(kwargs)
        client = TikTokClient(self.server.base_url, self.store if store is None else store, **options)
        self.clients.append(client)
        return client

    # --- admin endpoints, over HTTP like any operator would
    def admin(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self._admin.post(f"/_simulator/{name}", json=body)
        response.raise_for_status()
        return response.json()

    def set_faults(self, spec: str) -> None:
        self.admin("faults", {"spec": spec})

    def clear_faults_on_first_sleep(self) -> None:
        """Faults stay on for the first attempt only: the first wait (the backoff) switches them off."""

        def hook(_seconds: float) -> None:
            self.hooks.remove(hook)
            self.set_faults("")

        self.hooks.append(hook)

    def data_calls(self, endpoint: str, business_id: str) -> int:
        """HTTP requests the simulator received on a data endpoint for an account."""
        return self.sim.calls[(endpoint, business_id)]

    def close(self) -> None:
        for client in self.clients:
            client.close()
        self._admin.close()


@pytest.fixture
def make_rig(simulator_factory: Callable[..., SimulatorServer], tmp_path: Path) -> Iterator[Callable[..., Rig]]:
    """`make_rig(speed=0, faults=..., ...)`: a new simulator (frozen by default) with its own token file."""
    rigs: list[Rig] = []

    def make(**sim_kwargs: Any) -> Rig:
        sim_kwargs.setdefault("speed", 0)
        rig = Rig(simulator_factory(**sim_kwargs), tmp_path / f"rig{len(rigs)}")
        rigs.append(rig)
        return rig

    yield make
    for rig in rigs:
        rig.close()


@pytest.fixture
def rig(make_rig: Callable[..., Rig]) -> Rig:
    """The default rig: seed 42, the four demo accounts, the simulator's clock frozen at SIM_NOW."""
    return make_rig()
