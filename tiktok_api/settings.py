"""Where the platform writes: $TIKTOK_DATA_DIR (default: data/ in the repo).

Raw landing files, ingestion state, tokens, the Dagster instance, quality results, alerts, BI copies and
reports all live under it. The warehouse's own settings are those of `assets.warehouse.Warehouse`.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    return Path(os.environ.get("TIKTOK_DATA_DIR") or REPO_ROOT / "data").resolve()
