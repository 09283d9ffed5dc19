"""Bad answers over real HTTP: one account's answers are rewritten by a mutating proxy in front of the simulator.

Each test names one way a success answer (code 0) can break the contract and asserts what the platform does:
either a clear error naming the problem and the account, with what did arrive landed marked incomplete
(`"complete": false`, which every reader skips), or a documented tolerated value. The other account goes through
the same proxy untouched, and its fetch must be complete and identical to a fetch straight from the simulator.
Nothing sleeps: the clients' sleep advances the simulator's clock (tests/tiktok_api/conftest.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from expectations.datasets import partition_sql
from tests.tiktok_api.conftest import Rig
from tests.tiktok_api.mutating_proxy import Answer, MutatingProxy
from tiktok_api import contract, landing
from tiktok_api.client import ContractError, TikTokClient
from tiktok_api.ingestion import RawFetcher, StreamOutcome
from tiktok_api.secrets import Secret

SIM_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp()  # as in tests/conftest.py
PARTITION = date(2026, 11, 19)
ACCOUNT_PARTITION = date(2026, 11, 17)  # published for certain at SIM_NOW (the lag is at most 48 h)
BAD, CLEAN = 0, 1  # account indexes: the proxy rewrites BAD's answers only
FAR_CURSOR = int(SIM_NOW * 1000)

MakeProxy = Callable[[Callable[[Answer], Any]], tuple[MutatingProxy, TikTokClient]]


@pytest.fixture
def proxied(rig: Rig) -> Iterator[MakeProxy]:
    """`proxied(mutate)`: a proxy rewriting account BAD's answers with `mutate`, and a client that talks to it."""
    proxies: list[MutatingProxy] = []

    def make(mutate: Callable[[Answer], Any]) -> tuple[MutatingProxy, TikTokClient]:
        proxy = MutatingProxy(rig.server.url, {rig.bid(BAD): mutate}).start()
        proxies.append(proxy)
        client = TikTokClient(
            proxy.base_url,
            rig.store,
            client_id=rig.sim.client_id,
            client_secret=Secret(rig.sim.client_secret),
            clock=rig.sim.clock.now,
            sleep=rig.sleep,
            wall_clock=rig.sim.clock.now,
            timeout=5.0,
        )
        rig.clients.append(client)
        return proxy, client

    yield make
    for proxy in proxies:
        proxy.stop()


def fetcher(client: TikTokClient, rig: Rig, data_dir: Path) -> RawFetcher:
    return RawFetcher(
        client,
        data_dir,
        source="simulator",
        run_id="bad-answers",
        api_now=lambda: datetime.fromtimestamp(rig.now(), UTC),
    )


def landed(outcome: StreamOutcome) -> dict[str, Any]:
    assert outcome.path is not None, outcome
    return landing.read_fetch(Path(outcome.path))


def assert_failed(outcome: StreamOutcome, rig: Rig, *phrases: str) -> None:
    """The account failed with a message naming the account and every phrase."""
    assert outcome.error is not None, outcome
    assert f"for account {rig.bid(BAD)}" in outcome.error, outcome.error
    for phrase in phrases:
        assert phrase in outcome.error, outcome.error
    assert outcome.not_ready is None


def assert_incomplete(outcome: StreamOutcome, pages: int) -> dict[str, Any]:
    fetch = landed(outcome)
    assert fetch["complete"] is False and len(fetch["pages"]) == pages
    assert fetch["error"] == outcome.error
    return fetch


def assert_clean(outcome: StreamOutcome, proxy: MutatingProxy, rig: Rig, endpoint: str) -> dict[str, Any]:
    """The clean account's fetch through the proxy is complete, and what landed is exactly what the simulator sent
    (the proxy passed every answer through byte for byte, and the landing file holds those answers)."""
    assert outcome.error is None and outcome.records > 0, outcome
    fetch = landed(outcome)
    assert fetch["complete"] is True and "error" not in fetch
    assert proxy.untouched(endpoint, rig.bid(CLEAN))
    assert [page["response"] for page in fetch["pages"]] == [
        json.loads(b) for b in proxy.sent(endpoint, rig.bid(CLEAN))
    ]
    return fetch


def assert_clean_videos(outcome: StreamOutcome, proxy: MutatingProxy, rig: Rig) -> None:
    """...and the same posts, in the same order, as a fetch straight from the simulator."""
    fetch = assert_clean(outcome, proxy, rig, contract.VIDEO_LIST)
    through_proxy = [v["item_id"] for page in fetch["pages"] for v in page["response"]["data"]["videos"]]
    direct = rig.client().list_videos(rig.bid(CLEAN), ["item_id"], max_count=contract.VIDEO_MAX_COUNT)
    assert through_proxy == [v["item_id"] for v in direct.records]


def run_videos(proxied: MakeProxy, rig: Rig, tmp_path: Path, mutate: Callable[[Answer], Any]):
    proxy, client = proxied(mutate)
    raw = fetcher(client, rig, tmp_path)
    bad = raw.fetch_videos(rig.bid(BAD), PARTITION)
    clean = raw.fetch_videos(rig.bid(CLEAN), PARTITION)
    assert_clean_videos(clean, proxy, rig)
    return bad, proxy


def bad_calls(proxy: MutatingProxy, rig: Rig, endpoint: str = contract.VIDEO_LIST) -> int:
    return proxy.calls[(endpoint, rig.bid(BAD))]


def fake_video(n: int, template: dict[str, Any]) -> dict[str, Any]:
    return {**template, "item_id": str(7_999_000_000_000_000_000 + n)}


def next_cursor(answer: Answer) -> int:
    """A cursor one second before the one sent: it keeps moving back in time."""
    return int(answer.params.get("cursor", FAR_CURSOR)) - 1000


# --- paging that never ends -----------------------------------------------------------------------------------


def test_endless_empty_pages_with_has_more_stop_after_a_few(rig: Rig, proxied: MakeProxy, tmp_path: Path) -> None:
    """Measured on main: 1,500 empty pages followed for one account, and the run reported success."""

    def mutate(answer: Answer) -> dict:
        if answer.number > 1:
            answer.envelope["data"] = {"videos": [], "cursor": next_cursor(answer), "has_more": True}
        else:
            answer.data["has_more"] = True
        return answer.envelope

    bad, proxy = run_videos(proxied, rig, tmp_path, mutate)
    assert_failed(bad, rig, "paging stopped", f"{contract.PAGING_MAX_IDLE_PAGES} pages in a row were empty")
    assert bad_calls(proxy, rig) == 1 + contract.PAGING_MAX_IDLE_PAGES
    assert_incomplete(bad, 1 + contract.PAGING_MAX_IDLE_PAGES)


def test_a_cursor_that_does_not_advance_is_asked_once_more_then_given_up(
    rig: Rig, proxied: MakeProxy, tmp_path: Path
) -> None:
    def mutate(answer: Answer) -> dict:
        answer.data["cursor"] = FAR_CURSOR - 5_000  # the same cursor on every page
        answer.data["has_more"] = True
        return answer.envelope

    bad, proxy = run_videos(proxied, rig, tmp_path, mutate)
    assert_failed(bad, rig, "the cursor does not advance", f"got back {FAR_CURSOR - 5_000}")
    assert bad_calls(proxy, rig) == 3  # first page, the stalled page, asked once more
    assert_incomplete(bad, 3)


def test_a_cursor_moving_the_wrong_way_does_not_advance(rig: Rig, proxied: MakeProxy, tmp_path: Path) -> None:
    """The video cursor is "published before": a cursor moving forward in time would list the same posts again."""

    def mutate(answer: Answer) -> dict:
        answer.state["cursor"] = answer.state.get("cursor", FAR_CURSOR - 10**9) + 1000
        answer.data.update(cursor=answer.state["cursor"], has_more=True)
        return answer.envelope

    bad, _ = run_videos(proxied, rig, tmp_path, mutate)
    assert_failed(bad, rig, "the cursor does not advance", "it must move back in time")


def test_ids_repeated_across_pages_stop_the_fetch(rig: Rig, proxied: MakeProxy, tmp_path: Path) -> None:
    def mutate(answer: Answer) -> dict:
        first = answer.state.setdefault("first_page", answer.data["videos"])
        answer.envelope["data"] = {"videos": first, "cursor": next_cursor(answer), "has_more": True}
        return answer.envelope

    bad, proxy = run_videos(proxied, rig, tmp_path, mutate)
    assert_failed(bad, rig, "held only item_ids already received (ids repeated across pages)")
    assert bad_calls(proxy, rig) == 1 + contract.PAGING_MAX_IDLE_PAGES
    assert_incomplete(bad, 1 + contract.PAGING_MAX_IDLE_PAGES)


def test_fresh_pages_for_ever_stop_at_the_contract_bound(rig: Rig, proxied: MakeProxy) -> None:
    """Every page new ids and an advancing cursor: the page bound derived from the contract stops it."""

    def mutate(answer: Answer) -> dict:
        template = answer.state.setdefault("template", answer.data["videos"][0])
        start = answer.number * 100
        videos = [fake_video(start + i, template) for i in range(int(answer.params["max_count"]))]
        answer.envelope["data"] = {"videos": videos, "cursor": next_cursor(answer), "has_more": True}
        return answer.envelope

    proxy, client = proxied(mutate)
    with pytest.raises(ContractError) as caught:
        client.list_videos(rig.bid(BAD), ["item_id"], max_count=contract.VIDEO_MAX_COUNT)
    bound = -(-contract.VIDEO_LIST_MAX_RECORDS // contract.VIDEO_MAX_COUNT) + contract.PAGING_MARGIN_PAGES
    assert f"has_more is still true after {bound} pages" in str(caught.value)
    assert f"for account {rig.bid(BAD)}" in str(caught.value)
    assert bad_calls(proxy, rig) == bound and len(caught.value.partial.pages) == bound
    clean = client.list_videos(rig.bid(CLEAN), ["item_id"], max_count=contract.VIDEO_MAX_COUNT)
    assert clean.records == rig.client().list_videos(rig.bid(CLEAN), ["item_id"], max_count=20).records
    assert proxy.untouched(contract.VIDEO_LIST, rig.bid(CLEAN))


# --- success without data -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, what",
    [
        (lambda envelope: envelope.pop("data"), "data is missing"),
        (lambda envelope: envelope.update(data=None), "data is null"),
        (lambda envelope: envelope.update(data=[envelope["data"]]), "data is a list"),
    ],
    ids=["missing", "null", "list"],
)
def test_code_0_without_data_is_a_contract_error_not_an_unpublished_day(
    rig: Rig, proxied: MakeProxy, tmp_path: Path, change: Callable[[dict], Any], what: str
) -> None:
    """Measured on main: no data on /business/get/ was reported as "not published yet (retryable)"."""

    def mutate(answer: Answer) -> dict:
        change(answer.envelope)
        return answer.envelope

    proxy, client = proxied(mutate)
    raw = fetcher(client, rig, tmp_path)
    bad = raw.fetch_account(rig.bid(BAD), ACCOUNT_PARTITION)
    assert_failed(bad, rig, "answered OK (code 0) without data", what, contract.BUSINESS_GET)
    assert bad_calls(proxy, rig, contract.BUSINESS_GET) == 1 and not rig.sleeps  # not retried
    assert bad.path is None  # nothing arrived that could land

    clean = raw.fetch_account(rig.bid(CLEAN), ACCOUNT_PARTITION)
    assert clean.not_ready is None
    assert_clean(clean, proxy, rig, contract.BUSINESS_GET)


def test_video_list_without_data_fails_the_account(rig: Rig, proxied: MakeProxy, tmp_path: Path) -> None:
    """Without the check, no data read as "no videos, has_more missing": an empty account, landed complete."""

    def mutate(answer: Answer) -> dict:
        answer.envelope.pop("data")
        return answer.envelope

    bad, proxy = run_videos(proxied, rig, tmp_path, mutate)
    assert_failed(bad, rig, "answered OK (code 0) without data", "data is missing", contract.VIDEO_LIST)
    assert bad_calls(proxy, rig) == 1


# --- ids ----------------------------------------------------------------------------------------------------------


def test_ids_sent_as_json_numbers_are_the_same_keys_as_text(rig: Rig, proxied: MakeProxy, tmp_path: Path) -> None:
    """19-digit ids as JSON integers (exact in Python's json): the records hold their decimal text, the landed file
    holds the numbers as sent, and the raw check reads them as the same text keys."""

    def mutate(answer: Answer) -> str:
        for video in answer.data["videos"]:
            video["item_id"] = int(video["item_id"])
        return json.dumps(answer.envelope)

    proxy, client = proxied(mutate)
    numbers = client.list_videos(rig.bid(BAD), ["item_id", "create_time"], max_count=20)
    text = rig.client().list_videos(rig.bid(BAD), ["item_id", "create_time"], max_count=20)
    assert numbers.records == text.records and all(isinstance(v["item_id"], str) for v in numbers.records)
    assert f'"item_id":{text.records[0]["item_id"]}' in numbers.pages[0].raw_text.replace(" ", "")

    raw = fetcher(client, rig, tmp_path)
    bad = raw.fetch_videos(rig.bid(BAD), PARTITION)
    assert bad.error is None and landed(bad)["complete"] is True
    assert_clean_videos(raw.fetch_videos(rig.bid(CLEAN), PARTITION), proxy, rig)
    with duckdb.connect(":memory:") as con:
        rows = con.execute(partition_sql("raw_tiktok_videos", PARTITION, tmp_path)).df()
    bad_rows = rows[rows["business_id"] == rig.bid(BAD)]
    assert sorted(bad_rows["item_id"]) == sorted(v["item_id"] for v in text.records)


def test_the_same_id_as_number_and_as_text_is_one_post(rig: Rig, proxied: MakeProxy, tmp_path: Path) -> None:
    """A post repeated on the next page, once as a number and once as text: the client keeps it once, and the raw
    uniqueness rule (business_id, item_id) sees the two as one key and fires on the landed duplicate."""

    def mutate(answer: Answer) -> dict:
        videos = answer.data["videos"]
        if answer.number == 1:
            answer.state["repeat"] = dict(videos[0])
            videos[0]["item_id"] = int(videos[0]["item_id"])
        elif answer.number == 2:
            videos.insert(0, answer.state["repeat"])
        return answer.envelope

    proxy, client = proxied(mutate)
    raw = fetcher(client, rig, tmp_path)
    bad = raw.fetch_videos(rig.bid(BAD), PARTITION)
    direct = rig.client().list_videos(rig.bid(BAD), ["item_id"], max_count=20)
    assert bad.error is None and bad.records == len(direct.records)  # kept once
    from expectations.runner import validate_raw

    result = validate_raw("raw_tiktok_videos", PARTITION, data_dir=tmp_path, build_docs=False)
    assert result.failed_rules() == {"keys_unique_not_null": 2}
    assert {key["item_id"] for o in result.failures for key in o.sample_keys} == {direct.records[0]["item_id"]}


def test_an_id_that_lost_its_digits_as_a_float_is_refused(rig: Rig, proxied: MakeProxy, tmp_path: Path) -> None:
    """7.3e18 (a JSON number with an exponent) is a float in Python, exact only to 2**53: no id can be read."""

    def mutate(answer: Answer) -> str:
        text = json.dumps(answer.envelope)
        first = answer.data["videos"][0]["item_id"]
        return text.replace(f'"item_id": "{first}"', f'"item_id": {first}.0', 1)

    bad, proxy = run_videos(proxied, rig, tmp_path, mutate)
    assert_failed(bad, rig, "item_id", "cannot be read as the exact decimal text of an id")
    assert_incomplete(bad, 1)


# --- malformed pages ----------------------------------------------------------------------------------------------


def test_a_page_larger_than_max_count_is_kept(
    rig: Rig, proxied: MakeProxy, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Tolerated: the extra posts are real records; the client logs the breach and the fetch is complete."""

    def mutate(answer: Answer) -> dict:
        if answer.number == 1:
            answer.data["videos"] += [fake_video(i, answer.data["videos"][0]) for i in range(5)]
        return answer.envelope

    with caplog.at_level(logging.WARNING, logger="tiktok_api.client"):
        bad, _ = run_videos(proxied, rig, tmp_path, mutate)
    direct = rig.client().list_videos(rig.bid(BAD), ["item_id"], max_count=20)
    assert bad.error is None and landed(bad)["complete"] is True
    assert bad.records == len(direct.records) + 5
    assert f"sent {contract.VIDEO_MAX_COUNT + 5} records on a page of max_count {contract.VIDEO_MAX_COUNT}" in (
        caplog.text
    )


def test_a_negative_cursor_is_refused(rig: Rig, proxied: MakeProxy, tmp_path: Path) -> None:
    def mutate(answer: Answer) -> dict:
        answer.data.update(cursor=-5, has_more=True)
        return answer.envelope

    bad, proxy = run_videos(proxied, rig, tmp_path, mutate)
    assert_failed(bad, rig, "data.cursor is -5, not a non-negative integer")
    assert bad_calls(proxy, rig) == 1
    assert_incomplete(bad, 1)


def test_has_more_missing_is_not_the_end(rig: Rig, proxied: MakeProxy, tmp_path: Path) -> None:
    """Missing has_more read as false would drop the rest of the posts silently and land a "complete" fetch."""

    def mutate(answer: Answer) -> dict:
        answer.data.pop("has_more")
        return answer.envelope

    bad, proxy = run_videos(proxied, rig, tmp_path, mutate)
    assert_failed(bad, rig, "data.has_more is missing, not true or false")
    assert_incomplete(bad, 1)


def test_videos_not_a_list_is_refused(rig: Rig, proxied: MakeProxy, tmp_path: Path) -> None:
    def mutate(answer: Answer) -> dict:
        answer.data["videos"] = {"0": answer.data["videos"][0]}
        return answer.envelope

    bad, proxy = run_videos(proxied, rig, tmp_path, mutate)
    assert_failed(bad, rig, "data.videos is a dict, not a list")
    assert bad_calls(proxy, rig) == 1 and not rig.sleeps  # a contract breach is not retried


def test_a_number_sent_as_its_text_is_tolerated(rig: Rig, proxied: MakeProxy, tmp_path: Path) -> None:
    """Tolerated: "12" for 12 is landed as sent (every typed reader casts it) and the raw check reads 12."""

    def mutate(answer: Answer) -> dict:
        for video in answer.data["videos"]:
            video["likes"] = str(video["likes"])
        return answer.envelope

    bad, _ = run_videos(proxied, rig, tmp_path, mutate)
    assert bad.error is None and landed(bad)["complete"] is True
    assert isinstance(landed(bad)["pages"][0]["response"]["data"]["videos"][0]["likes"], str)
    direct = rig.client().list_videos(rig.bid(BAD), ["item_id", "likes"], max_count=20)
    with duckdb.connect(":memory:") as con:
        rows = con.execute(partition_sql("raw_tiktok_videos", PARTITION, tmp_path)).df()
    rows = rows[rows["business_id"] == rig.bid(BAD)].set_index("item_id")
    assert {v["item_id"]: v["likes"] for v in direct.records} == rows["likes"].to_dict()


def test_a_string_that_is_no_number_where_a_count_belongs_is_refused(
    rig: Rig, proxied: MakeProxy, tmp_path: Path
) -> None:
    """ "many" as a count: dbt's typed read (DuckDB or PostgreSQL) would stop on it for every account of the day,
    so the page is refused, named, and not landed; earlier pages land incomplete."""

    def mutate(answer: Answer) -> dict:
        if answer.number == 2:
            answer.data["videos"][3]["video_views"] = "many"
        return answer.envelope

    bad, proxy = run_videos(proxied, rig, tmp_path, mutate)
    assert_failed(bad, rig, "data.videos[3].video_views is 'many' (str), which no reader can take as bigint")
    assert bad_calls(proxy, rig) == 2 and not rig.sleeps
    assert_incomplete(bad, 1)


def test_an_impossible_date_in_account_metrics_is_refused(rig: Rig, proxied: MakeProxy, tmp_path: Path) -> None:
    def mutate(answer: Answer) -> dict:
        answer.data["metrics"][0]["date"] = "2026-02-30"
        return answer.envelope

    proxy, client = proxied(mutate)
    raw = fetcher(client, rig, tmp_path)
    bad = raw.fetch_account(rig.bid(BAD), ACCOUNT_PARTITION)
    assert_failed(bad, rig, "data.metrics[0].date is '2026-02-30' (str), which no reader can take as date")
    assert bad.path is None and bad_calls(proxy, rig, contract.BUSINESS_GET) == 1
    clean = raw.fetch_account(rig.bid(CLEAN), ACCOUNT_PARTITION)
    assert_clean(clean, proxy, rig, contract.BUSINESS_GET)


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_nan_or_infinity_in_counts_is_refused_and_not_landed(
    rig: Rig, proxied: MakeProxy, tmp_path: Path, token: str
) -> None:
    """Not JSON (RFC 8259), though Python reads it: PostgreSQL's jsonb and a typed DuckDB read refuse it for
    every account of the partition, so the page never lands; earlier pages land incomplete."""

    def mutate(answer: Answer) -> str:
        if answer.number == 1:
            return json.dumps(answer.envelope)
        answer.data["videos"][0]["likes"] = float(token)
        return json.dumps(answer.envelope)  # Python writes the bare token

    bad, proxy = run_videos(proxied, rig, tmp_path, mutate)
    assert_failed(bad, rig, f"the answer holds {token}, which JSON does not allow")
    assert bad_calls(proxy, rig) == 2 and not rig.sleeps
    fetch = assert_incomplete(bad, 1)
    assert token not in json.dumps(fetch["pages"])


# --- comments -----------------------------------------------------------------------------------------------------


def test_comment_pages_that_only_repeat_stop_while_single_repeats_are_kept(rig: Rig, proxied: MakeProxy) -> None:
    """Comments repeat past 500 on busy posts (the contract): one repeat per page is deduplicated; pages that hold
    nothing new with has_more true stop after a few."""
    post = next(p for p in rig.sim.world.visible_posts(rig.account(BAD), SIM_NOW) if len(p.comments) > 5)

    def mutate(answer: Answer) -> dict:
        comments = answer.data["comments"]
        first = answer.state.setdefault("first", comments[:2])
        if answer.number == 2:
            answer.data["comments"] = [first[0], *comments]  # a single repeat: kept once
        elif answer.number > 2:
            answer.data["comments"] = first  # nothing new
        answer.data.update(has_more=True, cursor=int(answer.params["cursor"]) + 2)
        return answer.envelope

    proxy, client = proxied(mutate)
    with pytest.raises(ContractError) as caught:
        client.list_comments(rig.bid(BAD), post.item_id, max_count=2)
    error = caught.value
    assert "held only comment_ids already received (ids repeated across pages)" in str(error)
    assert error.business_id == rig.bid(BAD) and error.endpoint == contract.COMMENT_LIST
    ids = [c["comment_id"] for c in error.partial.records]
    assert len(ids) == len(set(ids)) == 4  # two from each of the first two pages, the repeat kept once
    assert bad_calls(proxy, rig, contract.COMMENT_LIST) == 2 + contract.PAGING_MAX_IDLE_PAGES

    clean_post = next(p for p in rig.sim.world.visible_posts(rig.account(CLEAN), SIM_NOW) if p.comments)
    through_proxy = client.list_comments(rig.bid(CLEAN), clean_post.item_id)
    assert proxy.untouched(contract.COMMENT_LIST, rig.bid(CLEAN))
    direct = rig.client().list_comments(rig.bid(CLEAN), clean_post.item_id)
    assert [c["comment_id"] for c in through_proxy.records] == [c["comment_id"] for c in direct.records]


def test_the_proxy_without_a_change_passes_both_accounts_through(rig: Rig, proxied: MakeProxy) -> None:
    """Sanity of the rig itself: with a mutation that changes nothing, both accounts equal the simulator."""
    proxy, client = proxied(lambda answer: answer.envelope)
    direct = rig.client()
    pages = {}
    for index in (BAD, CLEAN):
        through = client.list_videos(rig.bid(index), ["item_id", "create_time"], max_count=20)
        assert through.records == direct.list_videos(rig.bid(index), ["item_id", "create_time"], max_count=20).records
        pages[index] = len(through.pages)
    assert proxy.untouched(contract.VIDEO_LIST, rig.bid(CLEAN))
    assert proxy.calls[(contract.VIDEO_LIST, rig.bid(BAD))] == pages[BAD]


# --- bodies and shapes a reader cannot take -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "what"),
    [
        ("<html><body>502 Bad Gateway</body></html>", "HTML where JSON belongs"),
        ('{"code": 0, "message": "OK", "data": {"videos": [', "a body cut short"),
    ],
)
def test_a_body_that_is_not_json_fails_the_account_and_lands_nothing(
    rig: Rig, proxied: MakeProxy, tmp_path: Path, body: str, what: str
) -> None:
    bad, proxy = run_videos(proxied, rig, tmp_path, lambda answer: body)
    assert bad.error is not None and rig.bid(BAD) in bad.error, what
    assert contract.VIDEO_LIST in bad.error, what
    assert bad.path is None or landed(bad)["complete"] is False, what


def test_fields_the_contract_does_not_know_are_landed_as_sent(rig: Rig, proxied: MakeProxy, tmp_path: Path) -> None:
    """Tolerated: TikTok adds a field; the fetch lands complete with the field, and the typed readers ignore it."""

    def mutate(answer: Answer) -> dict:
        for video in answer.data["videos"]:
            video["brand_new_metric"] = {"nested": [1, 2]}
        return answer.envelope

    bad, _ = run_videos(proxied, rig, tmp_path, mutate)
    assert bad.error is None and landed(bad)["complete"] is True
    assert landed(bad)["pages"][0]["response"]["data"]["videos"][0]["brand_new_metric"] == {"nested": [1, 2]}
    with duckdb.connect(":memory:") as con:
        rows = con.execute(partition_sql("raw_tiktok_videos", PARTITION, tmp_path)).df()
    assert "brand_new_metric" not in rows.columns and (rows["business_id"] == rig.bid(BAD)).any()


@pytest.mark.parametrize(
    ("change", "phrase"),
    [
        (lambda v: v.update(item_id=None), "null"),
        (lambda v: v.pop("item_id"), "missing"),
    ],
    ids=["null", "missing"],
)
def test_a_post_without_an_id_is_refused(
    rig: Rig, proxied: MakeProxy, tmp_path: Path, change: Callable[[dict], Any], phrase: str
) -> None:
    """A post with no id can be no row of any mart (the key): the page is refused and named. Measured before the
    check: a null id landed complete, a missing one crashed the fetch with a bare KeyError."""

    def mutate(answer: Answer) -> dict:
        change(answer.data["videos"][0])
        return answer.envelope

    bad, proxy = run_videos(proxied, rig, tmp_path, mutate)
    assert_failed(bad, rig, f"data.videos[0].item_id is {phrase}: a video needs it (its key)")
    assert bad.path is None and bad_calls(proxy, rig) == 1 and not rig.sleeps


def test_a_metrics_day_without_its_date_is_refused(rig: Rig, proxied: MakeProxy, tmp_path: Path) -> None:
    """Measured before the check: landed complete, a metrics row no day of the marts could hold."""

    def mutate(answer: Answer) -> dict:
        answer.data["metrics"][0].pop("date")
        return answer.envelope

    proxy, client = proxied(mutate)
    raw = fetcher(client, rig, tmp_path)
    bad = raw.fetch_account(rig.bid(BAD), ACCOUNT_PARTITION)
    assert_failed(bad, rig, "data.metrics[0].date is missing: a account_metric needs it (its key)")
    assert bad.path is None
    clean = raw.fetch_account(rig.bid(CLEAN), ACCOUNT_PARTITION)
    assert_clean(clean, proxy, rig, contract.BUSINESS_GET)


def test_has_more_sent_as_text_is_read_as_the_boolean(rig: Rig, proxied: MakeProxy, tmp_path: Path) -> None:
    """Tolerated: "true" / "false" for true / false. Read as the boolean (a reader testing the string's truth
    would page for ever on "false"): the same posts as a clean fetch, landed complete."""

    def mutate(answer: Answer) -> dict:
        answer.data["has_more"] = str(answer.data["has_more"]).lower()
        return answer.envelope

    bad, proxy = run_videos(proxied, rig, tmp_path, mutate)
    assert bad.error is None and landed(bad)["complete"] is True
    direct = rig.client().list_videos(rig.bid(BAD), ["item_id"], max_count=contract.VIDEO_MAX_COUNT)
    assert bad.records == len(direct.records)
    assert bad_calls(proxy, rig) == len(direct.pages)


def test_an_empty_post_id_is_refused(rig: Rig, proxied: MakeProxy, tmp_path: Path) -> None:
    def mutate(answer: Answer) -> dict:
        answer.data["videos"][1]["item_id"] = ""
        return answer.envelope

    bad, proxy = run_videos(proxied, rig, tmp_path, mutate)
    assert_failed(bad, rig, "data.videos[1].item_id is empty: a video needs it (its key)")
    assert bad.path is None and bad_calls(proxy, rig) == 1


def test_a_comment_without_its_id_is_refused(rig: Rig, proxied: MakeProxy) -> None:
    post = next(p for p in rig.sim.world.visible_posts(rig.account(BAD), SIM_NOW) if p.comments)

    def mutate(answer: Answer) -> dict:
        answer.data["comments"][0].pop("comment_id")
        return answer.envelope

    proxy, client = proxied(mutate)
    with pytest.raises(ContractError) as caught:
        client.list_comments(rig.bid(BAD), post.item_id)
    assert "data.comments[0].comment_id is missing: a comment needs it (its key)" in str(caught.value)
    assert caught.value.business_id == rig.bid(BAD) and caught.value.endpoint == contract.COMMENT_LIST
    clean_post = next(p for p in rig.sim.world.visible_posts(rig.account(CLEAN), SIM_NOW) if p.comments)
    assert client.list_comments(rig.bid(CLEAN), clean_post.item_id).records


def test_account_metrics_not_a_list_are_refused(rig: Rig, proxied: MakeProxy, tmp_path: Path) -> None:
    def mutate(answer: Answer) -> dict:
        answer.data["metrics"] = {"2026-11-17": answer.data["metrics"][-1]}
        return answer.envelope

    proxy, client = proxied(mutate)
    raw = fetcher(client, rig, tmp_path)
    bad = raw.fetch_account(rig.bid(BAD), ACCOUNT_PARTITION)
    assert_failed(bad, rig, "data.metrics is a dict, not a list")
    assert bad.path is None
    assert_clean(raw.fetch_account(rig.bid(CLEAN), ACCOUNT_PARTITION), proxy, rig, contract.BUSINESS_GET)


# --- well-formed but wrong: landed, and caught by the raw check's named rule, on the bad account only ------------


def _raw_check(dataset: str, partition: date, tmp_path: Path, rig: Rig) -> tuple[set[str], set[str]]:
    """The rules the raw check fails on the partition for the bad account alone, and for the clean one alone."""
    from expectations.runner import validate_raw

    failed = []
    for index in (BAD, CLEAN):
        result = validate_raw(dataset, partition, data_dir=tmp_path, build_docs=False, account=rig.bid(index))
        failed.append({outcome.rule_id for outcome in result.failures})
    return failed[0], failed[1]


def test_a_share_on_the_0_100_scale_is_landed_and_fails_share_in_unit_interval(
    rig: Rig, proxied: MakeProxy, tmp_path: Path
) -> None:
    def mutate(answer: Answer) -> dict:
        for video in answer.data["videos"]:
            for entry in video.get("impression_sources") or []:
                entry["percentage"] = round(entry["percentage"] * 100, 2)
        return answer.envelope

    bad, _ = run_videos(proxied, rig, tmp_path, mutate)
    assert bad.error is None and landed(bad)["complete"] is True, "well-formed: landed as sent"
    # out of [0, 1], and the sources sum to 100
    failed = _raw_check("raw_tiktok_video_breakdowns", PARTITION, tmp_path, rig)
    assert failed == ({"share_in_unit_interval", "distribution_sums_to_one"}, set())


def test_a_metrics_day_sent_twice_is_landed_and_fails_keys_unique_not_null(
    rig: Rig, proxied: MakeProxy, tmp_path: Path
) -> None:
    def mutate(answer: Answer) -> dict:
        answer.data["metrics"].append(dict(answer.data["metrics"][-1]))
        return answer.envelope

    proxy, client = proxied(mutate)
    raw = fetcher(client, rig, tmp_path)
    bad = raw.fetch_account(rig.bid(BAD), ACCOUNT_PARTITION)
    assert bad.error is None and landed(bad)["complete"] is True
    assert_clean(raw.fetch_account(rig.bid(CLEAN), ACCOUNT_PARTITION), proxy, rig, contract.BUSINESS_GET)
    assert _raw_check("raw_tiktok_account", ACCOUNT_PARTITION, tmp_path, rig) == ({"keys_unique_not_null"}, set())
