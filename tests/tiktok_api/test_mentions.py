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
from tiktok_api.simulator.world import MENTION_STOP_WORDS

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
    # a call timed out on a loaded machine is retried: one call more than pages
    assert result.pages[-1].data["has_more"] is False and result.calls == len(result.pages) + result.retries
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


# ---------------------------------------------------------------- the top hashtags and words of the mentions

TERM_LISTS = [
    pytest.param(contract.MENTION_TOP_HASHTAG_LIST, "list_mention_hashtags", id="hashtags"),
    pytest.param(contract.MENTION_TOP_WORD_LIST, "list_mention_words", id="words"),
]


def _terms_of_captions(posts: list[dict], list_key: str) -> list[tuple[str, int, int]]:
    """The top terms the contract describes, counted here from the mention list's captions as the API sent them:
    (term, posts using it, their views summed), best first, every term (uncapped)."""
    totals: dict[str, list[int]] = {}
    for post in posts:
        tokens = post["caption"].lower().split()
        if list_key == "hashtags":
            terms = {t.removeprefix("#") for t in tokens if t.startswith("#")}
        else:
            terms = {t for t in tokens if t[0] not in "#@" and t not in MENTION_STOP_WORDS}
        for term in terms:
            total = totals.setdefault(term, [0, 0])
            total[0] += 1
            total[1] += post["views"]
    ranked = sorted(totals.items(), key=lambda item: (-item[1][0], -item[1][1], item[0]))
    return [(term, count, views) for term, (count, views) in ranked]


@pytest.mark.parametrize("index", [0, 1])
@pytest.mark.parametrize(("endpoint", "method"), TERM_LISTS)
def test_the_terms_agree_with_the_mention_lists_captions_for_a_window(rig: Rig, endpoint: str, method: str, index: int):
    # a week: few enough calls that the frozen clock does not move (rate-limit waits would move it, and the views)
    client, start = rig.client(), END - timedelta(days=6)
    list_key, term_key = contract.MENTION_TERM_LISTS[endpoint]
    posts = client.list_mentions(rig.bid(index), start, END).records
    result = getattr(client, method)(rig.bid(index), start, END)
    assert rig.sleeps == [], "the clock stood still between the list and its terms"
    expected = _terms_of_captions(posts, list_key)
    terms = [(t[term_key], t["post_count"], t["views"]) for t in result.records]
    assert terms == expected[: contract.MENTION_TERM_MAX_RECORDS], "the window's listed posts, once each, best first"
    assert all(set(t) == {term_key, "post_count", "views"} for t in result.records)
    assert {page.endpoint for page in result.pages} == {endpoint}
    if list_key == "words":
        assert not {t["word"] for t in result.records} & MENTION_STOP_WORDS


@pytest.mark.parametrize(("endpoint", "method"), TERM_LISTS)
def test_the_term_lists_are_capped_over_the_whole_window(rig: Rig, endpoint: str, method: str):
    client = rig.client()
    list_key, term_key = contract.MENTION_TERM_LISTS[endpoint]
    posts = client.list_mentions(rig.bid(0), START, END).records
    assert len(posts) == contract.MENTION_MAX_RECORDS
    result = getattr(client, method)(rig.bid(0), START, END)
    expected = _terms_of_captions(posts, list_key)  # the clock moved while paging: compare the counts of posts
    assert [(t[term_key], t["post_count"]) for t in result.records] == [
        (term, count) for term, count, _ in expected[: contract.MENTION_TERM_MAX_RECORDS]
    ]
    if list_key == "words":
        assert len(expected) > contract.MENTION_TERM_MAX_RECORDS, "the world's captions use more words than the cap"
        assert len(result.records) == contract.MENTION_TERM_MAX_RECORDS
    else:  # eight hashtags in the world: the whole list, under the cap
        assert len(result.records) == len(expected) < contract.MENTION_TERM_MAX_RECORDS


@pytest.mark.parametrize(("endpoint", "method"), TERM_LISTS)
def test_the_term_lists_page_by_offset_and_keep_their_order(rig: Rig, endpoint: str, method: str):
    client = rig.client()
    list_key, term_key = contract.MENTION_TERM_LISTS[endpoint]
    whole = getattr(client, method)(rig.bid(0), START, END)
    assert len(whole.pages) == 1 and whole.pages[0].data["has_more"] is False
    paged = getattr(client, method)(rig.bid(0), START, END, max_count=3)
    assert [t[term_key] for t in paged.records] == [t[term_key] for t in whole.records], "the same list, in order"
    sizes = [len(page.data[list_key]) for page in paged.pages]
    assert len(sizes) >= 3 and max(sizes) <= 3
    assert [int(page.params["cursor"]) for page in paged.pages] == [sum(sizes[:i]) for i in range(len(sizes))]
    assert [page.data["has_more"] for page in paged.pages] == [True] * (len(sizes) - 1) + [False]


@pytest.mark.parametrize(("endpoint", "method"), TERM_LISTS)
def test_the_term_lists_refuse_a_bad_window_and_max_count(rig: Rig, endpoint: str, method: str):
    list_terms = getattr(rig.client(), method)
    with pytest.raises(BadParameterError, match="at most 90 days") as error:
        list_terms(rig.bid(1), START - timedelta(days=1), END)
    assert error.value.code == contract.BAD_PARAMETER and error.value.endpoint == endpoint
    with pytest.raises(BadParameterError, match="max_count"):
        list_terms(rig.bid(1), START, END, max_count=contract.MENTION_MAX_COUNT + 1)
    with pytest.raises(BadParameterError, match="future"):
        list_terms(rig.bid(1), END, END + timedelta(days=5))
    with pytest.raises(BadParameterError, match="start_date must not be after end_date"):
        list_terms(rig.bid(1), END, END - timedelta(days=1))


@pytest.mark.parametrize(("endpoint", "method"), TERM_LISTS)
def test_the_term_lists_answer_an_unapproved_account_with_the_approval_error(make_rig, endpoint: str, method: str):
    rig = make_rig(faults="mentions_unapproved=" + make_rig().bid(0))
    with pytest.raises(PermissionDeniedError, match="approved for the brand mentions product") as error:
        getattr(rig.client(), method)(rig.bid(0), START, END)
    assert error.value.code == contract.NO_PERMISSION and error.value.endpoint == endpoint
    assert mentions_not_approved(error.value)
    assert getattr(rig.client(), method)(rig.bid(1), START, END).records, "another account is approved"


def test_the_terms_land_as_one_fetch_of_both_lists_and_follow_the_mention_list(rig: Rig, tmp_path: Path):
    fetcher = _fetcher(rig, tmp_path)
    outcome = fetcher.fetch_mentions_with_terms(rig.bid(0), END)
    assert outcome.error is None and outcome.skipped is None
    [mentions] = landing.partition_files(tmp_path, "mentions", END, rig.bid(0))
    [terms] = landing.partition_files(tmp_path, "mention_terms", END, rig.bid(0))
    assert outcome.path == str(mentions) and outcome.also_landed == [str(terms)]
    fetch = landing.read_fetch(terms)
    start, end = mention_window(END)
    assert fetch["complete"] is True and fetch["stream"] == "mention_terms"
    assert fetch["window"] == {"start": str(start), "end": str(end)}
    hashtag_page, word_page = fetch["pages"]  # one page each: ten terms at most, thirty a page
    assert (hashtag_page["endpoint"], word_page["endpoint"]) == (
        contract.MENTION_TOP_HASHTAG_LIST,
        contract.MENTION_TOP_WORD_LIST,
    )
    assert {(p["params"]["start_date"], p["params"]["end_date"]) for p in fetch["pages"]} == {(str(start), str(end))}
    hashtags, words = len(hashtag_page["response"]["data"]["hashtags"]), len(word_page["response"]["data"]["words"])
    assert outcome.details["hashtags"] == hashtags and outcome.details["words"] == words
    assert outcome.records == contract.MENTION_MAX_RECORDS + hashtags + words
    assert outcome.api_calls == len(landing.read_fetch(mentions)["pages"]) + 2
    assert rig.sim.current_tokens[rig.bid(0)][0] not in terms.read_text(), "no token in a landing file"
    old = fetcher.fetch_mention_terms(rig.bid(0), END - timedelta(days=10))
    assert old.skipped and old.skipped.startswith("brand mention hashtags and words:") and old.api_calls == 0


def test_an_unapproved_account_lands_neither_mentions_nor_terms_and_is_not_failed(make_rig, tmp_path: Path):
    rig = make_rig(faults="mentions_unapproved=" + make_rig().bid(0))
    fetcher = _fetcher(rig, tmp_path)
    terms = fetcher.fetch_mention_terms(rig.bid(0), END)
    assert terms.error is None and terms.path is None and terms.api_calls == 1
    assert "not approved" in terms.skipped and "other streams are not affected" in terms.skipped
    both = fetcher.fetch_mentions_with_terms(rig.bid(0), END)
    assert both.error is None and "not approved" in both.skipped and both.also_landed == []
    assert both.api_calls == 1, "the terms are not asked for once the list is refused"
    for stream in ("mentions", "mention_terms"):
        assert landing.partition_files(tmp_path, stream, END, rig.bid(0)) == [], stream
    other = fetcher.fetch_mentions_with_terms(rig.bid(1), END)
    assert other.error is None and other.skipped is None and len(other.also_landed) == 1


def test_a_failed_term_list_fails_the_account_and_keeps_what_landed(make_rig, tmp_path: Path):
    # every call fails after the list: the terms' first call exhausts its retries
    rig = make_rig()
    fetcher = _fetcher(rig, tmp_path)
    fetcher.client = rig.client(max_attempts=1)
    original = fetcher.fetch_mention_terms

    def failing_terms(business_id: str, partition: date):
        rig.set_faults("http_5xx=1")
        return original(business_id, partition)

    fetcher.fetch_mention_terms = failing_terms  # type: ignore[method-assign]
    outcome = fetcher.fetch_mentions_with_terms(rig.bid(1), END)
    assert outcome.error and outcome.error.startswith("brand mention hashtags and words:")
    assert outcome.path and outcome.skipped is None, "the mention list stays landed"
    assert landing.partition_files(tmp_path, "mention_terms", END, rig.bid(1)) == []


def test_term_calls_change_no_fault_the_mention_list_is_served(make_rig):
    faults = "internal_error=0.3"
    with_terms, without = make_rig(faults=faults), make_rig(faults=faults)
    with_terms.client().list_mention_words(with_terms.bid(1), START, END)
    with_terms.client().list_mention_hashtags(with_terms.bid(1), START, END)
    a = with_terms.client().list_mentions(with_terms.bid(1), START, END)
    b = without.client().list_mentions(without.bid(1), START, END)
    assert [p["item_id"] for p in a.records] == [p["item_id"] for p in b.records] and a.records
    assert a.retries == b.retries > 0, "the term endpoints draw their faults from a sequence of their own"
