"""The simulator on its own, against the contract in ../shared/TIKTOK_API.md.

Every test talks to a real simulator over loopback HTTP with plain httpx: no project client, no mocks.
Time is the simulator's clock, frozen and moved by hand, so nothing here sleeps and nothing depends on the
day the tests run. The data helpers advance the frozen clock a little before each call so that long walks
stay under the rate limits (40 per minute per account and endpoint, 10 per second for the app).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tiktok_api import contract
from tiktok_api.simulator import FaultConfig, Simulator, SimulatorServer
from tiktok_api.simulator.world import DAY, Post, World, day_start, demo_accounts, utc_date

SIM_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC).timestamp()  # as in tests/conftest.py
TODAY = utc_date(SIM_NOW)
REPO = Path(__file__).resolve().parents[2]

ACME, JULES, TINY, NEW_STUDIO = 0, 1, 2, 3  # the demo accounts, by index
ENVELOPE_KEYS = {"code", "message", "request_id", "data"}
IDS_30 = [str(7 * 10**18 + i) for i in range(contract.COMMENT_IDS_MAX)]
IDS_31 = [*IDS_30, str(8 * 10**18)]
_DEFAULT: Any = object()


def encode(params: dict[str, Any]) -> dict[str, str]:
    """Query parameters as the API takes them: lists and objects as JSON literals, booleans true/false."""
    out = {}
    for name, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, list | dict):
            out[name] = json.dumps(value)
        else:
            out[name] = str(value)
    return out


class Api:
    """Plain httpx against one simulator. Advances the (frozen) clock `step` seconds before each data call."""

    def __init__(self, server: SimulatorServer, step: float = 2.0):
        self.server = server
        self.sim = server.simulator
        self.step = step
        self.http = httpx.Client(timeout=10.0)
        self.tokens = {a.index: self.sim.current_tokens[a.business_id][0] for a in self.sim.world.accounts}

    def close(self) -> None:
        self.http.close()

    def account(self, index: int):
        return self.sim.world.accounts[index]

    def bid(self, index: int) -> str:
        return self.account(index).business_id

    def now(self) -> float:
        return self.sim.clock.now()

    # --- data endpoints
    def request(
        self,
        path: str,
        index: int = ACME,
        *,
        token: Any = _DEFAULT,
        business_id: Any = _DEFAULT,
        headers: dict[str, str] | None = None,
        **params: Any,
    ) -> httpx.Response:
        if self.step:
            self.sim.clock.advance(self.step)
        token = self.tokens[index] if token is _DEFAULT else token
        business_id = self.bid(index) if business_id is _DEFAULT else business_id
        sent = {"Access-Token": token} if token is not None else {}
        sent |= headers or {}
        query = encode({"business_id": business_id, **params})
        return self.http.get(self.server.base_url + path, params=query, headers=sent)

    def get(self, path: str, index: int = ACME, **kwargs: Any) -> dict[str, Any]:
        """The envelope of a data call, after checking it came as HTTP 200 JSON."""
        response = self.request(path, index, **kwargs)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == ENVELOPE_KEYS, body
        return body

    def ok(self, path: str, index: int = ACME, **kwargs: Any) -> dict[str, Any]:
        body = self.get(path, index, **kwargs)
        assert body["code"] == contract.OK, body
        return body["data"]

    def code(self, path: str, index: int = ACME, **kwargs: Any) -> int:
        return self.get(path, index, **kwargs)["code"]

    # --- tokens and admin
    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.http.post(self.server.base_url + path, json=body)
        assert response.status_code == 200, response.text
        envelope = response.json()
        assert set(envelope) == ENVELOPE_KEYS, envelope
        return envelope

    def refresh(self, refresh_token: str, **override: str) -> dict[str, Any]:
        body = {
            "client_id": self.sim.client_id,
            "client_secret": self.sim.client_secret,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        }
        return self.post(contract.REFRESH_TOKEN, body | override)

    def exchange(self, auth_code: str) -> dict[str, Any]:
        body = {
            "client_id": self.sim.client_id,
            "client_secret": self.sim.client_secret,
            "grant_type": "authorization_code",
            "auth_code": auth_code,
            "redirect_uri": "https://example.org/callback",
        }
        return self.post(contract.TOKEN, body)

    def admin(self, name: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.http.post(f"{self.server.url}/_simulator/{name}", json=body or {})
        assert response.status_code == 200, response.text
        return response.json()

    def auth_code(self, index: int) -> str:
        return self.admin("auth_code", {"business_id": self.bid(index)})["auth_code"]

    def login(self, index: int) -> str:
        """A fresh access token for the account, through an auth code and the token exchange."""
        envelope = self.exchange(self.auth_code(index))
        assert envelope["code"] == contract.OK, envelope
        self.tokens[index] = envelope["data"]["access_token"]
        return self.tokens[index]

    def travel(self, ts: float) -> None:
        """Freeze the clock at ts and log every account in again (access tokens live one day)."""
        self.sim.clock.set(now=ts, speed=0.0)
        for account in self.sim.world.accounts:
            self.login(account.index)


_WORLDS: dict[tuple[int, int], World] = {}


def shared_world(server: SimulatorServer) -> SimulatorServer:
    """Give the simulator the module's World for its seed, built once.

    A World is a pure function of its seed (world.py): it holds only caches, never state a test changes,
    so sharing it changes no answer. It saves building every post's comments again in each test (about
    0.6 s for the big account, which /business/get/ needs for total_likes). Tokens, clock, rate limits
    and faults stay per simulator. The determinism tests do not use this.
    """
    simulator = server.simulator
    key = (simulator.seed, len(simulator.world.accounts))
    simulator.world = _WORLDS.setdefault(key, simulator.world)
    return server


@pytest.fixture
def factory(simulator_factory):
    """simulator_factory, with the shared World."""
    return lambda **kwargs: shared_world(simulator_factory(**kwargs))


@pytest.fixture
def frozen(factory) -> SimulatorServer:
    """The default simulator (seed 42, four demo accounts) with its clock frozen at SIM_NOW."""
    return factory(speed=0.0)


@pytest.fixture
def api(frozen: SimulatorServer):
    client = Api(frozen)
    yield client
    client.close()


@pytest.fixture(scope="module")
def shared_api():
    """One frozen simulator for the many read-only checks of paths, parameters and credentials.

    Nothing they do outlives a call except the rate-limit windows, which the 2 s step keeps clear; it saves
    starting and stopping a server for each parametrized case.
    """
    server = shared_world(SimulatorServer(Simulator(seed=42, now=SIM_NOW, speed=0.0)).start())
    client = Api(server)
    yield client
    client.close()
    server.stop()


def videos_walk(api: Api, index: int, max_count: int, **params: Any) -> list[dict[str, Any]]:
    """Every page of /business/video/list/ from now back, until has_more is false."""
    pages, cursor = [], None
    while True:
        data = api.ok(contract.VIDEO_LIST, index, max_count=max_count, cursor=cursor, **params)
        pages.append(data)
        if not data["has_more"]:
            return pages
        assert cursor is None or data["cursor"] < cursor
        cursor = data["cursor"]
        assert len(pages) < 200, "the video walk does not end"


def comments_walk(api: Api, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every page of a comment endpoint with the offset cursor, until has_more is false."""
    pages, cursor = [], 0
    while True:
        data = api.ok(path, ACME, cursor=cursor, **params)
        pages.append(data)
        if not data["has_more"]:
            return pages
        assert data["cursor"] > cursor
        cursor = data["cursor"]
        assert len(pages) < 200, "the comment walk does not end"


def most_commented_post(api: Api) -> Post:
    """The big account's post with the most top-level comments, all of them already written."""
    now = api.now()
    candidates = [
        p
        for p in api.sim.world.visible_posts(api.account(ACME), now)
        if p.comment_count_final > contract.COMMENT_DUPLICATES_AFTER and p.progress(now) >= 1.0
    ]
    post = max(candidates, key=lambda p: len(p.comments))
    assert len(post.comments) > contract.COMMENT_DUPLICATES_AFTER
    return post


def a_video_id(api: Api) -> str:
    return api.sim.world.visible_posts(api.account(ACME), api.now())[-1].item_id


# ================================================================ envelope


def _envelope_cases(api: Api) -> dict[str, httpx.Response]:
    base = api.server.base_url
    secret = {
        "client_id": api.sim.client_id,
        "client_secret": "wrong",
        "grant_type": "refresh_token",
        "refresh_token": "rft.nope",
    }
    code = {
        "client_id": api.sim.client_id,
        "client_secret": api.sim.client_secret,
        "grant_type": "authorization_code",
        "auth_code": "sim-code-nope",
        "redirect_uri": "https://x.org/cb",
    }
    return {
        "ok": api.request(contract.BUSINESS_GET),
        "no_token": api.request(contract.BUSINESS_GET, token=None),
        "bad_parameter": api.request(contract.VIDEO_LIST, max_count=99),
        "unknown_path": api.http.get(base + "/business/nothing/here/"),
        "refresh_wrong_secret": api.http.post(base + contract.REFRESH_TOKEN, json=secret),
        "exchange_unknown_code": api.http.post(base + contract.TOKEN, json=code),
    }


@pytest.mark.parametrize(
    "case, expected_code",
    [
        ("ok", contract.OK),
        ("no_token", contract.INVALID_TOKEN),
        ("bad_parameter", contract.BAD_PARAMETER),
        ("unknown_path", contract.UNKNOWN_PATH),
        ("refresh_wrong_secret", contract.NO_PERMISSION),
        ("exchange_unknown_code", contract.AUTH_CODE_EXPIRED),
    ],
)
def test_every_answer_is_an_http_200_json_envelope_with_a_log_id(shared_api, case, expected_code):
    response = _envelope_cases(shared_api)[case]
    assert response.status_code == 200  # errors too: the code is in the body
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers.get("X-Tt-Logid")
    assert response.headers.get("Date")
    body = response.json()
    assert set(body) == ENVELOPE_KEYS
    assert body["code"] == expected_code
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["request_id"], str) and body["request_id"]
    assert isinstance(body["data"], dict)


def test_request_ids_differ_between_calls(api):
    first, second = api.get(contract.BUSINESS_GET), api.get(contract.BUSINESS_GET)
    assert first["request_id"] != second["request_id"]


# ================================================================ auth


@pytest.mark.parametrize(
    "how, expected_code",
    [
        ("missing_header", contract.INVALID_TOKEN),
        ("bearer_prefix", contract.INVALID_TOKEN),
        ("unknown_token", contract.INVALID_TOKEN),
        ("other_accounts_business_id", contract.NO_PERMISSION),
    ],
)
def test_bad_credentials_are_refused(shared_api, how, expected_code):
    api = shared_api
    kwargs: dict[str, Any] = {
        "missing_header": {"token": None},
        "bearer_prefix": {"token": "Bearer " + api.tokens[ACME]},
        "unknown_token": {"token": "act.sim-not-a-token"},
        "other_accounts_business_id": {"business_id": api.bid(JULES)},
    }[how]
    assert api.code(contract.BUSINESS_GET, ACME, **kwargs) == expected_code


def test_access_token_expires_after_a_day_of_simulated_time(api):
    assert api.code(contract.BUSINESS_GET) == contract.OK
    api.sim.clock.advance(contract.ACCESS_TOKEN_LIFETIME + 1)
    body = api.get(contract.BUSINESS_GET)
    assert body["code"] == contract.INVALID_TOKEN
    assert "expired" in body["message"]


def test_expire_token_admin_endpoint_expires_the_access_token_of_that_account_only(api):
    api.admin("expire_token", {"business_id": api.bid(ACME)})
    assert api.code(contract.BUSINESS_GET, ACME) == contract.INVALID_TOKEN
    assert api.code(contract.BUSINESS_GET, JULES) == contract.OK


def test_revoked_account_gets_40105_on_data_calls_and_refresh(api):
    _, refresh = api.sim.current_tokens[api.bid(ACME)]
    api.admin("revoke", {"business_id": api.bid(ACME)})
    assert api.code(contract.BUSINESS_GET, ACME) == contract.INVALID_TOKEN
    assert api.refresh(refresh)["code"] == contract.INVALID_TOKEN
    assert api.code(contract.BUSINESS_GET, JULES) == contract.OK


def test_missing_comment_scope_gives_40001_on_comment_list(api):
    scopes = [s for s in contract.ALL_SCOPES if s != "comment.list"]
    api.admin("scopes", {"business_id": api.bid(ACME), "scopes": scopes})
    body = api.get(contract.COMMENT_LIST, video_id=a_video_id(api))
    assert body["code"] == contract.NO_PERMISSION
    assert "comment.list" in body["message"]
    assert api.code(contract.VIDEO_LIST, fields=["item_id"]) == contract.OK  # other scopes still work


# ================================================================ paths and parameters


@pytest.mark.parametrize(
    "path",
    ["/business/nothing/", "/business/get", "/business/video/list", "/no/such/thing/"],
    ids=["unknown", "get-without-slash", "video-list-without-slash", "nonsense"],
)
def test_unknown_path_is_40006(shared_api, path):
    assert shared_api.code(path) == contract.UNKNOWN_PATH


@pytest.mark.parametrize(
    "path, params, named",
    [
        (contract.BUSINESS_GET, {"fields": "[display_name"}, "fields"),
        (contract.VIDEO_LIST, {"fields": "item_id,likes"}, "fields"),
        (contract.BUSINESS_GET, {"fields": ["display_name", "favourite_colour"]}, "favourite_colour"),
        (contract.VIDEO_LIST, {"fields": ["item_id", "vibes"]}, "vibes"),
        (contract.VIDEO_LIST, {"fields": ["item_id"], "max_count": 21}, "max_count"),
        (contract.VIDEO_LIST, {"fields": ["likes", "video_views"]}, "item_id"),
        (contract.COMMENT_LIST, {"video_id": "VIDEO", "max_count": 31}, "max_count"),
        (contract.COMMENT_LIST, {"video_id": "VIDEO", "comment_ids": IDS_31}, "comment_ids"),
        (contract.COMMENT_LIST, {"video_id": "VIDEO", "sort_field": "views"}, "sort_field"),
        (contract.BUSINESS_GET, {"start_date": "2026/11/01"}, "start_date"),
    ],
    ids=[
        "fields-bad-json",
        "fields-not-json-list",
        "account-unknown-field",
        "video-unknown-field",
        "video-max-count-21",
        "video-without-item-id",
        "comment-max-count-31",
        "comment-ids-31",
        "bad-sort-field",
        "bad-date",
    ],
)
def test_bad_parameters_are_40002_naming_the_parameter(shared_api, path, params, named):
    api = shared_api
    params = {k: a_video_id(api) if v == "VIDEO" else v for k, v in params.items()}
    body = api.get(path, **params)
    assert body["code"] == contract.BAD_PARAMETER
    assert named in body["message"]


@pytest.mark.parametrize(
    "path, params",
    [
        (contract.VIDEO_LIST, {"fields": ["item_id"], "max_count": 20}),
        (contract.COMMENT_LIST, {"video_id": "VIDEO", "max_count": 30}),
        (contract.COMMENT_LIST, {"video_id": "VIDEO", "comment_ids": IDS_30}),
        (contract.COMMENT_LIST, {"video_id": "VIDEO", "sort_field": "likes", "sort_order": "asc"}),
    ],
    ids=["video-max-count-20", "comment-max-count-30", "comment-ids-30", "good-sort"],
)
def test_parameters_at_their_limits_are_accepted(shared_api, path, params):
    api = shared_api
    params = {k: a_video_id(api) if v == "VIDEO" else v for k, v in params.items()}
    data = api.ok(path, **params)
    items = data.get("videos", data.get("comments"))
    assert len(items) <= params.get("max_count", contract.COMMENT_MAX_COUNT)


# ================================================================ /business/get/


def test_account_returns_only_the_requested_fields(api):
    data = api.ok(contract.BUSINESS_GET, fields=["username", "following_count", "is_business_account"])
    assert set(data) == {"username", "following_count", "is_business_account"}
    assert data["username"] == "acme_coffee"
    assert data["is_business_account"] is True

    data = api.ok(contract.BUSINESS_GET, fields=["display_name", "likes"])
    assert set(data) == {"display_name", "metrics"}
    assert data["metrics"]
    assert all(set(row) == {"date", "likes"} for row in data["metrics"])

    # followers_count is both a lifetime profile field and a daily metric: it comes back as both.
    data = api.ok(contract.BUSINESS_GET, fields=["followers_count"])
    assert set(data) == {"followers_count", "metrics"}
    assert all(set(row) == {"date", "followers_count"} for row in data["metrics"])


def test_account_default_fields_are_display_name_and_profile_image(api):
    data = api.ok(contract.BUSINESS_GET)
    assert set(data) == set(contract.ACCOUNT_DEFAULT_FIELDS) == {"display_name", "profile_image"}
    assert "x-expires=" in data["profile_image"]


def test_account_all_profile_fields_have_their_types(api):
    data = api.ok(contract.BUSINESS_GET, fields=list(contract.ACCOUNT_PROFILE_FIELDS))
    assert set(data) == {*contract.ACCOUNT_PROFILE_FIELDS, "metrics"}  # followers_count is also a metric
    for name in ("followers_count", "following_count", "total_likes", "videos_count"):
        assert isinstance(data[name], int) and not isinstance(data[name], bool)
    assert isinstance(data["is_verified"], bool) and isinstance(data["is_business_account"], bool)
    assert data["videos_count"] == len(api.sim.world.visible_posts(api.account(ACME), api.now()))


@pytest.mark.parametrize(
    "days_back, expected",
    [
        (contract.ACCOUNT_MAX_LOOKBACK_DAYS, contract.OK),
        (contract.ACCOUNT_MAX_LOOKBACK_DAYS + 1, contract.BAD_PARAMETER),
        (contract.ACCOUNT_SAFE_LOOKBACK_DAYS, contract.OK),
    ],
)
def test_account_lookback_is_at_most_60_days(api, days_back, expected):
    start = (TODAY - timedelta(days=days_back)).isoformat()
    body = api.get(contract.BUSINESS_GET, fields=["video_views"], start_date=start)
    assert body["code"] == expected, body
    if expected == contract.OK:
        assert body["data"]["metrics"][0]["date"] == start
    else:
        assert "start_date" in body["message"]


def test_account_end_date_in_the_future_is_40002(api):
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    body = api.get(contract.BUSINESS_GET, fields=["video_views"], end_date=tomorrow)
    assert body["code"] == contract.BAD_PARAMETER
    assert "end_date" in body["message"]
    assert api.code(contract.BUSINESS_GET, fields=["video_views"], end_date=TODAY.isoformat()) == contract.OK


def test_account_metrics_of_a_day_appear_only_after_the_24_to_48_hour_lag(api):
    day = date(2026, 11, 1)
    assert day > utc_date(api.account(ACME).created_at)
    params = {"fields": ["video_views"], "start_date": day.isoformat(), "end_date": day.isoformat()}
    next_midnight = day_start(day + timedelta(days=1))

    api.travel(next_midnight + 23 * 3600)
    assert api.ok(contract.BUSINESS_GET, **params)["metrics"] == []

    api.travel(next_midnight + 49 * 3600)
    rows = api.ok(contract.BUSINESS_GET, **params)["metrics"]
    assert [row["date"] for row in rows] == [day.isoformat()]
    assert isinstance(rows[0]["video_views"], int)


def test_account_metric_rows_ascend_by_date(api):
    start, end = TODAY - timedelta(days=30), TODAY - timedelta(days=1)
    rows = api.ok(
        contract.BUSINESS_GET,
        fields=["video_views", "likes"],
        start_date=start.isoformat(),
        end_date=end.isoformat(),
    )["metrics"]
    dates = [date.fromisoformat(row["date"]) for row in rows]
    assert len(dates) >= 28  # the last day or two may still be behind the lag
    assert dates == sorted(dates) and len(set(dates)) == len(dates)
    assert dates[0] == start
    assert all(b - a == timedelta(days=1) for a, b in zip(dates, dates[1:], strict=False))


def test_account_audience_present_for_big_account(api):
    assert api.sim.world.followers_now(api.account(ACME), api.now()) >= contract.AUDIENCE_MIN_FOLLOWERS
    data = api.ok(contract.BUSINESS_GET, fields=list(contract.ACCOUNT_AUDIENCE_FIELDS))
    assert set(data) == set(contract.ACCOUNT_AUDIENCE_FIELDS)
    assert [row["age"] for row in data["audience_ages"]] == list(contract.AGE_BUCKETS)
    assert {row["gender"] for row in data["audience_genders"]} == set(contract.GENDERS)
    assert all(len(row["country"]) == 2 and row["country"].isupper() for row in data["audience_countries"])
    assert all(isinstance(row["city_name"], str) for row in data["audience_cities"])
    for name in contract.ACCOUNT_AUDIENCE_FIELDS:
        shares = [row["percentage"] for row in data[name]]
        assert all(0 <= s <= 1 for s in shares)
        assert sum(shares) <= 1 + 1e-3
    for name in ("audience_ages", "audience_genders"):
        assert sum(row["percentage"] for row in data[name]) == pytest.approx(1, abs=1e-3)


def test_account_audience_absent_under_100_followers_even_when_requested(api):
    assert api.sim.world.followers_now(api.account(TINY), api.now()) < contract.AUDIENCE_MIN_FOLLOWERS
    data = api.ok(contract.BUSINESS_GET, TINY, fields=["username", *contract.ACCOUNT_AUDIENCE_FIELDS])
    assert set(data) == {"username"}


def test_personal_account_gets_no_business_only_metrics(api):
    fields = list(contract.ACCOUNT_METRICS)
    personal = api.ok(contract.BUSINESS_GET, JULES, fields=fields)["metrics"]
    business = api.ok(contract.BUSINESS_GET, ACME, fields=fields)["metrics"]
    assert personal and business
    for row in personal:
        assert not set(contract.ACCOUNT_BUSINESS_ONLY_METRICS) & set(row)  # absent, not zero
        assert "video_views" in row and "audience_activity" in row
    for row in business:
        assert set(row) == {"date", *contract.ACCOUNT_METRICS}


def test_account_daily_net_followers_is_new_minus_lost(api):
    rows = api.ok(
        contract.BUSINESS_GET,
        fields=["daily_new_followers", "daily_lost_followers", "daily_total_followers", "followers_count"],
        start_date=(TODAY - timedelta(days=20)).isoformat(),
    )["metrics"]
    assert rows
    for row in rows:
        assert row["daily_total_followers"] == row["daily_new_followers"] - row["daily_lost_followers"]
    for before, after in zip(rows, rows[1:], strict=False):
        assert after["followers_count"] == before["followers_count"] + after["daily_total_followers"]


def test_account_audience_activity_has_24_string_hours(api):
    rows = api.ok(contract.BUSINESS_GET, fields=["audience_activity"])["metrics"]
    assert rows
    for row in rows:
        activity = row["audience_activity"]
        assert [entry["hour"] for entry in activity] == [str(h) for h in range(24)]
        assert all(isinstance(entry["count"], int) and entry["count"] >= 0 for entry in activity)


# ================================================================ /business/video/list/


def test_videos_newest_first_with_string_ids_and_times(api):
    data = api.ok(contract.VIDEO_LIST, fields=list(contract.VIDEO_ATTRIBUTE_FIELDS), max_count=20)
    videos = data["videos"]
    assert videos
    for video in videos:
        item_id = video["item_id"]
        assert isinstance(item_id, str) and len(item_id) == 19 and item_id.isdigit()
        assert isinstance(video["create_time"], str) and video["create_time"].isdigit()
        assert video["media_type"] in ("VIDEO", "PHOTO")
        assert set(video) == set(contract.VIDEO_ATTRIBUTE_FIELDS)
    times = [int(v["create_time"]) for v in videos]
    assert times == sorted(times, reverse=True)
    assert times[0] <= api.now()


def test_videos_only_requested_fields_and_default_count(api):
    data = api.ok(contract.VIDEO_LIST, fields=["item_id", "likes"])
    assert set(data) == {"videos", "cursor", "has_more"}
    assert isinstance(data["cursor"], int) and isinstance(data["has_more"], bool)
    assert 0 < len(data["videos"]) <= contract.VIDEO_DEFAULT_COUNT
    assert all(set(v) == {"item_id", "likes"} for v in data["videos"])


def test_video_paging_returns_every_visible_post_exactly_once(api):
    max_count = contract.VIDEO_MAX_COUNT
    first_call_at = api.now() + api.step  # the clock is frozen; each call first advances it by `step`
    pages = videos_walk(api, ACME, max_count, fields=["item_id", "create_time"])
    expected = api.sim.world.visible_posts(api.account(ACME), first_call_at)
    ids = [v["item_id"] for page in pages for v in page["videos"]]
    assert len(expected) > 200
    assert len(ids) == len(set(ids)) == len(expected)
    assert set(ids) == {p.item_id for p in expected}
    assert all(len(page["videos"]) <= max_count for page in pages)
    # A page can be shorter than max_count while has_more is still true.
    assert any(len(page["videos"]) < max_count and page["has_more"] for page in pages)
    times = [int(v["create_time"]) for page in pages for v in page["videos"]]
    assert times == sorted(times, reverse=True)


def test_account_without_posts_has_an_empty_video_list(api):
    data = api.ok(contract.VIDEO_LIST, NEW_STUDIO, fields=["item_id"])
    assert data["videos"] == []
    assert data["has_more"] is False


def test_video_ids_filter_returns_just_those_posts(api):
    posts = api.sim.world.visible_posts(api.account(ACME), api.now())
    wanted = [posts[3].item_id, posts[-2].item_id]
    data = api.ok(contract.VIDEO_LIST, fields=["item_id"], filters={"video_ids": wanted})
    assert sorted(v["item_id"] for v in data["videos"]) == sorted(wanted)


COUNTERS = [
    f
    for f in contract.VIDEO_METRIC_FIELDS
    if f not in ("video_duration", "average_time_watched", "full_video_watched_rate")
]


def test_video_lifetime_metrics_never_fall_from_day_to_day(api):
    account = api.account(ACME)
    post = next(
        p
        for p in reversed(api.sim.world.visible_posts(account, SIM_NOW))
        if p.active_days > 60 and 10 * DAY < SIM_NOW - p.create_time < 120 * DAY
    )
    fields = ["item_id", *contract.VIDEO_METRIC_FIELDS]
    snapshots = []
    for days_back in range(6, -1, -1):
        api.travel(SIM_NOW - days_back * DAY)
        (video,) = api.ok(contract.VIDEO_LIST, fields=fields, filters={"video_ids": [post.item_id]})["videos"]
        snapshots.append(video)
    for before, after in zip(snapshots, snapshots[1:], strict=False):
        for name in COUNTERS:
            assert after[name] >= before[name], name
        assert after["video_duration"] == before["video_duration"]
    assert snapshots[-1]["video_views"] > snapshots[0]["video_views"]  # still growing


def test_video_metrics_stop_changing_365_days_after_publishing(api):
    post = api.sim.world.visible_posts(api.account(ACME), SIM_NOW)[0]  # the oldest post
    fields = ["item_id", *contract.VIDEO_METRIC_FIELDS]
    seen = []
    # Metrics are 24-48 h behind the clock: at publish + 367 d they are as of publish + 365 d at least.
    for days in (contract.VIDEO_METRICS_FREEZE_DAYS + 2, 400):
        api.travel(post.create_time + days * DAY)
        # no cursor: the default (now) is used
        (video,) = api.ok(contract.VIDEO_LIST, fields=fields, filters={"video_ids": [post.item_id]})["videos"]
        seen.append(video)
    assert seen[0]["video_views"] > 0
    assert seen[0] == seen[1]


def test_perishable_video_fields_absent_for_inactive_post_present_for_fresh_one(api):
    now = api.now()
    posts = api.sim.world.visible_posts(api.account(ACME), now)
    # metrics are as of 24-48 h ago; choose posts that are on the same side of the 7-day rule either way
    stale = next(p for p in posts if p.is_inactive(now - 2 * DAY))
    fresh = next(p for p in reversed(posts) if not p.is_inactive(now) and p.create_time < now - 3 * DAY)
    fields = ["item_id", "video_views", "likes", *contract.VIDEO_PERISHABLE_FIELDS]
    data = api.ok(contract.VIDEO_LIST, fields=fields, filters={"video_ids": [stale.item_id, fresh.item_id]})
    by_id = {v["item_id"]: v for v in data["videos"]}
    assert set(by_id[fresh.item_id]) == set(fields)
    assert set(by_id[stale.item_id]) == {"item_id", "video_views", "likes"}  # absent, not zero
    assert by_id[stale.item_id]["video_views"] > 0


def test_business_only_video_fields_absent_for_personal_account(api):
    fields = ["item_id", "video_views", *contract.VIDEO_BUSINESS_ONLY_FIELDS]
    personal = api.ok(contract.VIDEO_LIST, JULES, fields=fields)["videos"]
    business = api.ok(contract.VIDEO_LIST, ACME, fields=fields)["videos"]
    assert personal and business
    assert all(set(v) == {"item_id", "video_views"} for v in personal)
    assert all(set(v) == set(fields) for v in business)


@pytest.mark.parametrize("index", [ACME, JULES])
def test_video_breakdowns_are_consistent_fractions(api, index):
    fields = ["item_id", *contract.VIDEO_BREAKDOWN_FIELDS]
    videos = [v for page in videos_walk(api, index, 20, fields=fields)[:3] for v in page["videos"]]
    assert any("audience_types" in v for v in videos)  # some fresh posts among them
    label = {
        "impression_sources": "impression_source",
        "audience_countries": "country",
        "audience_cities": "city_name",
        "audience_genders": "gender",
        "audience_types": "type",
        "video_view_retention": "second",
        "engagement_likes": "second",
    }
    for video in videos:
        for name in contract.VIDEO_BREAKDOWN_FIELDS:
            if name not in video:
                assert name in contract.VIDEO_PERISHABLE_FIELDS, name
                continue
            rows = video[name]
            assert rows, name
            for row in rows:
                assert set(row) == {label[name], "percentage"}
                assert 0 <= row["percentage"] <= 1, (name, row)
        assert sum(r["percentage"] for r in video["impression_sources"]) == pytest.approx(1, abs=1e-3)
        sources = {r["impression_source"] for r in video["impression_sources"]}
        assert sources <= set(contract.IMPRESSION_SOURCES)
        retention = [r["percentage"] for r in video["video_view_retention"]]
        assert all(b <= a for a, b in zip(retention, retention[1:], strict=False))
        for name in ("video_view_retention", "engagement_likes"):
            assert all(isinstance(r["second"], str) for r in video[name])
        if "audience_types" in video:
            types = {r["type"]: r["percentage"] for r in video["audience_types"]}
            assert set(types) == set(contract.AUDIENCE_TYPES)
            assert types["NEW_VIEWER"] + types["RETURN_VIEWER"] == pytest.approx(1, abs=1e-3)
            assert types["FOLLOWER_PERCENT"] + types["NON_FOLLOWER_PERCENT"] == pytest.approx(1, abs=1e-3)
            assert sum(r["percentage"] for r in video["audience_genders"]) == pytest.approx(1, abs=1e-3)
            for name in ("audience_countries", "audience_cities"):
                assert len(video[name]) <= 10
                assert sum(r["percentage"] for r in video[name]) <= 1 + 1e-3


# ================================================================ comments


def test_comment_paging_past_500_repeats_comments_but_covers_all(api):
    post = most_commented_post(api)
    pages = comments_walk(
        api,
        contract.COMMENT_LIST,
        video_id=post.item_id,
        sort_field="create_time",
        max_count=contract.COMMENT_MAX_COUNT,
    )
    assert all(len(page["comments"]) <= contract.COMMENT_MAX_COUNT for page in pages)
    ids = [c["comment_id"] for page in pages for c in page["comments"]]
    counts = Counter(ids)
    assert max(counts.values()) >= 2  # the same comment can come twice: deduplicate on comment_id
    visible = {c.comment_id for c in post.comments if c.create_time <= api.now()}
    assert set(ids) == visible
    comments = [c for page in pages for c in page["comments"]]
    assert {c["status"] for c in comments} == {"PUBLIC", "HIDDEN"}
    for comment in comments:
        assert comment["video_id"] == post.item_id
        assert isinstance(comment["create_time"], str) and comment["create_time"].isdigit()
        assert "parent_comment_id" not in comment
        assert "reply_list" not in comment  # only with include_replies


def test_comment_order_without_sort_field_is_random(api):
    post = most_commented_post(api)
    first = api.ok(contract.COMMENT_LIST, video_id=post.item_id, max_count=30)["comments"]
    second = api.ok(contract.COMMENT_LIST, video_id=post.item_id, max_count=30)["comments"]
    assert [c["comment_id"] for c in first] != [c["comment_id"] for c in second]


def test_comments_sort_by_create_time_desc_by_default_or_asc(api):
    post = most_commented_post(api)
    comments = api.ok(contract.COMMENT_LIST, video_id=post.item_id, sort_field="create_time", max_count=30)["comments"]
    times = [int(c["create_time"]) for c in comments]
    assert times == sorted(times, reverse=True)
    asc = api.ok(
        contract.COMMENT_LIST, video_id=post.item_id, sort_field="create_time", sort_order="asc", max_count=30
    )["comments"]
    times = [int(c["create_time"]) for c in asc]
    assert times == sorted(times)


def test_include_replies_gives_at_most_three_inline_replies(api):
    post = most_commented_post(api)
    comments = api.ok(
        contract.COMMENT_LIST, video_id=post.item_id, sort_field="replies", include_replies=True, max_count=30
    )["comments"]
    assert comments[0]["replies"] > contract.COMMENT_INLINE_REPLIES  # sorted by replies, most first
    for comment in comments:
        replies = comment["reply_list"]
        assert len(replies) == min(comment["replies"], contract.COMMENT_INLINE_REPLIES)
        assert all(r["parent_comment_id"] == comment["comment_id"] for r in replies)
    assert max(len(c["reply_list"]) for c in comments) == contract.COMMENT_INLINE_REPLIES


def test_reply_list_returns_the_replies_of_a_comment(api):
    post = most_commented_post(api)
    parent = max(post.comments, key=lambda c: len(c.replies))
    assert len(parent.replies) > contract.COMMENT_INLINE_REPLIES
    data = api.ok(
        contract.COMMENT_REPLY_LIST,
        video_id=post.item_id,
        comment_id=parent.comment_id,
        sort_field="create_time",
        max_count=30,
    )
    assert data["has_more"] is False
    assert {r["comment_id"] for r in data["comments"]} == {r.comment_id for r in parent.replies}
    assert all(r["parent_comment_id"] == parent.comment_id for r in data["comments"])
    assert all(r["video_id"] == post.item_id for r in data["comments"])


def test_reply_list_of_unknown_comment_is_40002(api):
    post = most_commented_post(api)
    body = api.get(contract.COMMENT_REPLY_LIST, video_id=post.item_id, comment_id="7000000000000000001")
    assert body["code"] == contract.BAD_PARAMETER
    assert "comment_id" in body["message"]


def test_status_public_excludes_hidden_comments(api):
    post = most_commented_post(api)
    hidden = {c.comment_id for c in post.comments if c.hidden}
    assert hidden
    pages = comments_walk(
        api,
        contract.COMMENT_LIST,
        video_id=post.item_id,
        sort_field="create_time",
        status="PUBLIC",
        max_count=30,
    )
    comments = [c for page in pages for c in page["comments"]]
    assert {c["status"] for c in comments} == {"PUBLIC"}
    assert {c["comment_id"] for c in comments} == {c.comment_id for c in post.comments} - hidden


def test_comment_ids_filter_returns_just_those(api):
    post = most_commented_post(api)
    wanted = [c.comment_id for c in post.comments[:5]]
    data = api.ok(contract.COMMENT_LIST, video_id=post.item_id, comment_ids=wanted, sort_field="likes")
    assert {c["comment_id"] for c in data["comments"]} == set(wanted)


# ================================================================ tokens


def test_refresh_returns_new_rotated_tokens(api):
    old_access, old_refresh = api.sim.current_tokens[api.bid(ACME)]
    envelope = api.refresh(old_refresh)
    assert envelope["code"] == contract.OK, envelope
    data = envelope["data"]
    assert data["open_id"] == api.bid(ACME)
    assert data["expires_in"] == contract.ACCESS_TOKEN_LIFETIME == 86_400
    assert data["access_token"] and data["access_token"] != old_access
    assert data["refresh_token"] and data["refresh_token"] != old_refresh
    assert 0 < data["refresh_token_expires_in"] <= 365 * 86_400
    assert isinstance(data["scope"], str)
    assert set(data["scope"].split(",")) == set(contract.ALL_SCOPES)
    assert isinstance(data["token_type"], str)
    # The new access token works; the old refresh and access tokens do not.
    assert api.code(contract.BUSINESS_GET, token=data["access_token"]) == contract.OK
    assert api.refresh(old_refresh)["code"] == contract.INVALID_TOKEN
    assert api.code(contract.BUSINESS_GET, token=old_access) == contract.INVALID_TOKEN
    # The rotated refresh token works in turn.
    assert api.refresh(data["refresh_token"])["code"] == contract.OK


def test_refresh_token_life_is_the_remaining_life(api):
    _, refresh = api.sim.current_tokens[api.bid(ACME)]
    first = api.refresh(refresh)["data"]
    api.sim.clock.advance(5_000)
    second = api.refresh(first["refresh_token"])["data"]
    assert second["refresh_token_expires_in"] < first["refresh_token_expires_in"] <= 365 * 86_400
    spent = first["refresh_token_expires_in"] - second["refresh_token_expires_in"]
    assert spent == pytest.approx(5_000, abs=2)


@pytest.mark.parametrize("wrong", ["client_secret", "client_id"])
def test_refresh_with_wrong_client_credentials_is_40001(api, wrong):
    _, refresh = api.sim.current_tokens[api.bid(ACME)]
    assert api.refresh(refresh, **{wrong: "nope"})["code"] == contract.NO_PERMISSION
    assert api.refresh(refresh)["code"] == contract.OK  # the refresh token was not spent


def test_refresh_token_expires_after_365_days(api):
    _, refresh = api.sim.current_tokens[api.bid(ACME)]
    api.sim.clock.advance(contract.REFRESH_TOKEN_LIFETIME + 1)
    assert api.refresh(refresh)["code"] == contract.INVALID_TOKEN


def test_auth_code_works_once(api):
    code = api.auth_code(JULES)
    first = api.exchange(code)
    assert first["code"] == contract.OK, first
    assert first["data"]["open_id"] == api.bid(JULES)
    assert first["data"]["expires_in"] == contract.ACCESS_TOKEN_LIFETIME
    assert first["data"]["refresh_token_expires_in"] == contract.REFRESH_TOKEN_LIFETIME
    assert api.code(contract.BUSINESS_GET, JULES, token=first["data"]["access_token"]) == contract.OK
    assert api.exchange(code)["code"] == contract.AUTH_CODE_EXPIRED


def test_auth_code_older_than_10_minutes_is_40131(api):
    code = api.auth_code(ACME)
    api.sim.clock.advance(contract.AUTH_CODE_LIFETIME + 1)
    assert api.exchange(code)["code"] == contract.AUTH_CODE_EXPIRED


# ================================================================ rate limits


def test_per_account_endpoint_limit_and_its_5_minute_penalty(sim):
    api = Api(shared_world(sim), step=0.0)
    clock = api.admin("clock", {"speed": 0})  # freeze through the admin endpoint
    assert clock["speed"] == 0
    for _ in range(contract.PER_ACCOUNT_ENDPOINT_PER_MINUTE):
        api.sim.clock.advance(1.2)  # 40 calls in 48 s: under the app's 10 per second
        assert api.code(contract.BUSINESS_GET) == contract.OK
    api.sim.clock.advance(1.2)
    breach = api.now()
    body = api.get(contract.BUSINESS_GET)
    assert body["code"] == contract.RATE_LIMITED
    api.sim.clock.advance(1.2)
    assert api.code(contract.VIDEO_LIST, fields=["item_id"]) == contract.OK  # another endpoint still works
    assert api.code(contract.BUSINESS_GET, JULES) == contract.OK  # and another account
    api.admin("clock", {"advance_seconds": 60})
    assert api.code(contract.BUSINESS_GET) == contract.RATE_LIMITED  # the penalty lasts 5 minutes
    api.sim.clock.set(now=breach + contract.RATE_LIMIT_PENALTY_SECONDS + 1)
    assert api.code(contract.BUSINESS_GET) == contract.OK
    api.close()


def test_app_limit_of_10_calls_per_second(api):
    api.step = 0.0  # every call in the same simulated second
    endpoints = (contract.BUSINESS_GET, contract.VIDEO_LIST, contract.COMMENT_LIST)
    calls = [(index, path) for index in (ACME, JULES, TINY) for path in endpoints]
    calls.append((NEW_STUDIO, contract.BUSINESS_GET))
    assert len(calls) == contract.APP_PER_SECOND  # no account+endpoint is called twice
    for index, path in calls:
        params = (
            {"video_id": api.sim.world.visible_posts(api.account(index), api.now())[0].item_id}
            if path == contract.COMMENT_LIST
            else {}
        )
        assert api.code(path, index, **params) == contract.OK
    body = api.get(contract.VIDEO_LIST, NEW_STUDIO)  # an account+endpoint not called yet: the app limit
    assert body["code"] == contract.RATE_LIMITED
    assert "per second" in body["message"]
    api.sim.clock.advance(1.0)  # no penalty for a per-second breach
    assert api.code(contract.VIDEO_LIST, NEW_STUDIO) == contract.OK


# ================================================================ determinism


def _snapshot(server: SimulatorServer) -> tuple[dict, dict]:
    api = Api(server)
    videos = api.ok(contract.VIDEO_LIST, fields=list(contract.VIDEO_FIELDS), max_count=20)
    account = api.ok(contract.BUSINESS_GET, JULES, fields=list(contract.ACCOUNT_FIELDS))
    api.close()
    return videos, account


def test_same_seed_gives_identical_answers(simulator_factory):
    one = _snapshot(simulator_factory(seed=42, speed=0.0))
    two = _snapshot(simulator_factory(seed=42, speed=0.0))
    assert one == two
    assert len(one[0]["videos"]) > 0


def test_different_seeds_give_different_worlds(simulator_factory):
    one = _snapshot(simulator_factory(seed=42, speed=0.0))
    two = _snapshot(simulator_factory(seed=43, speed=0.0))
    assert {v["item_id"] for v in one[0]["videos"]} != {v["item_id"] for v in two[0]["videos"]}
    assert one[0] != two[0]


# ================================================================ faults


@pytest.mark.parametrize(
    "spec, expected_code",
    [("internal_error=1", contract.INTERNAL_ERROR_2), ("rate_limited=1", contract.RATE_LIMITED)],
)
def test_injected_error_codes(factory, spec, expected_code):
    api = Api(factory(faults=spec))
    assert api.code(contract.BUSINESS_GET) == expected_code
    api.close()


def test_injected_http_503(factory):
    api = Api(factory(faults="http_5xx=1"))
    assert api.request(contract.BUSINESS_GET).status_code == 503
    api.close()


@pytest.mark.parametrize("spec", ["html=1", "truncated=1"])
def test_injected_non_json_bodies(factory, spec):
    api = Api(factory(faults=spec))
    response = api.request(contract.BUSINESS_GET)
    if spec == "html=1":
        assert response.headers["content-type"].startswith("text/html")
    with pytest.raises(ValueError):
        json.loads(response.text)
    api.close()


def test_injected_slow_answer_is_still_correct(factory):
    api = Api(factory(faults="slow=1,slow_seconds=0.2"))
    started = time.monotonic()
    data = api.ok(contract.BUSINESS_GET)
    assert time.monotonic() - started >= 0.2
    assert set(data) == set(contract.ACCOUNT_DEFAULT_FIELDS)
    api.close()


def test_injected_timeout_exceeds_client_timeout(factory):
    server = factory(faults="timeout=1,timeout_seconds=1.5")
    token = server.simulator.current_tokens[server.simulator.world.accounts[0].business_id][0]
    with httpx.Client(timeout=0.5) as http, pytest.raises(httpx.ReadTimeout):
        http.get(
            server.base_url + contract.BUSINESS_GET,
            headers={"Access-Token": token},
            params={"business_id": server.simulator.world.accounts[0].business_id},
        )


def test_revoked_fault_affects_only_that_account(factory):
    revoked = demo_accounts(42, 4)[ACME].business_id
    api = Api(factory(faults=f"revoked={revoked}"))
    assert api.bid(ACME) == revoked
    assert api.code(contract.BUSINESS_GET, ACME) == contract.INVALID_TOKEN
    assert api.code(contract.BUSINESS_GET, JULES) == contract.OK
    _, refresh = api.sim.current_tokens[revoked]
    assert api.refresh(refresh)["code"] == contract.INVALID_TOKEN  # revoked: "on every call and on refresh"
    _, refresh = api.sim.current_tokens[api.bid(JULES)]
    assert api.refresh(refresh)["code"] == contract.OK
    api.close()


@pytest.mark.parametrize(
    "spec, named",
    [
        ("bogus=1", "bogus"),
        ("http_5xx=1.5", "http_5xx"),
        ("internal_error=-0.1", "internal_error"),
        ("slow=fast", "slow"),
        ("timeout", "timeout"),
        ("rate_limited=0.6,internal_error=0.6", "add up"),
    ],
)
def test_fault_spec_rejects_bad_entries_naming_them(spec, named):
    with pytest.raises(ValueError, match=named):
        FaultConfig.parse(spec)


def test_fault_spec_parses_good_entries():
    config = FaultConfig.parse(" internal_error=0.1, http_5xx=0.2 ,slow_seconds=3,revoked=a|b")
    assert (config.internal_error, config.http_5xx, config.slow_seconds) == (0.1, 0.2, 3.0)
    assert config.revoked == {"a", "b"}
    assert FaultConfig.parse("") == FaultConfig()


# ================================================================ the CLI


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_cli_prints_credentials_and_serves_them():
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tiktok_api.simulator", "--port", str(port), "--accounts", "2", "--seed", "7"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        head = json.loads(process.stdout.readline())
        assert {"client_id", "client_secret", "base_url"} <= set(head)
        assert head["base_url"] == f"http://127.0.0.1:{port}{contract.API_PREFIX}"
        accounts = [json.loads(process.stdout.readline()) for _ in range(2)]
        assert all({"open_id", "access_token"} <= set(a) for a in accounts)
        assert len({a["open_id"] for a in accounts}) == 2

        account = accounts[0]
        deadline = time.monotonic() + 15
        with httpx.Client(timeout=5) as http:
            while True:
                try:
                    response = http.get(
                        head["base_url"] + contract.BUSINESS_GET,
                        params={"business_id": account["open_id"], "fields": json.dumps(["username"])},
                        headers={"Access-Token": account["access_token"]},
                    )
                    break
                except httpx.TransportError:
                    assert process.poll() is None, process.stderr.read() if process.stderr else ""
                    assert time.monotonic() < deadline, "the CLI simulator did not start serving"
                    time.sleep(0.05)
        assert response.status_code == 200
        body = response.json()
        assert body["code"] == contract.OK, body
        assert body["data"] == {"username": account["username"]}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ---------------------------------------------------------------- rules broken on demand


def _video_page(server, account_index: int = 0) -> list[dict]:
    business_id = server.simulator.world.accounts[account_index].business_id
    access, _ = server.simulator.current_tokens[business_id]
    response = httpx.get(
        server.base_url + "/business/video/list/",
        params={
            "business_id": business_id,
            "fields": json.dumps(list(contract.VIDEO_FIELDS)),
            "max_count": "5",
            # a fixed cursor: short pages are drawn per cursor, and the default cursor moves with the clock
            "cursor": str(int(SIM_NOW * 1000)),
        },
        headers={"Access-Token": access},
    )
    return response.json()["data"]["videos"]


def test_break_spec_names_only_breakable_rules():
    from tiktok_api.simulator.faults import BREAKABLE_RULES, FaultConfig

    assert FaultConfig.parse("break=counts_not_negative|reach_within_views").broken_rules == {
        "counts_not_negative",
        "reach_within_views",
    }
    with pytest.raises(ValueError, match="cannot break \\['no_such_rule'\\]"):
        FaultConfig.parse("break=no_such_rule")
    assert "share_in_unit_interval" in BREAKABLE_RULES


def test_broken_rules_change_the_data_served_and_nothing_else(simulator_factory):
    clean = _video_page(simulator_factory())
    broken = _video_page(
        simulator_factory(faults="break=share_in_unit_interval|counts_not_negative|reach_within_views")
    )
    assert broken[0]["full_video_watched_rate"] == 1.35
    assert broken[0]["likes"] == -3
    assert broken[0]["reach"] > broken[0]["video_views"]
    assert broken[1:] == clean[1:]


def test_every_rule_of_the_rule_book_has_a_break_switch():
    from expectations.rules import RULES
    from tests.e2e.test_every_rule_fires import FIRES
    from tiktok_api.simulator.faults import BREAKABLE_RULES

    # a rule about the team's configuration files is broken by a line of them (the e2e test writes one), not by the API
    by_config_files = {rule for rule, case in FIRES.items() if case.config_files}
    assert set(BREAKABLE_RULES) == set(RULES) - by_config_files
    assert FaultConfig.parse("break=" + "|".join(sorted(BREAKABLE_RULES))).broken_rules == set(BREAKABLE_RULES)
    assert FaultConfig.parse(" break = values_in_domain | references_resolve ").broken_rules == {
        "values_in_domain",
        "references_resolve",
    }


def _at(day: date, hour: int = 0, minute: int = 1) -> float:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC).timestamp()


EVEN_DAY, ODD_DAY = date(2026, 11, 20), date(2026, 11, 19)  # by ordinal


def test_break_switch_values_in_domain_sends_an_unknown_media_type_once_a_page():
    from tiktok_api.simulator.breakage import break_rules

    data = {"videos": [{"item_id": "1", "media_type": "VIDEO"}, {"item_id": "2", "media_type": "PHOTO"}]}
    broken = break_rules({"values_in_domain"}, contract.VIDEO_LIST, data, 500, now=SIM_NOW)
    assert [v["media_type"] for v in broken["videos"]] == ["CAROUSEL", "PHOTO"]


def test_break_switch_keys_unique_not_null_lists_a_post_twice_as_its_own_copy():
    from tiktok_api.simulator.breakage import break_rules

    data = {"videos": [{"item_id": "1", "audience_genders": [{"gender": "Female", "percentage": 0.5}]}]}
    broken = break_rules({"keys_unique_not_null"}, contract.VIDEO_LIST, data, 500, now=SIM_NOW)["videos"]
    assert [v["item_id"] for v in broken] == ["1", "1"] and broken[0] == broken[1]
    assert broken[0]["audience_genders"] is not broken[1]["audience_genders"]


@pytest.mark.parametrize("day, falls", [(EVEN_DAY, True), (ODD_DAY, False)])
def test_break_switch_lifetime_counters_halves_views_reach_and_likes_on_even_days(day, falls):
    from tiktok_api.simulator.breakage import break_rules

    post = {"item_id": "1", "video_views": 101, "reach": 80, "likes": 9, "comments": 4, "shares": 3}
    broken = break_rules(
        {"lifetime_counters_do_not_fall"}, contract.VIDEO_LIST, {"videos": [dict(post)]}, 500, now=_at(day)
    )
    expected = post | ({"video_views": 50, "reach": 40, "likes": 4} if falls else {})
    assert broken["videos"] == [expected]


def test_break_switch_partition_fresh_withholds_days_until_72_hours_after_they_end():
    from tiktok_api.simulator.breakage import break_rules

    days = [{"date": f"2026-11-{d}", "video_views": 1} for d in (14, 15, 16, 17)]
    now = _at(date(2026, 11, 20), 0, 1)  # 48 h after 2026-11-17 ended: the daily run of that day
    broken = break_rules({"partition_fresh_within_48h"}, contract.BUSINESS_GET, {"metrics": days}, 500, now=now)
    assert [d["date"] for d in broken["metrics"]] == ["2026-11-14", "2026-11-15", "2026-11-16"]
    later = break_rules(
        {"partition_fresh_within_48h"}, contract.BUSINESS_GET, {"metrics": list(days)}, 500, now=now + DAY
    )
    assert len(later["metrics"]) == 4


@pytest.mark.parametrize("day, jump", [(EVEN_DAY, 5000), (ODD_DAY, 0)])
def test_break_switch_followers_total_matches_profile_moves_the_profile_count_on_even_days(day, jump):
    from tiktok_api.simulator.breakage import break_rules

    data = {"followers_count": 1000, "metrics": [{"date": "2026-11-17", "followers_count": 990}]}
    broken = break_rules({"followers_total_matches_profile"}, contract.BUSINESS_GET, data, 1000, now=_at(day))
    assert broken == {"followers_count": 1000 + jump, "metrics": [{"date": "2026-11-17", "followers_count": 990}]}


def _comment(comment_id: str, **extra: Any) -> dict[str, Any]:
    return {"comment_id": comment_id, "video_id": "7000000000000000001", "create_time": "1790000000", **extra}


def test_break_switch_references_resolve_adds_a_reply_to_a_missing_comment_on_first_pages_only():
    from tiktok_api.simulator.breakage import break_rules, orphan_ids

    page = {"comments": [_comment("71", replies=2, reply_list=[_comment("72", parent_comment_id="71")])]}
    broken = break_rules({"references_resolve"}, contract.COMMENT_LIST, page, 500, now=SIM_NOW, params={"cursor": "0"})
    first, orphan = broken["comments"]
    assert first["comment_id"] == "71"
    assert (orphan["comment_id"], orphan["parent_comment_id"]) == orphan_ids("7000000000000000001")
    assert orphan["parent_comment_id"] not in {"71", "72"} and "reply_list" not in orphan
    later = {"comments": [_comment("73")]}
    assert break_rules(
        {"references_resolve"}, contract.COMMENT_LIST, later, 500, now=SIM_NOW, params={"cursor": "30"}
    ) == {"comments": [_comment("73")]}


def test_break_switch_times_are_possible_sends_a_first_page_comment_time_in_milliseconds():
    from tiktok_api.simulator.breakage import break_rules

    page = {"comments": [_comment("71"), _comment("72")]}
    broken = break_rules({"times_are_possible"}, contract.COMMENT_LIST, page, 500, now=SIM_NOW, params={"cursor": "0"})
    assert [c["create_time"] for c in broken["comments"]] == ["1790000000000", "1790000000"]
    later = {"comments": [_comment("73")]}
    assert break_rules(
        {"times_are_possible"}, contract.COMMENT_LIST, later, 500, now=SIM_NOW, params={"cursor": "30"}
    ) == {"comments": [_comment("73")]}


def test_break_switch_all_accounts_fetched_fails_the_first_accounts_comments_only(factory):
    api = Api(factory(faults="break=all_accounts_fetched", speed=0.0))
    body = api.get(contract.COMMENT_LIST, ACME, video_id=a_video_id(api))
    assert body["code"] == contract.NO_PERMISSION and "comment.list" in body["message"]
    assert api.code(contract.VIDEO_LIST, ACME, fields=["item_id"]) == contract.OK
    assert api.code(contract.BUSINESS_GET, ACME) == contract.OK
    jules_post = api.sim.world.visible_posts(api.account(JULES), api.now())[-1].item_id
    assert api.code(contract.COMMENT_LIST, JULES, video_id=jules_post) == contract.OK
    api.close()
