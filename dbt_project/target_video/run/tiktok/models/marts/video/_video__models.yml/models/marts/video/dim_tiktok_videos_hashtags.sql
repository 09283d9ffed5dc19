
    -- Build actual result given inputs
with dbt_internal_unit_test_actual as (
  select
    "item_id","business_id","caption","hashtags","media_type","is_ad","duration_seconds","published_at","share_url","embed_url","thumbnail_url","first_snapshot_date","latest_snapshot_date","video_views","reach","likes","comments","shares","favorites","new_followers","profile_views","total_time_watched_seconds","average_time_watched_seconds","engagements","engagement_rate","completion_rate","average_watch_time_seconds","is_metrics_frozen","days_since_published","fetch_id","landed_at", 'actual' as "actual_or_expected"
  from (
    -- One row per post: its attributes and lifetime metrics as of its newest snapshot, with the post KPIs.
-- The KPI definitions are in docs/decisions.md ("Post and comment KPIs").

with  __dbt__cte__stg_tiktok__post_snapshots as (

-- Fixture for stg_tiktok__post_snapshots
select 
    
    cast('7300000000000000001' as character varying)
 as "item_id", cast(null as character varying(256)) as "business_id", 
    
    cast('2026-11-20' as DATE)
 as "snapshot_date", 
    
    cast('2026-11-01 10:00:00+00' as TIMESTAMP WITH TIME ZONE)
 as "published_at", 
    
    cast('Morning #Coffee run #FYP #coffee #small_business!' as character varying)
 as "caption", cast(null as character varying(256)) as "media_type", cast(null as BOOLEAN) as "is_ad", cast(null as character varying(256)) as "share_url", cast(null as character varying(256)) as "embed_url", cast(null as character varying(256)) as "thumbnail_url", cast(null as DOUBLE) as "duration_seconds", cast(null as BIGINT) as "video_views", cast(null as BIGINT) as "reach", cast(null as BIGINT) as "likes", cast(null as BIGINT) as "comments", cast(null as BIGINT) as "shares", cast(null as BIGINT) as "favorites", cast(null as DOUBLE) as "total_time_watched_seconds", cast(null as DOUBLE) as "average_time_watched_seconds", cast(null as DOUBLE) as "full_video_watched_rate", cast(null as BIGINT) as "new_followers", cast(null as BIGINT) as "profile_views", cast(null as BIGINT) as "website_clicks", cast(null as BIGINT) as "phone_number_clicks", cast(null as BIGINT) as "lead_submissions", cast(null as BIGINT) as "app_download_clicks", cast(null as BIGINT) as "email_clicks", cast(null as BIGINT) as "address_clicks", cast(null as character varying(256)) as "request_id", cast(null as TIMESTAMP WITH TIME ZONE) as "landed_at", cast(null as character varying(256)) as "fetch_id"
union all
select 
    
    cast('7300000000000000002' as character varying)
 as "item_id", cast(null as character varying(256)) as "business_id", 
    
    cast('2026-11-20' as DATE)
 as "snapshot_date", 
    
    cast('2026-11-01 10:00:00+00' as TIMESTAMP WITH TIME ZONE)
 as "published_at", 
    
    cast('no tags here' as character varying)
 as "caption", cast(null as character varying(256)) as "media_type", cast(null as BOOLEAN) as "is_ad", cast(null as character varying(256)) as "share_url", cast(null as character varying(256)) as "embed_url", cast(null as character varying(256)) as "thumbnail_url", cast(null as DOUBLE) as "duration_seconds", cast(null as BIGINT) as "video_views", cast(null as BIGINT) as "reach", cast(null as BIGINT) as "likes", cast(null as BIGINT) as "comments", cast(null as BIGINT) as "shares", cast(null as BIGINT) as "favorites", cast(null as DOUBLE) as "total_time_watched_seconds", cast(null as DOUBLE) as "average_time_watched_seconds", cast(null as DOUBLE) as "full_video_watched_rate", cast(null as BIGINT) as "new_followers", cast(null as BIGINT) as "profile_views", cast(null as BIGINT) as "website_clicks", cast(null as BIGINT) as "phone_number_clicks", cast(null as BIGINT) as "lead_submissions", cast(null as BIGINT) as "app_download_clicks", cast(null as BIGINT) as "email_clicks", cast(null as BIGINT) as "address_clicks", cast(null as character varying(256)) as "request_id", cast(null as TIMESTAMP WITH TIME ZONE) as "landed_at", cast(null as character varying(256)) as "fetch_id"
union all
select 
    
    cast('7300000000000000003' as character varying)
 as "item_id", cast(null as character varying(256)) as "business_id", 
    
    cast('2026-11-20' as DATE)
 as "snapshot_date", 
    
    cast('2026-11-01 10:00:00+00' as TIMESTAMP WITH TIME ZONE)
 as "published_at", 
    
    cast('Crème #Brûlée #日本' as character varying)
 as "caption", cast(null as character varying(256)) as "media_type", cast(null as BOOLEAN) as "is_ad", cast(null as character varying(256)) as "share_url", cast(null as character varying(256)) as "embed_url", cast(null as character varying(256)) as "thumbnail_url", cast(null as DOUBLE) as "duration_seconds", cast(null as BIGINT) as "video_views", cast(null as BIGINT) as "reach", cast(null as BIGINT) as "likes", cast(null as BIGINT) as "comments", cast(null as BIGINT) as "shares", cast(null as BIGINT) as "favorites", cast(null as DOUBLE) as "total_time_watched_seconds", cast(null as DOUBLE) as "average_time_watched_seconds", cast(null as DOUBLE) as "full_video_watched_rate", cast(null as BIGINT) as "new_followers", cast(null as BIGINT) as "profile_views", cast(null as BIGINT) as "website_clicks", cast(null as BIGINT) as "phone_number_clicks", cast(null as BIGINT) as "lead_submissions", cast(null as BIGINT) as "app_download_clicks", cast(null as BIGINT) as "email_clicks", cast(null as BIGINT) as "address_clicks", cast(null as character varying(256)) as "request_id", cast(null as TIMESTAMP WITH TIME ZONE) as "landed_at", cast(null as character varying(256)) as "fetch_id"
union all
select 
    
    cast('7300000000000000004' as character varying)
 as "item_id", cast(null as character varying(256)) as "business_id", 
    
    cast('2026-11-20' as DATE)
 as "snapshot_date", 
    
    cast('2026-11-01 10:00:00+00' as TIMESTAMP WITH TIME ZONE)
 as "published_at", 
    
    cast(null as character varying(256))
 as "caption", cast(null as character varying(256)) as "media_type", cast(null as BOOLEAN) as "is_ad", cast(null as character varying(256)) as "share_url", cast(null as character varying(256)) as "embed_url", cast(null as character varying(256)) as "thumbnail_url", cast(null as DOUBLE) as "duration_seconds", cast(null as BIGINT) as "video_views", cast(null as BIGINT) as "reach", cast(null as BIGINT) as "likes", cast(null as BIGINT) as "comments", cast(null as BIGINT) as "shares", cast(null as BIGINT) as "favorites", cast(null as DOUBLE) as "total_time_watched_seconds", cast(null as DOUBLE) as "average_time_watched_seconds", cast(null as DOUBLE) as "full_video_watched_rate", cast(null as BIGINT) as "new_followers", cast(null as BIGINT) as "profile_views", cast(null as BIGINT) as "website_clicks", cast(null as BIGINT) as "phone_number_clicks", cast(null as BIGINT) as "lead_submissions", cast(null as BIGINT) as "app_download_clicks", cast(null as BIGINT) as "email_clicks", cast(null as BIGINT) as "address_clicks", cast(null as character varying(256)) as "request_id", cast(null as TIMESTAMP WITH TIME ZONE) as "landed_at", cast(null as character varying(256)) as "fetch_id"
), snapshots as (
    select * from __dbt__cte__stg_tiktok__post_snapshots
),

snapshot_span as (
    select
        item_id,
        min(snapshot_date) as first_snapshot_date,
        max(snapshot_date) as latest_snapshot_date
    from snapshots
    group by item_id
),

latest_snapshot as (
    select * from snapshots
    qualify row_number() over (
        partition by item_id order by snapshot_date desc, landed_at desc, fetch_id desc
    ) = 1
),

tagged as (
    select
        *,
        -- hashtags: the word characters after each '#' (letters of any script, digits, '_'), lowercased,
        -- each tag once in order of first use; null when the caption is missing, [] when it has no tags
        list_transform(
            regexp_extract_all(caption, '#([\p{L}\p{M}\p{N}_]+)', 1),
            lambda tag: lower(tag)
        ) as tags_in_caption,
        -- the UTC day of publishing (casting a timestamptz to date would use the session's time zone)
        cast(timezone('UTC', published_at) as date) as published_date
    from latest_snapshot
),

final as (
    select
        tagged.item_id,
        tagged.business_id,
        tagged.caption,
        list_filter(
            tagged.tags_in_caption,
            lambda tag, position: list_position(tagged.tags_in_caption, tag) = position
        ) as hashtags,
        tagged.media_type,
        tagged.is_ad,
        tagged.duration_seconds,
        tagged.published_at,
        tagged.share_url,
        tagged.embed_url,
        tagged.thumbnail_url,
        snapshot_span.first_snapshot_date,
        snapshot_span.latest_snapshot_date,
        tagged.video_views,
        tagged.reach,
        tagged.likes,
        tagged.comments,
        tagged.shares,
        tagged.favorites,
        tagged.new_followers,
        tagged.profile_views,
        tagged.total_time_watched_seconds,
        tagged.average_time_watched_seconds,
        -- engagements: likes + comments + shares (favorites are a save, kept apart); a missing part leaves it null
        tagged.likes + tagged.comments + tagged.shares as engagements,
        -- over views, not reach: reach goes missing for posts inactive more than 7 days
        (tagged.likes + tagged.comments + tagged.shares) / nullif(tagged.video_views, 0) as engagement_rate,
        -- as reported; absent for inactive posts, and missing is not zero
        tagged.full_video_watched_rate as completion_rate,
        -- the reported average, else total watch time over views; null when the watch-time fields are absent
        coalesce(
            tagged.average_time_watched_seconds,
            tagged.total_time_watched_seconds / nullif(tagged.video_views, 0)
        ) as average_watch_time_seconds,
        -- the API stops updating a post's metrics 365 days after publishing
        snapshot_span.latest_snapshot_date >= tagged.published_date + 365 as is_metrics_frozen,
        cast(snapshot_span.latest_snapshot_date - tagged.published_date as integer) as days_since_published,
        tagged.fetch_id,
        tagged.landed_at
    from tagged
    inner join snapshot_span
        on tagged.item_id = snapshot_span.item_id
)

select * from final
  ) _dbt_internal_unit_test_actual
),
-- Build expected result
dbt_internal_unit_test_expected as (
  select
    "item_id", "business_id", "caption", "hashtags", "media_type", "is_ad", "duration_seconds", "published_at", "share_url", "embed_url", "thumbnail_url", "first_snapshot_date", "latest_snapshot_date", "video_views", "reach", "likes", "comments", "shares", "favorites", "new_followers", "profile_views", "total_time_watched_seconds", "average_time_watched_seconds", "engagements", "engagement_rate", "completion_rate", "average_watch_time_seconds", "is_metrics_frozen", "days_since_published", "fetch_id", "landed_at", 'expected' as "actual_or_expected"
  from (
    select '7300000000000000001' as item_id, ['coffee', 'fyp', 'small_business']::varchar[] as hashtags
union all select '7300000000000000002', []::varchar[]
union all select '7300000000000000003', ['brûlée', '日本']::varchar[]
union all select '7300000000000000004', null::varchar[]
  ) _dbt_internal_unit_test_expected
)
-- Union actual and expected results
select * from dbt_internal_unit_test_actual
union all
select * from dbt_internal_unit_test_expected