"""Where the platform writes: $TIKTOK_DATA_DIR (default: data/ in the repo).

Raw landing files, ingestion state, tokens, the Dagster instance, quality results, alerts, BI copies and
reports all live under it. The warehouse's own settings are those of `assets.warehouse.Warehouse`.
"""

from __future__ import annotations

import os
from pathlib import Path

from dotenv import load_dotenv

from tiktok_api.files import writable_folder

REPO_ROOT = Path(__file__).resolve().parent.parent
ENV_FILE = REPO_ROOT / ".env"


def load_env_file(path: Path = ENV_FILE) -> bool:
    """Read `.env` (.env.example says what it may hold) into the environment without overriding what is already
    set, as the entry points do first (make demo, make ui, make bench); whether there was one."""
    return load_dotenv(path, override=False) if path.exists() else False


def data_dir() -> Path:
    return Path(os.environ.get("TIKTOK_DATA_DIR") or REPO_ROOT / "data").resolve()


def state_dir() -> Path:
    """Ingestion state (incremental cursors): $TIKTOK_DATA_DIR/state (tiktok_api/ingestion.py)."""
    return data_dir() / "state"


def secrets_dir() -> Path:
    """Where the token store lives: TIKTOK_TOKEN_STORE's folder, else $TIKTOK_DATA_DIR/secrets."""
    store = os.environ.get("TIKTOK_TOKEN_STORE")
    return Path(store).resolve().parent if store else data_dir() / "secrets"


def check_writable_folders() -> None:
    """Fail early, in one line, if a folder the pipeline writes cannot be written: raises
    tiktok_api.files.FolderNotWritable ("cannot write to /path (data folder): permission denied")."""
    writable_folder(data_dir(), "data folder")
    writable_folder(state_dir(), "state folder")
    writable_folder(secrets_dir(), "secrets folder")
