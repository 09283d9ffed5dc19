"""The warehouse resource on DuckDB: publishing the marts for BI readers without a lock or a torn read."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb

from assets.warehouse import publish_duckdb_copy

READER = """
import sys, time, duckdb
path, seen = sys.argv[1], set()
deadline = time.time() + float(sys.argv[2])
while time.time() < deadline:
    with duckdb.connect(path, read_only=True) as con:
        seen.add(con.execute("select count(*), sum(n) from marts.numbers").fetchall()[0])
print(sorted(seen))
"""


def test_a_reader_during_builds_meets_no_lock_and_sees_only_complete_builds(tmp_path: Path):
    # named like the real copy: a file called marts.duckdb would make catalog "marts" clash with schema "marts"
    warehouse, target = tmp_path / "warehouse.duckdb", tmp_path / "bi" / "tiktok_marts.duckdb"

    def build(version: int) -> None:  # a "build": the marts change completely between versions
        with duckdb.connect(str(warehouse)) as con:
            con.execute("create schema if not exists marts")
            con.execute(f"create or replace table marts.numbers as select range + {version} as n from range(200000)")

    build(0)
    publish_duckdb_copy(warehouse, target)
    reader = subprocess.Popen([sys.executable, "-c", READER, str(target), "6"], stdout=subprocess.PIPE, text=True)
    versions = [0]
    deadline = time.time() + 4
    while time.time() < deadline:  # the writer rebuilds and republishes while the reader reads
        versions.append(versions[-1] + 1)
        build(versions[-1])
        publish_duckdb_copy(warehouse, target)
    out, _ = reader.communicate(timeout=30)
    assert reader.returncode == 0, "the reader met an error (a lock?)"
    complete = {(200000, sum(range(200000)) + 200000 * v) for v in versions}
    seen = set(eval(out))  # noqa: S307 - our own subprocess's printed list of tuples
    assert seen and seen <= complete, "every read saw one whole build"
    assert len(seen) > 1, "the reader followed new builds"


def test_staging_leaves_out_the_quarantine_table_the_checks_write():
    """The quarantine table is named in assets/warehouse.py and in the dbt macro that reads it: they must agree."""
    from assets.warehouse import QUARANTINE_TABLE

    schema, table = QUARANTINE_TABLE.split(".")
    macros = (Path(__file__).resolve().parents[2] / "dbt_project" / "macros" / "raw.sql").read_text()
    assert f"adapter.get_relation(target.database, '{schema}', '{table}')" in macros
