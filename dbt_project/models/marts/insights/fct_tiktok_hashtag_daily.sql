-- One row per account, hashtag and snapshot day: how the account's posts whose caption uses the hashtag did that
-- day, measured as the label marts are (docs/decisions.md, "Labels"). Hashtags are those of dim_tiktok_videos
-- (the newest caption, lower case). Rebuilt whole on every run: an edited caption moves its post's whole history.

with video_daily as (
    select * from {{ ref('fct_tiktok_video_daily') }}
),

videos as (
    select * from {{ ref('dim_tiktok_videos') }}
),

post_hashtags as (
    -- each tag once per post already (caption_hashtags)
    select item_id, {{ unnest_values('hashtags') }} as hashtag
    from videos
),

post_days as (
    {{ post_day_performance('video_daily', 'videos') }}
),

final as (
    select
        post_days.business_id,
        post_hashtags.hashtag,
        post_days.snapshot_date,
        {{ performance_measures() }}
    from post_days
    inner join post_hashtags
        on post_days.item_id = post_hashtags.item_id
    group by post_days.business_id, post_hashtags.hashtag, post_days.snapshot_date
)

select * from final
