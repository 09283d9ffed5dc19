"""The dbt project as Dagster assets: staging and marts, partitioned like the raw assets."""

import json
import os
import shutil
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets
from dbt import version as dbt_version
from packaging import version

from assets.catalog import ASSET_OWNERS, runbook_link
from assets.partitions import daily_partitions
from assets.warehouse import WAREHOUSE_POOL, Warehouse
from expectations.rules import ERROR, GX, RULES
from tiktok_api.days import PUBLISHED_FOR_CERTAIN, STALE_AFTER
from tiktok_api.settings import REPO_ROOT

# A healthy mart is updated daily once its day is published for certain: stale (warn) after the publication
# lag without an update, failing once a whole daily run has been missed.
MART_FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=STALE_AFTER, warn_window=PUBLISHED_FOR_CERTAIN)

# dbt tests of SQL logic on fixed rows (not data: no day can change their result) carry this tag. `make test` runs
# them (tests/dbt/test_marts.py); the daily dbt asset does not, and they are no Dagster asset checks.
SQL_LOGIC_TAG = "sql_logic"
# What the dbt asset builds besides its selection's models and data tests: unit tests and SQL-logic tests check
# SQL on fixed rows, which no day's data can change (`make test` runs both).
BUILD_EXCLUSIONS = ["--exclude-resource-type", "unit_test", "--exclude", f"tag:{SQL_LOGIC_TAG}"]

# The dbt of this environment, whether or not the virtualenv is activated.
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")

# dbt dies with the process that started it. A run killed with SIGKILL cannot stop its children, and an orphaned
# `dbt build` would go on writing the warehouse next to the run that follows. This stub asks Linux to SIGKILL it
# when its parent dies (prctl PR_SET_PDEATHSIG = 1), gives up if the parent is already gone, then execs the
# command (the setting survives exec). The parent is the thread that started it: dagster-dbt starts dbt and
# reads its output to the end in the step's thread. Elsewhere than Linux it only execs.
_DIE_WITH_PARENT = (
    "import os, signal, sys\n"
    "parent = os.getppid()\n"
    "if sys.platform == 'linux':\n"
    "    import ctypes\n"
    "    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)\n"
    "    if os.getppid() != parent:\n"
    "        os._exit(137)\n"
    "os.execv(sys.argv[1], sys.argv[1:])\n"
)


def die_with_parent(command: list[str]) -> list[str]:
    """`command` started so that it gets SIGKILL when the process that starts it dies (Linux)."""
    return [sys.executable, "-c", _DIE_WITH_PARENT, *command]


WAREHOUSE = Warehouse.from_env()
dbt_project = DbtProject(project_dir=REPO_ROOT / "dbt_project", target=WAREHOUSE.dbt_target)
dbt_project.prepare_if_dev()  # `dagster dev` parses the project; elsewhere `make` prepares the manifest


class DbtCli(DbtCliResource):
    """dagster-dbt's resource, without the `dbt --version` child process it starts on every run (3.5 s here) to
    learn the engine's version: the engine is this environment's dbt-core, whose version Python already knows."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(dbt_version.__version__)


def dbt_cli(warehouse: Warehouse) -> DbtCliResource:
    """The dbt resource that builds `warehouse` (its profiles.yml target); dbt dies with its run (die_with_parent).

    dagster-dbt starts `[dbt_executable, *global_config_flags, *args]`: the stub is the executable and its flags.
    """
    executable, *stub = die_with_parent([DBT_EXECUTABLE])
    return DbtCli(
        project_dir=dbt_project, dbt_executable=executable, global_config_flags=stub, target=warehouse.dbt_target
    )


def group_for_fqn(fqn: list[str]) -> str:
    """The Dagster group of a dbt model: its folder, which is also its schema family."""
    # fqn: ["tiktok", "staging", "stg_..."] or ["tiktok", "marts", "account", "dim_..."]
    folder = fqn[1]
    if folder == "marts" and len(fqn) > 3:
        return f"tiktok_{fqn[2]}"
    return f"tiktok_{folder}"


def model_kinds(node: Mapping[str, Any], warehouse: Warehouse) -> set[str]:
    """A model's kinds in the UI: dbt, the warehouse it is stored in, and whether it is a view or a table."""
    materialized = (node.get("config") or {}).get("materialized")
    return {"dbt", warehouse.asset_kind, "view" if materialized == "view" else "table"}


class TikTokDbtTranslator(DagsterDbtTranslator):
    """Model keys are model names; groups follow folders; sources are the raw assets (their yml meta)."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        node = manifest["nodes"].get(unique_id)
        if node is None or node["resource_type"] not in ("model", "seed", "snapshot"):
            return spec
        # The yml description alone: dagster-dbt appends the model's whole SQL, which buried it in the UI. Kinds
        # from the configured warehouse, not the manifest's adapter (a manifest parsed for the other target would
        # label every model with the wrong database).
        spec = spec.replace_attributes(
            key=dg.AssetKey(node["name"]),
            group_name=group_for_fqn(node["fqn"]),
            description=(node.get("description") or "").strip() or f"dbt model {node['name']}",
            owners=ASSET_OWNERS,
            kinds=model_kinds(node, WAREHOUSE),
        )
        if node["fqn"][1] == "marts":
            spec = spec.replace_attributes(freshness_policy=MART_FRESHNESS)
        return spec

    def get_asset_check_spec(
        self, asset_spec: dg.AssetSpec, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetCheckSpec | None:
        """A data test's check, described by the test's description and carrying its rule; SQL-logic tests none."""
        node = manifest["nodes"].get(unique_id) or {}
        if SQL_LOGIC_TAG in (node.get("tags") or []):
            return None
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        rule = test_rule_metadata(node)
        return spec._replace(
            description=node.get("description") or spec.description, metadata={**spec.metadata, **rule}
        )


def _severity(value: Any) -> str:
    """dbt's test severity (error / warn, any case) as the rule book writes it (ERROR / WARN)."""
    return "WARN" if str(value or "error").strip().lower().startswith("warn") else "ERROR"


def test_rule_metadata(node: Mapping[str, Any]) -> dict[str, Any]:
    """rule_id, severity and runbook of a dbt data test: its `config.meta.rule_id` and `config.severity`. Empty for
    a test without a rule id: its check then alerts under its own name (expectations/alerts.py)."""
    config = node.get("config") or {}
    rule_id = (config.get("meta") or {}).get("rule_id") or (node.get("meta") or {}).get("rule_id")
    if not rule_id:
        return {}
    return {"rule_id": str(rule_id), "severity": _severity(config.get("severity")), "runbook": runbook_link(rule_id)}


def with_rule_metadata(event: Any, manifest: Mapping[str, Any]) -> Any:
    """A dbt event with, for a check result, its test's rule_id, severity and runbook added to the metadata."""
    if not isinstance(event, dg.AssetCheckResult | dg.AssetCheckEvaluation):
        return event
    unique_id = event.metadata.get("unique_id")
    unique_id = getattr(unique_id, "value", unique_id)
    rule = test_rule_metadata(manifest["nodes"].get(unique_id) or {}) if unique_id else {}
    return event.with_metadata({**event.metadata, **rule}) if rule else event


def blocking_nothing(event: Any) -> Any:
    """A failed ERROR check result of a run that builds nothing (the weekly tests), reported with Dagster severity
    WARN: there is nothing downstream to hold back, and Dagster would otherwise fail the step and skip the next dbt
    step's tests. Its metadata keeps the rule's ERROR severity, which the alert reads (as a quarantined failure's)."""
    if isinstance(event, dg.AssetCheckResult) and not event.passed and event.severity == dg.AssetCheckSeverity.ERROR:
        return event._replace(severity=dg.AssetCheckSeverity.WARN)
    return event


def dbt_window_env(window: dg.TimeWindow | None) -> dict[str, str]:
    """The partition window as the environment dbt reads it (macros/raw.sql, partition_window): staging reads
    only these days' raw folders and the large marts' tests only these days' rows (end exclusive). Empty values:
    no window, every file and every row."""
    if window is None:
        return {"TIKTOK_DBT_MIN_DATE": "", "TIKTOK_DBT_MAX_DATE": ""}
    start: datetime = window.start
    end: datetime = window.end
    return {"TIKTOK_DBT_MIN_DATE": start.date().isoformat(), "TIKTOK_DBT_MAX_DATE": end.date().isoformat()}


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """os.environ with `values` set for the block (a dbt subprocess inherits the environment it starts with)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# dagster-dbt gives every dbt invocation a target folder of its own (target/<op>-<run>-<hash>, some 11 MB here), so a
# year of daily runs would fill gigabytes. The newest ones stay for debugging (compiled SQL, run_results.json);
# older ones go once they are a day old, so that a running invocation's folder is never touched.
KEPT_DBT_TARGETS = 30


def prune_dbt_targets(target: Path, op_name: str, keep: int = KEPT_DBT_TARGETS, now: float | None = None) -> int:
    """Remove `op_name`'s invocation folders under `target` beyond the newest `keep` that are a day old; how many."""
    now = time.time() if now is None else now
    folders = sorted(
        (p for p in target.glob(f"{op_name}-*") if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True
    )
    old = [p for p in folders[keep:] if now - p.stat().st_mtime > 86400]
    for folder in old:
        shutil.rmtree(folder, ignore_errors=True)
    return len(old)


def _value(metadata: Mapping[str, Any], key: str) -> Any:
    value = metadata.get(key)
    return getattr(value, "value", value)


class DbtProgress:
    """One log line per model built and per data test run, with its time and a running count ("12/17 models").

    dagster-dbt writes dbt's own console lines to the step's stdout only, and its events carry no count: these lines
    are the run log's progress, read from the events the invocation streams (nothing else is logged per node).
    """

    def __init__(self, models: int, tests: int) -> None:
        self.totals = {"models": models, "tests": tests}
        self.done = {"models": 0, "tests": 0}

    def line(self, event: Any) -> tuple[str, str] | None:
        """(level, message) for a model's materialisation or a test's check result; None for anything else."""
        seconds = _value(event.metadata, "Execution Duration") if hasattr(event, "metadata") else None
        took = f" in {seconds:.1f} s" if isinstance(seconds, int | float) else ""
        if isinstance(event, dg.Output | dg.AssetMaterialization):
            name = str(_value(event.metadata, "unique_id") or "").rsplit(".", 1)[-1] or "model"
            return "info", f"dbt built {name}{took} ({self._count('models')} models)"
        if isinstance(event, dg.AssetCheckResult | dg.AssetCheckEvaluation):
            asset = event.asset_key.to_user_string() if event.asset_key else "?"
            if event.passed:
                return "info", f"dbt test {event.check_name} on {asset} passed{took} ({self._count('tests')} tests)"
            # the rule's severity (a weekly test's Dagster severity is WARN, blocking_nothing)
            severity = _value(event.metadata, "severity") or (event.severity.value if event.severity else "ERROR")
            return "warning", (
                f"dbt test {event.check_name} on {asset} FAILED ({severity}){took} ({self._count('tests')} tests)"
            )
        return None

    def _count(self, what: str) -> str:
        self.done[what] += 1
        return f"{self.done[what]}/{self.totals[what]}"


def _descendant_models(manifest: Mapping[str, Any], roots: set[str]) -> list[str]:
    """The names of the models downstream of the models named in `roots`, the roots themselves left out."""
    by_name = {node["name"]: uid for uid, node in manifest["nodes"].items() if node["resource_type"] == "model"}
    seen: set[str] = set()
    stack = [by_name[name] for name in sorted(roots) if name in by_name]
    while stack:
        for child in manifest["child_map"].get(stack.pop(), []):
            if child.startswith("model.") and child not in seen:
                seen.add(child)
                stack.append(child)
    return sorted(manifest["nodes"][uid]["name"] for uid in seen)


# Great Expectations checks some marts after dbt has built them, and an ERROR rule of theirs holds back what reads
# them. A model that reads such a mart cannot be built in the same dbt invocation (it would be written before the
# check ran), so it is built in a second step, after the checks: tiktok_dbt_derived_marts.
GX_BLOCKING_MARTS = {
    asset
    for rule in RULES.values()
    if rule.severity == ERROR
    for asset, engine in rule.checks.items()
    if engine == GX and not asset.startswith("raw_")
}
DERIVED_MARTS = _descendant_models(json.loads(Path(dbt_project.manifest_path).read_text()), GX_BLOCKING_MARTS)


def _dbt_step(name: str, select: str, exclude: str | None, prepare_raw: bool) -> dg.AssetsDefinition:
    """One dbt invocation as a Dagster step over the models of `select` (less `exclude`) and their data tests.

    A partitioned run builds the window's days; a run with the tests alone and no partition (the weekly full
    check) runs `dbt test` over whole tables: `dbt build` would skip the tests of every model downstream of a
    failed test.
    """

    @dbt_assets(
        manifest=dbt_project.manifest_path,
        project=dbt_project,
        name=name,
        select=select,
        exclude=exclude,
        # one raw asset may land several streams, each its own dbt source (raw_tiktok_mentions: mentions and
        # mention_terms): the sources share the asset's key, and the models depend on it once
        dagster_dbt_translator=TikTokDbtTranslator(
            settings=DagsterDbtTranslatorSettings(enable_duplicate_source_asset_keys=True)
        ),
        partitions_def=daily_partitions,
        # A backfill of many days is one dbt invocation over the whole range, not one per day.
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=WAREHOUSE_POOL,
    )
    def dbt_step(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse) -> Iterator[Any]:
        if dbt.target != warehouse.dbt_target:
            raise dg.Failure(
                f"the dbt resource targets {dbt.target!r} but the warehouse resource is {warehouse.dbt_target!r}: "
                "build both from one Warehouse (assets.dbt.dbt_cli)"
            )
        window = None
        command = "build"
        if context.has_partition_key or context.has_partition_key_range:
            window = context.partition_time_window
            days = [window.start.date() + timedelta(days=i) for i in range((window.end - window.start).days)]
            prepared = warehouse.prepare_raw(days) if prepare_raw else None
            if prepared:
                context.log.info(prepared)
            context.log.info(f"dbt builds the partition window {days[0]} .. {days[-1]}")
        else:
            # only the dbt tests are selected (the weekly full check): every row of every table
            command = "test"
            context.log.info("No partition: the dbt tests run over whole tables.")
        pruned = prune_dbt_targets(Path(dbt_project.project_dir) / "target", context.op_execution_context.op.name)
        if pruned:
            context.log.info(
                f"Removed {pruned} dbt invocation folder(s) older than a day beyond the newest {KEPT_DBT_TARGETS}"
            )
        tests_only = command == "test"
        with environment({**dbt_window_env(window), **warehouse.dbt_environment()}):
            # A failed test of the weekly check is a failed asset check (the alerts read it), not a failed step:
            # a failed step would keep the next dbt step's tests from running.
            invocation = dbt.cli([command, *BUILD_EXCLUSIONS], context=context, raise_on_error=not tests_only)
        progress = DbtProgress(len(context.selected_asset_keys), len(context.selected_asset_check_keys))
        # every check result names its rule, its severity and its runbook section (the alerts read them)
        for event in invocation.stream():
            event = with_rule_metadata(event, invocation.manifest)
            line = progress.line(event)
            if line is not None:
                level, message = line
                (context.log.warning if level == "warning" else context.log.info)(message)
            yield blocking_nothing(event) if tests_only else event

    return dbt_step


_DERIVED_SELECTION = " ".join(DERIVED_MARTS)
# Staging, intermediate and the marts built from them: one invocation, the raw window prepared first.
tiktok_dbt_models = _dbt_step("tiktok_dbt_models", "fqn:*", _DERIVED_SELECTION, prepare_raw=True)
# The marts that read marts Great Expectations checks, built once those checks have passed.
tiktok_dbt_derived_marts = _dbt_step("tiktok_dbt_derived_marts", _DERIVED_SELECTION, None, prepare_raw=False)
DBT_STEPS = (tiktok_dbt_models, tiktok_dbt_derived_marts)
