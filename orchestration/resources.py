"""Resources configured from environment variables (documented in .env.example)."""

from __future__ import annotations

import os

import dagster as dg

from assets.resources import TikTokSource
from assets.warehouse import Warehouse


def _env(name: str) -> dg.EnvVar | None:
    """EnvVar when the variable is set (Dagster then shows its name, never its value), else None."""
    return dg.EnvVar(name) if os.environ.get(name) else None


def tiktok_source() -> TikTokSource:
    settings = {
        "client_id": _env("TIKTOK_CLIENT_ID"),
        "client_secret": _env("TIKTOK_CLIENT_SECRET"),
        "api_base_url": _env("TIKTOK_API_BASE_URL"),
        "token_store": _env("TIKTOK_TOKEN_STORE"),
        "accounts": _env("TIKTOK_ACCOUNTS"),
        "simulator_url": _env("TIKTOK_SIMULATOR_URL"),
    }
    return TikTokSource(**{k: v for k, v in settings.items() if v is not None})


def warehouse() -> Warehouse:
    return Warehouse.from_env()
