
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