"""Where the platform writes: one environment variable, TIKTOK_DATA_DIR (default: data/ in the repo)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    return Path(os.environ.get("TIKTOK_DATA_DIR") or REPO_ROOT / "data").resolve()


def warehouse_path() -> Path:
    """The DuckDB warehouse: $TIKTOK_DUCKDB_PATH, else $TIKTOK_DATA_DIR/warehouse.duckdb (as in profiles.yml)."""
    return Path(os.environ.get("TIKTOK_DUCKDB_PATH") or data_dir() / "warehouse.duckdb").resolve()
