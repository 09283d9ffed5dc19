"""Impossible values that reach the marts are caught by named rules, on both warehouses (issue 15, point 4).

One account's answers, rewritten by a mutating proxy over real HTTP, carry a metric date in the future, a day whose
metrics are all null and a post created in 2100; the client lands them (each is well-formed). The daily job's
named WARN rules fire on them, nothing is held back, and the other accounts' marts are built.
(Milliseconds timestamps, snapshots before publication and non-finite numbers: tests/e2e/test_every_rule_fires.py
for times_are_possible, tests/tiktok_api/test_bad_answers.py for the pages the client refuses.)
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from assets.warehouse import MARTS_SCHEMA
from expectations import rules as R
from expectations.rules import dbt_test_name
from tests.e2e.test_daily_job import DAY, materialized, run_daily_at, use_warehouse
from tests.tiktok_api.mutating_proxy import Answer, MutatingProxy
from tiktok_api import contract
from tiktok_api.simulator import Simulator

FUTURE_DAY = DAY + timedelta(days=30)
YEAR_2100 = int(datetime(2100, 1, 1, tzinfo=UTC).timestamp())


def impossible(answer: Answer) -> dict[str, Any]:
    """The account's metrics gain a day a month ahead and lose every value of their first day; its first post is
    created in 2100."""
    if answer.endpoint == contract.BUSINESS_GET and answer.data.get("metrics"):
        metrics = answer.data["metrics"]
        ahead = copy.deepcopy(metrics[-1])
        ahead["date"] = FUTURE_DAY.isoformat()
        metrics.append(ahead)
        metrics[0] = {key: (value if key == "date" else None) for key, value in metrics[0].items()}
    if answer.endpoint == contract.VIDEO_LIST and answer.data.get("videos"):
        video = answer.data["videos"][0]
        video["create_time"] = type(video["create_time"])(YEAR_2100)
    return answer.envelope


CAUGHT = {
    ("fct_tiktok_account_daily", dbt_test_name(R.TIMES_ARE_POSSIBLE, "fct_tiktok_account_daily")),  # future date
    ("fct_tiktok_account_daily", dbt_test_name(R.VALUES_IN_DOMAIN, "fct_tiktok_account_daily")),  # all-null day
    ("fct_tiktok_video_daily", dbt_test_name(R.TIMES_ARE_POSSIBLE, "fct_tiktok_video_daily")),  # created in 2100
}


def test_impossible_values_fire_their_named_rules_and_hold_nothing_back(
    still_simulator: tuple[Simulator, str],
    warehouse_kind: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
):
    sim, url = still_simulator
    ids = [account.business_id for account in sim.world.accounts]
    warehouse = use_warehouse(tmp_path / "impossible", warehouse_kind, request, monkeypatch)
    with MutatingProxy(url, {ids[0]: impossible}) as proxy:
        result = run_daily_at(proxy.url, warehouse, dg.DagsterInstance.ephemeral())

    failed = {
        (e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations() if not e.passed
    }
    assert set(failed) >= CAUGHT, f"not caught: {CAUGHT - set(failed)}"
    assert all(e.severity == dg.AssetCheckSeverity.WARN for e in failed.values()), "impossible values are WARN"
    for key in CAUGHT:
        meta = {k: getattr(v, "value", v) for k, v in failed[key].metadata.items()}
        assert meta["rule_id"] in (R.TIMES_ARE_POSSIBLE, R.VALUES_IN_DOMAIN)
    assert result.success and {"tiktok_marts_for_bi", "tiktok_report"} <= materialized(result)

    rows = warehouse.read_marts(
        {
            "future": f"select count(*) as n from {MARTS_SCHEMA}.fct_tiktok_account_daily "
            f"where business_id = '{ids[0]}' and metric_date = date '{FUTURE_DAY.isoformat()}'",
            "others": f"select count(distinct business_id) as n from {MARTS_SCHEMA}.fct_tiktok_account_daily "
            f"where business_id <> '{ids[0]}'",
        }
    )
    assert int(rows["future"]["n"].iloc[0]) == 1, "the row stays, flagged, for the team to see"
    assert int(rows["others"]["n"].iloc[0]) == len(ids) - 1, "the other accounts lost nothing"
    assert date.fromisoformat(str(DAY)) < FUTURE_DAY
