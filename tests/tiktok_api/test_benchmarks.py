"""Industry benchmarks over real loopback HTTP: the simulator's /business/benchmark/, the client and the fetch.

The contract (../shared/TIKTOK_API.md, "Industry benchmarks"; tiktok_api/contract.py): a business category's
averages over 30 days, the newest day TikTok has published (24-48 h after it ends), values that change slowly; a
category TikTok does not know is a 40002. The fetch lands one file an account-day for the category accounts.csv
configures; an account without one is skipped with the reason, an unknown category fails that account alone.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.tiktok_api.conftest import Rig
from tiktok_api import contract, landing, team_config
from tiktok_api.client import unknown_category
from tiktok_api.days import day_end
from tiktok_api.errors import BadParameterError, PermissionDeniedError
from tiktok_api.ingestion import RawFetcher
from tiktok_api.simulator import Simulator

DAY = date(2026, 11, 18)  # SIM_NOW is 2026-11-20 12:00: the 18th is published for every category
CATEGORY = "food_and_beverage"


def _fetcher(rig: Rig, data_dir: Path) -> RawFetcher:
    return RawFetcher(
        rig.client(), data_dir, source="simulator", run_id="test",
        api_now=lambda: datetime.fromtimestamp(rig.now(), UTC),
    )  # fmt: skip


def test_the_answer_is_the_categorys_averages_of_the_newest_published_day(rig: Rig):
    result = rig.client().get_benchmark(rig.bid(0), CATEGORY)
    [answer] = result.records
    assert tuple(answer) == contract.BENCHMARK_FIELDS, "every field, plainly named"
    newest = rig.sim.benchmarks.published_until(CATEGORY, rig.now())
    assert answer == rig.sim.benchmarks.averages(CATEGORY, newest) and answer["business_category"] == CATEGORY
    assert date.fromisoformat(answer["date"]) == newest >= DAY
    assert 0 < answer["average_engagement_rate"] < 1 and 0 < answer["average_follower_growth_rate_30d"] < 1
    per_video = answer["average_likes_per_video"] + answer["average_comments_per_video"]
    per_video += answer["average_shares_per_video"]
    assert answer["average_video_views_30d"] > 0 and answer["average_followers"] > 0
    assert per_video > 0 and answer["average_videos_posted_30d"] > 1
    [page] = result.pages
    assert page.params == {"business_id": rig.bid(0), "business_category": CATEGORY}
    assert result.calls == 1 and rig.data_calls(contract.BENCHMARK, rig.bid(0)) == 1
    assert rig.sim.current_tokens[rig.bid(0)][0] not in page.raw_text + json.dumps(page.params)
    other = rig.client().get_benchmark(rig.bid(1), "gaming").records[0]
    assert other["business_category"] == "gaming" and other["average_followers"] != answer["average_followers"]
    same = rig.client().get_benchmark(rig.bid(1), CATEGORY).records[0]
    assert same == answer, "a category's averages are the same whichever account asks"


def test_the_averages_drift_slowly_from_day_to_day_and_the_same_seed_serves_the_same():
    benchmarks = Simulator(accounts=1).benchmarks
    days = [DAY - timedelta(days=n) for n in range(120, -1, -1)]
    for category in ("beauty", "travel", CATEGORY):
        series = [benchmarks.averages(category, d) for d in days]
        for metric in contract.BENCHMARK_METRICS:
            values = [day[metric] for day in series]
            steps = [abs(b / a - 1) for a, b in zip(values, values[1:], strict=False)]
            assert max(steps) < 0.01, f"{category} {metric} moves by under 1% a day"
            assert max(values) / min(values) > 1.02, f"{category} {metric} drifts over weeks"
    again = Simulator(accounts=3).benchmarks.averages("beauty", DAY)
    assert again == benchmarks.averages("beauty", DAY), "deterministic per seed, whatever the accounts"
    assert Simulator(seed=7, accounts=1).benchmarks.averages("beauty", DAY) != again, "another seed, another world"


def test_the_newest_day_appears_the_categorys_publication_lag_after_it_ends(rig: Rig):
    lag = rig.sim.benchmarks.lag(CATEGORY)
    assert contract.PUBLICATION_LAG_MIN_HOURS * 3600 <= lag <= contract.PUBLICATION_LAG_MAX_HOURS * 3600
    client = rig.client()
    rig.sim.clock.set(now=day_end(DAY).timestamp() + lag - 1)
    assert client.get_benchmark(rig.bid(0), CATEGORY).records[0]["date"] == str(DAY - timedelta(days=1))
    rig.sim.clock.set(now=day_end(DAY).timestamp() + lag)
    assert client.get_benchmark(rig.bid(0), CATEGORY).records[0]["date"] == str(DAY)


def test_an_unknown_category_is_a_40002_naming_the_parameter(make_rig):
    rig = make_rig(faults="unknown_categories=beauty")
    client = rig.client()
    for category in ("underwater_basket_weaving", "beauty"):
        with pytest.raises(BadParameterError, match="business_category: unknown business category") as error:
            client.get_benchmark(rig.bid(0), category)
        assert error.value.code == contract.BAD_PARAMETER and unknown_category(error.value)
        assert category in str(error.value), "the message names the category"
    assert client.get_benchmark(rig.bid(0), "travel").records, "the other categories are known"
    access = rig.sim.current_tokens[rig.bid(0)][0]
    body = httpx.get(
        rig.server.base_url + contract.BENCHMARK, params={"business_id": rig.bid(0)}, headers={"Access-Token": access}
    ).json()
    assert (body["code"], body["message"]) == (contract.BAD_PARAMETER, "business_category is required")
    other = BadParameterError(contract.BAD_PARAMETER, "max_count: must be between 1 and 30, got 31")
    assert not unknown_category(other), "another 40002 is no unknown category"


def test_a_token_without_the_insights_scope_is_refused(rig: Rig):
    rig.admin("scopes", {"business_id": rig.bid(1), "scopes": ["user.info.basic", "video.list"]})
    with pytest.raises(PermissionDeniedError, match="user.insights"):
        rig.client().get_benchmark(rig.bid(1), CATEGORY)


def test_transient_errors_are_retried_and_benchmark_calls_draw_faults_of_their_own(make_rig):
    faults = "internal_error=0.3"
    rig = make_rig(faults=faults)
    results = [rig.client().get_benchmark(rig.bid(0), CATEGORY) for _ in range(8)]
    assert all(result.records for result in results), "each call succeeds in the end"
    assert sum(result.retries for result in results) > 0 and all(r.calls == r.retries + 1 for r in results)
    with_benchmarks, without = make_rig(faults=faults), make_rig(faults=faults)
    for _ in range(5):
        with_benchmarks.client().get_benchmark(with_benchmarks.bid(1), CATEGORY)
    a = with_benchmarks.client().list_videos(with_benchmarks.bid(1), contract.VIDEO_FIELDS)
    b = without.client().list_videos(without.bid(1), contract.VIDEO_FIELDS)
    assert [p["item_id"] for p in a.records] == [p["item_id"] for p in b.records] and a.records
    assert a.retries == b.retries > 0, "the same faults on the way: benchmark calls draw from their own sequence"


def _accounts_csv(rig: Rig, folder: Path, *categories: str | None) -> None:
    """accounts.csv in the data folder: the rig's first accounts with these categories (None: no category)."""
    lines = [f"{rig.bid(i)},,{category or ''}" for i, category in enumerate(categories)]
    (folder / "accounts.csv").write_text("business_id,time_zone,business_category\n" + "\n".join(lines) + "\n")


def test_a_configured_account_lands_one_complete_file_with_its_category_and_line(rig: Rig, tmp_path: Path):
    _accounts_csv(rig, tmp_path, CATEGORY)
    outcome = _fetcher(rig, tmp_path).fetch_benchmarks(rig.bid(0), DAY)
    assert (outcome.error, outcome.skipped, outcome.records, outcome.api_calls) == (None, None, 1, 1)
    [path] = landing.partition_files(tmp_path, "benchmarks", DAY, rig.bid(0))
    fetch = landing.read_fetch(path)
    assert fetch["complete"] is True and fetch["stream"] == "benchmarks"
    assert (fetch["business_category"], fetch["config_line"]) == (CATEGORY, "accounts.csv line 2")
    [page] = fetch["pages"]
    assert page["response"]["data"]["business_category"] == CATEGORY
    assert outcome.details == {"business_category": CATEGORY, "benchmark_date": page["response"]["data"]["date"]}
    assert rig.sim.current_tokens[rig.bid(0)][0] not in path.read_text(), "no token in a landing file"
    old = _fetcher(rig, tmp_path).fetch_benchmarks(rig.bid(0), DAY - timedelta(days=10))
    assert old.skipped and "newest published day's averages only" in old.skipped and old.api_calls == 0


def test_an_account_without_a_category_is_skipped_with_the_reason_and_costs_no_call(rig: Rig, tmp_path: Path):
    fetcher = _fetcher(rig, tmp_path)
    no_file = fetcher.fetch_benchmarks(rig.bid(1), DAY)
    assert "there is no accounts.csv under $TIKTOK_DATA_DIR" in no_file.skipped
    _accounts_csv(rig, tmp_path, CATEGORY, None)
    assert fetcher.fetch_benchmarks(rig.bid(0), DAY).skipped, "a fetcher reads the file once: one run, one version"
    fetcher = _fetcher(rig, tmp_path)
    for index, reason in ((1, "accounts.csv line 3 leaves business_category empty"),
                          (2, "accounts.csv has no line for this account")):  # fmt: skip
        outcome = fetcher.fetch_benchmarks(rig.bid(index), DAY)
        assert outcome.error is None and outcome.path is None and outcome.api_calls == 0
        assert outcome.skipped.startswith("industry benchmarks: no business category is configured for this account")
        assert reason in outcome.skipped
        assert rig.data_calls(contract.BENCHMARK, rig.bid(index)) == 0
        assert landing.partition_files(tmp_path, "benchmarks", DAY, rig.bid(index)) == []
    assert fetcher.fetch_benchmarks(rig.bid(0), DAY).path, "the configured account lands"


def test_an_unknown_category_fails_that_account_alone_naming_the_category_and_line(make_rig, tmp_path: Path):
    rig = make_rig(faults="unknown_categories=beauty")
    _accounts_csv(rig, tmp_path, "beauty", CATEGORY, CATEGORY)
    fetcher = _fetcher(rig, tmp_path)
    failed = fetcher.fetch_benchmarks(rig.bid(0), DAY)
    assert failed.skipped is None and failed.path is None and failed.api_calls == 1
    assert "TikTok does not know the business category 'beauty' (accounts.csv line 2)" in failed.error
    assert "40002" in failed.error and "BUSINESS_CATEGORIES" in failed.error
    assert landing.partition_files(tmp_path, "benchmarks", DAY, rig.bid(0)) == [], "nothing arrived to land"
    landed = fetcher.fetch_benchmarks(rig.bid(1), DAY)
    assert landed.error is None and landed.path, "the other accounts land"
    rig.admin("scopes", {"business_id": rig.bid(2), "scopes": ["user.info.basic"]})
    other = fetcher.fetch_benchmarks(rig.bid(2), DAY)
    assert "40001" in other.error and "does not know" not in other.error, "another error is said as it is"


ACCOUNTS = """business_id,time_zone,business_category
b1,America/New_York,Food & Beverage
b2,,
b3,Europe/Berlin,underwater basket weaving
b1,,beauty
"""


@pytest.mark.parametrize(
    ("business_id", "expected"),
    [
        ("b1", team_config.ConfiguredCategory(CATEGORY, "accounts.csv line 2")),
        (
            "b2",
            team_config.ConfiguredCategory(
                None, "accounts.csv line 3", "accounts.csv line 3 leaves business_category empty"
            ),
        ),  # noqa: E501
        ("b9", team_config.ConfiguredCategory(None, None, "accounts.csv has no line for this account")),
    ],
)
def test_the_category_of_an_account_and_why_it_has_none(business_id: str, expected: object):
    parsed = team_config.parse_accounts(ACCOUNTS)
    config = team_config.TeamConfig(parsed.rows, [], parsed.problems, {"accounts.csv": True, "labels.csv": False})
    assert team_config.configured_category(config, business_id) == expected


def test_a_skipped_line_or_no_file_is_the_reason(tmp_path: Path):
    parsed = team_config.parse_accounts(ACCOUNTS)
    config = team_config.TeamConfig(parsed.rows, [], parsed.problems, {"accounts.csv": True, "labels.csv": False})
    found = team_config.configured_category(config, "b3")
    assert (found.business_category, found.line) == (None, "accounts.csv line 4")
    assert found.missing_reason.startswith("accounts.csv line 4: unknown business category 'underwater basket")
    assert found.missing_reason.endswith("(the line was skipped)")
    absent = team_config.configured_category(team_config.read_team_config(tmp_path), "b1")
    assert absent == team_config.ConfiguredCategory(None, None, "there is no accounts.csv under $TIKTOK_DATA_DIR")
