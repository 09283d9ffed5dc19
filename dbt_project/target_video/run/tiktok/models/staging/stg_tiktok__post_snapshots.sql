
        
            delete from "helper_video"."staging"."stg_tiktok__post_snapshots" as DBT_INCREMENTAL_TARGET
            using "stg_tiktok__post_snapshots__dbt_tmp20261124051407450360"
            where (
                
                    "stg_tiktok__post_snapshots__dbt_tmp20261124051407450360".item_id = DBT_INCREMENTAL_TARGET.item_id
                    and 
                
                    "stg_tiktok__post_snapshots__dbt_tmp20261124051407450360".snapshot_date = DBT_INCREMENTAL_TARGET.snapshot_date
                    
                
                
            );
        
    

    insert into "helper_video"."staging"."stg_tiktok__post_snapshots" ("item_id", "business_id", "snapshot_date", "published_at", "caption", "media_type", "is_ad", "share_url", "embed_url", "thumbnail_url", "duration_seconds", "video_views", "reach", "likes", "comments", "shares", "favorites", "total_time_watched_seconds", "average_time_watched_seconds", "full_video_watched_rate", "new_followers", "profile_views", "website_clicks", "phone_number_clicks", "lead_submissions", "app_download_clicks", "email_clicks", "address_clicks", "request_id", "landed_at", "fetch_id")
    (
        select "item_id", "business_id", "snapshot_date", "published_at", "caption", "media_type", "is_ad", "share_url", "embed_url", "thumbnail_url", "duration_seconds", "video_views", "reach", "likes", "comments", "shares", "favorites", "total_time_watched_seconds", "average_time_watched_seconds", "full_video_watched_rate", "new_followers", "profile_views", "website_clicks", "phone_number_clicks", "lead_submissions", "app_download_clicks", "email_clicks", "address_clicks", "request_id", "landed_at", "fetch_id"
        from "stg_tiktok__post_snapshots__dbt_tmp20261124051407450360"
    )
  