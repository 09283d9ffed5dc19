"""The marts equal, row for row, a frozen copy made by an earlier dbt project (issue 13).

The world of tests/dbt/frozen.py (3 accounts, 26 posts, 4 days) is landed by the offline fetch, whose files are
the same bytes on every run (fetch ids and landing times included), and built one day at a time through the
Dagster dbt asset, as the daily schedule builds it. Every mart must then hold exactly the frozen rows: every
column but `staged_at`, with the frozen types. Floats are compared exactly: they come from the same landed
numbers through deterministic SQL, and two builds (plain dbt at the frozen commit, the asset here) agree to the
bit. A mart may gain columns; it may not lose one or change a value. How the fixture was made:
frozen_marts/README.md.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dbt.conftest import build_dbt, restored_environment
from tests.dbt.frozen import DAYS, Rows, connect, land_world, mart_columns, read_fixture, read_mart, row_key

FROZEN_COLUMNS, FROZEN_ROWS = read_fixture()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    data_dir = tmp_path_factory.mktemp("frozen_world")
    land_world(data_dir)
    with restored_environment(("TIKTOK_DATA_DIR", "TIKTOK_DUCKDB_PATH", "TIKTOK_WAREHOUSE")):
        os.environ["TIKTOK_DATA_DIR"] = str(data_dir)
        os.environ.pop("TIKTOK_DUCKDB_PATH", None)
        os.environ["TIKTOK_WAREHOUSE"] = "duckdb"
        for day in DAYS:
            assert build_dbt(day).success, f"dbt build of {day} failed"
        yield data_dir / "warehouse.duckdb"


def describe_difference(frozen: Rows, live: Rows, columns: list[str]) -> str:
    """Which rows differ, a few of each side, and by how much when only numbers moved."""
    frozen_keys, live_keys = {row_key(r) for r in frozen}, {row_key(r) for r in live}
    missing = [r for r in frozen if row_key(r) not in live_keys]
    extra = [r for r in live if row_key(r) not in frozen_keys]
    lines = [f"{len(frozen)} frozen rows, {len(live)} built; {len(missing)} frozen rows missing, {len(extra)} new"]
    for name, rows in (("missing", missing), ("new", extra)):
        for row in rows[:3]:
            lines.append(f"  {name}: {dict(zip(columns, row, strict=True))}")
    if len(missing) == len(extra):
        moved = {}
        for old, new in zip(missing, extra, strict=True):
            for column, a, b in zip(columns, old, new, strict=True):
                if a != b and isinstance(a, float) and isinstance(b, float):
                    moved[column] = max(moved.get(column, 0.0), abs(a - b) / max(abs(a), abs(b)))
        if moved:
            lines.append(f"  largest relative change of the float columns that differ (rows paired in order): {moved}")
    return "\n".join(lines)


def test_the_same_marts_are_built(warehouse: Path):
    with connect(warehouse) as con:
        built = mart_columns(con)
    assert set(FROZEN_COLUMNS) <= set(built), f"marts missing: {sorted(set(FROZEN_COLUMNS) - set(built))}"


@pytest.mark.parametrize("mart", sorted(FROZEN_COLUMNS))
def test_a_mart_equals_its_frozen_rows(warehouse: Path, mart: str):
    with connect(warehouse) as con:
        built = dict(mart_columns(con).get(mart, []))
        frozen_columns = FROZEN_COLUMNS[mart]
        missing = [c for c, _ in frozen_columns if c not in built]
        assert not missing, f"{mart} lost columns {missing}"
        changed = {c: (t, built[c]) for c, t in frozen_columns if built[c] != t}
        assert not changed, f"{mart}: column types changed (frozen, built): {changed}"
        columns = [c for c, _ in frozen_columns]
        live = read_mart(con, mart, columns)
    frozen = FROZEN_ROWS[mart]
    assert frozen, f"the fixture of {mart} is empty"
    assert live == frozen, f"{mart} differs from its frozen rows:\n" + describe_difference(frozen, live, columns)
