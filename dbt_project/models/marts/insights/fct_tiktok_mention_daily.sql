{{ config(
    materialized='incremental',
    unique_key=['business_id', 'item_id', 'snapshot_date'],
    incremental_strategy=replace_keys_strategy(),
    partition_by=day_partitions('snapshot_date'),
    on_schema_change='fail',
) }}
-- One row per account, mentioned post and day the post was in the account's brand-mention list. First and last
-- seen span every day the post was listed, so an incremental run re-derives every row of the posts its batch
-- touches: a post listed again today moves last_seen_date on its older rows too.

with staged_mentions as (
    select * from {{ ref('stg_tiktok__mentions') }}
),

batch as (
    select distinct business_id, item_id
    from staged_mentions
    where {{ staged_after_mart() }}
),

touched as (
    select staged_mentions.*
    from staged_mentions
    inner join batch
        on staged_mentions.business_id = batch.business_id
        and staged_mentions.item_id = batch.item_id
),

seen as (
    select
        business_id,
        item_id,
        min(snapshot_date) as first_seen_date,
        max(snapshot_date) as last_seen_date,
        count(*) as days_listed
    from touched
    group by business_id, item_id
),

final as (
    select
        touched.business_id,
        touched.item_id,
        touched.snapshot_date,
        touched.mention_rank,
        touched.views,
        touched.likes,
        touched.comments,
        touched.shares,
        touched.reach,
        seen.first_seen_date,
        seen.last_seen_date,
        seen.days_listed,
        touched.video_link,
        touched.caption,
        touched.published_at,
        touched.fetch_id,
        touched.landed_at,
        touched.staged_at
    from touched
    inner join seen
        on touched.business_id = seen.business_id
        and touched.item_id = seen.item_id
)

select * from final
