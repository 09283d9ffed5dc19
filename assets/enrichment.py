"""Enrichment between the raw landing and dbt: the language and sentiment of every comment text.

Thin glue over tiktok_api/comment_scores.py: read the partition's landed comment texts, score those the warehouse
has no score of yet (by the text's hash, so a re-fetch with the same text is not scored again), write them to
tiktok_enrichment.comment_text_scores. dbt's fct_tiktok_comments joins them by the same hash.
"""
# No `from __future__ import annotations`: Dagster reads the context annotations at runtime.

import dataclasses
import time
from datetime import UTC, date, datetime

import dagster as dg
import pandas as pd

from assets.catalog import ASSET_OWNERS
from assets.partitions import daily_partitions
from assets.raw import raw_tiktok_comments
from assets.warehouse import COMMENT_SCORES_TABLE, WAREHOUSE_POOL, Warehouse
from tiktok_api import comment_scores
from tiktok_api.settings import data_dir


def score_day(warehouse: Warehouse, day: date) -> dict[str, float | int]:
    """Score the texts landed for `day` that the warehouse holds no score of; the counts and the speed."""
    texts = comment_scores.landed_comment_texts(data_dir(), day)
    known = warehouse.scored_text_hashes((comment_scores.text_hash(t) for t in texts), comment_scores.SCORER)
    plan = comment_scores.plan_scoring(texts, known)
    started = time.perf_counter()
    scores = [comment_scores.score_text(text) for text in plan.to_score.values()]
    seconds = time.perf_counter() - started
    columns = [field.name for field in dataclasses.fields(comment_scores.TextScore)]
    frame = pd.DataFrame([dataclasses.asdict(score) for score in scores], columns=columns)
    frame["scorer"] = comment_scores.SCORER
    frame["scored_partition"] = day
    frame["scored_at"] = datetime.now(UTC)
    warehouse.record_comment_scores(frame)
    return {
        "texts_seen": plan.seen,
        "newly_scored": len(scores),
        "reused": plan.reused,
        "scoring_seconds": round(seconds, 3),
        "comments_per_second": round(len(scores) / seconds, 1) if scores and seconds > 0 else 0.0,
    }


@dg.asset(
    partitions_def=daily_partitions,
    group_name="tiktok_enrichment",
    kinds={"python", Warehouse.from_env().asset_kind},
    owners=ASSET_OWNERS,
    deps=[raw_tiktok_comments],
    pool=WAREHOUSE_POOL,
    backfill_policy=dg.BackfillPolicy.single_run(),
    description=(
        "The language (lingua, offline) and English sentiment (VADER: compound score, positive / neutral / "
        "negative) of every comment and reply text landed for the day, one row per distinct text in "
        f"{COMMENT_SCORES_TABLE}, keyed by the text's SHA-256: a text scored before (a re-fetch, the same "
        "words elsewhere) is reused, not scored again. Other languages, empty and emoji-only texts get null "
        "sentiment and a reason. fct_tiktok_comments and the sentiment summaries read it."
    ),
)
def tiktok_comment_scores(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    totals: dict[str, float] = {"texts_seen": 0, "newly_scored": 0, "reused": 0, "scoring_seconds": 0.0}
    for key in context.partition_keys:
        figures = score_day(warehouse, date.fromisoformat(key))
        context.log.info(
            f"comment scores {key}: {figures['texts_seen']} texts, {figures['newly_scored']} scored, "
            f"{figures['reused']} reused ({figures['comments_per_second']} comments/s)"
        )
        for name in totals:
            totals[name] += figures[name]
    scored, seconds = int(totals["newly_scored"]), totals["scoring_seconds"]
    return dg.MaterializeResult(
        metadata={
            "texts_seen": int(totals["texts_seen"]),
            "newly_scored": scored,
            "reused": int(totals["reused"]),
            "comments_per_second": round(scored / seconds, 1) if scored and seconds > 0 else 0.0,
            "scorer": comment_scores.SCORER,
            "table": f"{COMMENT_SCORES_TABLE} on {warehouse.describe()}",
        }
    )
