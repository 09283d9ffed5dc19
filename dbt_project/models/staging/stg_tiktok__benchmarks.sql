{{ config(
    materialized='incremental',
    unique_key=['business_category', 'benchmark_date'],
    incremental_strategy=replace_keys_strategy(),
    partition_by=day_partitions('benchmark_date'),
) }}
-- depends_on: {{ source('tiktok_raw', 'benchmarks') }}
-- One row per business category and day: the category's averages over the 30 days ending on that day, as TikTok
-- published them, from the newest fetch. The averages are the category's whichever account asked (each account
-- fetches its own category), so the key is the category and its day. The day is the answer's own `date` (the newest
-- day TikTok had published when the fetch ran), not the partition that fetched it.

with pages as (
    {{ raw_pages('benchmarks') }}
),

benchmarks as (
    select
        business_category,
        {{ adapter.quote('date') }} as benchmark_date,
        {{ adapter.quote('date') }} - ({{ benchmark_window_days() }} - 1) as window_start_date,
        average_likes_per_video,
        average_comments_per_video,
        average_shares_per_video,
        average_videos_posted_30d,
        average_followers,
        average_follower_growth_rate_30d,
        average_engagement_rate,
        average_video_views_30d,
        -- the account whose fetch this is, and the partition it fetched for
        business_id as fetched_by_business_id,
        partition_date as fetched_for_partition,
        request_id,
        landed_at,
        fetch_id,
        current_timestamp as staged_at
    from pages
),

candidates as (
    {{ with_existing_rows('benchmarks', ['business_category', 'benchmark_date']) }}
),

final as (
    {{ newest_fetch_per('candidates', ['business_category', 'benchmark_date']) }}
)

select * from final
