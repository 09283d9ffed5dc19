{{ config(
    materialized='incremental',
    unique_key=['business_id', 'snapshot_date'],
    incremental_strategy=replace_keys_strategy(),
    partition_by=day_partitions('snapshot_date'),
    on_schema_change='fail',
) }}
-- One row per account, day, kind of term and term of the day's top hashtags and words of the brand mentions.
-- Staging replaces an account-day's lists whole when a newer fetch lands, so an incremental run replaces every
-- account-day its batch touches whole too (a term the newer lists dropped leaves the mart).

with staged_terms as (
    select * from {{ ref('stg_tiktok__mention_terms') }}
),

batch as (
    select distinct business_id, snapshot_date
    from staged_terms
    where {{ staged_after_mart() }}
),

final as (
    select
        staged_terms.business_id,
        staged_terms.snapshot_date,
        staged_terms.term_type,
        staged_terms.term,
        staged_terms.term_rank,
        staged_terms.post_count,
        staged_terms.views,
        staged_terms.fetch_id,
        staged_terms.landed_at,
        staged_terms.staged_at
    from staged_terms
    inner join batch
        on staged_terms.business_id = batch.business_id
        and staged_terms.snapshot_date = batch.snapshot_date
)

select * from final
