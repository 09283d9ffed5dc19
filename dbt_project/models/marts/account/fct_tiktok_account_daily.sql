{{ config(
    materialized='incremental',
    unique_key=['business_id', 'metric_date'],
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}

with daily_metrics as (
    select * from {{ ref('int_tiktok__account_daily_metrics') }}
    where {{ staged_after_mart() }}
),

measures as (
    select
        *,
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
    from daily_metrics
),

final as (
    select
        business_id,
        metric_date,
        -- DECISION (docs/decisions.md, Account KPIs): the per-day followers_count is the end-of-day total
        followers_count_reported as followers_total,
        followers_count_reported,
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
        cast(engagements as double precision) / nullif(video_views, 0) as engagement_rate,
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
