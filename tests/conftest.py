"""Shared fixtures: the simulator served over real loopback HTTP."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from tests.postgres_server import PostgresServer, PostgresUnavailable, start_server
from tests.webhook import Webhook
from tiktok_api.days import FIRST_PARTITION
from tiktok_api.simulator import FaultConfig, Simulator, SimulatorServer

# The tests run fixed days: the partitions start at the first one whatever a demo landed in ./data
# (assets/partitions.py). Set here, on import, because the conftest files below this one import the assets (and
# so read the start) before any pytest_configure hook runs.
os.environ["TIKTOK_START_DATE"] = FIRST_PARTITION.isoformat()

# A fixed simulated "now" so that tests do not depend on the day they run.
SIM_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp()


@pytest.fixture
def simulator_factory() -> Iterator[Callable[..., SimulatorServer]]:
    """Start simulators with custom settings; every one started is stopped after the test."""
    servers: list[SimulatorServer] = []

    def start(
        *,
        seed: int = 42,
        accounts: int = 4,
        now: float = SIM_NOW,
        speed: float = 1.0,
        faults: str | FaultConfig | None = None,
        posts_per_day: float | None = None,
    ) -> SimulatorServer:
        config = FaultConfig.parse(faults) if isinstance(faults, str) or faults is None else faults
        simulator = Simulator(
            seed=seed, accounts=accounts, faults=config, now=now, speed=speed, posts_per_day=posts_per_day
        )
        server = SimulatorServer(simulator).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def sim(simulator_factory: Callable[..., SimulatorServer]) -> SimulatorServer:
    """The default simulator: seed 42, the four demo accounts, clock at SIM_NOW running at real speed."""
    return simulator_factory()


# `make test` runs the suite on two workers, a whole module to a worker (--dist loadfile: a module's fixtures, such as
# the Spark cluster, start once). The slowest modules go first, so that no long one starts last and runs alone.
SLOWEST_MODULES_FIRST = (
    "tests/dbt/test_spark_marts.py",
    "tests/test_docs.py",
    "tests/e2e/test_every_rule_fires.py",
    "tests/dbt/test_marts.py",
    "tests/dbt/test_postgres_marts.py",
    "tests/orchestration/test_demo.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        module = item.nodeid.split("::", 1)[0]
        return SLOWEST_MODULES_FIRST.index(module) if module in SLOWEST_MODULES_FIRST else len(SLOWEST_MODULES_FIRST)

    items.sort(key=rank)  # stable: the other modules, and every module's own tests, keep their order


def pytest_configure(config: pytest.Config) -> None:
    """The Dagster definitions load the dbt manifest at import: make sure it exists (as `make` does)."""
    import subprocess
    import sys
    from pathlib import Path

    project = Path(__file__).resolve().parent.parent / "dbt_project"
    if not (project / "target" / "manifest.json").exists():
        dbt = Path(sys.executable).parent / "dbt"
        target = os.environ.get("TIKTOK_WAREHOUSE") or "duckdb"
        command = [str(dbt), "parse", "--profiles-dir", ".", "--target", target, "--quiet"]
        subprocess.run(command, cwd=project, check=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the session (see tests/postgres_server.py); skips where none can run."""
    try:
        server = start_server()
    except PostgresUnavailable as reason:
        if os.environ.get("TIKTOK_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"TIKTOK_REQUIRE_POSTGRES=1 but no PostgreSQL server could be started: {reason}")
        pytest.skip(f"no PostgreSQL server could be started here: {reason}")
    yield server
    server.stop()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.stop()
