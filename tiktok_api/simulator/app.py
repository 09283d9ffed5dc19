"""A contract-faithful TikTok Accounts API simulator, as a Starlette ASGI app.

Every rule of ../shared/TIKTOK_API.md is served here: the envelope with HTTP-200 errors, Access-Token
auth, JSON-literal parameters, the look-back and lag of account metrics, cursors and short pages,
duplicates past 500 comments, token lifetimes and rotation, rate limits with a 5-minute penalty.
Admin endpoints under /_simulator/ (outside /open_api) set the clock, faults, scopes and revocations.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import random
import secrets
import threading
from collections import Counter, defaultdict, deque
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from tiktok_api import contract
from tiktok_api.simulator.breakage import break_rules, mention_cap, spike_metrics, withheld_scopes
from tiktok_api.simulator.clock import SimClock
from tiktok_api.simulator.faults import FaultConfig, FaultInjector
from tiktok_api.simulator.world import (
    DAY,
    AccountSpec,
    Benchmarks,
    Comment,
    MentionPost,
    Mentions,
    World,
    hex_id,
    top_mention_terms,
    unit,
    utc_date,
)

OPEN_API = contract.API_PREFIX


class ApiError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class AccessGrant:
    business_id: str
    expires_at: float
    scopes: frozenset[str]
    revoked: bool = False


@dataclass
class RefreshGrant:
    business_id: str
    expires_at: float
    scopes: frozenset[str]
    revoked: bool = False


class ServerRateLimits:
    """Sliding windows over simulated time; a breach blocks its scope for the penalty."""

    def __init__(self) -> None:
        self._calls: dict[tuple, deque[float]] = defaultdict(deque)
        self._blocked_until: dict[tuple, float] = {}
        self._per_day: Counter[date] = Counter()

    def admit(self, business_id: str, endpoint: str, now: float) -> str | None:
        """Record the call and return None, or return why it is refused."""
        per_account = contract.PER_ACCOUNT_ENDPOINT_PER_MINUTE
        rules = [
            (("account", business_id, endpoint), per_account, 60.0,
             f"{per_account} requests per minute for this account on {endpoint}"),
            (("app-minute",), contract.APP_PER_MINUTE, 60.0,
             f"{contract.APP_PER_MINUTE} requests per minute for the app"),
            (("app-second",), contract.APP_PER_SECOND, 1.0,
             f"{contract.APP_PER_SECOND} requests per second for the app"),
        ]  # fmt: skip
        today = utc_date(now)
        if self._per_day[today] >= contract.APP_PER_DAY:
            return f"{contract.APP_PER_DAY} requests per day for the app; resets at 00:00 UTC"
        for key, _, _, what in rules:
            if self._blocked_until.get(key, 0.0) > now:
                return f"rate limit exceeded ({what}); try again in a few minutes"
        for key, limit, window, what in rules:
            calls = self._calls[key]
            while calls and calls[0] <= now - window:
                calls.popleft()
            if len(calls) >= limit:
                if window >= 60:  # a per-minute breach clears after about 5 minutes
                    self._blocked_until[key] = now + contract.RATE_LIMIT_PENALTY_SECONDS
                return f"rate limit exceeded ({what}); try again in a few minutes"
        for key, _, _, _ in rules:
            self._calls[key].append(now)
        self._per_day[today] += 1
        return None


class Simulator:
    """The simulator's state and its ASGI app (`self.app`)."""

    def __init__(
        self,
        seed: int = 42,
        accounts: int = 4,
        faults: FaultConfig | None = None,
        now: float | None = None,
        speed: float = 1.0,
        posts_per_day: float | None = None,
    ):
        self.seed = seed
        self.world = World(seed, accounts, posts_per_day)
        self.mentions = Mentions(seed)  # its own draws: the accounts, posts and comments are the same without it
        self.benchmarks = Benchmarks(seed)  # its own draws too
        self.clock = SimClock(now, speed)
        self.faults = FaultInjector(faults or FaultConfig(), seed)
        self.client_id = f"sim-client-{hex_id(seed, 'client', length=12)}"
        self.client_secret = f"sim-secret-{hex_id(seed, 'client-secret', length=32)}"
        self.lock = threading.RLock()
        self.access: dict[str, AccessGrant] = {}
        self.refresh: dict[str, RefreshGrant] = {}
        self.auth_codes: dict[str, tuple[str, float, frozenset[str]]] = {}
        self.scopes: dict[str, frozenset[str]] = {}
        self.current_tokens: dict[str, tuple[str, str]] = {}  # business_id -> (access, refresh)
        self.limits = ServerRateLimits()
        self.calls: Counter[tuple[str, str]] = Counter()  # (path, business_id) -> HTTP requests
        self.codes: Counter[int] = Counter()
        self._request_counter = 0
        for account in self.world.accounts:
            self.scopes[account.business_id] = frozenset(contract.ALL_SCOPES)
            # The first tokens are derived from the seed, so a restarted simulator accepts the same ones.
            self._issue(account.business_id, frozenset(contract.ALL_SCOPES), deterministic=True)
        self.app = Starlette(routes=self._routes())

    # ------------------------------------------------------------ tokens

    def _issue(self, business_id: str, scopes: frozenset[str], deterministic: bool = False,
               refresh_expires_at: float | None = None) -> dict[str, Any]:  # fmt: skip
        now = self.clock.now()
        index = self.world.by_id[business_id].index
        if deterministic:
            access = f"act.sim{hex_id(self.seed, 'access', index, length=40)}"
            refresh = f"rft.sim{hex_id(self.seed, 'refresh', index, length=40)}"
        else:
            access, refresh = f"act.sim{secrets.token_hex(20)}", f"rft.sim{secrets.token_hex(20)}"
        refresh_expires_at = refresh_expires_at or now + contract.REFRESH_TOKEN_LIFETIME
        self.access[access] = AccessGrant(business_id, now + contract.ACCESS_TOKEN_LIFETIME, scopes)
        self.refresh[refresh] = RefreshGrant(business_id, refresh_expires_at, scopes)
        self.current_tokens[business_id] = (access, refresh)
        return {
            "access_token": access,
            "expires_in": contract.ACCESS_TOKEN_LIFETIME,
            "open_id": business_id,
            "refresh_token": refresh,
            # A refresh returns the remaining life, not a fresh year (the tolerant reading).
            "refresh_token_expires_in": int(refresh_expires_at - now),
            "scope": ",".join(sorted(scopes)),
            "token_type": "Bearer",
        }

    def revoke(self, business_id: str) -> None:
        with self.lock:
            for grant in [*self.access.values(), *self.refresh.values()]:
                if grant.business_id == business_id:
                    grant.revoked = True

    def expire_access(self, business_id: str) -> None:
        with self.lock:
            for grant in self.access.values():
                if grant.business_id == business_id:
                    grant.expires_at = min(grant.expires_at, self.clock.now() - 1)

    def new_auth_code(self, business_id: str, scopes: frozenset[str] | None = None) -> str:
        code = f"sim-code-{secrets.token_hex(12)}"
        with self.lock:
            self.auth_codes[code] = (
                business_id,
                self.clock.now() + contract.AUTH_CODE_LIFETIME,
                scopes or self.scopes[business_id],
            )
        return code

    def _check_client(self, body: dict[str, Any], grant_type: str) -> None:
        for name in ("client_id", "client_secret", "grant_type"):
            if not isinstance(body.get(name), str) or not body[name]:
                raise ApiError(contract.BAD_PARAMETER, f"{name} is required")
        if body["grant_type"] != grant_type:
            raise ApiError(contract.BAD_PARAMETER, f"grant_type must be {grant_type!r}")
        if body["client_id"] != self.client_id or body["client_secret"] != self.client_secret:
            raise ApiError(contract.NO_PERMISSION, "client_id or client_secret is not valid")

    def token_exchange(self, body: dict[str, Any]) -> dict[str, Any]:
        self._check_client(body, "authorization_code")
        for name in ("auth_code", "redirect_uri"):
            if not isinstance(body.get(name), str) or not body[name]:
                raise ApiError(contract.BAD_PARAMETER, f"{name} is required")
        with self.lock:
            entry = self.auth_codes.pop(body["auth_code"], None)  # single use
            if entry is None or entry[1] < self.clock.now():
                raise ApiError(contract.AUTH_CODE_EXPIRED, "auth_code is expired or was already used")
            business_id, _, scopes = entry
            return self._issue(business_id, scopes)

    def token_refresh(self, body: dict[str, Any]) -> dict[str, Any]:
        self._check_client(body, "refresh_token")
        if not isinstance(body.get("refresh_token"), str) or not body["refresh_token"]:
            raise ApiError(contract.BAD_PARAMETER, "refresh_token is required")
        with self.lock:
            grant = self.refresh.get(body["refresh_token"])
            now = self.clock.now()
            # A fault-revoked account is refused here too (faults.py: "40105 on every call and on refresh").
            revoked = grant is not None and grant.business_id in self.faults.config.revoked
            if grant is None or grant.revoked or revoked or grant.expires_at < now:
                raise ApiError(contract.INVALID_TOKEN, "refresh_token is invalid, expired or revoked")
            grant.revoked = True  # the refresh token rotates: the old one stops working
            for access in self.access.values():
                if access.business_id == grant.business_id:
                    access.revoked = True
            return self._issue(grant.business_id, grant.scopes, refresh_expires_at=grant.expires_at)

    def authenticate(self, request: Request) -> AccessGrant:
        token = request.headers.get("access-token")
        if not token:
            raise ApiError(contract.INVALID_TOKEN, "Access-Token header is missing")
        with self.lock:
            grant = self.access.get(token)  # a "Bearer " prefix makes it an unknown token
            if grant is None:
                raise ApiError(contract.INVALID_TOKEN, "access token is invalid")
            if grant.revoked or grant.business_id in self.faults.config.revoked:
                raise ApiError(contract.INVALID_TOKEN, "access token has been revoked")
            if grant.expires_at < self.clock.now():
                raise ApiError(contract.INVALID_TOKEN, "access token has expired")
            return grant

    # ------------------------------------------------------------ envelope

    def _request_id(self) -> str:
        with self.lock:
            self._request_counter += 1
            n = self._request_counter
        stamp = datetime.fromtimestamp(self.clock.now(), UTC).strftime("%Y%m%d%H%M%S")
        return f"{stamp}{hex_id(self.seed, 'rid', n, length=16).upper()}"

    def envelope(self, code: int, message: str, data: dict[str, Any] | None = None) -> JSONResponse:
        self.codes[code] += 1
        request_id = self._request_id()
        body = {"code": code, "message": message, "request_id": request_id, "data": data or {}}
        return JSONResponse(body, headers={"X-Tt-Logid": request_id + "LOG"})

    # ------------------------------------------------------------ routes

    def _routes(self) -> list[Route]:
        return [
            Route(f"{OPEN_API}{contract.BUSINESS_GET}", self._data(self.business_get)),
            Route(f"{OPEN_API}{contract.VIDEO_LIST}", self._data(self.video_list)),
            Route(f"{OPEN_API}{contract.COMMENT_LIST}", self._data(self.comment_list)),
            Route(f"{OPEN_API}{contract.COMMENT_REPLY_LIST}", self._data(self.reply_list)),
            Route(f"{OPEN_API}{contract.MENTION_VIDEO_LIST}", self._data(self.mention_video_list)),
            Route(f"{OPEN_API}{contract.MENTION_TOP_HASHTAG_LIST}", self._data(self.mention_top_hashtag_list)),
            Route(f"{OPEN_API}{contract.MENTION_TOP_WORD_LIST}", self._data(self.mention_top_word_list)),
            Route(f"{OPEN_API}{contract.BENCHMARK}", self._data(self.benchmark)),
            Route(f"{OPEN_API}{contract.TOKEN}", self._token(self.token_exchange), methods=["POST"]),
            Route(f"{OPEN_API}{contract.REFRESH_TOKEN}", self._token(self.token_refresh), methods=["POST"]),
            Route(f"{OPEN_API}/{{rest:path}}", self._unknown_path, methods=["GET", "POST", "PUT", "DELETE"]),
            Route("/_simulator/clock", self._admin_clock, methods=["GET", "POST"]),
            Route("/_simulator/accounts", self._admin_accounts),
            Route("/_simulator/faults", self._admin_faults, methods=["GET", "POST"]),
            Route("/_simulator/revoke", self._admin_revoke, methods=["POST"]),
            Route("/_simulator/expire_token", self._admin_expire, methods=["POST"]),
            Route("/_simulator/scopes", self._admin_scopes, methods=["POST"]),
            Route("/_simulator/auth_code", self._admin_auth_code, methods=["POST"]),
            Route("/_simulator/stats", self._admin_stats, methods=["GET", "DELETE"]),
        ]

    async def _unknown_path(self, request: Request) -> Response:
        return self.envelope(contract.UNKNOWN_PATH, f"unknown path {request.url.path}")

    def _data(self, handler):
        async def endpoint(request: Request) -> Response:
            path = request.url.path.removeprefix(OPEN_API)
            params = dict(request.query_params)
            with self.lock:
                self.calls[(path, params.get("business_id", ""))] += 1
            # mention calls (and, apart, the mention terms' and the benchmarks') draw their faults from a stream of
            # their own, so that adding them changes no fault the other endpoints are served for a seed
            fault = self.faults.draw(
                "benchmarks"
                if path == contract.BENCHMARK
                else "mention_terms"
                if path in contract.MENTION_TERM_LISTS
                else "mentions"
                if path.startswith(contract.MENTION_PREFIX)
                else ""
            )
            if fault is not None:
                faulty = await self._fault_response(fault)
                if faulty is not None:
                    return faulty
            try:
                grant = self.authenticate(request)
                business_id = params.get("business_id")
                if not business_id:
                    raise ApiError(contract.BAD_PARAMETER, "business_id is required")
                if business_id != grant.business_id:
                    raise ApiError(contract.NO_PERMISSION, "business_id is not the account this token authorises")
                account = self.world.by_id[business_id]
                with self.lock:
                    refused = self.limits.admit(business_id, path, self.clock.now())
                if refused:
                    raise ApiError(contract.RATE_LIMITED, refused)
                rules = self.faults.config.broken_rules
                data = handler(account, params, grant.scopes - withheld_scopes(rules, account.index))
                if rules:
                    now = self.clock.now()
                    followers = self.world.followers_now(account, now)
                    data = break_rules(rules, path, data, followers, now=now, params=params)
            except ApiError as error:
                return self.envelope(error.code, error.message)
            return self.envelope(contract.OK, "OK", data)

        return endpoint

    def _token(self, handler):
        async def endpoint(request: Request) -> Response:
            try:
                body = json.loads(await request.body() or b"{}")
                if not isinstance(body, dict):
                    raise ValueError
            except ValueError:
                return self.envelope(contract.BAD_PARAMETER, "the request body must be a JSON object")
            try:
                return self.envelope(contract.OK, "OK", handler(body))
            except ApiError as error:
                return self.envelope(error.code, error.message)

        return endpoint

    async def _fault_response(self, fault: str) -> Response | None:
        config = self.faults.config
        if fault == "rate_limited":
            return self.envelope(contract.RATE_LIMITED, "rate limit exceeded (injected)")
        if fault == "internal_error":
            return self.envelope(contract.INTERNAL_ERROR_2, "internal error, please retry (injected)")
        if fault == "http_5xx":
            return PlainTextResponse("503 Service Temporarily Unavailable", status_code=503)
        if fault == "html":
            html = "<html><head><title>502 Bad Gateway</title></head><body>bad gateway</body></html>"
            return Response(html, status_code=200, media_type="text/html")
        if fault == "truncated":
            full = json.dumps({"code": 0, "message": "OK", "request_id": self._request_id(), "data": {"x": 1}})
            return Response(full[: len(full) // 2], media_type="application/json")
        if fault == "slow":
            await asyncio.sleep(config.slow_seconds)
            return None  # then answer normally
        if fault == "timeout":
            # Held past the client's timeout; released early when the faults are switched off, so a
            # test does not depend on how fast a loaded machine answers the retry.
            deadline = asyncio.get_running_loop().time() + config.timeout_seconds
            while self.faults.config is config and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.05)
            return PlainTextResponse("504 Gateway Timeout", status_code=504)
        return None

    # ------------------------------------------------------------ parameters

    @staticmethod
    def _json_param(params: dict[str, str], name: str, kind: type, default: Any = None) -> Any:
        if name not in params:
            return default
        try:
            value = json.loads(params[name])
        except ValueError:
            raise ApiError(contract.BAD_PARAMETER, f"{name}: not valid JSON: {params[name][:80]!r}") from None
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ApiError(contract.BAD_PARAMETER, f"{name}: expected a JSON {kind.__name__}")
        return value

    @staticmethod
    def _fields(params: dict[str, str], allowed: tuple[str, ...], default: tuple[str, ...]) -> list[str]:
        fields = Simulator._json_param(params, "fields", list, list(default))
        for name in fields:
            if not isinstance(name, str) or name not in allowed:
                raise ApiError(contract.BAD_PARAMETER, f"fields: unknown field {name!r}")
        return list(dict.fromkeys(fields))

    @staticmethod
    def _int_param(params: dict[str, str], name: str, default: int, low: int, high: int | None) -> int:
        value = Simulator._json_param(params, name, int, default)
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise ApiError(contract.BAD_PARAMETER, f"{name}: must be {bound}, got {value}")
        return value

    @staticmethod
    def _bool_param(params: dict[str, str], name: str, default: bool) -> bool:
        if name not in params:
            return default
        if params[name] not in ("true", "false"):
            raise ApiError(contract.BAD_PARAMETER, f"{name}: expected true or false")
        return params[name] == "true"

    @staticmethod
    def _require_scope(scopes: frozenset[str], scope: str) -> None:
        if scope not in scopes:
            raise ApiError(contract.NO_PERMISSION, f"the token lacks the scope {scope}")

    # ------------------------------------------------------------ /business/get/

    def business_get(self, account: AccountSpec, params: dict[str, str], scopes: frozenset[str]) -> dict:
        self._require_scope(scopes, "user.info.basic")
        fields = self._fields(params, contract.ACCOUNT_FIELDS, contract.ACCOUNT_DEFAULT_FIELDS)
        now = self.clock.now()
        today = utc_date(now)
        start = self._date_param(params, "start_date", today - timedelta(days=7))
        end = self._date_param(params, "end_date", today - timedelta(days=1))
        if start > end:
            raise ApiError(contract.BAD_PARAMETER, "start_date must not be after end_date")
        if start < today - timedelta(days=contract.ACCOUNT_MAX_LOOKBACK_DAYS):
            raise ApiError(
                contract.BAD_PARAMETER,
                f"start_date {start} is out of range: at most {contract.ACCOUNT_MAX_LOOKBACK_DAYS} days back",
            )
        if end > today:
            raise ApiError(contract.BAD_PARAMETER, f"end_date {end} is out of range: it is in the future")
        data: dict[str, Any] = {}
        profile = self.world.profile(account, now)
        for name in fields:
            if name in profile:
                data[name] = profile[name]
        wanted_audience = [f for f in fields if f in contract.ACCOUNT_AUDIENCE_FIELDS]
        wanted_metrics = [f for f in fields if f in contract.ACCOUNT_METRICS]
        if wanted_audience or wanted_metrics:
            self._require_scope(scopes, "user.insights")
        # Audience insights exist only for accounts with at least 100 followers.
        if wanted_audience and self.world.followers_now(account, now) >= contract.AUDIENCE_MIN_FOLLOWERS:
            audience = self.world.audience(account)
            data |= {name: audience[name] for name in wanted_audience}
        if wanted_metrics:
            metrics = []
            first = max(start, utc_date(account.created_at))
            day = first
            while day <= end:
                if self.world.metrics_available(account, day, now):  # within the publication lag after the day
                    values = self.world.daily_metrics(account, day, now)
                    if self.faults.config.is_spiked(account.business_id, account.index, day):
                        values = spike_metrics(values)  # spike=: a viral day, whenever it is fetched
                    row = {"date": values["date"]}
                    row |= {m: values[m] for m in wanted_metrics if m in values}  # business-only: absent
                    metrics.append(row)
                day += timedelta(days=1)
            data["metrics"] = metrics
        return data

    @staticmethod
    def _date_param(params: dict[str, str], name: str, default: date) -> date:
        if name not in params:
            return default
        try:
            return date.fromisoformat(params[name]) if len(params[name]) == 10 else _bad_date(name, params)
        except ValueError:
            return _bad_date(name, params)

    # ------------------------------------------------------------ /business/video/list/

    def video_list(self, account: AccountSpec, params: dict[str, str], scopes: frozenset[str]) -> dict:
        self._require_scope(scopes, "video.list")
        fields = self._fields(params, contract.VIDEO_FIELDS, ("item_id",))
        if "item_id" not in fields:
            raise ApiError(contract.BAD_PARAMETER, "fields: must include item_id")
        if any(f in contract.VIDEO_METRIC_FIELDS or f in contract.VIDEO_BREAKDOWN_FIELDS for f in fields):
            self._require_scope(scopes, "video.insights")
        filters = self._json_param(params, "filters", dict, {})
        unknown = set(filters) - {"video_ids", "ad_post_only"}
        if unknown:
            raise ApiError(contract.BAD_PARAMETER, f"filters: unknown key {sorted(unknown)[0]!r}")
        video_ids = filters.get("video_ids")
        if video_ids is not None and (
            not isinstance(video_ids, list) or not all(isinstance(v, str) for v in video_ids)
        ):
            raise ApiError(contract.BAD_PARAMETER, "filters.video_ids: expected a list of id strings")
        ad_only = filters.get("ad_post_only", False)
        if not isinstance(ad_only, bool):
            raise ApiError(contract.BAD_PARAMETER, "filters.ad_post_only: expected true or false")
        now = self.clock.now()
        max_count = self._int_param(params, "max_count", contract.VIDEO_DEFAULT_COUNT, 1, contract.VIDEO_MAX_COUNT)
        cursor = self._int_param(params, "cursor", int(now * 1000), 0, None)
        posts = self.world.visible_posts(account, now)
        end = bisect.bisect_left([p.create_time * 1000 for p in posts], cursor)  # published before cursor
        candidates = posts[:end][::-1]  # newest first
        if video_ids is not None:
            wanted = set(video_ids)
            candidates = [p for p in candidates if p.item_id in wanted]
        if ad_only:
            candidates = [p for p in candidates if p.is_ad]
        take = max_count
        if len(candidates) > max_count and unit(self.seed, "short", account.index, cursor) < 0.15:
            take = 1 + int(unit(self.seed, "short-n", account.index, cursor) * (max_count - 1))
        page = candidates[:take]
        # Metrics are lifetime totals as of the publication lag ago.
        as_of = now - self.world.post_metrics_lag(account)
        return {
            "videos": [p.to_api(fields, now, as_of) for p in page],
            "cursor": page[-1].create_time * 1000 if page else cursor,
            "has_more": len(candidates) > len(page),
        }

    # ------------------------------------------------------------ comments

    def _comment_params(self, params: dict[str, str]) -> dict[str, Any]:
        status = params.get("status", "ALL")
        if status not in contract.COMMENT_STATUSES:
            raise ApiError(contract.BAD_PARAMETER, f"status: must be one of {contract.COMMENT_STATUSES}")
        sort_field = params.get("sort_field")
        if sort_field is not None and sort_field not in contract.COMMENT_SORT_FIELDS:
            raise ApiError(contract.BAD_PARAMETER, f"sort_field: must be one of {contract.COMMENT_SORT_FIELDS}")
        sort_order = params.get("sort_order", "desc")
        if sort_order not in contract.COMMENT_SORT_ORDERS:
            raise ApiError(contract.BAD_PARAMETER, f"sort_order: must be one of {contract.COMMENT_SORT_ORDERS}")
        comment_ids = self._json_param(params, "comment_ids", list, None)
        if comment_ids is not None and len(comment_ids) > contract.COMMENT_IDS_MAX:
            raise ApiError(contract.BAD_PARAMETER, f"comment_ids: at most {contract.COMMENT_IDS_MAX} ids")
        return {
            "status": status,
            "sort_field": sort_field,
            "sort_order": sort_order,
            "comment_ids": comment_ids,
            "cursor": self._int_param(params, "cursor", 0, 0, None),
            "max_count": self._int_param(
                params, "max_count", contract.COMMENT_DEFAULT_COUNT, 1, contract.COMMENT_MAX_COUNT
            ),
            "include_replies": self._bool_param(params, "include_replies", False),
        }

    def _video_of(self, account: AccountSpec, params: dict[str, str], now: float):
        video_id = params.get("video_id")
        if not video_id:
            raise ApiError(contract.BAD_PARAMETER, "video_id is required")
        post = self.world.find_post(account, video_id, now)
        if post is None:
            raise ApiError(contract.BAD_PARAMETER, f"video_id {video_id} is not a post of this account")
        return post

    def _comment_page(self, items: list[Comment], q: dict[str, Any], key: tuple, now: float) -> dict:
        if q["status"] == "PUBLIC":
            items = [c for c in items if not c.hidden]
        if q["comment_ids"] is not None:
            wanted = set(map(str, q["comment_ids"]))
            items = [c for c in items if c.comment_id in wanted]
        if q["sort_field"] is None:
            # Without sort_field the order is random, on every call: offset paging is then unreliable.
            with self.lock:
                self._request_counter += 1
                salt = self._request_counter
            items = items[:]
            random.Random(hash((self.seed, key, salt))).shuffle(items)
        else:
            sort_key = {
                "create_time": lambda c: (c.create_time, c.comment_id),
                "likes": lambda c: (c.likes, c.comment_id),
                "replies": lambda c: (len(c.replies), c.comment_id),
            }[q["sort_field"]]
            items = sorted(items, key=sort_key, reverse=q["sort_order"] in ("desc", "smart"))
        total, offset, count = len(items), q["cursor"], q["max_count"]
        if total > contract.COMMENT_DUPLICATES_AFTER and offset >= contract.COMMENT_DUPLICATES_AFTER and offset < total:
            # Past 500 comments the API repeats a comment it already sent: one item of each page is old.
            page = [items[offset - 1], *items[offset : offset + count - 1]]
            next_offset = offset + count - 1
        else:
            take = count
            if total - offset > count and unit(self.seed, "short", key, offset) < 0.15:
                take = 1 + int(unit(self.seed, "short-n", key, offset) * (count - 1))
            page = items[offset : offset + take]
            next_offset = offset + len(page)
        return {
            "comments": [c.to_api(now, q["include_replies"]) for c in page],
            "cursor": next_offset,
            "has_more": next_offset < total,
        }

    def comment_list(self, account: AccountSpec, params: dict[str, str], scopes: frozenset[str]) -> dict:
        self._require_scope(scopes, "comment.list")
        now = self.clock.now()
        q = self._comment_params(params)
        post = self._video_of(account, params, now)
        visible = [c for c in post.comments if c.create_time <= now]
        return self._comment_page(visible, q, ("comments", post.item_id), now)

    def reply_list(self, account: AccountSpec, params: dict[str, str], scopes: frozenset[str]) -> dict:
        self._require_scope(scopes, "comment.list")
        now = self.clock.now()
        q = self._comment_params(params)
        q["include_replies"] = False
        post = self._video_of(account, params, now)
        comment_id = params.get("comment_id")
        if not comment_id:
            raise ApiError(contract.BAD_PARAMETER, "comment_id is required")
        parent = next((c for c in post.comments if c.comment_id == comment_id and c.create_time <= now), None)
        if parent is None:
            raise ApiError(contract.BAD_PARAMETER, f"comment_id {comment_id} is not a comment of this post")
        visible = [r for r in parent.replies if r.create_time <= now]
        return self._comment_page(visible, q, ("replies", comment_id), now)

    # ------------------------------------------------------------ brand mentions

    def mention_video_list(self, account: AccountSpec, params: dict[str, str], scopes: frozenset[str]) -> dict:
        """The top posts mentioning the brand published in [start_date, end_date] (at most 90 days), ranked as on
        the window's last day, at most 1,000, paged by offset. Days not published yet (the publication lag) are left
        out; metrics are lifetime totals as of the lag ago."""
        end, now, listed = self._mention_posts(account, params)
        page, cursor, has_more = self._mention_page(listed, params, ("mention", account.index, end))
        as_of = now - self.mentions.lag(account)
        return {"videos": [post.to_api(now, as_of) for post in page], "cursor": cursor, "has_more": has_more}

    def mention_top_hashtag_list(self, account: AccountSpec, params: dict[str, str], scopes: frozenset[str]) -> dict:
        return self._mention_terms(account, params, "hashtags")

    def mention_top_word_list(self, account: AccountSpec, params: dict[str, str], scopes: frozenset[str]) -> dict:
        return self._mention_terms(account, params, "words")

    def _mention_terms(self, account: AccountSpec, params: dict[str, str], list_key: str) -> dict:
        """The top hashtags or words of the posts the mention list holds for the same window (world.top_mention_terms:
        post count and views as of the lag ago), at most MENTION_TERM_MAX_RECORDS, paged by offset like the list."""
        end, now, listed = self._mention_posts(account, params)
        terms = top_mention_terms(listed, list_key, now - self.mentions.lag(account))
        page, cursor, has_more = self._mention_page(terms, params, ("mention-terms", list_key, account.index, end))
        return {list_key: page, "cursor": cursor, "has_more": has_more}

    def _mention_posts(self, account: AccountSpec, params: dict[str, str]) -> tuple[date, float, list[MentionPost]]:
        """What every mention endpoint serves from: (the window's last day, now, the window's listed posts, best
        first). Refused for an account without the approval, and for a window that is not 1 to 90 past days."""
        unapproved = self.faults.config.mentions_unapproved
        if "*" in unapproved or account.business_id in unapproved:
            raise ApiError(
                contract.NO_PERMISSION,
                "no permission: this app or account has not been approved for the brand mentions product",
            )
        now = self.clock.now()
        today = utc_date(now)
        end = self._date_param(params, "end_date", today - timedelta(days=1))
        start = self._date_param(params, "start_date", end - timedelta(days=contract.MENTION_MAX_WINDOW_DAYS - 1))
        if start > end:
            raise ApiError(contract.BAD_PARAMETER, "start_date must not be after end_date")
        if (end - start).days + 1 > contract.MENTION_MAX_WINDOW_DAYS:
            raise ApiError(
                contract.BAD_PARAMETER,
                f"start_date {start} to end_date {end} is {(end - start).days + 1} days: the window is at most "
                f"{contract.MENTION_MAX_WINDOW_DAYS} days",
            )
        if end > today:
            raise ApiError(contract.BAD_PARAMETER, f"end_date {end} is out of range: it is in the future")
        listed = self.mentions.ranked(account, start, end, now)[: mention_cap(self.faults.config.broken_rules)]
        return end, now, listed

    def _mention_page(self, items: list, params: dict[str, str], key: tuple) -> tuple[list, int, bool]:
        """One offset page of a mention endpoint's list: (the page, the next cursor, has_more). A page may be short
        while more follow (about one in seven, drawn from `key` and the cursor)."""
        cursor = self._int_param(params, "cursor", 0, 0, None)
        count = self._int_param(params, "max_count", contract.MENTION_DEFAULT_COUNT, 1, contract.MENTION_MAX_COUNT)
        prefix, *rest = key
        take = count
        if len(items) - cursor > count and unit(self.seed, f"{prefix}-short", *rest, cursor) < 0.15:
            take = 1 + int(unit(self.seed, f"{prefix}-short-n", *rest, cursor) * (count - 1))
        page = items[cursor : cursor + take]
        return page, cursor + len(page), cursor + len(page) < len(items)

    # ------------------------------------------------------------ industry benchmarks

    def benchmark(self, account: AccountSpec, params: dict[str, str], scopes: frozenset[str]) -> dict:
        """The averages of a business category's accounts over the 30 days ending on the newest day published (the
        publication lag, fixed per category). A category TikTok does not know (not in contract.BUSINESS_CATEGORIES,
        or named by the fault key unknown_categories=) is a 40002 naming the parameter."""
        self._require_scope(scopes, contract.BENCHMARK_SCOPE)
        category = params.get(contract.BENCHMARK_CATEGORY_PARAMETER)
        if not category:
            raise ApiError(contract.BAD_PARAMETER, f"{contract.BENCHMARK_CATEGORY_PARAMETER} is required")
        if category not in contract.BUSINESS_CATEGORIES or category in self.faults.config.unknown_categories:
            raise ApiError(
                contract.BAD_PARAMETER,
                f"{contract.BENCHMARK_CATEGORY_PARAMETER}: unknown business category {category[:60]!r}",
            )
        now = self.clock.now()
        return self.benchmarks.averages(category, self.benchmarks.published_until(category, now))

    # ------------------------------------------------------------ admin

    async def _admin_clock(self, request: Request) -> Response:
        if request.method == "POST":
            body = await _json_body(request)
            now = body.get("now")
            if isinstance(now, str):
                now = datetime.fromisoformat(now.replace("Z", "+00:00")).timestamp()
            if body.get("advance_seconds"):
                self.clock.advance(float(body["advance_seconds"]))
            if now is not None or body.get("speed") is not None:
                self.clock.set(now=now, speed=body.get("speed"))
        return JSONResponse({"now": self.clock.now(), "iso": self.clock.iso(), "speed": self.clock.speed})

    async def _admin_accounts(self, request: Request) -> Response:
        now = self.clock.now()
        rows = []
        for account in self.world.accounts:
            access, refresh = self.current_tokens[account.business_id]
            rows.append(
                {
                    "business_id": account.business_id,
                    "username": account.username,
                    "display_name": account.display_name,
                    "is_business_account": account.is_business,
                    "followers_count": self.world.followers_now(account, now),
                    "videos_count": len(self.world.visible_posts(account, now)),
                    "access_token": access,
                    "refresh_token": refresh,
                }
            )
        return JSONResponse({"client_id": self.client_id, "client_secret": self.client_secret, "accounts": rows})

    async def _admin_faults(self, request: Request) -> Response:
        if request.method == "POST":
            body = await _json_body(request)
            try:
                self.faults.config = FaultConfig.parse(body.get("spec", ""))
            except ValueError as error:
                return JSONResponse({"error": str(error)}, status_code=400)
        config = self.faults.config
        return JSONResponse(
            {
                **config.__dict__,
                "revoked": sorted(config.revoked),
                "mentions_unapproved": sorted(config.mentions_unapproved),
                "unknown_categories": sorted(config.unknown_categories),
                "broken_rules": sorted(config.broken_rules),
                "spikes": sorted(f"{business_id}@{day.isoformat()}" for business_id, day in config.spikes),
            }
        )

    async def _admin_revoke(self, request: Request) -> Response:
        business_id = (await _json_body(request)).get("business_id", "")
        self.revoke(business_id)
        return JSONResponse({"revoked": business_id})

    async def _admin_expire(self, request: Request) -> Response:
        business_id = (await _json_body(request)).get("business_id", "")
        self.expire_access(business_id)
        return JSONResponse({"expired": business_id})

    async def _admin_scopes(self, request: Request) -> Response:
        body = await _json_body(request)
        business_id, scopes = body["business_id"], frozenset(body["scopes"])
        with self.lock:
            self.scopes[business_id] = scopes
            for grant in [*self.access.values(), *self.refresh.values()]:
                if grant.business_id == business_id:
                    grant.scopes = scopes
        return JSONResponse({"business_id": business_id, "scopes": sorted(scopes)})

    async def _admin_auth_code(self, request: Request) -> Response:
        body = await _json_body(request)
        return JSONResponse({"auth_code": self.new_auth_code(body["business_id"])})

    async def _admin_stats(self, request: Request) -> Response:
        if request.method == "DELETE":
            with self.lock:
                self.calls.clear()
                self.codes.clear()
        calls: dict[str, dict[str, int]] = defaultdict(dict)
        for (path, business_id), n in self.calls.items():
            calls[path][business_id] = n
        return JSONResponse({"calls": calls, "codes": {str(k): v for k, v in self.codes.items()}})


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    return json.loads(raw) if raw else {}


def _bad_date(name: str, params: dict[str, str]) -> date:
    raise ApiError(contract.BAD_PARAMETER, f"{name}: expected YYYY-MM-DD, got {params[name][:20]!r}")


__all__ = ["DAY", "Simulator"]
