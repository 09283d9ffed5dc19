"""Raw ingestion assets: every TikTok payload landed per UTC day and account, exactly as sent."""
# No `from __future__ import annotations`: Dagster reads the context and config annotations at runtime.

from collections.abc import Callable
from datetime import date
from pathlib import Path

import dagster as dg
from pydantic import Field

from assets.partitions import daily_partitions
from assets.resources import TikTokSession, TikTokSource
from expectations.rules import ALL_ACCOUNTS_FETCHED
from tiktok_api import contract
from tiktok_api.days import ACCOUNT_REVISION_DAYS, SNAPSHOT_DAYS
from tiktok_api.ingestion import NotYetAvailable, StreamOutcome, check_partition_ready, parse_video_url
from tiktok_api.settings import data_dir

RAW_GROUP = "tiktok_raw"
RAW_KINDS = {"python", "json"}
# One raw step at a time (pool limit 1): accounts are fetched concurrently inside it, and the API's per-account
# rate limit is shared by every process that calls it.
API_POOL = "tiktok_api"
ACCOUNTS_CHECK = ALL_ACCOUNTS_FETCHED


def _accounts_check(asset: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        ACCOUNTS_CHECK,
        asset=asset,
        description="Every configured account was fetched; a failed account (revoked token, missing scope) "
        "is named with its reason. The other accounts still land.",
    )


def _summary_table(outcomes: list[StreamOutcome]) -> str:
    lines = ["| account | records | API calls | retries | bytes | result |", "|---|---:|---:|---:|---:|---|"]
    for o in outcomes:
        result = o.error or o.skipped or ("landed, partition day not yet published" if o.not_ready else "landed")
        lines.append(f"| {o.business_id} | {o.records} | {o.api_calls} | {o.retries} | {o.bytes} | {result} |")
    return "\n".join(lines)


def _stream_result(
    context: dg.AssetExecutionContext, session: TikTokSession, outcomes: list[StreamOutcome]
) -> dg.MaterializeResult:
    """One stream's outcomes as the asset's result: metadata per account, skips in the log, failures as a
    check; raises when every account failed or the day is not published yet (retryable)."""
    for o in outcomes:
        if o.skipped:
            context.log.warning(f"Skipped for account {o.business_id}: {o.skipped}")
        if o.error:
            context.log.error(f"Account {o.business_id} failed: {o.error}")
    failed = [o for o in outcomes if o.error]
    if outcomes and len(failed) == len(outcomes):
        raise dg.Failure(
            description="Every account failed; nothing landed complete. "
            + "; ".join(f"{o.business_id}: {o.error}" for o in failed),
            metadata={"accounts": dg.MetadataValue.md(_summary_table(outcomes))},
        )
    not_ready = [o for o in outcomes if o.not_ready]
    metadata = {
        "source": session.source,
        "accounts": dg.MetadataValue.md(_summary_table(outcomes)),
        "records": sum(o.records for o in outcomes),
        "api_calls": sum(o.api_calls for o in outcomes),
        "retries": sum(o.retries for o in outcomes),
        "bytes": sum(o.bytes for o in outcomes),
        "files": dg.MetadataValue.json([o.path for o in outcomes if o.path]),
        "skipped": dg.MetadataValue.json({o.business_id: o.skipped for o in outcomes if o.skipped}),
        "failed_accounts": dg.MetadataValue.json({o.business_id: o.error for o in failed}),
    }
    if not_ready:
        # What did arrive has landed (nothing is lost); the partition is retried once the day is published.
        first = not_ready[0].not_ready
        raise dg.Failure(
            description=str(first) + f" ({len(not_ready)} account(s)). This is retryable: re-run the partition "
            f"after {first.retry_after:%Y-%m-%d %H:%M} UTC.",
            metadata={**metadata, "retryable": True, "retry_after": first.retry_after.isoformat()},
            allow_retries=True,
        )
    check = dg.AssetCheckResult(
        check_name=ACCOUNTS_CHECK,
        passed=not failed,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"failed_accounts": dg.MetadataValue.json({o.business_id: o.error for o in failed})},
        description=None
        if not failed
        else f"{len(failed)} account(s) failed: " + "; ".join(f"{o.business_id}: {o.error}" for o in failed),
    )
    return dg.MaterializeResult(metadata=metadata, check_results=[check])


def _run_stream(
    context: dg.AssetExecutionContext,
    tiktok: TikTokSource,
    stream: str,
    fetch: Callable[[TikTokSession, str, date], StreamOutcome],
) -> dg.MaterializeResult:
    partition = date.fromisoformat(context.partition_key)
    with tiktok.open_session(context.log, context.run.run_id) as session:
        try:
            check_partition_ready(partition, session.api_now())
        except NotYetAvailable as error:
            raise dg.Failure(
                description=str(error),
                metadata={"retryable": True, "retry_after": error.retry_after.isoformat()},
                allow_retries=True,
            ) from None
        outcomes = session.for_each_account(stream, lambda business_id: fetch(session, business_id, partition))
        return _stream_result(context, session, outcomes)


@dg.asset(
    partitions_def=daily_partitions,
    group_name=RAW_GROUP,
    kinds=RAW_KINDS,
    pool=API_POOL,
    check_specs=[_accounts_check("raw_tiktok_account")],
    description=(
        "Account profile, daily metrics (every documented metric, hourly audience activity included) and "
        "audience demographics, from /business/get/, one landing file per account and fetch. Metrics arrive "
        f"{contract.PUBLICATION_LAG} late and are revised, so partition D fetches the window "
        f"D-{ACCOUNT_REVISION_DAYS} .. D "
        "(clipped to the API's 58-day safe look-back); staging keeps the newest fetch of each day. "
        "Partitions more than 58 days old are skipped, and say so."
    ),
)
def raw_tiktok_account(context: dg.AssetExecutionContext, tiktok: TikTokSource) -> dg.MaterializeResult:
    return _run_stream(context, tiktok, "account", lambda s, bid, d: s.fetcher.fetch_account(bid, d))


@dg.asset(
    partitions_def=daily_partitions,
    group_name=RAW_GROUP,
    kinds=RAW_KINDS,
    pool=API_POOL,
    check_specs=[_accounts_check("raw_tiktok_videos")],
    description=(
        "A snapshot of every post with every field and breakdown, from /business/video/list/ (20 a page, "
        "followed until has_more is false). Lifetime metrics freeze 365 days after publishing, so paging "
        "stops at that horizon once the older posts' final snapshot is stored; tracked posts beyond it are "
        f"fetched by id. A snapshot can only be taken of the present: partitions more than {SNAPSHOT_DAYS} "
        "days old are skipped, and say so."
    ),
)
def raw_tiktok_videos(context: dg.AssetExecutionContext, tiktok: TikTokSource) -> dg.MaterializeResult:
    tracked = tracked_video_ids()
    return _run_stream(context, tiktok, "videos", lambda s, bid, d: s.fetcher.fetch_videos(bid, d, tracked))


class CommentsConfig(dg.Config):
    track_video_urls: list[str] = Field(
        default_factory=list,
        description="Post URLs (https://www.tiktok.com/@user/video/<id>) whose comments to fetch in this run "
        "whatever their count; add them to $TIKTOK_DATA_DIR/tracked_videos.txt to track them every day.",
    )


@dg.asset(
    partitions_def=daily_partitions,
    group_name=RAW_GROUP,
    kinds=RAW_KINDS,
    pool=API_POOL,
    deps=[raw_tiktok_videos],
    check_specs=[_accounts_check("raw_tiktok_comments")],
    description=(
        "Comments and replies (/business/comment/list/ with up to 3 inline replies, the rest from "
        "/business/comment/reply/list/), fetched only for posts whose comment count changed since their "
        "comments were last fetched (posts never fetched included), plus tracked posts given by URL in "
        "$TIKTOK_DATA_DIR/tracked_videos.txt or the run config. Duplicates the API repeats past 500 comments "
        "are kept in raw and removed in staging."
    ),
)
def raw_tiktok_comments(
    context: dg.AssetExecutionContext, config: CommentsConfig, tiktok: TikTokSource
) -> dg.MaterializeResult:
    tracked = tracked_video_ids(config.track_video_urls)
    return _run_stream(context, tiktok, "comments", lambda s, bid, d: s.fetcher.fetch_comments(bid, d, tracked))


def tracked_video_ids(extra_urls: list[str] | None = None) -> list[str]:
    """Post ids from $TIKTOK_DATA_DIR/tracked_videos.txt (one URL a line, # comments) and extra URLs.

    Ids are fetched for whichever account owns them: an account that does not own a post skips it.
    """
    path = Path(data_dir() / "tracked_videos.txt")
    lines = path.read_text().splitlines() if path.exists() else []
    urls = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    ids = []
    for url in [*urls, *(extra_urls or [])]:
        try:
            ids.append(parse_video_url(url)[1])
        except ValueError as error:
            raise dg.Failure(description=str(error)) from None
    return ids


raw_assets = [raw_tiktok_account, raw_tiktok_videos, raw_tiktok_comments]
