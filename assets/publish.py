"""Publishing the marts for BI tools, wherever the warehouse keeps them (assets.warehouse.Warehouse).

DuckDB: a read-only copy, `$TIKTOK_DATA_DIR/bi/tiktok_marts.duckdb`, replaced atomically after each build, so a
BI tool never holds the warehouse's single-writer lock and never sees half a build. PostgreSQL: BI reads schema
`marts` on the server itself, so the asset records its row counts.
"""

import dagster as dg

from assets.catalog import ASSET_OWNERS
from assets.partitions import daily_partitions
from assets.warehouse import WAREHOUSE_POOL, Warehouse

MART_KEYS = [
    "dim_tiktok_accounts",
    "fct_tiktok_account_daily",
    "fct_tiktok_account_profile_daily",
    "fct_tiktok_account_benchmarks",
    "fct_tiktok_account_percentiles",
    "dim_tiktok_videos",
    "fct_tiktok_video_daily",
    "fct_tiktok_social_media_rollup",
    "fct_tiktok_account_audience",
    "fct_tiktok_audience_activity_hourly",
    "fct_tiktok_video_audience",
    "fct_tiktok_video_retention",
    "fct_tiktok_comments",
    "fct_tiktok_reply_queue",
    "fct_tiktok_response_times_daily",
    "fct_tiktok_post_sentiment_daily",
    "fct_tiktok_account_sentiment_daily",
    "fct_tiktok_mention_daily",
    "fct_tiktok_post_timing",
    "fct_tiktok_posting_performance",
    "fct_tiktok_recommended_slots",
    "fct_tiktok_account_metric_anomalies",
    "fct_tiktok_mention_terms_daily",
    "dim_tiktok_post_labels",
    "dim_tiktok_label_lines",
    "fct_tiktok_label_daily",
    "fct_tiktok_hashtag_daily",
]


@dg.asset(
    group_name="tiktok_bi",
    # the warehouse the marts are published from (a DuckDB copy, or schema marts on the server), not both
    kinds={Warehouse.from_env().asset_kind},
    owners=ASSET_OWNERS,
    deps=MART_KEYS,
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WAREHOUSE_POOL,
    description=(
        "The marts published for BI tools. DuckDB: $TIKTOK_DATA_DIR/bi/tiktok_marts.duckdb, a read-only copy of "
        "schema `marts`, written under a temporary name and renamed into place after each successful build, "
        "so readers never block the pipeline and never see half a build. PostgreSQL: BI reads schema `marts` "
        "on the server; the asset records its row counts. See docs/bi.md to connect."
    ),
)
def tiktok_marts_for_bi(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    metadata = warehouse.publish_for_bi()
    context.log.info(f"Published the marts of {warehouse.describe()} for BI")
    return dg.MaterializeResult(metadata=metadata)
