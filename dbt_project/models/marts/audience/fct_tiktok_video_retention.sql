{{ config(
    materialized='incremental',
    unique_key=['item_id', 'snapshot_date'],
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}

with view_retention as (
    select * from {{ ref('stg_tiktok__post_view_retention') }}
),

engagement_likes as (
    select * from {{ ref('stg_tiktok__post_engagement_likes') }}
),

-- A post-day is rebuilt from both curves when either was staged after the mart, so delete+insert on the
-- post-day never drops the other curve's rows.
touched_post_days as (
    select item_id, snapshot_date from view_retention where {{ staged_after_mart() }}
    union
    select item_id, snapshot_date from engagement_likes where {{ staged_after_mart() }}
),

retention_touched as (
    select view_retention.*
    from view_retention
    inner join touched_post_days
        on view_retention.item_id = touched_post_days.item_id
        and view_retention.snapshot_date = touched_post_days.snapshot_date
),

likes_touched as (
    select engagement_likes.*
    from engagement_likes
    inner join touched_post_days
        on engagement_likes.item_id = touched_post_days.item_id
        and engagement_likes.snapshot_date = touched_post_days.snapshot_date
),

final as (
    select
        coalesce(retention_touched.item_id, likes_touched.item_id) as item_id,
        coalesce(retention_touched.business_id, likes_touched.business_id) as business_id,
        coalesce(retention_touched.snapshot_date, likes_touched.snapshot_date) as snapshot_date,
        coalesce(retention_touched.video_second, likes_touched.video_second) as video_second,
        retention_touched.share as retention_share,
        likes_touched.share as likes_share,
        -- both curves normally come from one video fetch; if not, the row names the newer one
        case
            when likes_touched.landed_at > retention_touched.landed_at then likes_touched.fetch_id
            else coalesce(retention_touched.fetch_id, likes_touched.fetch_id)
        end as fetch_id,
        greatest(retention_touched.landed_at, likes_touched.landed_at) as landed_at,
        -- the post-day is rebuilt as a whole: every row carries the newest staged_at of both curves' rows
        max(greatest(retention_touched.staged_at, likes_touched.staged_at)) over (
            partition by
                coalesce(retention_touched.item_id, likes_touched.item_id),
                coalesce(retention_touched.snapshot_date, likes_touched.snapshot_date)
        ) as staged_at
    from retention_touched
    full outer join likes_touched
        on retention_touched.item_id = likes_touched.item_id
        and retention_touched.snapshot_date = likes_touched.snapshot_date
        and retention_touched.video_second = likes_touched.video_second
)

select * from final
