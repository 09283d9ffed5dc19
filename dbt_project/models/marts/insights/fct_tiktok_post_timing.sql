-- One row per post: when it was published (weekday and hour in UTC, and on the account's own clock when the team
-- configured its time zone), its format, and its views, engagement rate and completion at the same ages, day 1 and
-- day 7 after publishing, from the daily snapshots. Definitions: docs/decisions.md ("When to post"). A table,
-- rebuilt whole on every run: a new snapshot fills in the day-7 figures of posts published a week before.

with videos as (
    select * from {{ ref('dim_tiktok_videos') }}
),

snapshots as (
    select * from {{ ref('fct_tiktok_video_daily') }}
),

-- the team's accounts.csv: an IANA time zone per account, or none (not configured)
account_settings as (
    select * from {{ source('tiktok_config', 'account_settings') }}
    where time_zone is not null
),

-- the newest snapshot day of each account: a post whose day-N snapshot day is later is not N days old yet
account_snapshot_span as (
    select
        business_id,
        max(snapshot_date) as newest_snapshot_date
    from snapshots
    group by business_id
),

published as (
    select
        item_id,
        business_id,
        published_at,
        -- the UTC wall clock: a timestamp with time zone cast to a date or an hour would use the session's zone
        {{ utc_wall_clock('published_at') }} as published_at_utc,
        media_type,
        duration_seconds,
        first_snapshot_date,
        staged_at
    from videos
),

aged as (
    select
        *,
        -- the snapshot of day D stands for the lifetime totals at the end of D (00:00 UTC of D + 1) at the
        -- earliest; the day-N snapshot is the first whose end is at or after published_at + N x 24 h, which is
        -- the day holding the instant just before published_at, plus N
        cast(published_at_utc - interval '1 microsecond' as date) + 1 as day_1_snapshot_date,
        cast(published_at_utc - interval '1 microsecond' as date) + 7 as day_7_snapshot_date
    from published
),

day_figures as (
    select
        item_id,
        snapshot_date,
        video_views,
        -- as dim_tiktok_videos: likes + comments + shares over views; a missing part or no views leaves it null
        likes + comments + shares as engagements,
        cast(likes + comments + shares as {{ double_type() }}) / nullif(video_views, 0) as engagement_rate,
        -- as reported; absent for inactive posts, and missing is not zero
        full_video_watched_rate as completion_rate,
        staged_at
    from snapshots
),

final as (
    select
        aged.item_id,
        aged.business_id,
        aged.published_at,
        {{ iso_weekday('aged.published_at_utc') }} as weekday_utc,
        cast(extract(hour from aged.published_at_utc) as integer) as hour_utc,
        account_settings.time_zone,
        -- the wall clock in the account's zone (daylight saving time included); null without a zone
        {{ local_wall_clock('account_settings.time_zone', 'aged.published_at') }} as published_at_local,
        {{ iso_weekday(local_wall_clock('account_settings.time_zone', 'aged.published_at')) }} as weekday_local,
        cast(extract(hour from {{ local_wall_clock('account_settings.time_zone', 'aged.published_at') }}) as integer) as hour_local,
        aged.media_type,
        aged.duration_seconds,
        -- the API's media_type, and for a video its length band (half-open: [15, 60) s is '15-60s')
        case
            when aged.media_type = 'PHOTO' then 'photo'
            when aged.media_type <> 'VIDEO' or aged.media_type is null then 'other'
            when aged.duration_seconds is null then 'video, length unknown'
            when aged.duration_seconds < 15 then 'video under 15s'
            when aged.duration_seconds < 60 then 'video 15-60s'
            when aged.duration_seconds < 180 then 'video 1-3min'
            else 'video over 3min'
        end as format,
        aged.day_1_snapshot_date,
        day_1.video_views as day_1_video_views,
        day_1.engagements as day_1_engagements,
        day_1.engagement_rate as day_1_engagement_rate,
        day_1.completion_rate as day_1_completion_rate,
        case
            when day_1.item_id is not null then null
            when aged.published_at is null then 'no publishing time'
            when aged.day_1_snapshot_date > account_snapshot_span.newest_snapshot_date then 'not old enough yet'
            when aged.day_1_snapshot_date < aged.first_snapshot_date then 'before the first stored snapshot'
            else 'no snapshot of that day'
        end as day_1_null_reason,
        aged.day_7_snapshot_date,
        day_7.video_views as day_7_video_views,
        day_7.engagements as day_7_engagements,
        day_7.engagement_rate as day_7_engagement_rate,
        day_7.completion_rate as day_7_completion_rate,
        case
            when day_7.item_id is not null then null
            when aged.published_at is null then 'no publishing time'
            when aged.day_7_snapshot_date > account_snapshot_span.newest_snapshot_date then 'not old enough yet'
            when aged.day_7_snapshot_date < aged.first_snapshot_date then 'before the first stored snapshot'
            else 'no snapshot of that day'
        end as day_7_null_reason,
        -- the newest stamp of what the row comes from: the post and its two snapshots (greatest skips a null on
        -- both warehouses)
        greatest(aged.staged_at, day_1.staged_at, day_7.staged_at) as staged_at
    from aged
    left join day_figures as day_1
        on aged.item_id = day_1.item_id
        and aged.day_1_snapshot_date = day_1.snapshot_date
    left join day_figures as day_7
        on aged.item_id = day_7.item_id
        and aged.day_7_snapshot_date = day_7.snapshot_date
    left join account_snapshot_span
        on aged.business_id = account_snapshot_span.business_id
    left join account_settings
        on aged.business_id = account_settings.business_id
)

select * from final
