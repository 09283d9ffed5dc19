"""Every rule of the rule book fires end to end, alone, on both warehouses.

For each rule of expectations/rules.py, a day runs through the real `tiktok_daily` job against a simulator that
serves `break=<rule_id>` (tiktok_api/simulator/breakage.py; a rule on the team's configuration files is broken by
a line the test writes into the file instead), and then:

- exactly one check fails, the one FIRES names: the registry's implementation of the rule on that asset (a GX or
  Dagster check named after the rule, or the dbt data test `<rule_id>__<model>` with the rule id in its
  metadata), with the registry's severity; every other check of the run passes;
- an ERROR rule holds back every asset downstream of the failed check's asset; a WARN rule holds back nothing (the
  BI copy and the report are built), nor does an ERROR rule on raw data that only some accounts break: their
  account-day is quarantined (tests/e2e/test_quarantine.py);
- the alert sensor, ticked twice with its cursor, writes exactly one alert: the rule's, with its severity and its
  runbook section.

The world is the smallest that exercises each rule: the first demo account (three accounts where the rule needs
them), with a post every 20 days. Three rules need more than one run. `lifetime_counters_do_not_fall`: a counter
falls from one snapshot to the next, so the day before lands first. `followers_total_matches_profile`: the profile
readings of D - 1 and D come from the runs of D - 3 and D - 2. Those earlier days run only the stream and staging
the rule needs, and nothing may fail in them. `partition_fresh_within_48h`: the daily run cannot land the withheld
day, then the `tiktok_freshness` job judges at a fixed time, 60 h after the day ended. Simulated clocks only: the
simulator's (`run_daily`) and the freshness check's run tag. The performance rule `metrics_within_usual_range`
scores a day against its history: its case asks for the 3 days of history one run lands
(TIKTOK_ANOMALY_MIN_HISTORY_DAYS, 14 by default).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import pytest

from assets.quality import FRESHNESS_CLOCK_TAG
from assets.warehouse import Warehouse
from expectations import rules as R
from expectations.rules import DBT, RULES, dbt_test_name, runbook_anchor
from orchestration.sensors import quality_alert_sensor
from tests.e2e.test_daily_job import DAY, materialized, run_daily
from tests.postgres_server import warehouse_env
from tiktok_api.days import FRESHNESS_LOOKBACK_DAYS, day_end
from tiktok_api.simulator import Simulator
from tiktok_api.simulator.breakage import BREAKABLE_RULES

WAREHOUSES = ("duckdb", "postgres")
POSTS_PER_DAY = 0.05  # a post every 20 days: dozens of posts and comments per account, one viral post
BI_AND_REPORT = {"tiktok_marts_for_bi", "tiktok_report"}
# The freshness job judges 60 h after the day ended: late (over 48 h), not yet stale (72 h), so WARN.
FRESHNESS_EVALUATED_AT = day_end(DAY) + timedelta(hours=60)


@dataclass(frozen=True)
class Case:
    """How a rule's switch is seen firing: the asset whose check of the rule fails (the only failed check), and the
    run it needs."""

    fails_on: str
    accounts: int = 1
    earlier_days: tuple[date, ...] = ()  # run first, clean (nothing may fail), in the same instance and warehouse
    earlier_assets: tuple[str, ...] = ()  # what the earlier days need: the stream of the rule and its staging
    quarantined: int | None = None  # the index of the one account an ERROR rule on raw data quarantines
    # a rule on the team's configuration files has no simulator switch: its break is a line of a file (name, text)
    # the test writes into the data folder
    config_files: tuple[tuple[str, str], ...] = ()
    environment: tuple[tuple[str, str], ...] = ()  # (variable, value) set for the runs


FIRES: dict[str, Case] = {
    # ERROR rules on raw data fail the raw check, which holds back everything downstream (dbt never runs)
    R.SHARE_IN_UNIT_INTERVAL: Case("raw_tiktok_videos"),
    R.COUNTS_NOT_NEGATIVE: Case("raw_tiktok_videos"),
    R.REACH_WITHIN_VIEWS: Case("raw_tiktok_videos"),
    R.KEYS_UNIQUE_NOT_NULL: Case("raw_tiktok_videos"),
    # the third demo account has 20 followers: its account-day is quarantined, the other two build
    R.AUDIENCE_NEEDS_100_FOLLOWERS: Case("raw_tiktok_account", accounts=3, quarantined=2),
    R.DISTRIBUTION_SUMS_TO_ONE: Case("raw_tiktok_videos"),
    R.TOP_LIST_SUMS_AT_MOST_ONE: Case("raw_tiktok_videos"),
    # an ERROR rule the marts' GX suites check: the BI copy and the report are held back
    R.FOLLOWER_NET_IS_NEW_MINUS_LOST: Case("fct_tiktok_account_daily"),
    # WARN rules
    # A fetch reads the profile at the end of the day before it lands, and the run of day P lands on P + 3: the
    # readings of D - 1 and D come from the runs of D - 3 and D - 2 (landing on odd and even days: only the
    # second is 5,000 too high). The run of D anchors the totals on D's reading, and D - 1's disagrees.
    R.FOLLOWERS_TOTAL_MATCHES_PROFILE: Case(
        "fct_tiktok_account_daily",
        earlier_days=(DAY - timedelta(days=3), DAY - timedelta(days=2)),
        earlier_assets=("raw_tiktok_account", "stg_tiktok__account_snapshots"),
    ),
    R.RETENTION_DOES_NOT_RISE: Case("fct_tiktok_video_retention"),
    R.VALUES_IN_DOMAIN: Case("dim_tiktok_videos"),  # dbt
    R.REFERENCES_RESOLVE: Case("fct_tiktok_comments"),  # dbt
    R.TIMES_ARE_POSSIBLE: Case("fct_tiktok_comments"),  # dbt
    R.LIFETIME_COUNTERS_DO_NOT_FALL: Case(
        "fct_tiktok_video_daily",
        earlier_days=(DAY - timedelta(days=1),),
        earlier_assets=("raw_tiktok_videos", "stg_tiktok__post_snapshots"),
    ),
    # one account of three fails: WARN while under half the accounts fail (ERROR from half on, assets/raw.py)
    R.ALL_ACCOUNTS_FETCHED: Case("raw_tiktok_comments", accounts=3),
    R.PARTITION_FRESH_WITHIN_48H: Case("raw_tiktok_account"),
    # the brand mentions' WARN rules (dbt, on the mart): the first demo account is mentioned over 1,000 times
    R.MENTIONS_AT_MOST_1000: Case("fct_tiktok_mention_daily"),
    R.MENTION_WINDOW_WITHIN_90_DAYS: Case("fct_tiktok_mention_daily"),
    # the team's configuration files: a caption pattern of wildcards alone is skipped and named
    R.CONFIG_LINES_VALID: Case("tiktok_post_labels", config_files=(("labels.csv", "match,label\n*,everything\n"),)),
    # a label line that loads but labels no post: named after dbt built the label marts
    R.LABELS_MATCH_POSTS: Case("dim_tiktok_label_lines", config_files=(("labels.csv", "#nosuchtag,Never\n"),)),
    # the performance rule (WARN, dbt): the day's views spike; one run lands the 3 days before it, so the score's
    # minimum history is 3 here (14 by default)
    R.METRICS_WITHIN_USUAL_RANGE: Case(
        "fct_tiktok_account_metric_anomalies", environment=(("TIKTOK_ANOMALY_MIN_HISTORY_DAYS", "3"),)
    ),
}


def test_every_rule_has_a_switch_and_is_proven_to_fire():
    by_config_file = {rule_id for rule_id, case in FIRES.items() if case.config_files}
    assert sorted([*BREAKABLE_RULES, *by_config_file]) == sorted(RULES), (
        "a rule without a break= switch (or a config-file line), or a switch without a rule"
    )
    assert sorted(FIRES) == sorted(RULES), "a rule test_the_rule_fires_alone does not run"
    for rule_id, case in FIRES.items():
        assert case.fails_on in RULES[rule_id].checks, f"{rule_id} is not checked on {case.fails_on}"


@pytest.fixture(params=WAREHOUSES)
def warehouse(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh data folder and warehouse: a DuckDB file in it, or a new database on the session's PostgreSQL
    server (tests/conftest.py: it fails rather than skips where TIKTOK_REQUIRE_POSTGRES=1, as in CI)."""
    monkeypatch.setenv("TIKTOK_DATA_DIR", str(tmp_path))
    for name in ("TIKTOK_DUCKDB_PATH", "TIKTOK_ALERT_WEBHOOK_URL", "TIKTOK_WAREHOUSE"):
        monkeypatch.delenv(name, raising=False)
    if request.param == "postgres":
        server = request.getfixturevalue("postgres_server")
        for key, value in warehouse_env(server.create_database("tiktok_every_rule")).items():
            monkeypatch.setenv(key, value)
    yield request.param


def _check_name(rule_id: str, asset: str) -> str:
    return dbt_test_name(rule_id, asset) if RULES[rule_id].checks[asset] == DBT else rule_id


def _metadata(evaluation: dg.AssetCheckEvaluation) -> dict[str, object]:
    return {key: getattr(value, "value", value) for key, value in evaluation.metadata.items()}


def _failed(result: dg.ExecuteInProcessResult) -> list[dg.AssetCheckEvaluation]:
    return [e for e in result.get_asset_check_evaluations() if not e.passed]


def _downstream(asset: str) -> set[str]:
    from orchestration.definitions import defs

    selection = dg.AssetSelection.assets(asset).downstream(include_self=False)
    return {key.to_user_string() for key in selection.resolve(defs.resolve_asset_graph())}


def _run_freshness(instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    """The daily run could not land the withheld day; the days before it have landed. The freshness job, run as its
    schedule would at FRESHNESS_EVALUATED_AT, finds the day late."""
    from orchestration.definitions import defs

    for back in range(1, FRESHNESS_LOOKBACK_DAYS):
        landed = dg.AssetMaterialization("raw_tiktok_account", partition=(DAY - timedelta(days=back)).isoformat())
        instance.report_runless_asset_event(landed)
    return defs.resolve_job_def("tiktok_freshness").execute_in_process(
        instance=instance, tags={FRESHNESS_CLOCK_TAG: FRESHNESS_EVALUATED_AT.isoformat()}, raise_on_error=False
    )


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_the_rule_fires_alone_end_to_end(rule_id: str, warehouse: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    rule, case = RULES[rule_id], FIRES[rule_id]
    for name, value in case.environment:
        monkeypatch.setenv(name, value)
    faults = f"break={rule_id}" if rule_id in BREAKABLE_RULES else ""
    for name, text in case.config_files:
        (tmp_path / name).write_text(text)
    instance = dg.DagsterInstance.ephemeral()
    for day in case.earlier_days:
        earlier, _ = run_daily(
            faults, case.accounts, day=day, instance=instance, posts_per_day=POSTS_PER_DAY, assets=case.earlier_assets
        )
        assert earlier.success and _failed(earlier) == [], f"the run of {day} before the broken one is clean"
    result, _ = run_daily(faults, case.accounts, instance=instance, posts_per_day=POSTS_PER_DAY)

    if rule_id == R.PARTITION_FRESH_WITHIN_48H:
        assert not result.success and _failed(result) == [], "the withheld day fails its landing, no check"
        [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
        assert failure.step_key == "raw_tiktok_account" and f"has not published metrics for {DAY}" in str(
            failure.event_specific_data.error
        )
        assert "raw_tiktok_account" not in materialized(result)
        result = _run_freshness(instance)
        assert result.success, "a failed freshness check does not fail its run"

    # exactly the rule's check fails, with its severity; every other check passed
    assert [(e.asset_key.to_user_string(), e.check_name) for e in _failed(result)] == [
        (case.fails_on, _check_name(rule_id, case.fails_on))
    ]
    [evaluation] = _failed(result)
    blocks = rule.severity == R.ERROR and case.quarantined is None
    severity = dg.AssetCheckSeverity.ERROR if blocks else dg.AssetCheckSeverity.WARN
    meta = _metadata(evaluation)
    assert evaluation.severity == severity and (meta["rule_id"], meta["severity"]) == (rule_id, rule.severity)
    if case.quarantined is not None:
        account = Simulator(accounts=case.accounts).world.accounts[case.quarantined].business_id
        assert meta["quarantined"] == [f"{DAY} account={account}"]
        assert Warehouse.from_env().quarantined()["business_id"].tolist() == [account]
    if rule.checks[case.fails_on] == DBT:  # the dbt data test itself failed
        assert meta["status"] == ("warn" if rule.severity == R.WARN else "fail")
        assert int(meta["dagster_dbt/failed_row_count"]) >= 1

    # ERROR holds back what is downstream of the failed check's asset; WARN holds back nothing
    built = materialized(result)
    if rule_id == R.PARTITION_FRESH_WITHIN_48H:
        pass  # the freshness job builds nothing; the day itself could not land (above)
    elif blocks:
        assert case.fails_on in built
        assert _downstream(case.fails_on) & built == set(), "an ERROR rule holds back the downstream assets"
        assert not result.success
    else:
        assert built >= BI_AND_REPORT, "a WARN or contained rule does not hold back the BI copy and the report"
        assert result.success

    # one alert, the rule's, never repeated
    context = dg.build_sensor_context(instance=instance)
    quality_alert_sensor(context)
    quality_alert_sensor(dg.build_sensor_context(instance=instance, cursor=context.cursor))
    alerts = [json.loads(line) for line in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert [a["rule_id"] for a in alerts] == [rule_id], "exactly one alert, naming the rule"
    [alert] = alerts
    assert alert["asset_key"] == case.fails_on and alert["severity"] == rule.severity
    assert alert["kind"] == rule.kind, "a performance alert says so, a data-quality one too"
    assert alert["runbook_url"].endswith(f"runbook.md#{runbook_anchor(rule_id)}")
    assert str(DAY) in (alert["partition"] or "") + json.dumps(alert["sample_keys"])
