"""Where the platform writes: one environment variable, TIKTOK_DATA_DIR (default: data/ in the repo)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    return Path(os.environ.get("TIKTOK_DATA_DIR") or REPO_ROOT / "data").resolve()
