{{ config(
    materialized='incremental',
    unique_key=['item_id', 'snapshot_date'],
    incremental_strategy=replace_keys_strategy(),
    partition_by=day_partitions('snapshot_date'),
    on_schema_change='fail',
) }}
-- One row per post and snapshot day: the lifetime metrics as of that snapshot and the gains since the
-- post's previous snapshot. The API keeps no per-day history of a post, so the daily series is made of
-- the snapshots this project stores. A gain needs the previous snapshot, which staging always holds: the
-- batch (the staging rows staged after this table's newest row) is computed over the touched posts' whole
-- history, and the snapshot right after each touched one is re-derived too (a re-run of an old day, or a
-- day backfilled into a gap, changes the next snapshot's gain). A full refresh equals day-by-day runs.

with snapshots as (
    select * from {{ ref('stg_tiktok__post_snapshots') }}
),

batch as (
    select item_id, snapshot_date
    from snapshots
    where {{ staged_after_mart() }}
),

touched_history as (
    select
        snapshots.*,
        batch.item_id is not null as is_in_batch
    from snapshots
    left join batch
        on snapshots.item_id = batch.item_id
        and snapshots.snapshot_date = batch.snapshot_date
    where snapshots.item_id in (select item_id from batch)
),

with_previous as (
    select
        *,
        lag(snapshot_date) over post_history as previous_snapshot_date,
        lag(video_views) over post_history as previous_video_views,
        lag(likes) over post_history as previous_likes,
        lag(comments) over post_history as previous_comments,
        lag(shares) over post_history as previous_shares,
        lag(favorites) over post_history as previous_favorites,
        lag(new_followers) over post_history as previous_new_followers,
        coalesce(lag(is_in_batch) over post_history, false) as is_after_batch_row
    from touched_history
    window post_history as (partition by item_id order by snapshot_date)
),

final as (
    select
        item_id,
        business_id,
        snapshot_date,
        video_views,
        reach,
        likes,
        comments,
        shares,
        favorites,
        new_followers,
        profile_views,
        total_time_watched_seconds,
        full_video_watched_rate,
        previous_snapshot_date,
        cast(snapshot_date - previous_snapshot_date as integer) as days_since_previous_snapshot,
        -- gains since the previous snapshot, whole (not spread over the days of a gap); null on a first snapshot
        video_views - previous_video_views as video_views_gained,
        likes - previous_likes as likes_gained,
        comments - previous_comments as comments_gained,
        shares - previous_shares as shares_gained,
        favorites - previous_favorites as favorites_gained,
        new_followers - previous_new_followers as new_followers_gained,
        fetch_id,
        landed_at,
        staged_at
    from with_previous
    where is_in_batch or is_after_batch_row
)

select * from final
