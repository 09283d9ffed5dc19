"""A frozen copy of the mart rows for a small fixed world (issue 13), and the command that regenerates it.

The world: the simulator's seed 42, its first three demo accounts (acme_coffee: business, about 98,000
followers; jules.makes: personal; tiny_bakery: business, under 100 followers), every posting account posting
0.01 posts a day (16, 6 and 4 posts), landed for the four days FIRST_DAY.. by the offline fetch
(tiktok_api/simulator/offline_fetch.py: the daily run's landing files, byte for byte the same on every run)
and built one day at a time, as the daily schedule does.

The fixture holds every table of schema `marts`, every column but `staged_at` (the stamp of the dbt run that
staged a row), one gzipped JSON Lines file per mart, rows sorted; `columns.json` holds each mart's columns and
types. Values keep their exact identity in JSON: integers, floats (Python's float repr round-trips every
double), text; dates and timestamps (UTC) as ISO text, decimals as text, lists and structs as JSON.

Regenerate (only from the dbt project whose rows are the reference, see frozen_marts/README.md):

    .venv/bin/python -m tests.dbt.frozen --project-dir /path/to/that/dbt_project
"""

from __future__ import annotations

import argparse
import decimal
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import duckdb

from tiktok_api.days import daily_run_time
from tiktok_api.simulator import Simulator
from tiktok_api.simulator.offline_fetch import land_days

SEED, ACCOUNTS, POSTS_PER_DAY = 42, 3, 0.01
FIRST_DAY = date(2026, 11, 8)
DAYS = [FIRST_DAY + timedelta(days=i) for i in range(4)]
EXCLUDED_COLUMNS = ("staged_at",)
FIXTURE = Path(__file__).resolve().parent / "frozen_marts"
COLUMNS_FILE = "columns.json"
REPO_ROOT = Path(__file__).resolve().parents[2]

Rows = list[list[Any]]


def land_world(data_dir: Path) -> None:
    """The fixed world's landing files for DAYS, as the daily run would land them."""
    simulator = Simulator(
        seed=SEED, accounts=ACCOUNTS, posts_per_day=POSTS_PER_DAY, now=daily_run_time(DAYS[0]).timestamp()
    )
    land_days(simulator, data_dir, DAYS)


def dbt_vars(day: date) -> str:
    """One partition's window, as the dbt asset passes it (end exclusive)."""
    return json.dumps({"min_date": day.isoformat(), "max_date": (day + timedelta(days=1)).isoformat()})


def canonical(value: Any) -> Any:
    """A value as JSON keeps it exactly: numbers and text as they are, the rest as unambiguous text or JSON."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date | clock_time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in value.items()}
    raise TypeError(f"no canonical form for {type(value).__name__}: {value!r}")


def row_key(row: list[Any]) -> str:
    return json.dumps(row, separators=(",", ":"))


def mart_columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    """Every table of schema `marts`: its (column, type) pairs in table order, the excluded columns left out."""
    rows = con.execute(
        "select c.table_name, c.column_name, c.data_type from information_schema.columns c "
        "join information_schema.tables t using (table_catalog, table_schema, table_name) "
        "where c.table_schema = 'marts' and t.table_type = 'BASE TABLE' order by c.table_name, c.ordinal_position"
    ).fetchall()
    marts: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        if column not in EXCLUDED_COLUMNS:
            marts.setdefault(table, []).append((column, data_type))
    return marts


def read_mart(con: duckdb.DuckDBPyConnection, mart: str, columns: list[str]) -> Rows:
    """A mart's rows, the given columns in that order, canonical and sorted."""
    selected = ", ".join(f'"{c}"' for c in columns)
    rows = [[canonical(v) for v in row] for row in con.execute(f"select {selected} from marts.{mart}").fetchall()]
    return sorted(rows, key=row_key)


def connect(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path), read_only=True)
    con.execute("set TimeZone = 'UTC'")  # timestamps with time zone come back in UTC
    return con


def dump_marts(warehouse: Path) -> tuple[dict[str, list[tuple[str, str]]], dict[str, Rows]]:
    with connect(warehouse) as con:
        columns = mart_columns(con)
        return columns, {mart: read_mart(con, mart, [c for c, _ in cols]) for mart, cols in columns.items()}


def write_fixture(folder: Path, columns: dict[str, list[tuple[str, str]]], rows: dict[str, Rows]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.jsonl.gz"):
        old.unlink()
    (folder / COLUMNS_FILE).write_text(
        json.dumps({m: [list(c) for c in cols] for m, cols in sorted(columns.items())}, indent=1) + "\n"
    )
    for mart, mart_rows in rows.items():
        text = "".join(row_key(row) + "\n" for row in mart_rows).encode()
        # mtime 0 and no file name: the same rows give the same bytes
        with open(folder / f"{mart}.jsonl.gz", "wb") as raw, gzip.GzipFile("", "wb", 9, raw, mtime=0) as out:
            out.write(text)


def read_fixture(folder: Path = FIXTURE) -> tuple[dict[str, list[tuple[str, str]]], dict[str, Rows]]:
    columns = {m: [(c, t) for c, t in cols] for m, cols in json.loads((folder / COLUMNS_FILE).read_text()).items()}
    rows = {}
    for mart in columns:
        with gzip.open(folder / f"{mart}.jsonl.gz", "rt", encoding="utf-8") as handle:
            rows[mart] = [json.loads(line) for line in handle]
    return columns, rows


def build_with_plain_dbt(project_dir: Path, work: Path) -> Path:
    """Land the world into `work` and build it day by day with plain `dbt build`; the DuckDB file's path."""
    data_dir, warehouse = work / "data", work / "warehouse.duckdb"
    land_world(data_dir)
    env = {**os.environ, "TIKTOK_DATA_DIR": str(data_dir), "TIKTOK_DUCKDB_PATH": str(warehouse)}
    env["TIKTOK_WAREHOUSE"] = "duckdb"
    dbt = str(Path(sys.executable).parent / "dbt")
    for day in DAYS:
        args = [dbt, "build", "--profiles-dir", ".", "--vars", dbt_vars(day), "--target-path", str(work / "target"),
                "--log-path", str(work / "logs")]  # fmt: skip
        proc = subprocess.run(args, cwd=project_dir, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"dbt build of {day} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}")
    return warehouse


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.dbt.frozen", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--project-dir", type=Path, required=True, help="the dbt project whose marts are frozen")
    parser.add_argument("--out", type=Path, default=FIXTURE, help=f"the fixture folder (default {FIXTURE})")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="frozen-marts-") as work:
        columns, rows = dump_marts(build_with_plain_dbt(args.project_dir.resolve(), Path(work)))
    write_fixture(args.out, columns, rows)
    size = sum(p.stat().st_size for p in args.out.glob("*.jsonl.gz"))
    print(f"{len(rows)} marts, {sum(map(len, rows.values()))} rows, {size} bytes in {args.out} "
          f"({time.perf_counter() - started:.0f} s)")  # fmt: skip


if __name__ == "__main__":
    main()
