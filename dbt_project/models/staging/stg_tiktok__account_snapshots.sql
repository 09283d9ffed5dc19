{{ config(
    materialized='incremental',
    unique_key=['business_id', 'snapshot_date'],
    incremental_strategy='delete+insert',
) }}
-- depends_on: {{ source('tiktok_raw', 'account') }}

with pages as (
    {{ raw_pages('account') }}
),

profiles as (
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
        request_id,
        landed_at,
        fetch_id,
        current_timestamp as staged_at
    from pages
),

candidates as (
    {{ with_existing_rows('profiles', ['business_id', 'snapshot_date']) }}
),

final as (
    {{ newest_fetch_per('candidates', ['business_id', 'snapshot_date']) }}
)

select * from final
