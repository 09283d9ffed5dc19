"""Ingestion plans: what to fetch for one account and one UTC day, and landing it (the raw assets' logic).

Pure rules (windows, readiness, which posts need their comments) are plain functions; `RawFetcher`
calls the client and writes one immutable landing file per fetch. Nothing here imports Dagster.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tiktok_api import contract, landing
from tiktok_api.client import FetchResult, Page, TikTokClient, id_text, mentions_not_approved, unknown_category
from tiktok_api.days import (
    ACCOUNT_REVISION_DAYS,
    PUBLISHED_FOR_CERTAIN,
    SNAPSHOT_DAYS,
    day_start,
    published_at_the_earliest,
    published_for_certain,
)
from tiktok_api.errors import TikTokError
from tiktok_api.files import locked_json

if TYPE_CHECKING:
    from tiktok_api.team_config import ConfiguredCategory, TeamConfig

# A post's lifetime metrics freeze 365 days after publishing; a snapshot taken once the publication lag has
# passed on top of that is final.
FINAL_SNAPSHOT_AGE = timedelta(days=contract.VIDEO_METRICS_FREEZE_DAYS) + PUBLISHED_FOR_CERTAIN
SNAPSHOT_LIFE_DAYS = FINAL_SNAPSHOT_AGE.days + 1
"""The snapshot days a post has in the marts: its snapshot of day D is kept while D <= its publishing day + this
(dbt var post_snapshot_life_days). A fetch of D lists every such post (paging_horizon), so which posts have a
snapshot of D does not depend on when D was fetched; older posts, listed or not, add nothing (frozen)."""

VIDEO_URL = re.compile(r"tiktok\.com/(?:@(?P<user>[^/?#]+)/(?:video|photo)|embed(?:/v2)?)/(?P<id>\d{15,21})")


class NotYetAvailable(Exception):
    """The day's data cannot exist yet (tiktok_api.days: the publication lag): retry later."""

    def __init__(self, message: str, retry_after: datetime):
        super().__init__(message)
        self.retry_after = retry_after


# ---------------------------------------------------------------- pure rules


def check_partition_ready(partition: date, now: datetime) -> None:
    """Raise NotYetAvailable when no data of the day can exist yet (before the earliest publication)."""
    ready = published_at_the_earliest(partition)
    if now < ready:
        raise NotYetAvailable(
            f"TikTok has not published {partition} yet: a day's data appears {contract.PUBLICATION_LAG} after the "
            "day ends "
            f"(UTC). Retry after {ready:%Y-%m-%d %H:%M} UTC; the daily schedule waits the full "
            f"{contract.PUBLICATION_LAG_MAX_HOURS} h.",
            retry_after=ready,
        )


def account_window(
    partition: date, today: date, lookback_days: int = ACCOUNT_REVISION_DAYS
) -> tuple[date, date] | None:
    """The start and end dates to ask /business/get/ for, or None when the day is past the look-back.

    The API refuses start dates more than 60 days back; we keep to the 58 days a connector documents as
    safe, so a run near midnight or a slow clock never lands on the edge.
    """
    earliest = today - timedelta(days=contract.ACCOUNT_SAFE_LOOKBACK_DAYS)
    if partition < earliest:
        return None
    return max(partition - timedelta(days=lookback_days), earliest), partition


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def paging_horizon(partition: date, final_before_ms: int | None) -> int | None:
    """Where a fetch of `partition`'s post snapshots may stop paging (epoch ms), given the posts whose final
    snapshot is stored (`final_before_ms`, from earlier fetches; None: none, so page to the end): never past the
    oldest post that still has a snapshot of `partition` (SNAPSHOT_LIFE_DAYS), whenever the fetch runs."""
    if final_before_ms is None:
        return None
    return min(final_before_ms, _ms(day_start(partition) - timedelta(days=SNAPSHOT_LIFE_DAYS)))


def final_snapshots_before(partition: date, now: datetime) -> int:
    """After a complete fetch of `partition` at `now`: every post published before this (epoch ms) was final."""
    return _ms(min(day_start(partition), now) - FINAL_SNAPSHOT_AGE)


def snapshot_allowed(partition: date, today: date) -> bool:
    return partition >= today - timedelta(days=SNAPSHOT_DAYS)


def mention_window(partition: date) -> tuple[date, date]:
    """The brand-mention window of a partition: the longest the API allows, ending on the partition day."""
    return partition - timedelta(days=contract.MENTION_MAX_WINDOW_DAYS - 1), partition


def posts_needing_comments(
    snapshot_counts: dict[str, int], fetched_counts: dict[str, int], tracked: Iterable[str] = ()
) -> list[str]:
    """Posts whose comment count changed since their comments were last fetched, plus tracked posts.

    A post never fetched counts as fetched at 0 comments: a post without comments costs no call.
    """
    changed = [vid for vid, n in snapshot_counts.items() if n != fetched_counts.get(vid, 0)]
    return list(dict.fromkeys([*changed, *tracked]))


def parse_video_url(url: str) -> tuple[str | None, str]:
    """(username or None, item_id) of a post URL; a bare 19-digit id is accepted too."""
    text = url.strip()
    if re.fullmatch(r"\d{15,21}", text):
        return None, text
    match = VIDEO_URL.search(text)
    if not match:
        raise ValueError(
            f"cannot read a TikTok post id from {url!r}: expected https://www.tiktok.com/@user/video/<id> "
            "(short vm.tiktok.com links must be opened once in a browser to get the full URL)"
        )
    user = match.group("user")
    return (user.lower() if user else None), match.group("id")


TRACKED_POSTS_FILE = "tracked_videos.txt"


def tracked_post_ids(text: str, extra_urls: Iterable[str] = (), source: str = TRACKED_POSTS_FILE) -> list[str]:
    """The post ids of a tracked-posts file (one URL or id a line; blank lines and # comments ignored) and of
    `extra_urls` (a run's config), in order, once each. A line that is no TikTok post URL is a ValueError naming
    the line, so a typo is never silently not tracked."""
    ids: list[str] = []
    lines = [(f"{source} line {n}", line) for n, line in enumerate(text.splitlines(), start=1)]
    for where, line in [*lines, *(("the run config's track_video_urls", url) for url in extra_urls)]:
        value = line.strip()
        if not value or value.startswith("#"):
            continue
        value = value.split(" #", 1)[0].strip()  # a note after the URL
        try:
            ids.append(parse_video_url(value)[1])
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None
    return list(dict.fromkeys(ids))


# ---------------------------------------------------------------- fetching


@dataclass
class StreamOutcome:
    """One account's result for one stream and partition: what landed, what it cost, what went wrong."""

    business_id: str
    stream: str
    path: str | None = None
    records: int = 0
    api_calls: int = 0
    retries: int = 0
    refreshes: int = 0
    bytes: int = 0
    skipped: str | None = None
    error: str | None = None
    not_ready: NotYetAvailable | None = None
    details: dict[str, Any] = field(default_factory=dict)
    also_landed: list[str] = field(default_factory=list)  # files of a stream landed alongside (the mention terms)

    def add(self, result: FetchResult) -> None:
        self.api_calls += result.calls
        self.retries += result.retries
        self.refreshes += result.refreshes
        self.bytes += result.bytes


class RawFetcher:
    """Fetches one stream for one account and day, and lands it; one instance per run."""

    def __init__(
        self,
        client: TikTokClient,
        data_dir: Path,
        *,
        source: str,
        run_id: str,
        api_now: Callable[[], datetime],
    ):
        self.client = client
        self.data_dir = data_dir
        self.source = source  # "simulator" or "tiktok"
        self.run_id = run_id
        self.api_now = api_now  # the API's clock: the simulator's when it is the source
        self._team_config: TeamConfig | None = None  # accounts.csv, read at the first benchmark fetch
        self._config_lock = threading.Lock()

    def _state_path(self, stream: str, business_id: str) -> Path:
        return self.data_dir / "state" / "tiktok" / stream / f"{business_id}.json"

    def _land(
        self,
        outcome: StreamOutcome,
        partition: date,
        pages: list[Page],
        complete: bool,
        extra: dict[str, Any],
    ) -> None:
        meta = {
            "source": self.source,
            "run_id": self.run_id,
            "complete": complete,  # False: the fetch broke off; staging reads complete fetches only
            "request_ids": [p.request_id for p in pages],
            "log_ids": [p.log_id for p in pages],
            "stats": {
                "records": outcome.records,
                "api_calls": outcome.api_calls,
                "retries": outcome.retries,
                "refreshes": outcome.refreshes,
                "bytes": outcome.bytes,
            },
            **extra,
        }
        path = landing.write_fetch(
            self.data_dir, outcome.stream, partition, outcome.business_id, meta, pages, **self._stamps(outcome)
        )
        outcome.path = str(path)

    def _stamps(self, outcome: StreamOutcome) -> dict[str, Any]:
        """The fetch_id and landed_at of a landing file: a fresh fetch_id, and landed_at on the API's clock (the
        wall clock against TikTok; the simulator's clock against it, so that a fetch's time agrees with the times
        in its answers). A subclass that must write the same bytes on every run fixes the fetch_id too
        (tiktok_api/simulator/offline_fetch.py)."""
        return {"landed_at": self.api_now()}

    # --- /business/get/
    def fetch_account(self, business_id: str, partition: date) -> StreamOutcome:
        outcome = StreamOutcome(business_id, "account")
        now = self.api_now()
        window = account_window(partition, now.date())
        if window is None:
            outcome.skipped = (
                f"account metrics: {partition} is more than {contract.ACCOUNT_SAFE_LOOKBACK_DAYS} days before "
                f"{now.date()}; the API keeps {contract.ACCOUNT_MAX_LOOKBACK_DAYS} days "
                f"({contract.ACCOUNT_SAFE_LOOKBACK_DAYS} is the safe limit)"
            )
            return outcome
        start, end = window
        try:
            result = self.client.get_business(business_id, contract.ACCOUNT_FIELDS, start, end)
        except TikTokError as error:
            return self._failed(outcome, partition, error, {"window": [str(start), str(end)]})
        outcome.add(result)
        data = result.records[0] if result.records else {}
        days = [m.get("date") for m in data.get("metrics") or []]
        outcome.records = len(days)
        outcome.details = {"window": [str(start), str(end)], "metric_days": days}
        self._land(outcome, partition, result.pages, True, {"window": {"start": str(start), "end": str(end)}})
        if partition.isoformat() not in days:
            outcome.not_ready = NotYetAvailable(
                f"account {business_id}: the API has not published metrics for {partition} yet "
                "(a day appears within the publication lag after it ends); the look-back days that did arrive "
                "have landed",
                retry_after=published_for_certain(partition),
            )
        return outcome

    # --- /business/video/list/
    def fetch_videos(self, business_id: str, partition: date, tracked_ids: Iterable[str] = ()) -> StreamOutcome:
        outcome = StreamOutcome(business_id, "videos")
        now = self.api_now()
        if not snapshot_allowed(partition, now.date()):
            outcome.skipped = _snapshot_skip_reason("post snapshots", partition, now.date())
            return outcome
        state_path = self._state_path("videos", business_id)
        state = json.loads(state_path.read_text()) if state_path.exists() else {}
        horizon_ms = paging_horizon(partition, state.get("final_snapshots_before_ms"))
        pages: list[Page] = []
        try:
            result = self.client.list_videos(
                business_id,
                contract.VIDEO_FIELDS,
                max_count=contract.VIDEO_MAX_COUNT,
                stop_before_ms=horizon_ms,
            )
            outcome.add(result)
            pages += result.pages
            seen = {v["item_id"] for v in result.records}
            tracked = list(dict.fromkeys(tracked_ids))
            missing = [vid for vid in tracked if vid not in seen]
            for i in range(0, len(missing), contract.VIDEO_MAX_COUNT):  # tracked posts past the horizon
                extra = self.client.list_videos(
                    business_id,
                    contract.VIDEO_FIELDS,
                    video_ids=missing[i : i + contract.VIDEO_MAX_COUNT],
                    max_count=contract.VIDEO_MAX_COUNT,
                )
                outcome.add(extra)
                pages += extra.pages
                result.records += extra.records
        except TikTokError as error:
            return self._failed(outcome, partition, error, {}, pages)
        outcome.records = len(result.records)
        held = {id_text(v["item_id"]) for v in result.records}
        owned = [vid for vid in tracked if vid in held]  # a tracked post of another account is not in this answer
        outcome.details = {"paged_until_ms": horizon_ms, "posts": outcome.records, "tracked": owned}
        self._land(outcome, partition, pages, True, {"horizon_ms": horizon_ms, "tracked_video_ids": owned})
        # Every post older than this has had a final (frozen) snapshot stored: later runs stop paging there.
        with locked_json(state_path) as state:
            new_horizon = final_snapshots_before(partition, now)
            state["final_snapshots_before_ms"] = max(new_horizon, state.get("final_snapshots_before_ms") or 0)
        return outcome

    # --- /business/comment/list/ (+ replies)
    def fetch_comments(self, business_id: str, partition: date, tracked_ids: Iterable[str] = ()) -> StreamOutcome:
        outcome = StreamOutcome(business_id, "comments")
        now = self.api_now()
        if not snapshot_allowed(partition, now.date()):
            outcome.skipped = _snapshot_skip_reason("comments", partition, now.date())
            return outcome
        snapshot = latest_videos_snapshot(self.data_dir, partition, business_id)
        if snapshot is None:
            outcome.error = (
                f"no complete post snapshot of {partition} for this account: its raw_tiktok_videos fetch failed (see "
                "that asset's all_accounts_fetched check for the reason) or has not run for the partition; comments "
                "are fetched for the posts of that snapshot"
            )
            return outcome
        counts = {v["item_id"]: _count(v.get("comments")) for v in snapshot.posts}
        state_path = self._state_path("comments", business_id)
        fetched = json.loads(state_path.read_text()) if state_path.exists() else {}
        # Tracked ids are global; this account's are the ones its snapshot holds (the videos fetch took old ones by
        # id), with those the videos run was given
        tracked = [vid for vid in dict.fromkeys([*tracked_ids, *snapshot.tracked_ids]) if vid in counts]
        todo = posts_needing_comments(counts, fetched.get("comment_counts", {}), tracked)
        pages: list[Page] = []
        done: dict[str, int] = {}
        records = 0
        try:
            for video_id in todo:
                result = self.client.list_comments(business_id, video_id, include_replies=True, max_count=30)
                outcome.add(result)
                pages += result.pages
                records += len(result.records)
                for comment in result.records:
                    # reply_list holds at most 3 replies inline; fetch the rest from the reply endpoint
                    replies_count = _count(comment.get("replies"))
                    if replies_count < 0 or replies_count > len(comment.get("reply_list") or []):
                        replies = self.client.list_replies(business_id, video_id, comment["comment_id"])
                        outcome.add(replies)
                        pages += replies.pages
                        records += len(replies.records)
                done[video_id] = counts.get(video_id, 0)
        except TikTokError as error:
            outcome.records = records
            return self._failed(outcome, partition, error, {"videos_fetched": done}, pages, state_path, done)
        outcome.records = records
        outcome.details = {"posts_checked": len(counts), "posts_fetched": len(todo), "tracked": tracked}
        self._land(outcome, partition, pages, True, {"videos_fetched": done, "tracked_video_ids": tracked})
        self._remember_comment_counts(state_path, done)
        return outcome

    # --- /business/mention/video/list/ (brand mentions, a separately approved product)
    def fetch_mentions(self, business_id: str, partition: date) -> StreamOutcome:
        """The day's list of the top posts mentioning the brand: the window of MENTION_MAX_WINDOW_DAYS ending on the
        partition day, as ranked for it. An app or account without the mentions approval is skipped with the
        reason, never failed: the product is approved separately, and the other streams do not depend on it."""
        outcome = StreamOutcome(business_id, "mentions")
        now = self.api_now()
        if not snapshot_allowed(partition, now.date()):
            outcome.skipped = _snapshot_skip_reason("brand mentions", partition, now.date())
            return outcome
        start, end = mention_window(partition)
        window = {"start": str(start), "end": str(end)}
        try:
            result = self.client.list_mentions(business_id, start, end, max_count=contract.MENTION_MAX_COUNT)
        except TikTokError as error:
            if mentions_not_approved(error):
                return _not_approved(outcome, "brand mentions", error)
            return self._failed(outcome, partition, error, {"window": window})
        outcome.add(result)
        outcome.records = len(result.records)
        outcome.details = {"window": [str(start), str(end)], "posts": outcome.records}
        self._land(outcome, partition, result.pages, True, {"window": window})
        return outcome

    # --- /business/mention/top_hashtag/list/ and /business/mention/top_word/list/ (the brand-mention terms)
    def fetch_mention_terms(self, business_id: str, partition: date) -> StreamOutcome:
        """The day's top hashtags and words of the posts mentioning the brand (the same window as fetch_mentions),
        both lists landed together as one fetch of the stream mention_terms. Skipped as fetch_mentions is: the same
        approval, and a past day's lists cannot be asked for later."""
        outcome = StreamOutcome(business_id, "mention_terms")
        now = self.api_now()
        if not snapshot_allowed(partition, now.date()):
            outcome.skipped = _snapshot_skip_reason(MENTION_TERMS, partition, now.date())
            return outcome
        start, end = mention_window(partition)
        window = {"start": str(start), "end": str(end)}
        pages: list[Page] = []
        counts: dict[str, int] = {}
        lists = (("hashtags", self.client.list_mention_hashtags), ("words", self.client.list_mention_words))
        try:
            for list_key, list_terms in lists:
                result = list_terms(business_id, start, end, max_count=contract.MENTION_MAX_COUNT)
                outcome.add(result)
                pages += result.pages
                counts[list_key] = len(result.records)
        except TikTokError as error:
            if mentions_not_approved(error):
                return _not_approved(outcome, MENTION_TERMS, error)
            return self._failed(outcome, partition, error, {"window": window}, pages)
        outcome.records = sum(counts.values())
        outcome.details = {"window": [str(start), str(end)], **counts}
        self._land(outcome, partition, pages, True, {"window": window})
        return outcome

    def fetch_mentions_with_terms(self, business_id: str, partition: date) -> StreamOutcome:
        """raw_tiktok_mentions' work for one account-day: the mention list, then its top hashtags and words, as one
        outcome (its path the list's file, the terms' file in `also_landed`). A list that was skipped or failed is
        the outcome as it is: the terms share its approval and window, so they are not asked for. Terms that fail
        fail the account (the list stays landed; a re-run fetches both anew)."""
        outcome = self.fetch_mentions(business_id, partition)
        if outcome.skipped or outcome.error:
            return outcome
        terms = self.fetch_mention_terms(business_id, partition)
        outcome.api_calls += terms.api_calls
        outcome.retries += terms.retries
        outcome.refreshes += terms.refreshes
        outcome.bytes += terms.bytes
        outcome.records += terms.records
        outcome.details.update({k: v for k, v in terms.details.items() if k != "window"})
        if terms.path:
            outcome.also_landed.append(terms.path)
        if terms.error:
            outcome.error = f"{MENTION_TERMS}: {terms.error}"
        elif terms.skipped:
            outcome.skipped = terms.skipped
        return outcome

    # --- /business/benchmark/ (industry benchmarks: the averages of the account's business category)
    def fetch_benchmarks(self, business_id: str, partition: date) -> StreamOutcome:
        """The averages of the account's business category, as accounts.csv under the data folder configures it
        (read once per fetcher, that is per run), as TikTok publishes them now: one fetch an account-day. An account
        without a category is skipped with the reason, never failed. A category TikTok does not know (a 40002 about
        business_category) fails this account only, naming the category and its line of accounts.csv. The API
        answers with the newest published day's averages only, so a past partition is skipped, as a snapshot is."""
        outcome = StreamOutcome(business_id, "benchmarks")
        found = self.configured_category(business_id)
        category, line = found.business_category, found.line
        if category is None:
            outcome.skipped = (
                f"{BENCHMARKS}: no business category is configured for this account ({found.missing_reason}); give "
                "it one in accounts.csv under $TIKTOK_DATA_DIR to compare it with its category's averages (README, "
                "Team configuration files)"
            )
            return outcome
        now = self.api_now()
        if not snapshot_allowed(partition, now.date()):
            outcome.skipped = (
                f"{BENCHMARKS}: {partition} is more than {SNAPSHOT_DAYS} days before {now.date()}; the API answers "
                "with the newest published day's averages only, so a past day's cannot be fetched now"
            )
            return outcome
        extra = {"business_category": category, "config_line": line}
        try:
            result = self.client.get_benchmark(business_id, category)
        except TikTokError as error:
            failed = self._failed(outcome, partition, error, extra)
            if unknown_category(error):
                failed.error = (
                    f"{BENCHMARKS}: TikTok does not know the business category {category!r} ({line}): {error}. "
                    "Correct the account's category there; if the category is right, TikTok names it differently "
                    "from this project's working list (tiktok_api/contract.py, BUSINESS_CATEGORIES)"
                )
            return failed
        outcome.add(result)
        data = result.records[0] if result.records else {}
        outcome.records = len(result.records)
        outcome.details = {"business_category": category, "benchmark_date": data.get("date")}
        self._land(outcome, partition, result.pages, True, extra)
        return outcome

    def configured_category(self, business_id: str) -> ConfiguredCategory:
        """The account's business category in the data folder's accounts.csv (tiktok_api/team_config.py), the file
        as it was at this fetcher's first call: one run reads one version of it."""
        # imported here: team_config reads post URLs with this module's parse_video_url
        from tiktok_api import team_config

        with self._config_lock:
            if self._team_config is None:
                self._team_config = team_config.read_team_config(self.data_dir)
        return team_config.configured_category(self._team_config, business_id)

    def _remember_comment_counts(self, state_path: Path, done: dict[str, int]) -> None:
        with locked_json(state_path) as state:
            state.setdefault("comment_counts", {}).update(done)

    def _failed(
        self,
        outcome: StreamOutcome,
        partition: date,
        error: TikTokError,
        extra: dict[str, Any],
        pages: list[Page] | None = None,
        state_path: Path | None = None,
        done: dict[str, int] | None = None,
    ) -> StreamOutcome:
        """Land what did arrive (marked incomplete) and report the account's failure with its reason."""
        partial = getattr(error, "partial", None)
        pages = list(pages or [])
        if isinstance(partial, FetchResult):
            outcome.add(partial)
            pages += partial.pages
        outcome.error = str(error)
        if pages:
            self._land(outcome, partition, pages, False, {**extra, "error": str(error)})
        if state_path is not None and done:
            self._remember_comment_counts(state_path, done)  # the posts that did complete
        return outcome


def _count(value: Any) -> int:
    """A count from a payload (an int, or its digits as text); -1 when it is no count (null is 0, as sent absent).

    -1 never equals a count fetched before, so a post whose comment count cannot be read has its comments fetched
    (and a comment whose reply count cannot be read has its replies fetched) rather than the fetch stopping.
    """
    if value is None:
        return 0
    if isinstance(value, bool):
        return -1
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return -1


MENTION_TERMS = "brand mention hashtags and words"
BENCHMARKS = "industry benchmarks"


def _not_approved(outcome: StreamOutcome, what: str, error: TikTokError) -> StreamOutcome:
    """The outcome of an account whose app is not approved for brand mentions: skipped with the reason, not failed."""
    if isinstance(error.partial, FetchResult):
        outcome.add(error.partial)  # the refused call still counts
    outcome.skipped = (
        f"{what}: this app or account is not approved for TikTok's brand mentions product "
        f"(TikTok answered {error.code}: {error.message}); apply for it in TikTok for Business, the "
        "other streams are not affected"
    )
    return outcome


def _snapshot_skip_reason(what: str, partition: date, today: date) -> str:
    return (
        f"{what}: {partition} is more than {SNAPSHOT_DAYS} days before {today}; the API answers with the "
        "present's lists and lifetime counts only, so a past day's snapshot cannot be taken now"
    )


@dataclass
class VideosSnapshot:
    posts: list[dict[str, Any]]
    tracked_ids: list[str]  # the tracked posts the snapshot holds (the videos fetch's tracked_video_ids)


def latest_videos_snapshot(data_dir: Path, partition: date, business_id: str) -> VideosSnapshot | None:
    """The posts of every complete videos fetch of a partition and account, the newest fetch winning per post
    (None when none is complete), and the tracked posts among them: a post tracked in the videos run (file or
    run config) has its comments fetched too.

    Every fetch counts, not only the newest: a later fetch of the partition leaves out the posts whose final
    snapshot an earlier one took (the videos cursor has moved), so after a run that landed the videos and died
    before the comments, the re-run's comments still cover every post of the day.
    """
    posts: dict[str, dict[str, Any]] = {}
    tracked: dict[str, None] = {}
    complete = False
    for path in reversed(landing.list_fetches(data_dir, "videos", partition, business_id)):
        fetch = landing.read_fetch(path)
        if not fetch.get("complete"):
            continue
        complete = True
        tracked.update(dict.fromkeys(fetch.get("tracked_video_ids") or []))
        for page in fetch["pages"]:
            for video in page["response"]["data"].get("videos") or []:
                # the landed text is as sent: an id may be a JSON number there (the client checked it is exact)
                item_id = id_text(video["item_id"])
                posts.setdefault(item_id, {**video, "item_id": item_id})
    return VideosSnapshot(list(posts.values()), list(tracked)) if complete else None
