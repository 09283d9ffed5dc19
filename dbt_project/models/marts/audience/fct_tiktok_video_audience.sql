{{ config(
    materialized='incremental',
    unique_key=['item_id', 'snapshot_date'],
    incremental_strategy=replace_keys_strategy(),
    partition_by=day_partitions('snapshot_date'),
    on_schema_change='fail',
) }}
-- A post-day's breakdowns come from one fetch (its snapshot): a newer fetch replaces the whole post-day.

with post_audience as (
    select * from {{ ref('int_tiktok__post_audience_shares') }}
    where {{ staged_after_mart() }}
),

final as (
    select
        item_id,
        business_id,
        snapshot_date,
        dimension,
        -- the two viewer-type pairs are each a complete distribution: BI sums shares within a group
        case
            when dimension_value in ('NEW_VIEWER', 'RETURN_VIEWER') then 'new_vs_returning'
            when dimension_value in ('FOLLOWER_PERCENT', 'NON_FOLLOWER_PERCENT') then 'follower_vs_non_follower'
            else dimension
        end as dimension_group,
        dimension_value,
        share,
        fetch_id,
        landed_at,
        staged_at
    from post_audience
)

select * from final
