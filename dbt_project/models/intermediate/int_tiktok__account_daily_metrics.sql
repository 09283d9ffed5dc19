{{ config(
    materialized='incremental',
    unique_key=['business_id', 'metric_date'],
    incremental_strategy=replace_keys_strategy(),
    partition_by=day_partitions('metric_date'),
) }}
-- One row per account and metric day, from the newest fetch that reported the day. Each partition's fetch
-- re-reads the days before it (metrics arrive late and are revised), so one day arrives in several snapshots:
-- like staging, this model merges the snapshots staged after its newest row with the rows it already holds
-- for the days they touch (a handful per day), so a day's run costs a day's work whatever the history.

with snapshots as (
    select * from {{ ref('stg_tiktok__account_snapshots') }}
    where {{ staged_after_mart() }}
),

days as (
    select
        business_id,
        day_date as metric_date,
        day_video_views as video_views,
        day_unique_video_views as unique_video_views,
        day_profile_views as profile_views,
        day_likes as likes,
        day_comments as comments,
        day_shares as shares,
        -- as reported; its meaning (total or gain) is decided in the mart, see docs/decisions.md
        day_followers_count as followers_count_reported,
        day_daily_new_followers as daily_new_followers,
        day_daily_lost_followers as daily_lost_followers,
        day_daily_total_followers as daily_net_followers,
        day_engaged_audience as engaged_audience,
        -- Business-only metrics: null (absent) for Personal accounts, which is not zero
        day_bio_link_clicks as bio_link_clicks,
        day_email_clicks as email_clicks,
        day_address_clicks as address_clicks,
        day_phone_number_clicks as phone_number_clicks,
        day_app_download_clicks as app_download_clicks,
        day_lead_submissions as lead_submissions,
        day_audience_activity as audience_activity,
        snapshot_date as fetched_for_partition,
        landed_at,
        fetch_id,
        staged_at
    from {{ unnest_list(
        'snapshots', 'daily_metrics', 'day', 'account_metric',
        ['business_id', 'snapshot_date', 'landed_at', 'fetch_id', 'staged_at']
    ) }} as days
),

candidates as (
    {{ with_existing_rows('days', ['business_id', 'metric_date']) }}
),

final as (
    {{ newest_fetch_per('candidates', ['business_id', 'metric_date']) }}
)

select * from final
