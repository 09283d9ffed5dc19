-- Each account's trailing-30-day figures on each of its days, beside the averages of its business category for the
-- same day: one row per account and day of fct_tiktok_account_daily. The figures are defined like TikTok's averages
-- (tiktok_api/contract.py, BENCHMARK_METRICS) over the 30 days ending on the day (docs/decisions.md, "Industry
-- benchmarks"): sums and counts over the days of the window the account has, ratios of those sums. The category is
-- the one accounts.csv gives the account now (source tiktok_config.account_settings); its averages are those TikTok
-- published for that day (stg_tiktok__benchmarks). A table, rebuilt whole on every run.

with account_days as (
    select
        business_id,
        metric_date,
        followers_total,
        video_views,
        engagements,
        -- the day's change of the follower count, as followers_total is derived (docs/decisions.md, Follower total)
        coalesce(new_followers - lost_followers, net_followers, followers_count_reported) as follower_change,
        staged_at
    from {{ ref('fct_tiktok_account_daily') }}
),

videos as (
    select
        item_id,
        business_id,
        cast({{ utc_wall_clock('published_at') }} as date) as published_date
    from {{ ref('dim_tiktok_videos') }}
    where published_at is not null
),

post_snapshots as (
    select item_id, snapshot_date, likes, comments, shares
    from {{ ref('fct_tiktok_video_daily') }}
),

settings as (
    select business_id, business_category
    from {{ source('tiktok_config', 'account_settings') }}
),

benchmarks as (
    select * from {{ ref('stg_tiktok__benchmarks') }}
),

-- the account's days in the 30 days ending on each day: sums are exact on both warehouses and divided once
account_windows as (
    select
        days.business_id,
        days.metric_date,
        count(*) as metric_days,
        cast(sum(window_days.video_views) as bigint) as video_views_30d,
        cast(sum(window_days.engagements) as bigint) as engagements_30d,
        -- null when a day of the window has no follower change: never a partial sum passed off as the whole
        case
            when count(window_days.follower_change) = count(*) then cast(sum(window_days.follower_change) as bigint)
        end as net_followers_30d
    from account_days as days
    inner join account_days as window_days
        on window_days.business_id = days.business_id
        and window_days.metric_date > days.metric_date - {{ benchmark_window_days() }}
        and window_days.metric_date <= days.metric_date
    group by days.business_id, days.metric_date
),

-- the videos published in the window (each is listed by every snapshot, so their count is whole) and their lifetime
-- counts in the snapshot of the day itself
window_videos as (
    select
        days.business_id,
        days.metric_date,
        count(videos.item_id) as videos_posted_30d,
        count(snapshots.item_id) as videos_measured,
        sum(snapshots.likes) as likes,
        count(snapshots.likes) as videos_with_likes,
        sum(snapshots.comments) as comments,
        count(snapshots.comments) as videos_with_comments,
        sum(snapshots.shares) as shares,
        count(snapshots.shares) as videos_with_shares
    from account_days as days
    left join videos
        on videos.business_id = days.business_id
        and videos.published_date > days.metric_date - {{ benchmark_window_days() }}
        and videos.published_date <= days.metric_date
    left join post_snapshots as snapshots
        on snapshots.item_id = videos.item_id
        and snapshots.snapshot_date = days.metric_date
    group by days.business_id, days.metric_date
),

final as (
    select
        days.business_id,
        days.metric_date,
        days.metric_date - ({{ benchmark_window_days() }} - 1) as window_start_date,
        cast(account_windows.metric_days as integer) as metric_days,
        settings.business_category,
        days.followers_total,
        benchmarks.average_followers as category_average_followers,
        account_windows.net_followers_30d,
        case
            when days.followers_total - account_windows.net_followers_30d > 0
                then cast(account_windows.net_followers_30d as {{ double_type() }})
                / (days.followers_total - account_windows.net_followers_30d)
        end as follower_growth_rate_30d,
        benchmarks.average_follower_growth_rate_30d as category_average_follower_growth_rate_30d,
        window_videos.videos_posted_30d,
        benchmarks.average_videos_posted_30d as category_average_videos_posted_30d,
        window_videos.videos_measured,
        cast(window_videos.likes as {{ double_type() }}) / nullif(window_videos.videos_with_likes, 0)
            as likes_per_video_30d,
        benchmarks.average_likes_per_video as category_average_likes_per_video,
        cast(window_videos.comments as {{ double_type() }}) / nullif(window_videos.videos_with_comments, 0)
            as comments_per_video_30d,
        benchmarks.average_comments_per_video as category_average_comments_per_video,
        cast(window_videos.shares as {{ double_type() }}) / nullif(window_videos.videos_with_shares, 0)
            as shares_per_video_30d,
        benchmarks.average_shares_per_video as category_average_shares_per_video,
        account_windows.video_views_30d,
        benchmarks.average_video_views_30d as category_average_video_views_30d,
        cast(account_windows.engagements_30d as {{ double_type() }}) / nullif(account_windows.video_views_30d, 0)
            as engagement_rate_30d,
        benchmarks.average_engagement_rate as category_average_engagement_rate,
        benchmarks.fetch_id as benchmark_fetch_id,
        case
            when settings.business_category is null then 'no business category configured in accounts.csv'
            when benchmarks.benchmark_date is null then 'no benchmark of the category landed for this day'
        end as no_benchmark_reason,
        greatest(days.staged_at, benchmarks.staged_at) as staged_at
    from account_days as days
    inner join account_windows
        on account_windows.business_id = days.business_id and account_windows.metric_date = days.metric_date
    inner join window_videos
        on window_videos.business_id = days.business_id and window_videos.metric_date = days.metric_date
    left join settings
        on settings.business_id = days.business_id
    left join benchmarks
        on benchmarks.business_category = settings.business_category
        and benchmarks.benchmark_date = days.metric_date
)

select * from final
