-- One row per post, snapshot day and video second: the share of viewers still watching and the share of
-- likes given at that second, the two curves of the day's snapshot side by side (a second in only one curve
-- keeps a null in the other). Grouped by every snapshot column, so a filter on them (the marts' staged_at)
-- reaches the snapshot rows before their lists are unnested.

{% set snapshot_columns = ['item_id', 'business_id', 'snapshot_date', 'fetch_id', 'landed_at', 'staged_at'] %}

with snapshots as (
    select * from {{ ref('stg_tiktok__post_snapshots') }}
),

points as (
    select
        item_id,
        business_id,
        snapshot_date,
        fetch_id,
        landed_at,
        staged_at,
        cast(entry_second as integer) as video_second,
        entry_percentage as retention_share,
        cast(null as {{ double_type() }}) as likes_share
    from {{ unnest_list('snapshots', 'video_view_retention', 'entry', 'share:second', snapshot_columns) }} as retention
    union all
    select
        item_id,
        business_id,
        snapshot_date,
        fetch_id,
        landed_at,
        staged_at,
        cast(entry_second as integer) as video_second,
        cast(null as {{ double_type() }}) as retention_share,
        entry_percentage as likes_share
    from {{ unnest_list('snapshots', 'engagement_likes', 'entry', 'share:second', snapshot_columns) }} as likes
),

final as (
    select
        item_id,
        business_id,
        snapshot_date,
        video_second,
        max(retention_share) as retention_share,
        max(likes_share) as likes_share,
        fetch_id,
        landed_at,
        staged_at
    from points
    group by item_id, business_id, snapshot_date, video_second, fetch_id, landed_at, staged_at
)

select * from final
