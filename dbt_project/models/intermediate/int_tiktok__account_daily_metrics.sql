{{ config(
    materialized='incremental',
    unique_key=['business_id', 'metric_date'],
    incremental_strategy='delete+insert',
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
        snapshots.business_id,
        day."date" as metric_date,
        day.video_views,
        day.unique_video_views,
        day.profile_views,
        day.likes,
        day.comments,
        day.shares,
        -- as reported; its meaning (total or gain) is decided in the mart, see docs/decisions.md
        day.followers_count as followers_count_reported,
        day.daily_new_followers,
        day.daily_lost_followers,
        day.daily_total_followers as daily_net_followers,
        day.engaged_audience,
        -- Business-only metrics: null (absent) for Personal accounts, which is not zero
        day.bio_link_clicks,
        day.email_clicks,
        day.address_clicks,
        day.phone_number_clicks,
        day.app_download_clicks,
        day.lead_submissions,
        day.audience_activity,
        snapshots.snapshot_date as fetched_for_partition,
        snapshots.landed_at,
        snapshots.fetch_id,
        snapshots.staged_at
    from snapshots,
        {{ unnest_records('snapshots.daily_metrics', 'day', 'account_metric') }}
),

candidates as (
    {{ with_existing_rows('days', ['business_id', 'metric_date']) }}
),

final as (
    {{ newest_fetch_per('candidates', ['business_id', 'metric_date']) }}
)

select * from final
