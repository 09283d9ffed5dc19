{{ config(
    materialized='incremental',
    unique_key=['item_id', 'snapshot_date'],
    incremental_strategy=replace_keys_strategy(),
    partition_by=day_partitions('snapshot_date'),
) }}
-- depends_on: {{ source('tiktok_raw', 'videos') }}
-- One row per post and snapshot day: its attributes, lifetime metrics and the seven breakdown lists as typed
-- lists, from the newest complete fetch of the day (the whole answer wins: metrics and breakdowns of one
-- fetch). The window's files are parsed once here; intermediate models unnest the lists.

with pages as (
    {{ raw_pages('videos') }}
),

snapshots as (
    select
        -- a 19-digit id: text, never a number (a double would corrupt it)
        video_item_id as item_id,
        business_id,
        partition_date as snapshot_date,
        -- create_time is epoch seconds sent as a string
        {{ epoch_seconds_timestamp("cast(video_create_time as bigint)") }} as published_at,
        video_caption as caption,
        video_media_type as media_type,
        video_is_ad as is_ad,
        video_share_url as share_url,
        video_embed_url as embed_url,
        video_thumbnail_url as thumbnail_url,
        video_video_duration as duration_seconds,
        -- lifetime totals as of the fetch (the API lags behind the clock)
        video_video_views as video_views,
        video_reach as reach,
        video_likes as likes,
        video_comments as comments,
        video_shares as shares,
        video_favorites as favorites,
        video_total_time_watched as total_time_watched_seconds,
        video_average_time_watched as average_time_watched_seconds,
        video_full_video_watched_rate as full_video_watched_rate,
        video_new_followers as new_followers,
        video_profile_views as profile_views,
        video_website_clicks as website_clicks,
        video_phone_number_clicks as phone_number_clicks,
        video_lead_submissions as lead_submissions,
        video_app_download_clicks as app_download_clicks,
        video_email_clicks as email_clicks,
        video_address_clicks as address_clicks,
        -- breakdowns (shares are fractions 0-1); some go missing for posts inactive more than 7 days
        video_impression_sources as impression_sources,
        video_audience_countries as audience_countries,
        video_audience_cities as audience_cities,
        video_audience_genders as audience_genders,
        video_audience_types as audience_types,
        video_video_view_retention as video_view_retention,
        video_engagement_likes as engagement_likes,
        request_id,
        landed_at,
        fetch_id,
        current_timestamp as staged_at
    from {{ unnest_list(
        'pages', 'videos', 'video', 'video', ['business_id', 'partition_date', 'request_id', 'landed_at', 'fetch_id']
    ) }} as videos
),

candidates as (
    {{ with_existing_rows('snapshots', ['item_id', 'snapshot_date']) }}
),

final as (
    {{ newest_fetch_per('candidates', ['item_id', 'snapshot_date']) }}
)

select * from final
