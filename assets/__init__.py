"""Dagster assets and asset checks, with the plain logic they wrap (landing zone, ingestion plans)."""

import warnings

from dagster import BetaWarning, PreviewWarning

# Dagster marks two APIs these definitions rely on as beta / preview: `backfill_policy` on assets (a backfill runs
# dbt once over its range) and `partitions_def` on asset check specs (checks per partition). Each import printed
# thirteen such warnings to every user's terminal, who can do nothing about them; the project pins Dagster's minor
# version (pyproject.toml) and its tests exercise both features.
warnings.filterwarnings("ignore", message=r"Parameter `backfill_policy` .* is currently in beta", category=BetaWarning)
warnings.filterwarnings(
    "ignore",
    message=r"Specifying a partitions_def on an AssetCheckSpec is currently in preview",
    category=PreviewWarning,
)
