"""Bad data is contained to the account-day that carries it, on both warehouses (issue 15, point 3).

Four demo accounts are fetched through a mutating proxy (tests/tiktok_api/mutating_proxy.py, real HTTP): the
first two accounts' answers break ERROR rules of the raw checks (negative counts on both raw assets, reach above
views), the last two are clean control accounts. The same day is run twice through the real `tiktok_daily` job
from one simulator standing still (every run is served the same answers): once clean, once with the bad
accounts. Then:

- the raw checks fail, each naming the quarantined account-days, without blocking: the run succeeds, and the
  marts, the BI copy and the report are built;
- the bad accounts have no row of the day in any mart, their landing files are kept, and the quarantine table
  lists each (account, day, asset, rule);
- the control accounts' rows in every mart equal the clean run's;
- the alert names the rule with its ERROR severity and the quarantined accounts.

A rule that every account breaks still holds back the whole day (tests/e2e/test_every_rule_fires.py).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from assets.warehouse import MARTS_SCHEMA, QUARANTINE_TABLE, Warehouse
from expectations import rules as R
from orchestration.sensors import quality_alert_sensor
from tests.docs_blocks import tagged
from tests.e2e.test_daily_job import DAY, materialized, run_daily_at, use_warehouse
from tests.tiktok_api.mutating_proxy import Answer, MutatingProxy, Mutation
from tiktok_api import contract, landing
from tiktok_api.simulator import Simulator

RUN_COLUMNS = ("staged_at", "landed_at", "fetch_id", "request_id")  # when and by which fetch a row was made
MARTS = R._MARTS


def negative_counts(answer: Answer) -> dict[str, Any]:
    """A post's likes and a day's profile views below zero: counts_not_negative on both raw assets."""
    if answer.endpoint == contract.VIDEO_LIST and answer.data.get("videos"):
        answer.data["videos"][0]["likes"] = -3
    if answer.endpoint == contract.BUSINESS_GET and answer.data.get("metrics"):
        answer.data["metrics"][0]["profile_views"] = -5
    return answer.envelope


def reach_above_views(answer: Answer) -> dict[str, Any]:
    """A post reaching twice as many people as viewed it: reach_within_views on raw_tiktok_videos."""
    if answer.endpoint == contract.VIDEO_LIST:
        for video in answer.data.get("videos") or []:
            video["reach"] = 2 * int(video["video_views"]) + 1
    return answer.envelope


BAD: dict[int, Mutation] = {0: negative_counts, 1: reach_above_views}  # account index -> its bad answers
CONTROLS = (2, 3)
FAILS = {
    ("raw_tiktok_account", R.COUNTS_NOT_NEGATIVE): {0},
    ("raw_tiktok_videos", R.COUNTS_NOT_NEGATIVE): {0},
    ("raw_tiktok_videos", R.REACH_WITHIN_VIEWS): {1},
}


def _plain(value: Any) -> Any:
    """A value as Python has it, whatever dtype pandas gave its column (which the other rows decide)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    value = value.item() if isinstance(value, np.generic) else value
    # an integer column with NULLs in other rows comes back as floats
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _rows(warehouse: Warehouse, accounts: set[str]) -> dict[str, list[tuple]]:
    """Every mart's rows of `accounts`, without the columns that say when or by which fetch a row was made."""
    frames = warehouse.read_marts({mart: f"select * from {MARTS_SCHEMA}.{mart}" for mart in MARTS})
    rows = {}
    for mart, frame in frames.items():
        frame = frame[frame["business_id"].isin(accounts)]
        columns = [c for c in frame.columns if not c.endswith(RUN_COLUMNS)]
        rows[mart] = sorted(
            (
                tuple(f"{c}={_plain(v)!r}" for c, v in zip(columns, row, strict=True))
                for row in frame[columns].itertuples(index=False)
            ),
            key=repr,
        )
    return rows


def _categorised(folder: Path, ids: list[str]) -> Path:
    """`folder` with an accounts.csv that gives every account a business category, so that every stream lands for
    every account (raw_tiktok_benchmarks skips an account without one)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = "".join(f"{business_id},,travel\n" for business_id in ids)
    (folder / "accounts.csv").write_text("business_id,time_zone,business_category\n" + lines)
    return folder


def _runbook_query() -> str:
    """The SQL of docs/runbook.md's section on quarantined account-days (tagged as run here)."""
    return tagged("docs/runbook.md", "by tests/e2e/test_quarantine.py", "tiktok_quarantine.account_days").text


def _metadata(evaluation: dg.AssetCheckEvaluation) -> Mapping[str, Any]:
    return {key: getattr(value, "value", value) for key, value in evaluation.metadata.items()}


def test_bad_accounts_are_quarantined_and_the_control_accounts_build_as_on_a_clean_day(
    still_simulator: tuple[Simulator, str],
    warehouse_kind: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
):
    sim, url = still_simulator
    ids = [account.business_id for account in sim.world.accounts]
    bad, controls = {ids[i] for i in BAD}, {ids[i] for i in CONTROLS}

    clean_warehouse = use_warehouse(_categorised(tmp_path / "clean", ids), warehouse_kind, request, monkeypatch)
    clean = run_daily_at(url, clean_warehouse, dg.DagsterInstance.ephemeral())
    assert clean.success and all(e.passed for e in clean.get_asset_check_evaluations())
    clean_rows = _rows(clean_warehouse, controls)
    assert all(clean_rows[mart] for mart in ("dim_tiktok_accounts", "fct_tiktok_video_daily")), "controls have data"

    folder = _categorised(tmp_path / "bad", ids)
    warehouse = use_warehouse(folder, warehouse_kind, request, monkeypatch)
    instance = dg.DagsterInstance.ephemeral()
    with MutatingProxy(url, {ids[i]: mutate for i, mutate in BAD.items()}) as proxy:
        result = run_daily_at(proxy.url, warehouse, instance)

    # the ERROR rules failed on the bad accounts only, without holding back the day
    failed = {
        (e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations() if not e.passed
    }
    assert sorted(failed) == sorted(FAILS)
    for key, evaluation in failed.items():
        meta = _metadata(evaluation)
        assert evaluation.severity == dg.AssetCheckSeverity.WARN, "a contained rule does not block"
        assert meta["severity"] == R.ERROR and meta["rule_id"] == key[1]
        assert meta["quarantined"] == [f"{DAY} account={ids[i]}" for i in sorted(FAILS[key])]
        assert "quarantined" in evaluation.description
    assert result.success
    assert {"tiktok_marts_for_bi", "tiktok_report", "fct_tiktok_video_daily"} <= materialized(result)

    # the bad accounts' rows are held out of every mart, kept in raw, and listed in the quarantine table
    assert all(rows == [] for rows in _rows(warehouse, bad).values()), "no mart row of a quarantined account-day"
    for account in bad:
        for stream in landing.STREAMS:
            assert landing.list_fetches(folder, stream, DAY, account), f"{account}'s {stream} fetch is kept in raw"
    listed = warehouse.quarantined()
    assert sorted(zip(listed["business_id"], listed["asset"], listed["rule_id"], strict=True)) == sorted(
        (ids[i], asset, rule_id) for (asset, rule_id), accounts in FAILS.items() for i in accounts
    )
    assert {str(day)[:10] for day in listed["partition_date"]} == {DAY.isoformat()}
    assert (listed["offending_rows"] >= 1).all()
    runbook = _runbook_query()
    assert len(warehouse.read_marts({"q": runbook})["q"]) == len(listed), "the runbook's query lists them"
    published = warehouse.read_published_marts({"q": f"select count(*) as n from {QUARANTINE_TABLE}"})["q"]
    assert int(published["n"].iloc[0]) == len(listed), "BI tools read the quarantine beside the marts"

    # the control accounts built exactly as on a clean day
    for mart, rows in _rows(warehouse, controls).items():
        assert rows == clean_rows[mart], (
            f"{mart}: only in the quarantine run {sorted(set(rows) - set(clean_rows[mart]))[:3]}, "
            f"only in the clean run {sorted(set(clean_rows[mart]) - set(rows))[:3]}"
        )

    # one alert per failed check, with the rule's severity and the quarantined accounts
    context = dg.build_sensor_context(instance=instance)
    quality_alert_sensor(context)
    alerts = [json.loads(line) for line in (folder / "alerts.jsonl").read_text().splitlines()]
    assert sorted((a["asset_key"], a["rule_id"]) for a in alerts) == sorted(FAILS)
    for alert in alerts:
        assert alert["severity"] == R.ERROR
        for i in FAILS[(alert["asset_key"], alert["rule_id"])]:
            assert ids[i] in alert["description"]


def test_a_clean_rerun_lifts_the_quarantine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The raw check replaces its asset's quarantine of the day each time it runs."""
    monkeypatch.setenv("TIKTOK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TIKTOK_DUCKDB_PATH", raising=False)
    monkeypatch.delenv("TIKTOK_WAREHOUSE", raising=False)
    warehouse = Warehouse.from_env()
    warehouse.record_quarantine("raw_tiktok_videos", DAY, [])
    assert not warehouse.exists(), "a clean check before any build creates no warehouse"
    warehouse.record_quarantine("raw_tiktok_videos", DAY, [("a1", R.COUNTS_NOT_NEGATIVE, 2)])
    warehouse.record_quarantine("raw_tiktok_account", DAY, [("a1", R.COUNTS_NOT_NEGATIVE, 1)])
    assert len(warehouse.quarantined()) == 2
    warehouse.record_quarantine("raw_tiktok_videos", DAY, [])
    assert warehouse.quarantined()["asset"].tolist() == ["raw_tiktok_account"]
