{{ config(
    materialized='incremental',
    unique_key=['item_id', 'snapshot_date'],
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}

with countries as (
    select * from {{ ref('stg_tiktok__post_audience_countries') }}
),

cities as (
    select * from {{ ref('stg_tiktok__post_audience_cities') }}
),

genders as (
    select * from {{ ref('stg_tiktok__post_audience_genders') }}
),

viewer_types as (
    select * from {{ ref('stg_tiktok__post_audience_types') }}
),

impression_sources as (
    select * from {{ ref('stg_tiktok__post_impression_sources') }}
),

breakdowns as (
    select item_id, business_id, snapshot_date, 'country' as dimension, country as dimension_value, share, fetch_id, landed_at, staged_at
    from countries
    union all
    select item_id, business_id, snapshot_date, 'city' as dimension, city as dimension_value, share, fetch_id, landed_at, staged_at
    from cities
    union all
    select item_id, business_id, snapshot_date, 'gender' as dimension, gender as dimension_value, share, fetch_id, landed_at, staged_at
    from genders
    union all
    select item_id, business_id, snapshot_date, 'viewer_type' as dimension, viewer_type as dimension_value, share, fetch_id, landed_at, staged_at
    from viewer_types
    union all
    select item_id, business_id, snapshot_date, 'impression_source' as dimension, impression_source as dimension_value, share, fetch_id, landed_at, staged_at
    from impression_sources
),

-- A post-day is rebuilt from all five breakdowns when any of them was staged after the mart: a breakdown
-- the newest fetch lacks keeps an older fetch's rows in staging, and delete+insert must not drop them.
touched_post_days as (
    select distinct item_id, snapshot_date
    from breakdowns
    where {{ staged_after_mart() }}
),

final as (
    select
        breakdowns.item_id,
        breakdowns.business_id,
        breakdowns.snapshot_date,
        breakdowns.dimension,
        -- the two viewer-type pairs are each a complete distribution: BI sums shares within a group
        case
            when breakdowns.dimension_value in ('NEW_VIEWER', 'RETURN_VIEWER') then 'new_vs_returning'
            when breakdowns.dimension_value in ('FOLLOWER_PERCENT', 'NON_FOLLOWER_PERCENT') then 'follower_vs_non_follower'
            else breakdowns.dimension
        end as dimension_group,
        breakdowns.dimension_value,
        breakdowns.share,
        breakdowns.fetch_id,
        breakdowns.landed_at,
        -- the post-day is rebuilt as a whole: every row carries the newest staged_at of its inputs
        max(breakdowns.staged_at) over (
            partition by breakdowns.item_id, breakdowns.snapshot_date
        ) as staged_at
    from breakdowns
    inner join touched_post_days
        on breakdowns.item_id = touched_post_days.item_id
        and breakdowns.snapshot_date = touched_post_days.snapshot_date
)

select * from final
