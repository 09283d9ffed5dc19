"""Brand mentions through the real `tiktok_daily` job, on DuckDB and on PostgreSQL: one run per warehouse.

Two demo accounts, the second not approved for the mentions product (`mentions_unapproved=`): the first's day of
mentions and of its top hashtags and words lands, is staged and reaches `fct_tiktok_mention_daily`,
`fct_tiktok_mention_terms_daily` and the BI copy; the second is skipped with the reason (never failed, neither its
mentions nor their terms), and every other stream of both accounts lands and builds as before.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_daily_job import DAY, materialized, run_daily, use_warehouse
from tiktok_api import contract, landing
from tiktok_api.simulator import Simulator


@pytest.mark.parametrize("kind", ["duckdb", "postgres"])
def test_mentions_land_build_and_skip_an_unapproved_account(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
):
    warehouse = use_warehouse(tmp_path, kind, request, monkeypatch)
    approved, unapproved = (a.business_id for a in Simulator(accounts=2).world.accounts)
    result, _ = run_daily(f"mentions_unapproved={unapproved}", accounts=2)

    assert result.success
    assert [e.check_name for e in result.get_asset_check_evaluations() if not e.passed] == []
    built = materialized(result)
    assert {"raw_tiktok_mentions", "fct_tiktok_mention_daily", "fct_tiktok_mention_terms_daily"} <= built
    assert "tiktok_marts_for_bi" in built
    [mentions] = [e for e in result.get_asset_materialization_events() if e.asset_key.path == ["raw_tiktok_mentions"]]
    skipped = mentions.materialization.metadata["skipped"].value
    assert list(skipped) == [unapproved] and "not approved" in skipped[unapproved]
    assert mentions.materialization.metadata["failed_accounts"].value == {}
    assert landing.partition_accounts(tmp_path, "mentions", DAY) == [approved]
    assert landing.partition_accounts(tmp_path, "mention_terms", DAY) == [approved], "the terms follow the list"
    [terms_file] = landing.partition_files(tmp_path, "mention_terms", DAY, approved)
    assert str(terms_file) in mentions.materialization.metadata["files"].value
    for stream in ("account", "videos", "comments"):
        assert landing.partition_accounts(tmp_path, stream, DAY) == sorted([approved, unapproved]), stream

    query = {
        "days": "select business_id, snapshot_date, count(*) as posts, min(mention_rank) as top, "
        "max(mention_rank) as bottom, count(distinct mention_rank) as ranks, min(first_seen_date) as first_seen, "
        "max(last_seen_date) as last_seen from marts.fct_tiktok_mention_daily group by business_id, snapshot_date"
    }
    [day] = warehouse.read_marts(query)["days"].to_dict("records")
    assert day["business_id"] == approved and str(day["snapshot_date"])[:10] == str(DAY)
    cap = contract.MENTION_MAX_RECORDS
    assert (day["posts"], day["top"], day["bottom"], day["ranks"]) == (cap, 1, cap, cap), "ranks 1..1000, once each"
    assert str(day["first_seen"])[:10] == str(day["last_seen"])[:10] == str(DAY)
    count = {"n": "select count(*) as n from marts.fct_tiktok_mention_daily"}
    published = warehouse.read_published_marts(count, tmp_path)
    assert int(published["n"]["n"][0]) == cap, "the BI copy holds the mart"

    terms_query = {
        "terms": "select business_id, snapshot_date, term_type, count(*) as terms, min(term_rank) as top, "
        "max(term_rank) as bottom, count(distinct term_rank) as ranks, min(post_count) as fewest_posts "
        "from marts.fct_tiktok_mention_terms_daily group by business_id, snapshot_date, term_type order by term_type"
    }
    lists = warehouse.read_marts(terms_query)["terms"].to_dict("records")
    assert [(t["business_id"], str(t["snapshot_date"])[:10], t["term_type"]) for t in lists] == [
        (approved, str(DAY), "hashtag"),
        (approved, str(DAY), "word"),
    ], "the approved account's day, both lists; none for the unapproved account"
    for terms in lists:
        n = int(terms["terms"])
        assert 0 < n <= contract.MENTION_TERM_MAX_RECORDS, terms
        assert (terms["top"], terms["bottom"], terms["ranks"]) == (1, n, n), "ranks 1..n, once each"
        assert terms["fewest_posts"] >= 1
    count_terms = {"n": "select count(*) as n from marts.fct_tiktok_mention_terms_daily"}
    published_terms = warehouse.read_published_marts(count_terms, tmp_path)
    assert int(published_terms["n"]["n"][0]) == sum(int(t["terms"]) for t in lists), "the BI copy holds the terms"

    # the demo's community line names each account's top hashtag of the day (its query, on this warehouse)
    from orchestration.demo import COMMUNITY_SQL, community_line

    community = warehouse.read_marts({"c": COMMUNITY_SQL})["c"].to_dict("records")
    top = warehouse.read_marts(
        {"t": "select term from marts.fct_tiktok_mention_terms_daily where term_type = 'hashtag' and term_rank = 1"}
    )["t"]["term"].tolist()
    tags = {row["username"]: row["top_hashtag"] for row in community}
    assert sorted(tag for tag in tags.values() if isinstance(tag, str)) == top and len(top) == 1
    lines = [community_line(*row.values()) for row in community]
    assert sum(f"mentions #{top[0]} " in line for line in lines) == 1, lines
