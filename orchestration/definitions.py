"""The code location: every asset, check, job, schedule and sensor of the platform."""

from __future__ import annotations

import dagster as dg

from assets.raw import raw_assets
from orchestration.resources import tiktok_source

raw_ingestion_job = dg.define_asset_job(
    "tiktok_raw_ingestion",
    selection=dg.AssetSelection.groups("tiktok_raw"),
    description="Land one UTC day of every TikTok stream for every account.",
)

defs = dg.Definitions(
    assets=raw_assets,
    jobs=[raw_ingestion_job],
    resources={"tiktok": tiktok_source()},
)
