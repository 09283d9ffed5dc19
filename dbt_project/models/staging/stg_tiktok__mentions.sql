{{ config(
    materialized='incremental',
    unique_key=['business_id', 'item_id', 'snapshot_date'],
    incremental_strategy=replace_keys_strategy(),
    partition_by=day_partitions('snapshot_date'),
) }}
-- depends_on: {{ source('tiktok_raw', 'mentions') }}
-- One row per account, mentioned post and snapshot day: the day's brand-mention list (the top posts of other
-- creators mentioning the brand over the 90-day window ending on the day), from the newest complete fetch of the
-- day. The window's files are parsed once here.

with pages as (
    select
        *,
        -- the page's posts sit just before its cursor (the offset after the page)
        {{ adapter.quote('cursor') }} - {{ list_length('videos') }} as page_offset
    from (
        {{ raw_pages('mentions') }}
    ) as raw_mention_pages
),

listed as (
    select *
    from {{ unnest_list_numbered(
        'pages', 'videos', 'mention', 'mention',
        ['business_id', 'partition_date', 'page_offset', 'request_id', 'landed_at', 'fetch_id']
    ) }} as mentions
),

snapshots as (
    select
        business_id,
        -- a 19-digit id: text, never a number
        mention_item_id as item_id,
        partition_date as snapshot_date,
        -- the list's order is the rank (1 = top)
        cast(page_offset + mention_position as integer) as mention_rank,
        -- create_time is epoch seconds sent as a string
        {{ epoch_seconds_timestamp("cast(mention_create_time as bigint)") }} as published_at,
        mention_video_link as video_link,
        mention_caption as caption,
        mention_thumbnail_url as thumbnail_url,
        -- lifetime totals as of the fetch (24-48 h behind the clock)
        mention_views as views,
        mention_reach as reach,
        mention_likes as likes,
        mention_comments as comments,
        mention_shares as shares,
        request_id,
        landed_at,
        fetch_id,
        current_timestamp as staged_at
    from listed
),

candidates as (
    {{ with_existing_rows('snapshots', ['business_id', 'item_id', 'snapshot_date']) }}
),

final as (
    {{ newest_fetch_per('candidates', ['business_id', 'item_id', 'snapshot_date']) }}
)

select * from final
