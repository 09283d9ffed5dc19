{{ config(
    materialized='incremental',
    unique_key=['business_id', 'metric_date'],
    incremental_strategy=replace_keys_strategy(),
    partition_by=day_partitions('metric_date'),
    on_schema_change='fail',
) }}
-- DECISION (docs/decisions.md, Follower total): the per-day followers_count is the day's follower gain, as
-- TikTok's documented example shows (4, 6, 8 beside a profile of 1,124), not the end-of-day total. The total is
-- derived: anchored on the profile's followers_count (real-time when fetched) and stepped back (or forward) by
-- each day's change. The anchor moves with every new snapshot, so a run re-derives the whole history of the
-- accounts it touches (a few hundred rows per account).

with touched as (
    select business_id from {{ ref('int_tiktok__account_daily_metrics') }}
    where {{ staged_after_mart() }}
    union
    select business_id from {{ ref('stg_tiktok__account_snapshots') }}
    where {{ staged_after_mart() }}
),

daily_metrics as (
    select * from {{ ref('int_tiktok__account_daily_metrics') }}
    where business_id in (select business_id from touched)
),

snapshots as (
    select business_id, snapshot_date, followers_count, landed_at, fetch_id
    from {{ ref('stg_tiktok__account_snapshots') }}
    where business_id in (select business_id from touched) and followers_count is not null
),

-- The profile's followers_count is the count when the fetch ran. A fetch that landed on UTC day X read it at
-- the end of day X - 1 (plus X's hours before the fetch; the daily run fetches just after midnight): the first
-- fetch landed on X is the reading of day X - 1.
readings as (
    select business_id, reading_date as metric_date, followers_count as profile_followers_count
    from (
        select
            business_id,
            cast({{ utc_wall_clock('landed_at') }} as date) - 1 as reading_date,
            followers_count,
            row_number() over (
                partition by business_id, cast({{ utc_wall_clock('landed_at') }} as date) order by landed_at, fetch_id
            ) as reading_order
        from snapshots
    ) as ranked
    where reading_order = 1
),

days as (
    select
        daily_metrics.*,
        readings.profile_followers_count,
        -- the day's change of the follower count: new - lost as reported, else the reported net
        -- (daily_total_followers), else the per-day followers_count (the day's gain in TikTok's example)
        coalesce(
            daily_metrics.daily_new_followers - daily_metrics.daily_lost_followers,
            daily_metrics.daily_net_followers,
            daily_metrics.followers_count_reported
        ) as follower_change
    from daily_metrics
    left join readings
        on readings.business_id = daily_metrics.business_id and readings.metric_date = daily_metrics.metric_date
),

-- the anchor: the newest day with a reading; without one (a first day, or days fetched long after they
-- ended), the newest snapshot's count on its snapshot day, which may hold up to two days' growth more
anchors as (
    select business_id, anchor_date, anchor_followers
    from (
        select
            business_id,
            anchor_date,
            anchor_followers,
            row_number() over (partition by business_id order by anchor_rank, anchor_date desc) as anchor_order
        from (
            select business_id, metric_date as anchor_date, profile_followers_count as anchor_followers, 1 as anchor_rank
            from days
            where profile_followers_count is not null
            union all
            select business_id, snapshot_date, followers_count, 2
            from snapshots
        ) as candidates
    ) as ranked
    where anchor_order = 1
),

stepped as (
    select
        days.*,
        anchors.anchor_date,
        anchors.anchor_followers,
        -- the days after this one up to the anchor: their changes come off the anchor
        sum(case when days.metric_date <= anchors.anchor_date then days.follower_change end) over (
            partition by days.business_id order by days.metric_date rows between 1 following and unbounded following
        ) as change_after,
        count(case when days.metric_date <= anchors.anchor_date then days.follower_change end) over (
            partition by days.business_id order by days.metric_date rows between 1 following and unbounded following
        ) as known_days_after,
        -- the days after the anchor up to this one: their changes are added
        sum(case when days.metric_date > anchors.anchor_date then days.follower_change end) over (
            partition by days.business_id order by days.metric_date rows between unbounded preceding and current row
        ) as change_since,
        count(case when days.metric_date > anchors.anchor_date then days.follower_change end) over (
            partition by days.business_id order by days.metric_date rows between unbounded preceding and current row
        ) as known_days_since
    from days
    left join anchors on anchors.business_id = days.business_id
),

measures as (
    select
        *,
        -- null when a day between this one and the anchor is missing or reports no change: never a guess
        case
            when metric_date <= anchor_date and known_days_after = {{ days_between('metric_date', 'anchor_date') }}
                then anchor_followers - coalesce(change_after, 0)
            when metric_date > anchor_date and known_days_since = {{ days_between('anchor_date', 'metric_date') }}
                then anchor_followers + change_since
        end as derived_followers_total,
        -- a missing part counts as 0; only a day with none of the three reported has no engagements
        case
            when coalesce(likes, comments, shares) is not null
                then coalesce(likes, 0) + coalesce(comments, 0) + coalesce(shares, 0)
        end as engagements,
        -- Business-only metrics: a Personal account has none of them, and missing is not zero
        case
            when coalesce(bio_link_clicks, email_clicks, address_clicks, phone_number_clicks, app_download_clicks) is not null
                then coalesce(bio_link_clicks, 0) + coalesce(email_clicks, 0) + coalesce(address_clicks, 0)
                    + coalesce(phone_number_clicks, 0) + coalesce(app_download_clicks, 0)
        end as total_clicks,
        coalesce(
            bio_link_clicks, email_clicks, address_clicks, phone_number_clicks, app_download_clicks, lead_submissions
        ) is not null as is_business_metrics_available
    from stepped
),

final as (
    select
        business_id,
        metric_date,
        cast(derived_followers_total as bigint) as followers_total,
        followers_count_reported,
        profile_followers_count,
        daily_new_followers as new_followers,
        daily_lost_followers as lost_followers,
        daily_net_followers as net_followers,
        daily_new_followers - daily_lost_followers as net_followers_computed,
        video_views,
        unique_video_views,
        profile_views,
        likes,
        comments,
        shares,
        engagements,
        -- views are reported daily for every account type; reach is not reported at account level
        cast(engagements as {{ double_type() }}) / nullif(video_views, 0) as engagement_rate,
        engaged_audience,
        bio_link_clicks,
        email_clicks,
        address_clicks,
        phone_number_clicks,
        app_download_clicks,
        total_clicks,
        lead_submissions,
        is_business_metrics_available,
        fetch_id,
        landed_at,
        staged_at
    from measures
)

select * from final
