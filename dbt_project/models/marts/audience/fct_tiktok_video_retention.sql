{{ config(
    materialized='incremental',
    unique_key=['item_id', 'snapshot_date'],
    incremental_strategy=replace_keys_strategy(),
    partition_by=day_partitions('snapshot_date'),
    on_schema_change='fail',
) }}
-- A post-day's curves come from one fetch (its snapshot): a newer fetch replaces the whole post-day.

with curves as (
    select * from {{ ref('int_tiktok__post_retention_curves') }}
    where {{ staged_after_mart() }}
),

final as (
    select
        item_id,
        business_id,
        snapshot_date,
        video_second,
        retention_share,
        likes_share,
        fetch_id,
        landed_at,
        staged_at
    from curves
)

select * from final
