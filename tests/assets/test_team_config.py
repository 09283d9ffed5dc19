"""The asset tiktok_team_config in real Dagster runs on both warehouses: the team's files in, their good lines in
tiktok_config.account_settings and tiktok_config.post_labels, their bad lines named by a WARN check; and dbt's
on-run-start hook makes the same tables when the asset never ran."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.team_config import tiktok_team_config
from assets.warehouse import ACCOUNT_SETTINGS_TABLE, POST_LABELS_TABLE, TEAM_CONFIG_DDL, Warehouse
from expectations.rules import CONFIG_LINES_VALID
from tests.postgres_server import warehouse_env
from tiktok_api.settings import REPO_ROOT

PARTITION = "2026-11-12"
POST = "7300000000000000001"
ACCOUNTS = """business_id,time_zone,business_category
b1,America/New_York,food_and_beverage
b2,Europe/Nowhere,beauty
b3,,
"""
LABELS = f"""match,label
#Coffee,Coffee
https://www.tiktok.com/@acme_coffee/video/{POST},Launch
*,Everything
behind the *scenes,BTS
"""


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Warehouse]:
    """A fresh data folder, and a DuckDB file in it or a new database on the session's PostgreSQL server."""
    monkeypatch.setenv("TIKTOK_DATA_DIR", str(tmp_path))
    for name in ("TIKTOK_DUCKDB_PATH", "TIKTOK_WAREHOUSE"):
        monkeypatch.delenv(name, raising=False)
    if request.param == "postgres":
        server = request.getfixturevalue("postgres_server")
        for key, value in warehouse_env(server.create_database("tiktok_team_config")).items():
            monkeypatch.setenv(key, value)
    yield Warehouse.from_env()


def load(warehouse: Warehouse) -> dict[str, tuple[dict[str, object], dg.AssetCheckEvaluation]]:
    """Materialise both assets (one step); per asset, its metadata and its check's evaluation."""
    result = dg.materialize([tiktok_team_config], partition_key=PARTITION, resources={"warehouse": warehouse})
    assert result.success
    checks = {e.asset_key.to_user_string(): e for e in result.get_asset_check_evaluations()}
    return {
        event.asset_key.to_user_string(): (
            {k: getattr(v, "value", v) for k, v in event.materialization.metadata.items()},
            checks[event.asset_key.to_user_string()],
        )
        for event in result.get_asset_materialization_events()
    }


def tables(warehouse: Warehouse) -> tuple[list[tuple], list[tuple]]:
    frames = warehouse.read_marts(
        {
            "accounts": f"select * from {ACCOUNT_SETTINGS_TABLE} order by business_id",
            "labels": f"select * from {POST_LABELS_TABLE} order by line_number",
        }
    )
    rows = {
        name: [
            tuple(None if value is None or value != value else value for value in row)
            for row in frame.itertuples(index=False)
        ]
        for name, frame in frames.items()
    }
    return rows["accounts"], rows["labels"]


def test_without_files_the_tables_are_empty_and_the_checks_pass(warehouse: Warehouse):
    loaded = load(warehouse)
    assert sorted(loaded) == ["tiktok_account_settings", "tiktok_post_labels"]
    for meta, check in loaded.values():
        assert check.passed and check.check_name == CONFIG_LINES_VALID
        assert (meta["lines_loaded"], meta["lines_skipped"], meta["file"]) == (0, 0, "absent")
    assert tables(warehouse) == ([], [])


def test_good_lines_load_and_each_bad_line_is_a_warning_naming_it(warehouse: Warehouse, tmp_path: Path):
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    (tmp_path / "labels.csv").write_text(LABELS)
    loaded = load(warehouse)
    accounts, labels = tables(warehouse)
    assert accounts == [("b1", "America/New_York", "food_and_beverage"), ("b3", None, None)]
    assert labels == [
        (2, "hashtag", "#Coffee", None, "coffee", None, "Coffee"),
        (3, "url", f"https://www.tiktok.com/@acme_coffee/video/{POST}", POST, None, None, "Launch"),
        (5, "caption", "behind the *scenes", None, None, "%behind the %scenes%", "BTS"),
    ]
    for asset, loaded_lines, named in (
        ("tiktok_account_settings", 2, "accounts.csv line 3: unknown time zone 'Europe/Nowhere'"),
        ("tiktok_post_labels", 3, "labels.csv line 4: malformed caption pattern '*'"),
    ):
        meta, check = loaded[asset]
        assert (meta["lines_loaded"], meta["lines_skipped"]) == (loaded_lines, 1)
        assert meta["file"] == str(tmp_path / named.split(" ")[0])
        assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
        check_meta = {k: getattr(v, "value", v) for k, v in check.metadata.items()}
        assert (check_meta["rule_id"], check_meta["severity"], check_meta["offending_count"]) == (
            CONFIG_LINES_VALID,
            "WARN",
            1,
        )
        assert check_meta["sample_keys"] == [named.split(":")[0]]
        assert named in (check.description or "")


def test_every_load_replaces_the_rows_with_the_files_as_they_are(warehouse: Warehouse, tmp_path: Path):
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    (tmp_path / "labels.csv").write_text(LABELS)
    load(warehouse)
    (tmp_path / "labels.csv").write_text("#tea,Tea\n")
    (tmp_path / "accounts.csv").unlink()
    assert all(check.passed for _, check in load(warehouse).values())
    assert tables(warehouse) == ([], [(1, "hashtag", "#tea", None, "tea", None, "Tea")])


def _columns(path: Path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "select table_name, column_name, data_type, is_nullable from information_schema.columns "
            "where table_schema = 'tiktok_config' order by table_name, ordinal_position"
        ).fetchall()


def test_dbts_hook_makes_the_tables_the_asset_makes(tmp_path: Path):
    """dbt builds without the asset ever having run: its on-run-start hook creates the same (empty) tables."""
    by_python = tmp_path / "python.duckdb"
    with duckdb.connect(str(by_python)) as con:
        for statement in TEAM_CONFIG_DDL:
            con.execute(statement)
    by_dbt = tmp_path / "dbt" / "warehouse.duckdb"
    by_dbt.parent.mkdir()
    env = {**os.environ, "TIKTOK_WAREHOUSE": "duckdb", "TIKTOK_DATA_DIR": str(by_dbt.parent)}
    env.pop("TIKTOK_DUCKDB_PATH", None)
    # any model runs the hook; this one reads no landed file (none exists) and builds empty
    dbt = str(Path(sys.executable).parent / "dbt")
    command = [dbt, "run", "--profiles-dir", ".", "--target", "duckdb", "--select", "stg_tiktok__mentions",
               "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]  # fmt: skip
    subprocess.run(command, cwd=REPO_ROOT / "dbt_project", env=env, check=True, capture_output=True)
    assert _columns(by_dbt) == _columns(by_python) != []
