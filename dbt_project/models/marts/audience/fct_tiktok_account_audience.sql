{{ config(
    materialized='incremental',
    unique_key=['business_id', 'snapshot_date'],
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}

-- staging keeps all rows of one fetch per account and day, so a newer fetch replaces the whole day
with account_audience as (
    select * from {{ ref('stg_tiktok__account_audience') }}
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
