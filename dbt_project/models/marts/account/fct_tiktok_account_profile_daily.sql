{{ config(
    materialized='incremental',
    unique_key=['business_id', 'snapshot_date'],
    incremental_strategy=replace_keys_strategy(),
    partition_by=day_partitions('snapshot_date'),
    on_schema_change='fail',
) }}
-- One row per account and snapshot day: the profile as that day's /business/get/ fetch read it, and whether the
-- handle, display name and bio differ from the account's previous snapshot. A change compares two snapshots, so a
-- run re-derives the whole history of the accounts its batch touches (a day backfilled into a gap changes the
-- flags of the day after it); an account has one snapshot a day, a few hundred rows in all.

with snapshots as (
    select * from {{ ref('stg_tiktok__account_snapshots') }}
),

touched as (
    select business_id
    from snapshots
    where {{ staged_after_mart() }}
),

history as (
    select * from snapshots
    where business_id in (select business_id from touched)
),

with_previous as (
    select
        *,
        lag(snapshot_date) over profile_history as previous_snapshot_date,
        lag(username) over profile_history as previous_username,
        lag(display_name) over profile_history as previous_display_name,
        lag(bio_description) over profile_history as previous_bio_description
    from history
    window profile_history as (partition by business_id order by snapshot_date)
),

final as (
    select
        business_id,
        snapshot_date,
        username,
        display_name,
        bio_description,
        followers_count,
        following_count,
        total_likes,
        videos_count,
        is_verified,
        is_business_account,
        previous_snapshot_date,
        -- null on a first snapshot, or when either side is missing (a scope not granted): unknown, not unchanged
        username <> previous_username as is_username_changed,
        display_name <> previous_display_name as is_display_name_changed,
        bio_description <> previous_bio_description as is_bio_changed,
        fetch_id,
        landed_at,
        staged_at
    from with_previous
)

select * from final
