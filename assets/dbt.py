"""The dbt project as Dagster assets: staging and marts, partitioned like the raw assets."""

import json
import sys
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from assets.partitions import daily_partitions
from assets.postgres_raw import RawLoadError, load_raw_partitions, partitions_to_load
from assets.settings import REPO_ROOT, data_dir, warehouse

# A mart is stale when it has not been updated for 48 h (warn) or 72 h (fail): the API publishes a day 24-48 h
# after it ends and the daily run lands it at 48 h, so a healthy mart is never older than about 24 h + 48 h.
MART_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=72), warn_window=timedelta(hours=48))

# Everything that writes the warehouse runs in this pool, whose limit is 1: DuckDB allows one writing process
# per file, and on either warehouse the marts' staged_at watermark assumes dbt runs one at a time.
WAREHOUSE_POOL = "tiktok_warehouse"

# The dbt of this environment, whether or not the virtualenv is activated.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")

dbt_project = DbtProject(project_dir=REPO_ROOT / "dbt_project")
dbt_project.prepare_if_dev()  # `dagster dev` parses the project; elsewhere `make` prepares the manifest


def group_for_fqn(fqn: list[str]) -> str:
    """The Dagster group of a dbt model: its folder, which is also its schema family."""
    # fqn: ["tiktok", "staging", "stg_..."] or ["tiktok", "marts", "account", "dim_..."]
    folder = fqn[1]
    if folder == "marts" and len(fqn) > 3:
        return f"tiktok_{fqn[2]}"
    return f"tiktok_{folder}"


class TikTokDbtTranslator(DagsterDbtTranslator):
    """Model keys are model names; groups follow folders; sources are the raw assets (their yml meta)."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["nodes"].get(unique_id)
        if node is None or node["resource_type"] not in ("model", "seed", "snapshot"):
            return spec
        spec = spec.replace_attributes(key=dg.AssetKey(node["name"]), group_name=group_for_fqn(node["fqn"]))
        if node["fqn"][1] == "marts":
            spec = spec.replace_attributes(freshness_policy=MART_FRESHNESS)
        return spec


def dbt_vars_for(window: dg.TimeWindow) -> dict[str, str]:
    """The partition window as dbt vars: staging reads only these days' raw folders (end exclusive)."""
    start: datetime = window.start
    end: datetime = window.end
    return {"min_date": start.date().isoformat(), "max_date": end.date().isoformat()}


def load_raw_into_postgres(context: dg.AssetExecutionContext, window: dg.TimeWindow) -> None:
    """PostgreSQL reads raw payloads from tables, not files: COPY the window's landing files in first."""
    chosen = warehouse()
    assert chosen.postgres is not None
    days = [window.start.date() + timedelta(days=i) for i in range((window.end - window.start).days)]
    try:
        to_load = partitions_to_load(chosen.postgres, data_dir(), days)
        loaded = load_raw_partitions(chosen.postgres, data_dir(), to_load)
    except RawLoadError as error:
        raise dg.Failure(f"loading raw payloads into PostgreSQL failed: {error}") from None
    context.log.info(
        f"Loaded {loaded.pages} raw pages of {loaded.fetches} fetches ({len(to_load)} partitions) "
        f"into {chosen.describe()}"
    )


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=TikTokDbtTranslator(),
    partitions_def=daily_partitions,
    # A backfill of many days is one dbt invocation over the whole range, not one per day.
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WAREHOUSE_POOL,
)
def tiktok_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    window = context.partition_time_window
    chosen = warehouse()
    if chosen.kind == "postgres":
        load_raw_into_postgres(context, window)
    # unit tests check SQL logic on fixed rows, which no day's data can change: `make test` runs them
    args = ["build", "--exclude-resource-type", "unit_test", "--vars", json.dumps(dbt_vars_for(window))]
    yield from dbt.cli(args, context=context).stream()
