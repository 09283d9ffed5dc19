"""Brand mentions over real loopback HTTP: the simulator's mention endpoint, the client's paging and the fetch.

The contract (../shared/TIKTOK_API.md, "Brand mentions"): the top posts mentioning the brand over a window of at most
90 days, at most 1,000, offset paging with short pages, re-ranked every day, 24-48 h behind, and an error envelope
for an app or account without the approval, which skips the account and never fails it.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.tiktok_api.conftest import Rig
from tiktok_api import contract, landing
from tiktok_api.client import mentions_not_approved
from tiktok_api.days import day_start
from tiktok_api.errors import BadParameterError, PermissionDeniedError
from tiktok_api.ingestion import RawFetcher, mention_window
from tiktok_api.simulator import Simulator

END = date(2026, 11, 18)  # SIM_NOW is 2026-11-20 12:00: the 18th is published for every account
START = END - timedelta(days=contract.MENTION_MAX_WINDOW_DAYS - 1)


def _fetcher(rig: Rig, data_dir: Path) -> RawFetcher:
    return RawFetcher(
        rig.client(), data_dir, source="simulator", run_id="test",
        api_now=lambda: datetime.fromtimestamp(rig.now(), UTC),
    )  # fmt: skip


def test_the_list_is_capped_at_1000_in_the_apis_order_over_short_pages(rig: Rig):
    result = rig.client().list_mentions(rig.bid(0), START, END)
    expected = rig.sim.mentions.ranked(rig.account(0), START, END, rig.now())
    assert len(expected) > contract.MENTION_MAX_RECORDS, "the world mentions the first account more than the cap"
    ids = [post["item_id"] for post in result.records]
    assert ids == [post.item_id for post in expected[: contract.MENTION_MAX_RECORDS]], "the top 1,000, in order"
    sizes = [len(page.data["videos"]) for page in result.pages]
    assert max(sizes) <= contract.MENTION_MAX_COUNT and any(n < contract.MENTION_MAX_COUNT for n in sizes[:-1]), (
        "a page may be short while has_more is true"
    )
    cursors = [int(page.params["cursor"]) for page in result.pages]
    assert cursors == [sum(sizes[:i]) for i in range(len(sizes))], "the cursor is the offset of the next post"
    assert result.pages[-1].data["has_more"] is False and result.calls == len(result.pages)
    post = result.records[0]
    assert set(post) == set(contract.MENTION_FIELDS) and len(post["item_id"]) == 19
    assert "@" not in post["video_link"], "the creator is not identified"
    assert all(int(p["create_time"]) >= day_start(START).timestamp() for p in result.records)


def test_days_not_published_yet_are_not_in_the_list(rig: Rig):
    # at 2026-11-20 12:00 the 19th ended 36 h ago at most: published only where the account's lag is under 36 h
    for index in range(2):
        account = rig.account(index)
        published = rig.sim.mentions.published_until(account, rig.now())
        posts = rig.client().list_mentions(account.business_id, END - timedelta(days=9), END + timedelta(days=1))
        newest = max(datetime.fromtimestamp(int(p["create_time"]), UTC).date() for p in posts.records)
        assert newest <= published <= END + timedelta(days=1)


def test_the_window_is_at_most_90_days_and_max_count_at_most_30(rig: Rig):
    client = rig.client()
    with pytest.raises(BadParameterError, match="at most 90 days") as error:
        client.list_mentions(rig.bid(1), START - timedelta(days=1), END)
    assert error.value.code == contract.BAD_PARAMETER
    with pytest.raises(BadParameterError, match="max_count"):
        client.list_mentions(rig.bid(1), START, END, max_count=contract.MENTION_MAX_COUNT + 1)
    with pytest.raises(BadParameterError, match="future"):
        client.list_mentions(rig.bid(1), END, END + timedelta(days=5))
    assert client.list_mentions(rig.bid(1), START, END).records, "90 days is allowed"


def test_the_list_is_reranked_every_day_and_a_post_can_leave_and_come_back(rig: Rig):
    account = rig.account(1)
    days = [END - timedelta(days=n) for n in range(6, -1, -1)]
    window = timedelta(days=contract.MENTION_MAX_WINDOW_DAYS - 1)
    lists = {d: [p.item_id for p in rig.sim.mentions.ranked(account, d - window, d, rig.now())] for d in days}
    assert len({tuple(ids) for ids in lists.values()}) == len(days), "a new ranking every day"
    came_back = [
        item
        for before, today, after in zip(days, days[1:], days[2:], strict=False)
        for item in lists[before]
        if item not in lists[today] and item in lists[after]
    ]
    assert came_back, "a post left the list for a day and re-entered it"
    # the same seed serves the same lists, over HTTP too
    again = Simulator(accounts=2, now=rig.now()).mentions.ranked(account, days[0] - window, days[0], rig.now())
    assert [p.item_id for p in again] == lists[days[0]]


def test_mentions_change_nothing_the_other_endpoints_serve(make_rig):
    faults = "internal_error=0.3"
    with_mentions, without = make_rig(faults=faults), make_rig(faults=faults)
    with_mentions.client().list_mentions(with_mentions.bid(1), START, END)
    a = with_mentions.client().list_videos(with_mentions.bid(1), contract.VIDEO_FIELDS)
    b = without.client().list_videos(without.bid(1), contract.VIDEO_FIELDS)
    # the clients' backoff moves the frozen clocks, so metrics may differ by seconds: the posts and faults may not
    assert [p["item_id"] for p in a.records] == [p["item_id"] for p in b.records] and a.records
    assert a.retries == b.retries > 0, "the same faults on the way: mention calls draw from their own sequence"


def test_an_account_without_the_approval_is_skipped_and_its_other_streams_land(make_rig, tmp_path: Path):
    rig = make_rig(faults="mentions_unapproved=" + make_rig().bid(0))
    with pytest.raises(PermissionDeniedError, match="permission") as error:
        rig.client().list_mentions(rig.bid(0), START, END)
    assert error.value.code == contract.NO_PERMISSION and mentions_not_approved(error.value)
    fetcher = _fetcher(rig, tmp_path)
    skipped = fetcher.fetch_mentions(rig.bid(0), END)
    assert skipped.error is None and skipped.path is None
    assert "not approved" in skipped.skipped and "other streams are not affected" in skipped.skipped
    assert landing.partition_files(tmp_path, "mentions", END, rig.bid(0)) == []
    assert fetcher.fetch_videos(rig.bid(0), END).path, "the account's other streams land"
    landed = fetcher.fetch_mentions(rig.bid(1), END)
    assert landed.error is None and landed.skipped is None and landed.records > 0, "other accounts' mentions land"


def test_the_whole_app_can_be_unapproved_and_other_errors_are_not_a_skip(make_rig, tmp_path: Path):
    rig = make_rig(faults="mentions_unapproved=*")
    outcome = _fetcher(rig, tmp_path).fetch_mentions(rig.bid(1), END)
    assert outcome.skipped and outcome.error is None
    scopeless = PermissionDeniedError(contract.NO_PERMISSION, "the token lacks the scope comment.list")
    assert not mentions_not_approved(scopeless), "a 40001 that is not about the approval fails the account"


def test_a_day_lands_one_complete_file_per_account_with_its_window(rig: Rig, tmp_path: Path):
    outcome = _fetcher(rig, tmp_path).fetch_mentions(rig.bid(0), END)
    assert outcome.records == contract.MENTION_MAX_RECORDS and outcome.error is None
    [path] = landing.partition_files(tmp_path, "mentions", END, rig.bid(0))
    fetch = landing.read_fetch(path)
    start, end = mention_window(END)
    assert fetch["complete"] is True and fetch["stream"] == "mentions"
    assert fetch["window"] == {"start": str(start), "end": str(end)}
    assert {p["params"]["start_date"] for p in fetch["pages"]} == {str(start)}
    text = path.read_text()
    assert rig.sim.current_tokens[rig.bid(0)][0] not in text, "no token in a landing file"
    assert sum(len(p["response"]["data"]["videos"]) for p in fetch["pages"]) == contract.MENTION_MAX_RECORDS
    # an old partition is a snapshot of the past: skipped, and says so
    old = _fetcher(rig, tmp_path).fetch_mentions(rig.bid(0), END - timedelta(days=10))
    assert old.skipped and "brand mentions" in old.skipped


def test_the_simulator_refuses_a_bad_window_over_plain_http(rig: Rig):
    access = rig.sim.current_tokens[rig.bid(1)][0]
    params = {"business_id": rig.bid(1), "start_date": "2026-11-18", "end_date": "2026-11-17"}
    body = httpx.get(rig.server.base_url + contract.MENTION_VIDEO_LIST, params=params,
                     headers={"Access-Token": access}).json()  # fmt: skip
    assert body["code"] == contract.BAD_PARAMETER and "start_date" in body["message"]
    assert json.dumps(body["data"]) == "{}"
