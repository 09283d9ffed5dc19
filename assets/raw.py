"""Raw ingestion assets: every TikTok payload landed per UTC day and account, exactly as sent.

A run lands one day (the daily schedule) or a range of days (a backfill). Every asset of the daily job has a
single-run backfill policy, so a backfill of N days is one run in which dbt builds the whole range once. The raw
steps land a range one day after another, oldest first, inside one API session: one client rate limiter paces
every call of the range, and the pool `tiktok_api` keeps one raw step at a time. Each day is landed, judged and
reported (metadata, failed accounts, readiness) exactly as its daily run would be.
"""
# No `from __future__ import annotations`: Dagster reads the context and config annotations at runtime.

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import dagster as dg
from pydantic import Field

from assets.catalog import ASSET_OWNERS
from assets.partitions import daily_partitions
from assets.resources import TikTokSession, TikTokSource
from expectations.rules import ALL_ACCOUNTS_FETCHED
from tiktok_api import contract, landing, team_config
from tiktok_api.days import ACCOUNT_REVISION_DAYS, SNAPSHOT_DAYS
from tiktok_api.ingestion import (
    TRACKED_POSTS_FILE,
    NotYetAvailable,
    StreamOutcome,
    check_partition_ready,
    tracked_post_ids,
)
from tiktok_api.settings import data_dir

RAW_GROUP = "tiktok_raw"
RAW_KINDS = {"tiktok", "python", "json"}  # the source, the code that fetches, the files it lands
# One raw step at a time (pool limit 1): accounts are fetched concurrently inside it, and the API's per-account
# rate limit is shared by every process that calls it.
API_POOL = "tiktok_api"
ACCOUNTS_CHECK = ALL_ACCOUNTS_FETCHED
# The daily job's assets share one backfill policy (Dagster otherwise falls back to one partition per run for the
# whole job, dbt included): a backfill of N days is one run, and these assets loop over its days.
RAW_BACKFILL_POLICY = dg.BackfillPolicy.single_run()
RANGE_SENTENCE = (
    " A backfill lands its whole range in one run, one day after another in one API session whose rate limiter "
    "paces every call; each day lands and is reported as in its daily run."
)


def _accounts_check(asset: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        ACCOUNTS_CHECK,
        asset=asset,
        description="Every configured account was fetched; a failed account (revoked token, missing scope) "
        "is named with its reason. The other accounts still land.",
    )


def _username(path: Path) -> str | None:
    """The username in a landed /business/get/ answer; None when the file holds none (or cannot be read)."""
    try:
        name = landing.read_fetch(path)["pages"][0]["response"]["data"].get("username")
    except (OSError, ValueError, LookupError, TypeError, AttributeError):
        return None
    return str(name) if name else None


class AccountNames:
    """business_id -> username, for people reading metadata and logs: business ids are opaque. The account stream
    returns the username; the other streams know only the id, so a name comes from the account's newest landed
    /business/get/ answer, looked up once per account and run. An account never landed has no name."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._names: dict[str, str | None] = {}

    def learn(self, outcome: StreamOutcome) -> None:
        """Take the name from an account fetch that has just landed."""
        if outcome.stream == "account" and outcome.path and (name := _username(Path(outcome.path))):
            self._names[outcome.business_id] = name

    def get(self, business_id: str) -> str | None:
        if business_id not in self._names:
            self._names[business_id] = self._newest(business_id)
        return self._names[business_id]

    def _newest(self, business_id: str) -> str | None:
        # newest day first, newest fetch first (file names start with the landing time)
        days = sorted(landing.stream_dir(self.root, "account").glob(f"{landing.DATE_KEY}=*"), reverse=True)
        for folder in days:
            try:
                day = date.fromisoformat(folder.name.removeprefix(f"{landing.DATE_KEY}="))
                fetches = landing.list_fetches(self.root, "account", day, business_id)
            except ValueError:
                continue  # not a partition folder, or an id that cannot name a folder
            for path in reversed(fetches):
                if name := _username(path):
                    return name
        return None


def account_label(business_id: str, usernames: Mapping[str, str]) -> str:
    """`@username (business_id)` when the name is known, else the id."""
    name = usernames.get(business_id)
    return f"@{name} ({business_id})" if name else business_id


def _summary_table(outcomes: list[StreamOutcome], usernames: Mapping[str, str], seconds: Mapping[str, float]) -> str:
    lines = [
        "| account | records | API calls | retries | bytes | seconds | result |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for o in outcomes:
        result = o.error or o.skipped or ("landed, partition day not yet published" if o.not_ready else "landed")
        took = f"{seconds[o.business_id]:.1f}" if o.business_id in seconds else ""
        lines.append(
            f"| {account_label(o.business_id, usernames)} | {o.records} | {o.api_calls} | {o.retries} | {o.bytes} "
            f"| {took} | {result} |"
        )
    return "\n".join(lines)


@dataclass
class DayLanding:
    """One stream's partition in a run: every account's outcome, or why the day could not be fetched at all."""

    day: date
    outcomes: list[StreamOutcome] = field(default_factory=list)
    unpublished: NotYetAvailable | None = None  # no data of the day can exist yet: no API call was made
    usernames: dict[str, str] = field(default_factory=dict)  # business_id -> username, where known
    seconds: dict[str, float] = field(default_factory=dict)  # business_id -> how long its fetch took
    tracked_not_found: list[str] = field(default_factory=list)  # tracked posts no landed account holds

    @property
    def key(self) -> str:
        return self.day.isoformat()

    @property
    def failed(self) -> list[StreamOutcome]:
        return [o for o in self.outcomes if o.error]

    def metadata(self, source: str) -> dict[str, object]:
        """The partition's materialisation metadata: one row per account, totals, files, skips and failures."""
        outcomes = self.outcomes
        return {
            "source": source,
            "accounts": dg.MetadataValue.md(_summary_table(outcomes, self.usernames, self.seconds)),
            "records": sum(o.records for o in outcomes),
            "api_calls": sum(o.api_calls for o in outcomes),
            "retries": sum(o.retries for o in outcomes),
            "bytes": sum(o.bytes for o in outcomes),
            "files": dg.MetadataValue.json([path for o in outcomes for path in [o.path, *o.also_landed] if path]),
            "skipped": dg.MetadataValue.json({o.business_id: o.skipped for o in outcomes if o.skipped}),
            "failed_accounts": dg.MetadataValue.json({o.business_id: o.error for o in self.failed}),
            # the keys above stay business ids (alerts and tools read them); the names are beside them
            "usernames": dg.MetadataValue.json(self.usernames),
            **({"tracked_not_found": dg.MetadataValue.json(self.tracked_not_found)} if self.tracked_not_found else {}),
        }

    def label(self, business_id: str) -> str:
        return account_label(business_id, self.usernames)

    def failure(self, source: str) -> dg.Failure | None:
        """Why the day cannot be recorded as landed, as its daily run reports it; None when it landed."""
        if self.unpublished is not None:
            return dg.Failure(
                description=str(self.unpublished),
                metadata={"retryable": True, "retry_after": self.unpublished.retry_after.isoformat()},
                allow_retries=True,
            )
        failed = self.failed
        if self.outcomes and len(failed) == len(self.outcomes):
            return dg.Failure(
                description="Every account failed; nothing landed complete. "
                + "; ".join(f"{self.label(o.business_id)}: {o.error}" for o in failed),
                metadata={"accounts": dg.MetadataValue.md(_summary_table(self.outcomes, self.usernames, self.seconds))},
            )
        not_ready = [o for o in self.outcomes if o.not_ready]
        if not_ready:
            # What did arrive has landed (nothing is lost); the partition is retried once the day is published.
            first = not_ready[0].not_ready
            return dg.Failure(
                description=str(first) + f" ({len(not_ready)} account(s)). This is retryable: re-run the partition "
                f"after {first.retry_after:%Y-%m-%d %H:%M} UTC.",
                metadata={**self.metadata(source), "retryable": True, "retry_after": first.retry_after.isoformat()},
                allow_retries=True,
            )
        return None


def _land_days(
    context: dg.AssetExecutionContext,
    session: TikTokSession,
    stream: str,
    fetch: Callable[[str, date], StreamOutcome],
    names: AccountNames,
    tracked: list[str],
) -> list[DayLanding]:
    """Land the run's partitions oldest first, each exactly as its daily run would, in this one session.

    Each account's line is logged as it finishes (the run's progress in the UI); skips, one line per reason; a
    tracked post that no account's snapshot holds (an account not configured, a deleted post), one warning."""
    days = []
    accounts = len(session.business_ids)
    for key in context.partition_keys:
        day = DayLanding(date.fromisoformat(key))
        days.append(day)
        try:
            check_partition_ready(day.day, session.api_now())
        except NotYetAvailable as error:
            day.unpublished = error  # no API call is spent on a day that cannot exist yet
            continue

        def done(o: StreamOutcome, seconds: float, day: DayLanding = day) -> None:
            names.learn(o)
            if name := names.get(o.business_id):
                day.usernames[o.business_id] = name
            day.seconds[o.business_id] = seconds
            where = f"{stream} {day.key} account {len(day.seconds)}/{accounts}, {day.label(o.business_id)}"
            if o.error:
                context.log.error(f"{where} failed after {seconds:.1f} s: {o.error}")
            elif not o.skipped:
                context.log.info(f"{where}: {o.records} records, {o.api_calls} API calls, {seconds:.1f} s")

        day.outcomes = session.for_each_account(stream, lambda business_id, d=day.day: fetch(business_id, d), done)
        skipped: dict[str, list[str]] = {}
        for o in day.outcomes:
            if o.skipped:
                skipped.setdefault(o.skipped, []).append(day.label(o.business_id))
        for reason, labels in skipped.items():
            context.log.warning(f"Skipped for account {', '.join(labels)}: {reason}")
        landed = [o for o in day.outcomes if o.path and not o.error]
        held = {vid for o in landed for vid in o.details.get("tracked", [])}
        day.tracked_not_found = [vid for vid in tracked if vid not in held] if landed else []
        if day.tracked_not_found:
            context.log.warning(
                f"Tracked post(s) {', '.join(day.tracked_not_found)} are no post of an account that landed on "
                f"{day.key}: is the post's account configured, and the post still up?"
            )
    return days


def accounts_check_severity(failed: int, accounts: int) -> str:
    """WARN while most accounts land; ERROR once half or more failed (a run where 7 of 9 accounts failed must not
    look green). Never blocking: the accounts that landed still build."""
    return "ERROR" if failed and 2 * failed >= accounts else "WARN"


def _accounts_check_result(days: list[DayLanding]) -> dg.AssetCheckResult:
    """all_accounts_fetched over the run's days: each failed account is named with its reason (and its day,
    when the run lands several). Keys stay business ids; the description and `usernames` add the names."""
    failed: dict[str, str | None] = {}
    named: list[str] = []
    usernames: dict[str, str] = {}
    for day in days:
        prefix = "" if len(days) == 1 else f"{day.key} "
        for o in day.failed:
            failed[prefix + o.business_id] = o.error
            named.append(f"{prefix}{day.label(o.business_id)}: {o.error}")
            if o.business_id in day.usernames:
                usernames[o.business_id] = day.usernames[o.business_id]
    severity = accounts_check_severity(len(failed), sum(len(day.outcomes) for day in days))
    return dg.AssetCheckResult(
        check_name=ACCOUNTS_CHECK,
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR if severity == "ERROR" else dg.AssetCheckSeverity.WARN,
        metadata={
            "failed_accounts": dg.MetadataValue.json(failed),
            "usernames": dg.MetadataValue.json(usernames),
            "rule_id": ACCOUNTS_CHECK,
            "severity": severity,
            "offending_count": len(failed),
            "sample_keys": dg.MetadataValue.json(sorted(failed)[:10]),
        },
        description=None if not failed else f"{len(failed)} account(s) failed: " + "; ".join(named),
    )


def _range_table(days: list[DayLanding], failures: dict[str, dg.Failure]) -> str:
    lines = ["| day | accounts | records | API calls | result |", "|---|---:|---:|---:|---|"]
    for day in days:
        failure = failures.get(day.key)
        landed = len(day.outcomes) - len(day.failed)
        result = "not landed: " + (failure.description or "") if failure else "landed"
        if not failure and day.failed:
            result += f", {len(day.failed)} account(s) failed"
        records, calls = sum(o.records for o in day.outcomes), sum(o.api_calls for o in day.outcomes)
        lines.append(f"| {day.key} | {landed}/{len(day.outcomes)} | {records} | {calls} | {result} |")
    return "\n".join(lines)


def _spans(keys: list[str]) -> str:
    """Partition keys as ranges: 2026-11-01...2026-11-03, 2026-11-05."""
    spans: list[list[date]] = []
    for day in sorted(date.fromisoformat(k) for k in keys):
        if spans and (day - spans[-1][-1]).days == 1:
            spans[-1].append(day)
        else:
            spans.append([day])
    return ", ".join(str(s[0]) if len(s) == 1 else f"{s[0]}...{s[-1]}" for s in spans)


def _retry_after(failure: dg.Failure) -> datetime | None:
    """When a day's failure is a matter of waiting for TikTok to publish it: the time to retry after."""
    retryable, after = failure.metadata.get("retryable"), failure.metadata.get("retry_after")
    if retryable is None or retryable.value is not True or after is None:
        return None
    return datetime.fromisoformat(str(after.value))


def _range_failure(days: list[DayLanding], failures: dict[str, dg.Failure]) -> dg.Failure:
    """The step's failure when some days of a range could not land: which, why, and what to do."""
    landed = [d.key for d in days if d.key not in failures]
    waits = [_retry_after(f) for f in failures.values()]
    retry_after = max((w for w in waits if w is not None), default=None)
    retryable = all(w is not None for w in waits)
    description = (
        f"{len(failures)} of {len(days)} days could not be landed: "
        + "; ".join(f"{key}: {f.description}" for key, f in failures.items())
        + ". "
    )
    if landed:
        description += (
            f"The other days ({_spans(landed)}) landed and are recorded as materialised, but this run's later "
            "steps (raw checks, dbt, the BI copy, the report) do not run: backfill `tiktok_daily` over "
            f"{_spans(landed)} to build them. "
        )
    if retryable and retry_after is not None:
        description += (
            f"This is retryable: re-run {_spans(list(failures))} after {retry_after:%Y-%m-%d %H:%M} UTC (the daily "
            "schedule fetches each day once it is published for certain)."
        )
    metadata = {
        "days": dg.MetadataValue.md(_range_table(days, failures)),
        "landed_days": dg.MetadataValue.json(landed),
        "failed_days": dg.MetadataValue.json({key: f.description for key, f in failures.items()}),
        "retryable": retryable,
        **({"retry_after": retry_after.isoformat()} if retryable and retry_after is not None else {}),
    }
    return dg.Failure(description=description, metadata=metadata, allow_retries=retryable)


def _run_stream(
    context: dg.AssetExecutionContext,
    tiktok: TikTokSource,
    stream: str,
    fetch: Callable[[TikTokSession, str, date], StreamOutcome],
    tracked: list[str] | None = None,
) -> dg.MaterializeResult:
    """Land the run's partitions (one day, or a backfill's range) and report each as its daily run would.

    One day: the day's metadata and the accounts check; a day not published yet, or on which every account
    failed, fails the step (retryably when it is a matter of waiting). A range: each day's metadata on its own
    partition; when some days cannot land, the others are recorded one by one and the step then fails naming
    them, because a step's result would record every day of its range.
    """
    with tiktok.open_session(context.log, context.run.run_id) as session:
        names = AccountNames(data_dir())
        days = _land_days(
            context, session, stream, lambda business_id, d: fetch(session, business_id, d), names, tracked or []
        )
        failures = {day.key: f for day in days if (f := day.failure(session.source)) is not None}
        if len(days) == 1:
            if failures:
                raise failures[days[0].key]
            return dg.MaterializeResult(
                metadata=days[0].metadata(session.source), check_results=[_accounts_check_result(days)]
            )
        context.log.info(
            f"{stream}: {len(days) - len(failures)} of {len(days)} days landed\n" + _range_table(days, failures)
        )
        if failures:
            for day in days:
                if day.key not in failures:
                    context.log_event(
                        dg.AssetMaterialization(
                            asset_key=context.asset_key, partition=day.key, metadata=day.metadata(session.source)
                        )
                    )
            raise _range_failure(days, failures)
        for day in days:
            context.add_asset_metadata(day.metadata(session.source), partition_key=day.key)
        return dg.MaterializeResult(
            metadata={"partition_range": f"{days[0].key}...{days[-1].key}"},
            check_results=[_accounts_check_result(days)],
        )


# What every raw asset shares: daily partitions, the raw group, one API step at a time, a backfill as one run.
RAW_ASSET = {
    "partitions_def": daily_partitions,
    "group_name": RAW_GROUP,
    "kinds": RAW_KINDS,
    "owners": ASSET_OWNERS,
    "pool": API_POOL,
    "backfill_policy": RAW_BACKFILL_POLICY,
}


@dg.asset(
    **RAW_ASSET,
    check_specs=[_accounts_check("raw_tiktok_account")],
    description=(
        "Account profile, daily metrics (every documented metric, hourly audience activity included) and "
        "audience demographics, from /business/get/, one landing file per account and fetch. Metrics arrive "
        f"{contract.PUBLICATION_LAG} late and are revised, so partition D fetches the window "
        f"D-{ACCOUNT_REVISION_DAYS} .. D "
        "(clipped to the API's 58-day safe look-back); staging keeps the newest fetch of each day. "
        "Partitions more than 58 days old are skipped, and say so." + RANGE_SENTENCE
    ),
)
def raw_tiktok_account(context: dg.AssetExecutionContext, tiktok: TikTokSource) -> dg.MaterializeResult:
    return _run_stream(context, tiktok, "account", lambda s, bid, d: s.fetcher.fetch_account(bid, d))


class TrackedPostsConfig(dg.Config):
    track_video_urls: list[str] = Field(
        default_factory=list,
        description="Post URLs (https://www.tiktok.com/@user/video/<id>) to track in this run besides "
        "$TIKTOK_DATA_DIR/tracked_videos.txt: their snapshots land whatever their age, and raw_tiktok_comments "
        "fetches their comments whatever their count. Add them to the file to track them every day.",
    )


@dg.asset(
    **RAW_ASSET,
    check_specs=[_accounts_check("raw_tiktok_videos")],
    description=(
        "A snapshot of every post with every field and breakdown, from /business/video/list/ (20 a page, "
        "followed until has_more is false). Lifetime metrics freeze 365 days after publishing, so paging "
        "stops at that horizon once the older posts' final snapshot is stored; tracked posts beyond it (in "
        "$TIKTOK_DATA_DIR/tracked_videos.txt or this asset's run config) are fetched by id. A snapshot can "
        f"only be taken of the present: partitions more than {SNAPSHOT_DAYS} days old are skipped, and say so."
        + RANGE_SENTENCE
    ),
)
def raw_tiktok_videos(
    context: dg.AssetExecutionContext, config: TrackedPostsConfig, tiktok: TikTokSource
) -> dg.MaterializeResult:
    tracked = tracked_video_ids(config.track_video_urls)
    return _run_stream(
        context, tiktok, "videos", lambda s, bid, d: s.fetcher.fetch_videos(bid, d, tracked), tracked=tracked
    )


@dg.asset(
    **RAW_ASSET,
    deps=[raw_tiktok_videos],
    check_specs=[_accounts_check("raw_tiktok_comments")],
    description=(
        "Comments and replies (/business/comment/list/ with up to 3 inline replies, the rest from "
        "/business/comment/reply/list/), fetched only for posts whose comment count changed since their "
        "comments were last fetched (posts never fetched included), plus tracked posts given by URL in "
        "$TIKTOK_DATA_DIR/tracked_videos.txt or in raw_tiktok_videos' run config. Duplicates the API repeats "
        "past 500 comments are kept in raw and removed in staging." + RANGE_SENTENCE
    ),
)
def raw_tiktok_comments(context: dg.AssetExecutionContext, tiktok: TikTokSource) -> dg.MaterializeResult:
    # the posts tracked in the file, and those the day's videos run was given (its snapshot names them)
    tracked = tracked_video_ids()
    return _run_stream(context, tiktok, "comments", lambda s, bid, d: s.fetcher.fetch_comments(bid, d, tracked))


@dg.asset(
    **RAW_ASSET,
    check_specs=[_accounts_check("raw_tiktok_mentions")],
    description=(
        "Brand mentions: the top posts by other creators that mention the account's brand, from "
        "/business/mention/video/list/ (30 a page, offset cursor), over the "
        f"{contract.MENTION_MAX_WINDOW_DAYS}-day window ending on the partition day, at most "
        f"{contract.MENTION_MAX_RECORDS:,} posts, ranked anew every day; creators are anonymous. Then the same "
        "window's top hashtags and words (/business/mention/top_hashtag/list/ and top_word/list/, at most "
        f"{contract.MENTION_TERM_MAX_RECORDS} of each) into the stream mention_terms. Mentions are a "
        "separately approved TikTok product: an app or account without the approval is skipped with the reason, "
        f"never failed. Like post snapshots, partitions more than {SNAPSHOT_DAYS} days old are skipped."
        + RANGE_SENTENCE
    ),
)
def raw_tiktok_mentions(context: dg.AssetExecutionContext, tiktok: TikTokSource) -> dg.MaterializeResult:
    return _run_stream(context, tiktok, "mentions", lambda s, bid, d: s.fetcher.fetch_mentions_with_terms(bid, d))


@dg.asset(
    **RAW_ASSET,
    check_specs=[_accounts_check("raw_tiktok_benchmarks")],
    description=(
        "Industry benchmarks: the averages of TikTok Business accounts in each account's business category (likes, "
        "comments and shares per video, videos posted, followers, 30-day follower growth, engagement rate, video "
        f"views, over {contract.BENCHMARK_WINDOW_DAYS} days), from /business/benchmark/, one fetch an account-day "
        f"for the category {team_config.ACCOUNTS_FILE} under $TIKTOK_DATA_DIR configures (read once a run). An "
        "account without a category is skipped with the reason, never failed; a category TikTok does not know "
        "(40002) fails that account alone, naming the category and its line of the file. The API answers with the "
        f"newest published day's averages only: partitions more than {SNAPSHOT_DAYS} days old are skipped."
        + RANGE_SENTENCE
    ),
)
def raw_tiktok_benchmarks(context: dg.AssetExecutionContext, tiktok: TikTokSource) -> dg.MaterializeResult:
    return _run_stream(context, tiktok, "benchmarks", lambda s, bid, d: s.fetcher.fetch_benchmarks(bid, d))


def tracked_video_ids(extra_urls: list[str] | None = None) -> list[str]:
    """Post ids from $TIKTOK_DATA_DIR/tracked_videos.txt and a run's extra URLs (ingestion.tracked_post_ids).

    Ids are fetched for whichever account owns them: an account that does not own a post skips it. A line or URL
    that is no TikTok post URL fails the step, naming it, before any call.
    """
    path = data_dir() / TRACKED_POSTS_FILE
    try:
        return tracked_post_ids(path.read_text() if path.exists() else "", extra_urls or (), str(path))
    except ValueError as error:
        raise dg.Failure(description=str(error)) from None


raw_assets = [raw_tiktok_account, raw_tiktok_videos, raw_tiktok_comments, raw_tiktok_mentions, raw_tiktok_benchmarks]
