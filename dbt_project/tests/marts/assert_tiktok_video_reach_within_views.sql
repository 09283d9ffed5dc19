-- Rule book: reach (unique viewers) never exceeds views. Returns the offending post snapshots.
with video_daily as (
    select * from {{ ref('fct_tiktok_video_daily') }}
),

final as (
    select item_id, snapshot_date, reach, video_views
    from video_daily
    where reach > video_views
)

select * from final
