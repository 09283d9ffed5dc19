{{ config(
    materialized='incremental',
    unique_key=['business_id', 'snapshot_date'],
    incremental_strategy=replace_keys_strategy(),
    partition_by=day_partitions('snapshot_date'),
    on_schema_change='fail',
) }}

-- the audience of an account-day comes from one fetch (its snapshot), so a newer fetch replaces the whole day
with account_audience as (
    select * from {{ ref('int_tiktok__account_audience_shares') }}
    where {{ staged_after_mart() }}
),

final as (
    select
        business_id,
        snapshot_date,
        dimension,
        dimension_value,
        share,
        fetch_id,
        landed_at,
        staged_at
    from account_audience
)

select * from final
