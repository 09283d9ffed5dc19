"""A synchronous httpx client for the TikTok Accounts API v1.3 (organic), see ../shared/TIKTOK_API.md.

It keeps every answer exactly as received (``Page.raw_text``) for the raw layer, retries what the
contract says is transient, refreshes tokens on 40105, and paces itself under the rate limits. One
instance may be shared by several threads: per-call state lives in the ``FetchResult`` being built.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import random
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx
import tenacity

from tiktok_api import contract
from tiktok_api.errors import ReauthorizeError, TikTokError, TransientError, error_for
from tiktok_api.ratelimit import ClientRateLimiter, Clock, Sleep
from tiktok_api.secrets import Secret
from tiktok_api.tokens import TokenSet, TokenStore

log = logging.getLogger("tiktok_api.client")

EXPIRY_SKEW_SECONDS = 60.0  # refresh a little early so a call does not land just after expiry
RATE_LIMIT_JITTER = 0.10  # up to 10% on top of the 40100 penalty wait, so workers do not return in step
MAX_CURSOR_STALLS = 2  # has_more with a cursor that does not move: re-ask once, then give up
MAX_EXACT_FLOAT = 2**53  # a JSON number parsed as a float holds an id's digits exactly up to here only


class ContractError(TikTokError):
    """A success envelope (code 0) whose content breaks the API contract: no ``data``, NaN in the body, a cursor
    that does not advance, has_more for ever. Asking again gets the same answer, so nothing is retried: the
    account fails now with the reason (what did arrive lands marked incomplete)."""


@dataclass
class Page:
    """One HTTP answer, kept exactly as sent."""

    endpoint: str
    params: dict[str, str]  # the query parameters as sent (the token travels in a header, never here)
    http_status: int
    request_id: str | None
    log_id: str | None  # header X-Tt-Logid
    fetched_at: str  # ISO-8601 UTC wall clock
    raw_text: str  # the response body exactly as received
    data: dict[str, Any]  # envelope["data"]


@dataclass
class FetchResult:
    endpoint: str
    business_id: str
    pages: list[Page] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    calls: int = 0  # HTTP attempts on the data endpoint
    retries: int = 0  # of which re-attempts
    refreshes: int = 0  # HTTP attempts on the refresh endpoint
    bytes: int = 0  # response body bytes of the data endpoint


@dataclass(frozen=True)
class _Request:
    """What one logical call sends; ``business_id`` also names the account in errors and logs."""

    method: str
    endpoint: str
    business_id: str | None
    params: dict[str, str] | None = None
    body: dict[str, Any] | None = None
    token: Secret | None = None
    secrets: tuple[Secret | str | None, ...] = ()  # redacted from any server message
    per_account: bool = True  # token calls count toward the app-wide limits only


def _encode_params(params: Mapping[str, Any]) -> dict[str, str]:
    """Query parameters as the API wants them: JSON literals for lists/objects, true/false, ints as str."""
    encoded: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):  # before int: bool is an int
            encoded[key] = "true" if value else "false"
        elif isinstance(value, str):
            encoded[key] = value
        elif isinstance(value, int | float):
            encoded[key] = str(value)
        elif isinstance(value, date):
            encoded[key] = value.isoformat()
        elif isinstance(value, list | tuple | dict):
            encoded[key] = json.dumps(list(value) if isinstance(value, tuple) else value, separators=(",", ":"))
        else:
            raise TypeError(f"cannot encode parameter {key!r} of type {type(value).__name__}")
    return encoded


def _parse_envelope(text: str) -> tuple[dict[str, Any] | None, list[str]]:
    """The envelope, or None when the body is not a JSON object with an int ``code`` (proxy page, cut), and the
    non-finite constants (NaN, Infinity, -Infinity) the body holds: Python reads them, JSON does not allow them."""
    constants: list[str] = []

    def constant(name: str) -> float:
        constants.append(name)
        return float(name)

    try:
        envelope = json.loads(text, parse_constant=constant)
    except ValueError:
        return None, constants
    if not isinstance(envelope, dict) or type(envelope.get("code")) is not int:
        return None, constants
    return envelope, constants


def id_text(value: Any) -> str:
    """An id (item_id, comment_id, ...) as its exact decimal text, whether it came as a JSON string or number.

    Python's json reads an integer literal as an int, exact at any size; a number with a fraction or exponent is
    a float, exact only up to 2**53, beyond which its digits are lost: ValueError, as for booleans and the rest.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) <= MAX_EXACT_FLOAT:
        return str(int(value))
    raise ValueError(f"{value!r} ({type(value).__name__}) cannot be read as the exact decimal text of an id")


def _normalise_ids(item: dict[str, Any]) -> None:
    """The item's id fields (and its inline replies') as decimal text, in place; ValueError names the field."""
    for key in contract.ID_FIELDS:
        if item.get(key) is not None:
            try:
                item[key] = id_text(item[key])
            except ValueError as exc:
                raise ValueError(f"{key} {exc}") from None
    for reply in item.get("reply_list") or ():
        if isinstance(reply, dict):
            _normalise_ids(reply)


# The record of each data endpoint's `data` in tiktok_api/raw_schema.py.
_DATA_RECORDS = {
    contract.BUSINESS_GET: "account",
    contract.VIDEO_LIST: "videos",
    contract.COMMENT_LIST: "comments",
    contract.COMMENT_REPLY_LIST: "comments",
    contract.MENTION_VIDEO_LIST: "mentions",
    contract.MENTION_TOP_HASHTAG_LIST: "mention_terms",
    contract.MENTION_TOP_WORD_LIST: "mention_terms",
    contract.BENCHMARK: "benchmarks",
}
_INT64 = 2**63
_INTEGER_TEXT = re.compile(r"\s*[-+]?\d+\s*")


def _fits(value: Any, kind: str) -> bool:
    """Whether a non-null value can be read as a raw_schema scalar by every typed reader of the raw layer (dbt on
    DuckDB and PostgreSQL): numbers as numbers or their text, booleans as true/false, dates as YYYY-MM-DD."""
    if kind == "text":
        return True
    if kind in ("bigint", "integer"):
        if isinstance(value, str) and _INTEGER_TEXT.fullmatch(value):
            value = int(value)
        return isinstance(value, int) and not isinstance(value, bool) and -_INT64 <= value < _INT64
    if kind == "double":
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                return False
        return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if kind == "boolean":
        return isinstance(value, bool) or (isinstance(value, str) and value.lower() in ("true", "false"))
    if kind == "date":
        try:
            return isinstance(value, str) and len(value) == 10 and bool(date.fromisoformat(value))
        except ValueError:
            return False
    return True


def _shape_error(value: Any, record: str, path: str) -> str | None:
    """Where a record breaks the raw schema's shape (a list that is no list of objects, a count that is no
    number, an impossible date), as a sentence; None when every typed reader can read it. Unknown fields pass."""
    from tiktok_api import raw_schema  # here: raw_schema -> landing -> this module

    if not isinstance(value, dict):
        return f"{path or 'data'} is a {type(value).__name__}, not an object"
    for name in raw_schema.REQUIRED_FIELDS.get(record, ()):
        if value.get(name) in (None, ""):
            shown = "missing" if name not in value else "null" if value[name] is None else "empty"
            return f"{path or 'data'}.{name} is {shown}: a {record} needs it (its key)"
    for name, kind in raw_schema.record_fields(record):
        field_value = value.get(name)
        where = f"{path}.{name}" if path else f"data.{name}"
        if field_value is None:
            continue
        if kind.startswith("list:"):
            if not isinstance(field_value, list):
                return f"{where} is a {type(field_value).__name__}, not a list"
            for index, entry in enumerate(field_value):
                problem = (
                    None if entry is None else _shape_error(entry, kind.removeprefix("list:"), f"{where}[{index}]")
                )
                if problem:
                    return problem
        elif not _fits(field_value, kind):
            shown = repr(field_value)
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            return f"{where} is {shown} ({type(field_value).__name__}), which no reader can take as {kind}"
    return None


def _has_more(value: Any) -> bool | None:
    """has_more as a bool (true/false, or their strings); None when it is missing or anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _cursor(value: Any) -> int | None:
    """The answer's cursor as a non-negative int (an int, or its digits as a string); None when it is not one."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


def mentions_not_approved(error: TikTokError) -> bool:
    """Whether an error of a mention endpoint means the app or account lacks the mentions approval: 40001 or 40006
    with a message about permission (the contract's tolerant reading; the exact wording is unconfirmed)."""
    message = (error.message or "").lower()
    return error.code in contract.MENTION_NOT_APPROVED_CODES and any(
        word in message for word in contract.MENTION_NOT_APPROVED_WORDS
    )


def unknown_category(error: TikTokError) -> bool:
    """Whether an error of /business/benchmark/ means TikTok does not know the business category asked for: a 40002
    whose message names the business_category parameter (the contract's reading; the wording is unconfirmed)."""
    return error.code == contract.BAD_PARAMETER and contract.BENCHMARK_CATEGORY_PARAMETER in (error.message or "")


def _field_list(fields: Sequence[str]) -> list[str]:
    if isinstance(fields, str):  # list("likes") would send ["l","i","k","e","s"]
        raise TypeError("fields must be a sequence of field names, not a str")
    return list(fields)


def _published_before(items: list[Any], stop_before_ms: int) -> bool:
    """Whether the page's last (oldest) post was published before the horizon."""
    try:
        return int(items[-1]["create_time"]) * 1000 < stop_before_ms
    except (IndexError, KeyError, TypeError, ValueError):
        return False


class TikTokClient:
    def __init__(
        self,
        base_url: str,
        token_store: TokenStore,
        *,
        client_id: str | None = None,
        client_secret: Secret | str | None = None,
        timeout: float = 30.0,
        max_attempts: int = 8,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        rate_limit_wait: float = contract.RATE_LIMIT_PENALTY_SECONDS,
        rate_limiter: ClientRateLimiter | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        wall_clock: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._store = token_store
        self._client_id = client_id
        self._client_secret = Secret(client_secret) if client_secret is not None else None
        self._max_attempts = max(1, max_attempts)
        self._backoff = tenacity.wait_random_exponential(multiplier=backoff_base, max=backoff_max)
        self._rate_limit_wait = rate_limit_wait
        self._limiter = rate_limiter or ClientRateLimiter(clock=clock, sleep=sleep)
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._http = httpx.Client(
            timeout=timeout,
            transport=transport,
            headers={"Accept": "application/json", "User-Agent": "tiktok-organic-platform"},
        )
        self._locks_guard = threading.Lock()
        self._account_locks: dict[str, threading.Lock] = {}

    def __repr__(self) -> str:
        # No secret here: the client secret and tokens stay out of every repr.
        return f"TikTokClient(base_url={self._base_url!r}, client_id={self._client_id!r}, token_store={self._store!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> TikTokClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ----- data endpoints -----------------------------------------------------------------------

    def get_business(
        self,
        business_id: str,
        fields: Sequence[str],
        start_date: date | str | None = None,
        end_date: date | str | None = None,
    ) -> FetchResult:
        """Profile and daily metrics of one account; ``records`` is ``[data]`` (no pagination)."""
        result = FetchResult(contract.BUSINESS_GET, business_id)
        params = {
            "business_id": business_id,
            "fields": _field_list(fields),
            "start_date": start_date,
            "end_date": end_date,
        }
        try:
            page = self._request_data(business_id, contract.BUSINESS_GET, params, result)
        except TikTokError as error:
            error.partial = result  # the calls it cost; no page arrived that could land
            raise
        result.pages.append(page)
        result.records.append(page.data)
        return result

    def list_videos(
        self,
        business_id: str,
        fields: Sequence[str],
        *,
        video_ids: Sequence[str] | None = None,
        ad_post_only: bool | None = None,
        cursor_ms: int | None = None,
        max_count: int = 20,
        stop_before_ms: int | None = None,
    ) -> FetchResult:
        """All posts, newest first, following ``has_more``.

        ``stop_before_ms`` is a horizon: paging stops after the first page whose last post was
        published before it (that page is kept whole). It needs ``create_time`` among the fields.
        Records are deduplicated on ``item_id`` in case a page is asked for twice.
        """
        fields = _field_list(fields)
        if stop_before_ms is not None and "create_time" not in fields:
            raise ValueError("stop_before_ms needs 'create_time' among the fields")
        filters: dict[str, Any] = {}
        if video_ids is not None:
            filters["video_ids"] = [str(v) for v in video_ids]
        if ad_post_only is not None:
            filters["ad_post_only"] = ad_post_only
        params = {
            "business_id": business_id,
            "fields": fields,
            "filters": filters or None,
            "max_count": max_count,
        }
        result = FetchResult(contract.VIDEO_LIST, business_id)
        return self._paginate(result, params, "videos", "item_id", cursor=cursor_ms, stop_before_ms=stop_before_ms)

    def list_comments(
        self,
        business_id: str,
        video_id: str,
        *,
        include_replies: bool = True,
        status: str = "ALL",
        max_count: int = 30,
        comment_ids: Sequence[str] | None = None,
    ) -> FetchResult:
        """All comments of one post, oldest first, deduplicated on ``comment_id`` (first wins)."""
        params = {
            "business_id": business_id,
            "video_id": video_id,
            "include_replies": include_replies,
            "status": status,
            # Without sort_field the order is random, and offset paging would miss or repeat comments.
            "sort_field": "create_time",
            "sort_order": "asc",
            "max_count": max_count,
            "comment_ids": [str(c) for c in comment_ids] if comment_ids is not None else None,
        }
        result = FetchResult(contract.COMMENT_LIST, business_id)
        return self._paginate(result, params, "comments", "comment_id", cursor=0)

    def list_replies(
        self,
        business_id: str,
        video_id: str,
        comment_id: str,
        *,
        status: str = "ALL",
        max_count: int = 30,
    ) -> FetchResult:
        """All replies to one comment, oldest first, deduplicated on ``comment_id``."""
        params = {
            "business_id": business_id,
            "video_id": video_id,
            "comment_id": comment_id,
            "status": status,
            "sort_field": "create_time",  # same reason as for comments
            "sort_order": "asc",
            "max_count": max_count,
        }
        result = FetchResult(contract.COMMENT_REPLY_LIST, business_id)
        return self._paginate(result, params, "comments", "comment_id", cursor=0)

    def list_mentions(
        self,
        business_id: str,
        start_date: date | str,
        end_date: date | str,
        *,
        max_count: int = contract.MENTION_MAX_COUNT,
    ) -> FetchResult:
        """The top posts mentioning the account's brand, published in [start_date, end_date] (at most 90 days), in
        the API's order (the rank), deduplicated on ``item_id``. Offset paging, bounded like the other lists (at
        most 1,000 posts). An app or account without the mentions approval raises PermissionDeniedError (40001)
        or UnknownPathError (40006): ``mentions_not_approved`` tells them from other errors."""
        params = {
            "business_id": business_id,
            "start_date": start_date,
            "end_date": end_date,
            "max_count": max_count,
        }
        result = FetchResult(contract.MENTION_VIDEO_LIST, business_id)
        return self._paginate(result, params, "videos", "item_id", cursor=0)

    def list_mention_hashtags(
        self,
        business_id: str,
        start_date: date | str,
        end_date: date | str,
        *,
        max_count: int = contract.MENTION_MAX_COUNT,
    ) -> FetchResult:
        """The top hashtags of the posts mentioning the brand in [start_date, end_date], best first (the rank), each
        with its post_count and views; at most contract.MENTION_TERM_MAX_RECORDS. Parameters, paging, errors and
        the approval as for ``list_mentions``."""
        return self._list_mention_terms(contract.MENTION_TOP_HASHTAG_LIST, business_id, start_date, end_date, max_count)

    def list_mention_words(
        self,
        business_id: str,
        start_date: date | str,
        end_date: date | str,
        *,
        max_count: int = contract.MENTION_MAX_COUNT,
    ) -> FetchResult:
        """The top caption words (no hashtags, handles or stop words) of the posts mentioning the brand in
        [start_date, end_date], best first; otherwise as ``list_mention_hashtags``."""
        return self._list_mention_terms(contract.MENTION_TOP_WORD_LIST, business_id, start_date, end_date, max_count)

    def _list_mention_terms(
        self, endpoint: str, business_id: str, start_date: date | str, end_date: date | str, max_count: int
    ) -> FetchResult:
        list_key, term_key = contract.MENTION_TERM_LISTS[endpoint]
        params = {"business_id": business_id, "start_date": start_date, "end_date": end_date, "max_count": max_count}
        return self._paginate(FetchResult(endpoint, business_id), params, list_key, term_key, cursor=0)

    def get_benchmark(self, business_id: str, business_category: str) -> FetchResult:
        """The averages of TikTok Business accounts in ``business_category`` (contract.BENCHMARK_FIELDS) over the 30
        days ending on the newest day TikTok has published; ``records`` is ``[data]`` (no pagination). Retries,
        refresh and redaction as for every data call; a category TikTok does not know raises BadParameterError
        (40002), which ``unknown_category`` tells from other errors."""
        result = FetchResult(contract.BENCHMARK, business_id)
        params = {"business_id": business_id, contract.BENCHMARK_CATEGORY_PARAMETER: business_category}
        try:
            page = self._request_data(business_id, contract.BENCHMARK, params, result)
        except TikTokError as error:
            error.partial = result  # the calls it cost; no page arrived that could land
            raise
        result.pages.append(page)
        result.records.append(page.data)
        return result

    # ----- tokens -------------------------------------------------------------------------------

    def exchange_auth_code(self, auth_code: str, redirect_uri: str) -> TokenSet:
        """Trade an authorisation code for tokens and persist them; 40131 -> AuthCodeExpiredError."""
        client_id, secret = self._credentials()
        if client_id is None or secret is None:
            raise ValueError("exchanging an auth code needs client_id and client_secret")
        body = {
            "client_id": client_id,
            "client_secret": secret.reveal(),
            "grant_type": "authorization_code",
            "auth_code": auth_code,
            "redirect_uri": redirect_uri,
        }
        request = _Request("POST", contract.TOKEN, None, body=body, secrets=(secret, auth_code), per_account=False)
        page = self._send(request, FetchResult(contract.TOKEN, ""))
        try:
            token_set = TokenSet.from_token_response(page.data, self._wall_clock())
        except ValueError as exc:
            raise TransientError(None, f"unusable token answer: {exc}", endpoint=contract.TOKEN) from None
        self._store.put(token_set)
        log.info("stored new tokens for account %s (scope %s)", token_set.business_id, token_set.scope)
        return token_set

    def refresh_tokens(self, business_id: str) -> TokenSet:
        """Refresh one account's tokens now and persist whatever comes back."""
        with self._account_lock(business_id), self._store_refresh_lock(business_id):
            return self._refresh_locked(self._store.get(business_id), FetchResult(contract.REFRESH_TOKEN, business_id))

    def _credentials(self) -> tuple[str | None, Secret | None]:
        if not self._client_id or not self._client_secret:
            return None, None
        return self._client_id, self._client_secret

    def _account_lock(self, business_id: str) -> threading.Lock:
        with self._locks_guard:
            return self._account_locks.setdefault(business_id, threading.Lock())

    def _store_refresh_lock(self, business_id: str) -> contextlib.AbstractContextManager[Any]:
        """The store's lock across one account's refresh, shared with other processes (FileTokenStore has one):
        a refresh spends the refresh token, so a second process must wait and then read what the first stored
        rather than be refused with the spent token and ask the owner to re-authorise for nothing."""
        refresh_lock = getattr(self._store, "refresh_lock", None)
        return refresh_lock(business_id) if refresh_lock is not None else contextlib.nullcontext()

    def _usable_tokens(self, business_id: str, result: FetchResult) -> TokenSet:
        token_set = self._store.get(business_id)
        if token_set.access_expired(self._wall_clock(), EXPIRY_SKEW_SECONDS):
            token_set = self._renew(business_id, token_set.access_token, result)
        return token_set

    def _renew(self, business_id: str, failed: Secret, result: FetchResult) -> TokenSet:
        """A fresh token set after ``failed`` was rejected or expired; one refresh per account at a time."""
        with self._account_lock(business_id), self._store_refresh_lock(business_id):
            current = self._store.get(business_id)
            if current.access_token != failed and not current.access_expired(self._wall_clock(), EXPIRY_SKEW_SECONDS):
                return current  # another thread or process refreshed while we waited
            return self._refresh_locked(current, result)

    def _refresh_locked(self, current: TokenSet, result: FetchResult) -> TokenSet:
        business_id = current.business_id
        client_id, secret = self._credentials()
        if client_id is None or secret is None:
            raise ReauthorizeError(
                contract.INVALID_TOKEN,
                "the access token is expired or rejected and no client_id/client_secret is configured to refresh it",
                endpoint=contract.REFRESH_TOKEN,
                business_id=business_id,
            )
        body = {
            "client_id": client_id,
            "client_secret": secret.reveal(),
            "grant_type": "refresh_token",
            "refresh_token": current.refresh_token.reveal(),
        }
        secrets = (secret, current.refresh_token, current.access_token)
        request = _Request("POST", contract.REFRESH_TOKEN, business_id, body=body, secrets=secrets, per_account=False)
        scratch = FetchResult(contract.REFRESH_TOKEN, business_id)
        try:
            page = self._send(request, scratch)
        except TikTokError as exc:
            stored = self._store.get(business_id)
            if stored.access_token != current.access_token:
                return stored  # another process rotated the tokens first; ours were stale
            if exc.is_retryable:
                raise  # an outage or rate limit says nothing about the grant: do not ask to re-authorise
            raise ReauthorizeError(
                exc.code,
                f"refreshing the access token failed: {exc.message}",
                endpoint=contract.REFRESH_TOKEN,
                business_id=business_id,
                request_id=exc.request_id,
            ) from exc
        finally:
            result.refreshes += scratch.calls
        # The answer's open_id is the account; tolerate a refresh answer that omits what did not
        # change (the refresh token may or may not rotate, unconfirmed).
        data = {
            "refresh_token": current.refresh_token.reveal(),
            **{k: v for k, v in page.data.items() if v not in (None, "")},
            "open_id": business_id,
        }
        try:
            token_set = TokenSet.from_token_response(data, self._wall_clock())
        except ValueError as exc:
            raise ReauthorizeError(
                None,
                f"the refresh answer was unusable: {exc}",
                endpoint=contract.REFRESH_TOKEN,
                business_id=business_id,
                request_id=page.request_id,
            ) from None
        if "refresh_token_expires_in" not in page.data:
            token_set.refresh_expires_at = current.refresh_expires_at
        self._store.put(token_set)
        log.info("refreshed the access token of account %s", business_id)
        return token_set

    # ----- transport ----------------------------------------------------------------------------

    def _request_data(self, business_id: str, endpoint: str, params: Mapping[str, Any], result: FetchResult) -> Page:
        """One page of a data endpoint: retries, then on 40105 one refresh and one more try."""
        encoded = _encode_params(params)
        token_set = self._usable_tokens(business_id, result)
        for refreshed in (False, True):
            token = token_set.access_token
            secrets = (token, token_set.refresh_token, self._client_secret)
            try:
                return self._send(_Request("GET", endpoint, business_id, encoded, None, token, secrets), result)
            except ReauthorizeError as exc:  # 40105 from the server
                if refreshed:
                    raise ReauthorizeError(
                        exc.code,
                        "the access token was still rejected after a refresh",
                        endpoint=endpoint,
                        business_id=business_id,
                        request_id=exc.request_id,
                    ) from exc
                log.info("access token of account %s rejected on %s; refreshing", business_id, endpoint)
                token_set = self._renew(business_id, token_set.access_token, result)
        raise AssertionError("unreachable")

    def _send(self, request: _Request, result: FetchResult) -> Page:
        """One logical call with tenacity retries around ``_attempt``."""
        attempts = 0

        def attempt() -> Page:
            nonlocal attempts
            attempts += 1
            return self._attempt(request, result)

        def before_sleep(state: tenacity.RetryCallState) -> None:
            result.retries += 1
            error = state.outcome.exception() if state.outcome else None
            reason = error.message if isinstance(error, TikTokError) else repr(error)
            if isinstance(error, TikTokError) and error.code is not None:
                reason = f"{error.code} {reason}"
            log.warning(
                "retrying %s for account %s: %s (request_id=%s; attempt %d of %d, waiting %.1f s)",
                request.endpoint,
                request.business_id or "-",
                reason,
                getattr(error, "request_id", None),
                state.attempt_number,
                self._max_attempts,
                state.upcoming_sleep,
            )

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self._max_attempts),
            wait=self._wait,
            retry=tenacity.retry_if_exception(lambda e: isinstance(e, TikTokError) and e.is_retryable),
            sleep=self._sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            return retrying(attempt)
        except TikTokError as exc:
            if exc.is_retryable:
                exc.attempts = attempts
            raise

    def _wait(self, state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, TikTokError) and error.code == contract.RATE_LIMITED:
            # A per-minute breach clears after about 5 minutes and no Retry-After is sent.
            return self._rate_limit_wait * (1 + random.uniform(0, RATE_LIMIT_JITTER))
        return self._backoff(state)  # full jitter: uniform(0, min(max, base * 2**n))

    def _attempt(self, request: _Request, result: FetchResult) -> Page:
        """Exactly one HTTP request; raises the TikTokError its answer means."""
        endpoint = request.endpoint
        self._limiter.acquire(request.business_id if request.per_account else None, endpoint)
        result.calls += 1
        where = {"endpoint": endpoint, "business_id": request.business_id, "redact_secrets": request.secrets}
        # The token travels in a header only (no Bearer prefix), never in params, so pages cannot hold it.
        headers = {"Access-Token": request.token.reveal()} if request.token is not None else {}
        try:
            response = self._http.request(
                request.method,
                self._base_url + endpoint,
                params=request.params,
                json=request.body,
                headers=headers,
            )
        except httpx.TimeoutException as exc:
            raise TransientError(None, f"timed out ({type(exc).__name__})", **where) from exc
        except httpx.RequestError as exc:
            raise TransientError(None, f"transport error ({type(exc).__name__}: {exc})", **where) from exc
        raw = response.content
        result.bytes += len(raw)
        text = response.text
        status = response.status_code
        envelope, constants = _parse_envelope(text)
        if envelope is None:
            # No body excerpt: a token answer cut short could still hold a token.
            kind = response.headers.get("content-type", "unknown type")
            raise TransientError(
                None,
                f"HTTP {status}: {len(raw)} bytes of {kind} that are not a JSON envelope",
                http_status=status,
                **where,
            )
        request_id = envelope.get("request_id")
        request_id = str(request_id) if request_id is not None else None
        code = envelope["code"]
        if code != contract.OK:  # errors come back as HTTP 200 with a non-zero code
            message = str(envelope.get("message") or "no message")
            raise error_for(code, message, request_id=request_id, http_status=status, **where)
        data = envelope.get("data")
        if endpoint in contract.DATA_ENDPOINTS and 200 <= status < 300:
            self._check_success_envelope(envelope, constants, request_id, where)
        if not 200 <= status < 300 or not isinstance(data, dict | None):
            raise TransientError(
                None,
                f"HTTP {status} with a success envelope whose data is {type(data).__name__}",
                request_id=request_id,
                http_status=status,
                **where,
            )
        return Page(
            endpoint=endpoint,
            params=dict(request.params or {}),  # token calls: the body holds secrets, so nothing is kept
            http_status=status,
            request_id=request_id,
            log_id=response.headers.get("X-Tt-Logid"),
            fetched_at=datetime.fromtimestamp(self._wall_clock(), UTC).isoformat(),
            raw_text=text,
            data=data or {},
        )

    @staticmethod
    def _check_success_envelope(
        envelope: dict[str, Any], constants: list[str], request_id: str | None, where: dict[str, Any]
    ) -> None:
        """A data endpoint's code-0 answer must carry a JSON object as ``data`` and only finite numbers.

        Without data there is nothing to land, and "no data" must not pass for "not published yet" (which is
        retried for ever): the account fails with this reason. NaN and Infinity are not JSON (RFC 8259): PostgreSQL
        refuses them in jsonb and a typed DuckDB read of a partition stops on them, for every account of the day, so
        such a page is refused here and never landed. So is a page whose known fields do not fit the raw schema
        (tiktok_api/raw_schema.py: a list that is no list, "many" as a count, "2026-02-30" as a date). Tolerated:
        numbers sent as their text ("12"), unknown fields, nulls.
        """
        data = envelope.get("data")
        if not isinstance(data, dict):
            what = "missing" if "data" not in envelope else "null" if data is None else f"a {type(data).__name__}"
            raise ContractError(
                None,
                f"answered OK (code 0) without data: data is {what}, not an object",
                request_id=request_id,
                **where,
            )
        if constants:
            raise ContractError(
                None,
                f"the answer holds {', '.join(sorted(set(constants)))}, which JSON does not allow "
                "(a count or share must be a finite number); the page is not landed",
                request_id=request_id,
                **where,
            )
        problem = _shape_error(data, _DATA_RECORDS[where["endpoint"]], "")
        if problem:
            raise ContractError(
                None,
                f"the answer does not fit the contract: {problem}; the page is not landed (the typed readers of "
                "the raw layer would stop on it for every account)",
                request_id=request_id,
                **where,
            )

    def _paginate(
        self,
        result: FetchResult,
        params: Mapping[str, Any],
        list_key: str,
        id_key: str,
        *,
        cursor: int | None,
        stop_before_ms: int | None = None,
    ) -> FetchResult:
        """Follow ``has_more`` (never a short page) and the answer's ``cursor`` to the end, within the contract.

        Bounds, each a ContractError naming the endpoint, the account and the reason:
        - at most ceil(contract.LIST_MAX_RECORDS[endpoint] / max_count) + contract.PAGING_MARGIN_PAGES pages;
        - at most contract.PAGING_MAX_IDLE_PAGES pages in a row with has_more true that bring no new record
          (empty, or only ids already received: ids repeated across pages);
        - the cursor must be a non-negative integer that advances (videos: epoch ms moving back in time;
          comments: an offset moving forward); a stalled cursor is asked once more, then given up;
        - has_more must be true or false (missing is not "the end": that would drop the rest silently).
        Tolerated: a page larger than max_count (kept, logged), and single repeated ids (first one wins; the
        contract says comments repeat past 500). Ids are normalised to decimal text (``id_text``).

        On failure the error carries what did arrive as ``error.partial``, so that it can be landed (incomplete).
        """
        max_count = max(1, int(params.get("max_count") or 1))
        max_records = contract.LIST_MAX_RECORDS[result.endpoint]
        max_pages = -(-max_records // max_count) + contract.PAGING_MARGIN_PAGES
        backwards = result.endpoint == contract.VIDEO_LIST  # "posts published before the cursor"

        def breach(page: Page, reason: str) -> ContractError:
            return ContractError(
                None,
                f"paging stopped: {reason}; the fetch is incomplete",
                endpoint=result.endpoint,
                business_id=result.business_id,
                request_id=page.request_id,
            )

        try:
            visited: set[int | None] = set()
            seen_ids: set[Any] = set()
            stalls = idle = 0
            while True:
                if len(result.pages) >= max_pages:
                    raise breach(
                        result.pages[-1],
                        f"has_more is still true after {len(result.pages)} pages, the contract bound "
                        f"(at most {max_records} records at max_count {max_count}, plus "
                        f"{contract.PAGING_MARGIN_PAGES} pages)",
                    )
                visited.add(cursor)
                page = self._request_data(result.business_id, result.endpoint, {**params, "cursor": cursor}, result)
                result.pages.append(page)
                items = page.data.get(list_key)
                items = [] if items is None else items
                if not isinstance(items, list):
                    raise breach(page, f"data.{list_key} is a {type(items).__name__}, not a list")
                if len(items) > max_count:
                    log.warning(
                        "%s for account %s sent %d records on a page of max_count %d (kept; request_id=%s)",
                        result.endpoint,
                        result.business_id,
                        len(items),
                        max_count,
                        page.request_id,
                    )
                new = 0
                for item in items:
                    if isinstance(item, dict):
                        try:
                            _normalise_ids(item)
                        except ValueError as exc:
                            raise breach(page, f"a record's {exc}") from None
                    item_id = item.get(id_key) if isinstance(item, dict) else None
                    if item_id is not None:
                        if item_id in seen_ids:
                            continue  # the API repeats comments on busy posts; first occurrence wins
                        seen_ids.add(item_id)
                    result.records.append(item)
                    new += 1
                has_more = _has_more(page.data.get("has_more"))
                if has_more is None:
                    shown = "missing" if "has_more" not in page.data else repr(page.data["has_more"])
                    raise breach(page, f"data.has_more is {shown}, not true or false")
                if not has_more:
                    return result
                if stop_before_ms is not None and _published_before(items, stop_before_ms):
                    return result
                idle = 0 if new else idle + 1
                if idle >= contract.PAGING_MAX_IDLE_PAGES:
                    kind = (
                        "were empty"
                        if not items
                        else f"held only {id_key}s already received (ids repeated across pages)"
                    )
                    raise breach(page, f"has_more is true but {idle} pages in a row {kind}")
                if "cursor" not in page.data:
                    raise breach(page, "has_more is true but data.cursor is missing")
                next_cursor = _cursor(page.data["cursor"])
                if next_cursor is None:
                    raise breach(page, f"data.cursor is {page.data['cursor']!r}, not a non-negative integer")
                advanced = cursor is None or (next_cursor < cursor if backwards else next_cursor > cursor)
                if next_cursor in visited or not advanced:
                    stalls += 1
                    if stalls >= MAX_CURSOR_STALLS:
                        direction = "back in time" if backwards else "forward"
                        raise breach(
                            page,
                            f"has_more is true but the cursor does not advance (sent {cursor!r}, got back "
                            f"{next_cursor!r}; it must move {direction})",
                        )
                    continue  # ask for the same cursor once more before giving up
                stalls = 0
                cursor = next_cursor
        except TikTokError as error:
            error.partial = result
            raise
