"""A warehouse built the real way: raw assets land simulator days, the dbt asset builds them day by day."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster_dbt import DbtCliResource

from assets import warehouse as warehouse_resource
from assets.dbt import DBT_STEPS, dbt_cli
from assets.raw import raw_assets
from assets.resources import TikTokSource
from assets.team_config import tiktok_team_config
from tiktok_api.days import daily_run_time
from tiktok_api.simulator import Simulator, SimulatorServer

FIRST_DAY = date(2026, 11, 8)
DAYS = 10
SPEED = 600.0


def fetch_time(d: date) -> float:
    return daily_run_time(d).timestamp()


@dataclass
class Warehouse:
    data_dir: Path
    path: Path
    server: SimulatorServer
    days: list[date]

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql).fetchall()

    def build(self, partition: date | None = None, **kwargs) -> dg.ExecuteInProcessResult:
        return build_dbt(partition, **kwargs)


def dbt_resource() -> DbtCliResource:
    return dbt_cli(warehouse_resource.Warehouse.from_env())


def build_dbt(
    partition: date | None = None, partition_range: tuple[date, date] | None = None
) -> dg.ExecuteInProcessResult:
    tags = {}
    if partition_range:
        tags = {
            "dagster/asset_partition_range_start": partition_range[0].isoformat(),
            "dagster/asset_partition_range_end": partition_range[1].isoformat(),
        }
    return dg.materialize(
        [*DBT_STEPS],
        partition_key=partition.isoformat() if partition else None,
        tags=tags,
        resources={"dbt": dbt_resource(), "warehouse": warehouse_resource.Warehouse.from_env()},
        raise_on_error=False,
    )


# The team's labels of the built warehouses (labels.csv), so that the label marts have rows: tags and a caption
# pattern the simulator's captions use (tiktok_api/simulator/world.py), and a line that matches nothing.
TEST_LABELS = "match,label\n#coffee,Coffee\n#tutorial,How-to\nbehind*scenes,Behind the scenes\n#nosuchtag,Never\n"


def load_team_config(data_dir: Path, labels: str = TEST_LABELS, accounts: str | None = None) -> None:
    """Write the team's files into `data_dir` and load them into the warehouse the environment names, as the daily
    job does before dbt (assets/team_config.py)."""
    (data_dir / "labels.csv").write_text(labels)
    if accounts is not None:
        (data_dir / "accounts.csv").write_text(accounts)
    result = dg.materialize(
        [tiktok_team_config],
        partition_key=FIRST_DAY.isoformat(),
        resources={"warehouse": warehouse_resource.Warehouse.from_env()},
    )
    assert result.success, "loading the team's configuration files failed"


def land(server: SimulatorServer, day: date) -> None:
    server.simulator.clock.set(now=fetch_time(day))
    result = dg.materialize(
        raw_assets,
        partition_key=day.isoformat(),
        resources={"tiktok": TikTokSource(simulator_url=server.url)},
        raise_on_error=False,
    )
    assert result.success, f"landing {day} failed"


def assert_same_rows(mart: str, on_duckdb: Iterable[tuple], on_other: Iterable[tuple], other: str) -> None:
    """A mart's rows on DuckDB and on another warehouse (`other` names it), already made comparable, are the same
    multiset, and not an empty one."""
    duckdb_rows, other_rows = Counter(on_duckdb), Counter(on_other)
    assert sum(duckdb_rows.values()) > 0, f"{mart} is empty: nothing was compared"
    only_duckdb, only_other = duckdb_rows - other_rows, other_rows - duckdb_rows
    assert not only_duckdb and not only_other, (
        f"{mart}: {sum(only_duckdb.values())} rows only on DuckDB, e.g. {list(only_duckdb)[:1]}; "
        f"{sum(only_other.values())} only on {other}, e.g. {list(only_other)[:1]}"
    )


@contextmanager
def restored_environment(keys: Iterable[str]) -> Iterator[None]:
    """Module fixtures change os.environ (dbt runs as a subprocess): put these keys back afterwards."""
    saved = {key: os.environ.get(key) for key in keys}
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """Ten days landed and built one partition at a time, as the daily schedule does."""
    data_dir = tmp_path_factory.mktemp("tiktok_data")
    days = [FIRST_DAY + timedelta(days=i) for i in range(DAYS)]
    simulator = Simulator(seed=42, accounts=4, now=fetch_time(FIRST_DAY), speed=SPEED)
    with restored_environment(("TIKTOK_DATA_DIR", "TIKTOK_DUCKDB_PATH")), SimulatorServer(simulator) as server:
        os.environ["TIKTOK_DATA_DIR"] = str(data_dir)
        os.environ.pop("TIKTOK_DUCKDB_PATH", None)
        load_team_config(data_dir)
        for day in days:
            land(server, day)
            result = build_dbt(day)
            assert result.success, f"dbt build of {day} failed"
        yield Warehouse(data_dir, data_dir / "warehouse.duckdb", server, days)
