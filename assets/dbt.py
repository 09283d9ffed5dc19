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
from assets.warehouse import WAREHOUSE_POOL, Warehouse
from tiktok_api.days import PUBLISHED_FOR_CERTAIN, STALE_AFTER
from tiktok_api.settings import REPO_ROOT

# A healthy mart is updated daily once its day is published for certain: stale (warn) after the publication
# lag without an update, failing once a whole daily run has been missed.
MART_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=STALE_AFTER, warn_window=PUBLISHED_FOR_CERTAIN)

# The dbt of this environment, whether or not the virtualenv is activated.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")

dbt_project = DbtProject(project_dir=REPO_ROOT / "dbt_project", target=Warehouse.from_env().dbt_target)
dbt_project.prepare_if_dev()  # `dagster dev` parses the project; elsewhere `make` prepares the manifest


def dbt_cli(warehouse: Warehouse) -> DbtCliResource:
    """The dbt resource that builds `warehouse` (its profiles.yml target)."""
    return DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE, target=warehouse.dbt_target)


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


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=TikTokDbtTranslator(),
    partitions_def=daily_partitions,
    # A backfill of many days is one dbt invocation over the whole range, not one per day.
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WAREHOUSE_POOL,
)
def tiktok_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse) -> Iterator[Any]:
    if dbt.target != warehouse.dbt_target:
        raise dg.Failure(
            f"the dbt resource targets {dbt.target!r} but the warehouse resource is {warehouse.dbt_target!r}: "
            "build both from one Warehouse (assets.dbt.dbt_cli)"
        )
    window = context.partition_time_window
    days = [window.start.date() + timedelta(days=i) for i in range((window.end - window.start).days)]
    prepared = warehouse.prepare_raw(days)
    if prepared:
        context.log.info(prepared)
    # unit tests check SQL logic on fixed rows, which no day's data can change: `make test` runs them
    args = ["build", "--exclude-resource-type", "unit_test", "--vars", json.dumps(dbt_vars_for(window))]
    yield from dbt.cli(args, context=context).stream()
