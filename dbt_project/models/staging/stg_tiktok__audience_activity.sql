{{ config(
    materialized='incremental',
    unique_key=['business_id', 'activity_date'],
    incremental_strategy='delete+insert',
) }}
-- depends_on: {{ source('tiktok_raw', 'account') }}

with pages as (
    {{ raw_pages('account') }}
),

activity as (
    select
        pages.business_id,
        day."date" as activity_date,
        -- the API sends the UTC hour as a string "0".."23"
        cast(hour_entry.hour as integer) as hour_utc,
        hour_entry.count as active_followers,
        pages.landed_at,
        pages.fetch_id,
        current_timestamp as staged_at
    from pages,
        {{ unnest_records('pages.metrics', 'day', 'account_metric') }},
        {{ unnest_records('day.audience_activity', 'hour_entry', 'activity_hour') }}
),

candidates as (
    {{ with_existing_rows('activity', ['business_id', 'activity_date']) }}
),

final as (
    {{ newest_fetch_per('candidates', ['business_id', 'activity_date'], all_rows_of_fetch=true) }}
)

select * from final
