{{ config(
    materialized='incremental',
    unique_key=['item_id', 'snapshot_date'],
    incremental_strategy='delete+insert',
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
        video.item_id,
        pages.business_id,
        pages.partition_date as snapshot_date,
        -- create_time is epoch seconds sent as a string
        to_timestamp(cast(video.create_time as bigint)) as published_at,
        video.caption,
        video.media_type,
        video.is_ad,
        video.share_url,
        video.embed_url,
        video.thumbnail_url,
        video.video_duration as duration_seconds,
        -- lifetime totals as of the fetch (the API lags behind the clock)
        video.video_views,
        video.reach,
        video.likes,
        video.comments,
        video.shares,
        video.favorites,
        video.total_time_watched as total_time_watched_seconds,
        video.average_time_watched as average_time_watched_seconds,
        video.full_video_watched_rate,
        video.new_followers,
        video.profile_views,
        video.website_clicks,
        video.phone_number_clicks,
        video.lead_submissions,
        video.app_download_clicks,
        video.email_clicks,
        video.address_clicks,
        -- breakdowns (shares are fractions 0-1); some go missing for posts inactive more than 7 days
        video.impression_sources,
        video.audience_countries,
        video.audience_cities,
        video.audience_genders,
        video.audience_types,
        video.video_view_retention,
        video.engagement_likes,
        pages.request_id,
        pages.landed_at,
        pages.fetch_id,
        current_timestamp as staged_at
    from pages,
        {{ unnest_records('pages.videos', 'video', 'video') }}
),

candidates as (
    {{ with_existing_rows('snapshots', ['item_id', 'snapshot_date']) }}
),

final as (
    {{ newest_fetch_per('candidates', ['item_id', 'snapshot_date']) }}
)

select * from final
