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
        username as username,
        display_name as display_name,
        bio_description as bio_description,
        profile_image as profile_image_url,
        profile_deep_link as profile_deep_link,
        is_verified as is_verified,
        is_business_account as is_business_account,
        followers_count as followers_count,
        following_count as following_count,
        total_likes as total_likes,
        videos_count as videos_count,
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
