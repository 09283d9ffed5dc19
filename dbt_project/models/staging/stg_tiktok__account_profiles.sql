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
        data.username as username,
        data.display_name as display_name,
        data.bio_description as bio_description,
        data.profile_image as profile_image_url,
        data.profile_deep_link as profile_deep_link,
        data.is_verified as is_verified,
        data.is_business_account as is_business_account,
        data.followers_count as followers_count,
        data.following_count as following_count,
        data.total_likes as total_likes,
        data.videos_count as videos_count,
        -- audience lists exist only for accounts with at least 100 followers
        len(coalesce(data.audience_genders, [])) > 0 as has_audience_data,
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
    select * from candidates
    {{ newest_fetch_per(['business_id', 'snapshot_date']) }}
)

select * from final
