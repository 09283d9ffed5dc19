-- One row per account, label and snapshot day: how the account's posts that carry the label did that day (the
-- attribution is in docs/decisions.md, "Labels"). Each post counts once per label, whichever lines matched it.
-- Rebuilt whole on every run: a label added today attributes every day of its posts.

with post_labels as (
    -- the measures read the post's days: its label is all this adds
    select item_id, label from {{ ref('dim_tiktok_post_labels') }}
),

video_daily as (
    select * from {{ ref('fct_tiktok_video_daily') }}
),

videos as (
    select * from {{ ref('dim_tiktok_videos') }}
),

post_days as (
    {{ post_day_performance('video_daily', 'videos') }}
),

final as (
    select
        post_days.business_id,
        post_labels.label,
        post_days.snapshot_date,
        {{ performance_measures() }}
    from post_days
    inner join post_labels
        on post_days.item_id = post_labels.item_id
    group by post_days.business_id, post_labels.label, post_days.snapshot_date
)

select * from final
