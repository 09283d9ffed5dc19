-- Posting performance per account, publishing slot (weekday x hour) and format: how many posts went out in the
-- slot and their median views, engagement rate and completion at day 1 and day 7 (fct_tiktok_post_timing), beside
-- the average number of the account's followers active in that slot (fct_tiktok_audience_activity_hourly).
-- Slots are read on the UTC clock (time_basis 'utc') for every account, and on the account's own clock ('local')
-- when the team configured its time zone. Definitions: docs/decisions.md ("When to post"). A table, rebuilt whole
-- on every run.

with posts as (
    select * from {{ ref('fct_tiktok_post_timing') }}
),

audience_activity as (
    select * from {{ ref('fct_tiktok_audience_activity_hourly') }}
),

-- the team's accounts.csv: an IANA time zone per account, or none (not configured)
account_settings as (
    select * from {{ source('tiktok_config', 'account_settings') }}
    where time_zone is not null
),

post_slots as (
    select
        business_id,
        'utc' as time_basis,
        'UTC' as time_zone,
        weekday_utc as weekday_number,
        hour_utc as hour_of_day,
        format,
        day_1_video_views,
        day_1_engagement_rate,
        day_1_completion_rate,
        day_7_video_views,
        day_7_engagement_rate,
        day_7_completion_rate,
        staged_at
    from posts
    where published_at is not null

    union all

    select
        business_id,
        'local' as time_basis,
        time_zone,
        weekday_local as weekday_number,
        hour_local as hour_of_day,
        format,
        day_1_video_views,
        day_1_engagement_rate,
        day_1_completion_rate,
        day_7_video_views,
        day_7_engagement_rate,
        day_7_completion_rate,
        staged_at
    from posts
    where published_at is not null
        and time_zone is not null
),

-- each stored UTC hour on the account's clock: the local hour it starts in (a zone half an hour off UTC puts
-- 14:00-14:59 UTC in 19:30-20:29, counted as 19); daylight saving time moves it with the date
activity_local as (
    select
        audience_activity.business_id,
        -- the hour's start as a UTC instant (the inner timezone reads the wall clock as UTC), then on the local clock
        {{ local_wall_clock(
            'account_settings.time_zone',
            utc_instant(
                "cast(audience_activity.activity_date as timestamp) + audience_activity.hour_utc * interval '1 hour'"
            )
        ) }} as hour_start_local,
        audience_activity.active_followers,
        audience_activity.staged_at
    from audience_activity
    inner join account_settings
        on audience_activity.business_id = account_settings.business_id
),

activity_slots as (
    select
        business_id,
        'utc' as time_basis,
        {{ iso_weekday('cast(activity_date as timestamp)') }} as weekday_number,
        hour_utc as hour_of_day,
        active_followers,
        staged_at
    from audience_activity

    union all

    select
        business_id,
        'local' as time_basis,
        {{ iso_weekday('hour_start_local') }} as weekday_number,
        cast(extract(hour from hour_start_local) as integer) as hour_of_day,
        active_followers,
        staged_at
    from activity_local
),

-- the mean over every stored day of that weekday and hour; the sum is exact on both warehouses and divided once
slot_audience as (
    select
        business_id,
        time_basis,
        weekday_number,
        hour_of_day,
        cast(sum(active_followers) as {{ double_type() }}) / count(active_followers) as average_active_followers,
        count(active_followers) as audience_days,
        max(staged_at) as staged_at
    from activity_slots
    group by business_id, time_basis, weekday_number, hour_of_day
),

slot_posts as (
    select
        business_id,
        time_basis,
        time_zone,
        weekday_number,
        hour_of_day,
        format,
        count(*) as posts,
        count(day_1_video_views) as posts_measured_day_1,
        {{ continuous_percentile('cast(day_1_video_views as ' ~ double_type() ~ ')', 0.5) }} as median_day_1_video_views,
        {{ continuous_percentile('day_1_engagement_rate', 0.5) }} as median_day_1_engagement_rate,
        {{ continuous_percentile('day_1_completion_rate', 0.5) }} as median_day_1_completion_rate,
        count(day_7_video_views) as posts_measured_day_7,
        {{ continuous_percentile('cast(day_7_video_views as ' ~ double_type() ~ ')', 0.5) }} as median_day_7_video_views,
        {{ continuous_percentile('day_7_engagement_rate', 0.5) }} as median_day_7_engagement_rate,
        {{ continuous_percentile('day_7_completion_rate', 0.5) }} as median_day_7_completion_rate,
        max(staged_at) as staged_at
    from post_slots
    group by business_id, time_basis, time_zone, weekday_number, hour_of_day, format
),

final as (
    select
        slot_posts.business_id,
        slot_posts.time_basis,
        slot_posts.time_zone,
        slot_posts.weekday_number,
        {{ weekday_abbreviation('slot_posts.weekday_number') }} as weekday_name,
        slot_posts.hour_of_day,
        slot_posts.format,
        slot_posts.posts,
        slot_posts.posts_measured_day_1,
        slot_posts.median_day_1_video_views,
        slot_posts.median_day_1_engagement_rate,
        slot_posts.median_day_1_completion_rate,
        slot_posts.posts_measured_day_7,
        slot_posts.median_day_7_video_views,
        slot_posts.median_day_7_engagement_rate,
        slot_posts.median_day_7_completion_rate,
        slot_audience.average_active_followers,
        coalesce(slot_audience.audience_days, 0) as audience_days,
        greatest(slot_posts.staged_at, slot_audience.staged_at) as staged_at
    from slot_posts
    left join slot_audience
        on slot_posts.business_id = slot_audience.business_id
        and slot_posts.time_basis = slot_audience.time_basis
        and slot_posts.weekday_number = slot_audience.weekday_number
        and slot_posts.hour_of_day = slot_audience.hour_of_day
)

select * from final
