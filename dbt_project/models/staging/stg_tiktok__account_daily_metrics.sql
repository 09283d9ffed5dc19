{{ config(
    materialized='incremental',
    unique_key=['business_id', 'metric_date'],
    incremental_strategy='delete+insert',
) }}
-- depends_on: {{ source('tiktok_raw', 'account') }}

with pages as (
    {{ raw_pages('account') }}
),

metrics as (
    select
        pages.business_id,
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
        pages.partition_date as fetched_for_partition,
        pages.landed_at,
        pages.fetch_id,
        current_timestamp as staged_at
    from pages,
        {{ unnest_records('pages.metrics', 'day', 'account_metric') }}
),

candidates as (
    {{ with_existing_rows('metrics', ['business_id', 'metric_date']) }}
),

final as (
    {{ newest_fetch_per('candidates', ['business_id', 'metric_date']) }}
)

select * from final
