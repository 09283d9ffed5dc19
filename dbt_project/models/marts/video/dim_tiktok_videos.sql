-- One row per post: its attributes and lifetime metrics as of its newest snapshot, with the post KPIs.
-- The KPI definitions are in docs/decisions.md ("Post and comment KPIs").

with snapshots as (
    select * from {{ ref('stg_tiktok__post_snapshots') }}
),

snapshot_span as (
    select
        item_id,
        min(snapshot_date) as first_snapshot_date,
        max(snapshot_date) as latest_snapshot_date,
        -- the row draws on all the post's snapshots (first_snapshot_date), so it takes their newest staged_at
        max(staged_at) as last_staged_at
    from snapshots
    group by item_id
),

snapshots_ranked as (
    select
        *,
        row_number() over (
            partition by item_id order by snapshot_date desc, landed_at desc, fetch_id desc
        ) as snapshot_recency
    from snapshots
),

latest_snapshot as (
    select * from snapshots_ranked
    where snapshot_recency = 1
),

tagged as (
    select
        *,
        -- lowercased, each once in order of first use; null when the caption is missing, [] without tags
        {{ caption_hashtags('caption') }} as hashtags,
        -- the UTC day of publishing (casting a timestamptz to date would use the session's time zone)
        cast({{ utc_wall_clock('published_at') }} as date) as published_date
    from latest_snapshot
),

final as (
    select
        tagged.item_id,
        tagged.business_id,
        tagged.caption,
        tagged.hashtags,
        tagged.media_type,
        tagged.is_ad,
        tagged.duration_seconds,
        tagged.published_at,
        tagged.share_url,
        tagged.embed_url,
        tagged.thumbnail_url,
        snapshot_span.first_snapshot_date,
        snapshot_span.latest_snapshot_date,
        tagged.video_views,
        tagged.reach,
        tagged.likes,
        tagged.comments,
        tagged.shares,
        tagged.favorites,
        tagged.new_followers,
        tagged.profile_views,
        tagged.total_time_watched_seconds,
        tagged.average_time_watched_seconds,
        -- engagements: likes + comments + shares (favorites are a save, kept apart); a missing part leaves it null
        tagged.likes + tagged.comments + tagged.shares as engagements,
        -- over views, not reach: reach goes missing for posts inactive more than 7 days
        cast(tagged.likes + tagged.comments + tagged.shares as {{ double_type() }}) / nullif(tagged.video_views, 0)
            as engagement_rate,
        -- as reported; absent for inactive posts, and missing is not zero
        tagged.full_video_watched_rate as completion_rate,
        -- the reported average, else total watch time over views; null when the watch-time fields are absent
        coalesce(
            tagged.average_time_watched_seconds,
            tagged.total_time_watched_seconds / nullif(tagged.video_views, 0)
        ) as average_watch_time_seconds,
        -- the API stops updating a post's metrics 365 days after publishing
        snapshot_span.latest_snapshot_date >= tagged.published_date + 365 as is_metrics_frozen,
        cast(snapshot_span.latest_snapshot_date - tagged.published_date as integer) as days_since_published,
        tagged.fetch_id,
        tagged.landed_at,
        snapshot_span.last_staged_at as staged_at
    from tagged
    inner join snapshot_span
        on tagged.item_id = snapshot_span.item_id
)

select * from final
