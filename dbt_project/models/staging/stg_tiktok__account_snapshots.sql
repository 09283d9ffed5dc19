{{ config(
    materialized='incremental',
    unique_key=['business_id', 'snapshot_date'],
    incremental_strategy=replace_keys_strategy(),
    partition_by=day_partitions('snapshot_date'),
) }}
-- depends_on: {{ source('tiktok_raw', 'account') }}
-- One row per account and snapshot day (a partition's /business/get/ answer): the profile, the audience lists
-- and the daily metrics of the fetch window as typed lists, from the newest complete fetch of the day. The
-- window's files are parsed once here; intermediate models unnest the lists.

with pages as (
    {{ raw_pages('account') }}
),

snapshots as (
    select
        business_id,
        partition_date as snapshot_date,
        username,
        display_name,
        bio_description,
        profile_image as profile_image_url,
        profile_deep_link,
        is_verified,
        is_business_account,
        followers_count,
        following_count,
        total_likes,
        videos_count,
        -- audience lists exist only for accounts with at least 100 followers
        coalesce({{ list_length('audience_genders') }}, 0) > 0 as has_audience_data,
        audience_ages,
        audience_genders,
        audience_countries,
        audience_cities,
        -- one entry per day of the fetch window (metrics arrive 24-48 h late and are revised)
        metrics as daily_metrics,
        request_id,
        landed_at,
        fetch_id,
        current_timestamp as staged_at
    from pages
),

candidates as (
    {{ with_existing_rows('snapshots', ['business_id', 'snapshot_date']) }}
),

final as (
    {{ newest_fetch_per('candidates', ['business_id', 'snapshot_date']) }}
)

select * from final
