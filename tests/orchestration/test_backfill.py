"""Backfills: a range of the daily job is one run in which dbt builds the whole range once.

The end-to-end test launches the backfill as the UI does: the UI's "Materialize -> partition range -> Launch
backfill" sends the GraphQL mutation `launchPartitionBackfill` with the parameters written below (copied from
dagster-webserver's LaunchAssetChoosePartitionsDialog.tsx: from a job's page a job backfill of the job's assets,
from the asset graph an asset backfill). The mutation runs here against an in-process code location; the
backfill daemon's own iteration then turns the backfill into runs, and a synchronous run coordinator and launcher
execute each run it submits, for real, against the simulator over loopback HTTP.

Internal Dagster APIs used, for lack of public ones: `execute_backfill_iteration` (one tick of the backfill daemon;
the public alternative starts the daemon process and polls), the in-process workspace classes, and
`dagster_graphql.test.utils.execute_dagster_graphql` (the webserver's GraphQL schema, in process).
"""

from __future__ import annotations

import logging
import sys
import warnings
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster._core.execution.backfill import BULK_ACTION_TERMINAL_STATUSES, BulkActionStatus, PartitionBackfill
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG, BACKFILL_ID_TAG
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget
from dagster._daemon.backfill import execute_backfill_iteration
from dagster._utils.error import SerializableErrorInfo
from dagster_graphql.client.query import LAUNCH_PARTITION_BACKFILL_MUTATION
from dagster_graphql.test.utils import execute_dagster_graphql

from assets.dbt import dbt_cli
from assets.raw import raw_assets, raw_tiktok_account
from assets.resources import TikTokSource
from assets.warehouse import Warehouse
from orchestration.definitions import defs
from tiktok_api import contract, landing
from tiktok_api.days import daily_run_time, published_at_the_earliest, published_for_certain
from tiktok_api.settings import REPO_ROOT
from tiktok_api.simulator import Simulator, SimulatorServer

FIRST, LAST = date(2026, 11, 15), date(2026, 11, 17)
RANGE = [FIRST + timedelta(days=i) for i in range((LAST - FIRST).days + 1)]
LOCATION = "tiktok"
JOB = "tiktok_daily"
DBT_STEPS = ("tiktok_dbt_models", "tiktok_dbt_derived_marts")


def fetch_time(day: date) -> float:
    return daily_run_time(day).timestamp()


def _code_location() -> dg.Definitions:
    """orchestration/definitions.py as a code location for these tests: the same assets, checks and jobs, with
    the simulator's URL read from the environment when a run starts and steps executed in the run's process."""
    warehouse = Warehouse()  # DuckDB under $TIKTOK_DATA_DIR, resolved when a run starts
    return dg.Definitions(
        assets=defs.assets,
        asset_checks=defs.asset_checks,
        jobs=defs.jobs,
        schedules=defs.schedules,
        sensors=defs.sensors,
        resources={
            "tiktok": TikTokSource(simulator_url=dg.EnvVar("TIKTOK_SIMULATOR_URL")),
            "warehouse": warehouse,
            "dbt": dbt_cli(warehouse),
        },
        executor=dg.in_process_executor,
    )


# The code location the in-process workspace loads (by module and attribute, as a workspace.yaml entry would).
location = _code_location()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TIKTOK_DATA_DIR", str(tmp_path / "data"))
    for name in ("TIKTOK_DUCKDB_PATH", "TIKTOK_WAREHOUSE", "TIKTOK_ALERT_WEBHOOK_URL", "TIKTOK_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "data"


def test_every_job_has_one_backfill_policy_and_dagster_does_not_fall_back_to_one_partition_per_run():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        jobs = _code_location().resolve_all_job_defs()
    assert not [str(w.message) for w in caught if "varying BackfillPolicies" in str(w.message)]
    for job in jobs:
        if job.partitions_def is not None:
            assert job.backfill_policy == dg.BackfillPolicy.single_run(), job.name


# ---------------------------------------------------------------- the UI's backfill, end to end


def _ui_backfill_params(launched_from: str, asset_keys: list[dg.AssetKey], keys: list[str]) -> dict:
    """`backfillParams` as the UI's LaunchAssetChoosePartitionsDialog sends them (onLaunchAsBackfill)."""
    params: dict = {
        "tags": [{"key": "dagster/from_ui", "value": "true"}],  # tagsWithUIExecutionTags
        "assetSelection": [{"path": list(key.path)} for key in asset_keys],
        "partitionNames": keys,
        "fromFailure": False,
    }
    if launched_from == "job page":  # target.type === 'job': a job backfill of the job's assets
        params["selector"] = {
            "partitionSetName": f"{JOB}_partition_set",
            "repositorySelector": {"repositoryLocationName": LOCATION, "repositoryName": "__repository__"},
        }
    return params


def _launch_as_the_ui_does(workspace: WorkspaceProcessContext, launched_from: str, days: list[date]) -> str:
    job_assets = sorted(location.resolve_job_def(JOB).asset_layer.selected_asset_keys)
    params = _ui_backfill_params(launched_from, job_assets, [d.isoformat() for d in days])
    result = execute_dagster_graphql(
        workspace.create_request_context(), LAUNCH_PARTITION_BACKFILL_MUTATION, {"backfillParams": params}
    )
    launched = result.data["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    return launched["backfillId"]


def _run_the_backfill_daemon(workspace: WorkspaceProcessContext, backfill_id: str) -> PartitionBackfill:
    """Ticks of the backfill daemon until the backfill is done; each run it submits executes during the tick."""
    logger = logging.getLogger("tests.backfill_daemon")
    for _ in range(10):  # a job backfill takes one or two ticks, an asset backfill one per dependency level
        errors = [e for e in execute_backfill_iteration(workspace, logger) if isinstance(e, SerializableErrorInfo)]
        assert not errors, errors[0].to_string()
        backfill = workspace.instance.get_backfill(backfill_id)
        if backfill.status in BULK_ACTION_TERMINAL_STATUSES:
            return backfill
    raise AssertionError(f"the backfill is still {backfill.status} after 10 daemon ticks")


@pytest.mark.parametrize("launched_from", ["job page", "asset graph"])
def test_a_ui_backfill_of_the_daily_job_is_one_run_with_one_dbt_build_over_the_range(env: Path, launched_from: str):
    simulator = Simulator(accounts=2, now=fetch_time(LAST), speed=600)  # every day of the range is published
    origin = InProcessCodeLocationOrigin(
        loadable_target_origin=LoadableTargetOrigin(
            executable_path=sys.executable,
            module_name=__name__,
            attribute="location",
            working_directory=str(REPO_ROOT),
        ),
        location_name=LOCATION,
    )
    with (
        SimulatorServer(simulator) as server,
        pytest.MonkeyPatch.context() as patch,
        dg.instance_for_test(synchronous_run_coordinator=True, synchronous_run_launcher=True) as instance,
        WorkspaceProcessContext(instance, InProcessWorkspaceLoadTarget(origin)) as workspace,
    ):
        patch.setenv("TIKTOK_SIMULATOR_URL", server.url)
        backfill_id = _launch_as_the_ui_does(workspace, launched_from, RANGE)
        backfill = _run_the_backfill_daemon(workspace, backfill_id)

        assert backfill.status == BulkActionStatus.COMPLETED_SUCCESS
        [run] = instance.get_runs(dg.RunsFilter(tags={BACKFILL_ID_TAG: backfill_id}))
        assert run.status == dg.DagsterRunStatus.SUCCESS
        assert (run.tags[ASSET_PARTITION_RANGE_START_TAG], run.tags[ASSET_PARTITION_RANGE_END_TAG]) == (
            FIRST.isoformat(),
            LAST.isoformat(),
        )
        logs = instance.all_logs(run.run_id)
        dbt_steps = [
            e.step_key
            for e in logs
            if e.step_key in DBT_STEPS and e.dagster_event_type == dg.DagsterEventType.STEP_START
        ]
        dbt_commands = [e.user_message for e in logs if e.user_message.startswith("Running dbt command: `")]
        assert sorted(dbt_steps) == sorted(DBT_STEPS) and len(dbt_commands) == 2, dbt_commands
        # each dbt step is one `dbt build` whose window is the whole range
        assert all(" build " in command for command in dbt_commands)
        assert [e.user_message for e in logs if e.user_message.startswith("dbt builds the partition window")] == [
            f"dbt builds the partition window {FIRST} .. {LAST}"
        ] * 2

        for asset in location.resolve_job_def(JOB).asset_layer.selected_asset_keys:
            assert instance.get_materialized_partitions(asset) >= {d.isoformat() for d in RANGE}, asset
        account_events = instance.fetch_materializations(dg.AssetKey("raw_tiktok_account"), limit=10).records
        assert {r.partition_key for r in account_events} == {d.isoformat() for d in RANGE}
        for record in account_events:  # each partition carries its own day's metadata
            files = record.asset_materialization.metadata["files"].value
            assert files and all(f"date={record.partition_key}" in f for f in files)

    accounts = [a.business_id for a in simulator.world.accounts]
    for day in RANGE:
        for business_id in accounts:
            assert landing.list_fetches(env, "account", day, business_id), f"{day} {business_id} did not land"
    # post snapshots are "as of now": only the days still among the last three are snapshotted (docs/deployment.md)
    for business_id in accounts:
        assert landing.list_fetches(env, "videos", LAST, business_id)
    with duckdb.connect(str(env / "warehouse.duckdb"), read_only=True) as con:
        covered = dict(
            con.execute(
                "select metric_date, count(distinct business_id) from marts.fct_tiktok_account_daily "
                "where metric_date between ? and ? group by 1",
                [FIRST, LAST],
            ).fetchall()
        )
    assert covered == {day: len(accounts) for day in RANGE}, "the marts cover every day of the range"


# ---------------------------------------------------------------- one raw step over a range


def _land_range(server: SimulatorServer, assets: list, first: date, last: date, instance: dg.DagsterInstance):
    return dg.materialize(
        assets,
        tags={ASSET_PARTITION_RANGE_START_TAG: first.isoformat(), ASSET_PARTITION_RANGE_END_TAG: last.isoformat()},
        resources={"tiktok": TikTokSource(simulator_url=server.url)},
        instance=instance,
        raise_on_error=False,
    )


def test_a_range_lands_each_day_as_its_daily_run_would_and_names_failed_accounts_per_day(simulator_factory, env):
    first, last = date(2026, 11, 15), date(2026, 11, 17)
    server = simulator_factory(accounts=3, now=fetch_time(last), speed=600)
    revoked = server.simulator.world.accounts[1].business_id
    server.simulator.revoke(revoked)
    instance = dg.DagsterInstance.ephemeral()
    result = _land_range(server, raw_assets, first, last, instance)
    assert result.success, "one account failing must not fail the others"

    keys = [(first + timedelta(days=i)).isoformat() for i in range(3)]
    events = [e for e in result.get_asset_materialization_events() if e.asset_key.path == ["raw_tiktok_account"]]
    assert sorted(e.partition for e in events) == keys, "one materialisation per day of the range"
    for event in events:
        meta = {k: v.value for k, v in event.materialization.metadata.items()}
        assert set(meta["failed_accounts"]) == {revoked}
        assert len(meta["files"]) == 2 and all(f"date={event.partition}" in f for f in meta["files"])
        assert meta["records"] > 0 and "| account | records |" in meta["accounts"]
    checks = {e.asset_key.path[0]: e for e in result.get_asset_check_evaluations()}
    check = checks["raw_tiktok_account"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert set(check.metadata["failed_accounts"].value) == {f"{key} {revoked}" for key in keys}
    assert all(f"{key} {revoked}" in (check.description or "") for key in keys)
    # one API session for the range: every day of every account's account stream was fetched, none twice
    for account in server.simulator.world.accounts:
        for key in keys:
            landed = landing.list_fetches(env, "account", date.fromisoformat(key), account.business_id)
            assert len(landed) == (0 if account.business_id == revoked else 1)


def test_a_range_reaching_days_not_yet_published_lands_the_others_and_says_when_to_retry(simulator_factory, env):
    # The clock a minute after `published` is published for certain: the next day is within the publication lag
    # (its metrics not there yet), the one after cannot exist yet.
    published = date(2026, 11, 16)
    in_lag, unpublished = published + timedelta(days=1), published + timedelta(days=2)
    server = simulator_factory(accounts=1, now=fetch_time(published), speed=0)
    account = server.simulator.world.accounts[0]
    now = server.simulator.clock.now()
    assert not server.simulator.world.metrics_available(account, in_lag, now)
    instance = dg.DagsterInstance.ephemeral()
    first = published - timedelta(days=1)
    result = _land_range(server, [raw_tiktok_account], first, unpublished, instance)

    assert not result.success
    landed = {first.isoformat(), published.isoformat()}
    assert instance.get_materialized_partitions(raw_tiktok_account.key) == landed, "the published days are recorded"
    for day in (first, published):
        assert len(landing.list_fetches(env, "account", day, account.business_id)) == 1
    assert len(landing.list_fetches(env, "account", in_lag, account.business_id)) == 1, "what arrived has landed"
    assert not landing.list_fetches(env, "account", unpublished, account.business_id)
    calls = server.simulator.calls[(contract.BUSINESS_GET, account.business_id)]
    assert calls == 3, "one call a day, in one session; none spent on the day that cannot exist yet"

    failure = result.get_step_failure_events()[0].step_failure_data
    message = failure.error.message
    assert f"2 of 4 days could not be landed: {in_lag}: " in message
    assert f"not published metrics for {in_lag} yet" in message
    assert f"has not published {unpublished} yet" in message
    assert f"The other days ({first}...{published}) landed and are recorded as materialised" in message
    retry_after = max(published_for_certain(in_lag), published_at_the_earliest(unpublished))
    assert f"re-run {in_lag}...{unpublished} after {retry_after:%Y-%m-%d %H:%M} UTC" in message
    meta = failure.user_failure_data.metadata
    assert meta["retryable"].value is True and meta["retry_after"].value == retry_after.isoformat()
    assert meta["landed_days"].value == sorted(landed)
    assert set(meta["failed_days"].value) == {in_lag.isoformat(), unpublished.isoformat()}
