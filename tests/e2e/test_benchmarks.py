"""Industry benchmarks through the real `tiktok_daily` job, on DuckDB and on PostgreSQL: one run per warehouse.

Three demo accounts and the team's accounts.csv: acme_coffee in food_and_beverage, jules.makes in a category the
simulator does not know (`unknown_categories=`, as TikTok would refuse a category it names differently), tiny_bakery
on a line without a category. The first's benchmark lands, is staged and sits beside its 30-day figures in
fct_tiktok_account_benchmarks; the second fails alone (the WARN check all_accounts_fetched names the category and
the line), the third is skipped with the reason; every account has its figures and its percent ranks, the BI copy
holds both marts, and the demo's benchmark lines read them on either warehouse.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from tests.e2e.test_daily_job import DAY, materialized, run_daily, use_warehouse
from tiktok_api.simulator import Simulator

UNKNOWN = "art_and_crafts"


@pytest.mark.parametrize("kind", ["duckdb", "postgres"])
def test_benchmarks_land_build_fail_an_unknown_category_and_skip_an_account_without_one(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
):
    warehouse = use_warehouse(tmp_path, kind, request, monkeypatch)
    world = Simulator(accounts=3).world
    acme, jules, tiny = (account.business_id for account in world.accounts)
    (tmp_path / "accounts.csv").write_text(
        f"business_id,time_zone,business_category\n{acme},,food_and_beverage\n{jules},,{UNKNOWN}\n{tiny},,\n"
    )
    result, _ = run_daily(f"unknown_categories={UNKNOWN}", accounts=3)

    assert result.success, "one account's failure never fails the run"
    failed = [(e.asset_key.to_user_string(), e.check_name, e) for e in result.get_asset_check_evaluations()]
    failed = [(asset, check, e) for asset, check, e in failed if not e.passed]
    assert [(asset, check) for asset, check, _ in failed] == [("raw_tiktok_benchmarks", "all_accounts_fetched")]
    assert failed[0][2].severity == dg.AssetCheckSeverity.WARN
    described = failed[0][2].description or ""
    assert f"TikTok does not know the business category '{UNKNOWN}' (accounts.csv line 3)" in described, described
    assert acme not in described and tiny not in described, "the other accounts did not fail"
    built = materialized(result)
    assert {"raw_tiktok_benchmarks", "fct_tiktok_account_benchmarks", "fct_tiktok_account_percentiles"} <= built
    assert "tiktok_marts_for_bi" in built
    [landed] = [e for e in result.get_asset_materialization_events() if e.asset_key.path == ["raw_tiktok_benchmarks"]]
    skipped = landed.materialization.metadata["skipped"].value
    assert list(skipped) == [tiny] and "accounts.csv line 4 leaves business_category empty" in skipped[tiny]
    assert list(landed.materialization.metadata["failed_accounts"].value) == [jules]

    expected = Simulator(accounts=1).benchmarks.averages("food_and_beverage", DAY)
    query = {
        "rows": "select business_id, business_category, category_average_followers, category_average_engagement_rate, "
        "engagement_rate_30d, no_benchmark_reason from marts.fct_tiktok_account_benchmarks "
        f"where metric_date = '{DAY}' order by business_id"
    }
    rows = {row["business_id"]: row for row in warehouse.read_marts(query)["rows"].to_dict("records")}
    assert set(rows) == {acme, jules, tiny}
    assert rows[acme]["business_category"] == "food_and_beverage" and pd.isna(rows[acme]["no_benchmark_reason"])
    assert rows[acme]["category_average_followers"] == expected["average_followers"]
    assert rows[acme]["category_average_engagement_rate"] == expected["average_engagement_rate"]
    assert rows[jules]["business_category"] == UNKNOWN
    assert rows[jules]["no_benchmark_reason"] == "no benchmark of the category landed for this day"
    assert rows[tiny]["no_benchmark_reason"] == "no business category configured in accounts.csv"
    assert all(pd.notna(row["engagement_rate_30d"]) for row in rows.values()), "every account has its figures"
    ranks = {
        "ranks": "select business_id, accounts_ranked, percent_rank from marts.fct_tiktok_account_percentiles "
        f"where metric_date = '{DAY}' and metric_name = 'engagement_rate_30d'"
    }
    ranked = warehouse.read_marts(ranks)["ranks"].to_dict("records")
    assert sorted(r["business_id"] for r in ranked) == sorted([acme, jules, tiny])
    assert {int(r["accounts_ranked"]) for r in ranked} == {3} and {r["percent_rank"] for r in ranked} == {0, 0.5, 1}
    counts = {
        "n": "select (select count(*) from marts.fct_tiktok_account_benchmarks) as benchmarks, "
        "(select count(*) from marts.fct_tiktok_account_percentiles) as percentiles"
    }
    published = warehouse.read_published_marts(counts, tmp_path)["n"].to_dict("records")[0]
    assert int(published["benchmarks"]) > 0 and int(published["percentiles"]) == 8 * int(published["benchmarks"])

    # the demo's benchmark lines (its query, on this warehouse): one per account
    from orchestration.demo import BENCHMARKS_SQL, benchmark_line

    lines = [
        benchmark_line(*row.values()) for row in warehouse.read_marts({"b": BENCHMARKS_SQL})["b"].to_dict("records")
    ]
    assert len(lines) == 3, lines
    assert sum("engagement rate  vs " in line and line.endswith(" for food_and_beverage") for line in lines) == 1, lines
    assert sum("(no benchmark: no business category configured in accounts.csv)" in line for line in lines) == 1
    assert sum("(no benchmark: no benchmark of the category landed for this day)" in line for line in lines) == 1
