"""Where the platform writes and which warehouse it builds, all from environment variables.

- TIKTOK_DATA_DIR (default: data/ in the repo): raw landing files, state, the Dagster instance, reports.
- TIKTOK_WAREHOUSE: `duckdb` (default, an embedded file) or `postgres` (a server). This one variable picks
  the dbt target too (dbt_project/profiles.yml reads it).
- DuckDB: TIKTOK_DUCKDB_PATH, else $TIKTOK_DATA_DIR/warehouse.duckdb.
- PostgreSQL: TIKTOK_POSTGRES_HOST (localhost), TIKTOK_POSTGRES_PORT (5432), TIKTOK_POSTGRES_USER (tiktok),
  TIKTOK_POSTGRES_PASSWORD (none), TIKTOK_POSTGRES_DATABASE (tiktok): the same defaults as profiles.yml.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL

REPO_ROOT = Path(__file__).resolve().parent.parent

WAREHOUSES = ("duckdb", "postgres")


def data_dir() -> Path:
    return Path(os.environ.get("TIKTOK_DATA_DIR") or REPO_ROOT / "data").resolve()


def warehouse_path() -> Path:
    """The DuckDB warehouse: $TIKTOK_DUCKDB_PATH, else $TIKTOK_DATA_DIR/warehouse.duckdb (as in profiles.yml)."""
    return Path(os.environ.get("TIKTOK_DUCKDB_PATH") or data_dir() / "warehouse.duckdb").resolve()


def postgres_url() -> URL:
    """The PostgreSQL warehouse as a SQLAlchemy URL; its str() and repr() mask the password."""
    port = os.environ.get("TIKTOK_POSTGRES_PORT") or "5432"
    if not port.isdigit():
        raise ValueError(f"TIKTOK_POSTGRES_PORT must be a port number, not {port!r}")
    return URL.create(
        "postgresql+psycopg2",
        username=os.environ.get("TIKTOK_POSTGRES_USER") or "tiktok",
        password=os.environ.get("TIKTOK_POSTGRES_PASSWORD") or None,
        host=os.environ.get("TIKTOK_POSTGRES_HOST") or "localhost",
        port=int(port),
        database=os.environ.get("TIKTOK_POSTGRES_DATABASE") or "tiktok",
    )


@dataclass(frozen=True)
class Warehouse:
    """The warehouse the marts are built in: a DuckDB file or a PostgreSQL server."""

    kind: str
    duckdb_path: Path | None = None
    postgres: URL | None = None

    @property
    def location(self) -> Path | URL:
        """What the quality runner and readers connect to: the DuckDB file's path or the PostgreSQL URL."""
        location = self.duckdb_path if self.kind == "duckdb" else self.postgres
        assert location is not None
        return location

    def describe(self) -> str:
        """For logs and metadata: the file, or the server and database (never the password)."""
        if self.kind == "duckdb":
            return f"duckdb:{self.duckdb_path}"
        assert self.postgres is not None
        url = self.postgres
        return f"postgres:{url.username}@{url.host}:{url.port}/{url.database}"


def warehouse() -> Warehouse:
    """The warehouse chosen by TIKTOK_WAREHOUSE (default duckdb)."""
    kind = (os.environ.get("TIKTOK_WAREHOUSE") or "duckdb").strip().lower()
    if kind == "duckdb":
        return Warehouse("duckdb", duckdb_path=warehouse_path())
    if kind == "postgres":
        return Warehouse("postgres", postgres=postgres_url())
    raise ValueError(f"TIKTOK_WAREHOUSE={kind!r} is not a warehouse this platform builds; use one of {WAREHOUSES}")
