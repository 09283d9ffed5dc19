"""Fixtures of the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.test_daily_job import DAY
from tiktok_api.days import daily_run_time
from tiktok_api.simulator import Simulator, SimulatorServer
from tiktok_api.simulator.offline_fetch import standing_still

STILL_ACCOUNTS = 4
STILL_POSTS_PER_DAY = 0.01  # a few posts per account: few calls, as the client paces a still simulator in real time


@pytest.fixture(scope="module")
def still_simulator() -> Iterator[tuple[Simulator, str]]:
    """Four demo accounts at DAY's daily run time, the clock stopped and the limits lifted: every run of the module
    is served the same answers, so their marts can be compared. (The simulator, its URL.)"""
    simulator = Simulator(
        accounts=STILL_ACCOUNTS, now=daily_run_time(DAY).timestamp(), posts_per_day=STILL_POSTS_PER_DAY
    )
    with SimulatorServer(simulator) as server, standing_still(simulator):
        yield simulator, server.url


@pytest.fixture(params=("duckdb", "postgres"))
def warehouse_kind(request: pytest.FixtureRequest) -> str:
    return request.param
