{{ config(
    materialized='incremental',
    unique_key=['business_id', 'activity_date'],
    incremental_strategy=replace_keys_strategy(),
    partition_by=day_partitions('activity_date'),
    on_schema_change='fail',
) }}

-- all 24 hours of a day come from one fetch, so the day's sum is complete here
with audience_activity as (
    select * from {{ ref('int_tiktok__audience_activity_hours') }}
    where {{ staged_after_mart() }}
),

final as (
    select
        business_id,
        activity_date,
        hour_utc,
        active_followers,
        -- null on a day without any active follower (nothing to distribute)
        cast(active_followers as {{ double_type() }})
            / nullif(sum(active_followers) over (partition by business_id, activity_date), 0)
            as share_of_day,
        fetch_id,
        landed_at,
        staged_at
    from audience_activity
)

select * from final
