
        
            delete from "helper_video"."staging"."stg_tiktok__account_daily_metrics" as DBT_INCREMENTAL_TARGET
            using "stg_tiktok__account_daily_metrics__dbt_tmp20261124051405449663"
            where (
                
                    "stg_tiktok__account_daily_metrics__dbt_tmp20261124051405449663".business_id = DBT_INCREMENTAL_TARGET.business_id
                    and 
                
                    "stg_tiktok__account_daily_metrics__dbt_tmp20261124051405449663".metric_date = DBT_INCREMENTAL_TARGET.metric_date
                    
                
                
            );
        
    

    insert into "helper_video"."staging"."stg_tiktok__account_daily_metrics" ("business_id", "metric_date", "video_views", "unique_video_views", "profile_views", "likes", "comments", "shares", "followers_count_reported", "daily_new_followers", "daily_lost_followers", "daily_net_followers", "engaged_audience", "bio_link_clicks", "email_clicks", "address_clicks", "phone_number_clicks", "app_download_clicks", "lead_submissions", "fetched_for_partition", "landed_at", "fetch_id")
    (
        select "business_id", "metric_date", "video_views", "unique_video_views", "profile_views", "likes", "comments", "shares", "followers_count_reported", "daily_new_followers", "daily_lost_followers", "daily_net_followers", "engaged_audience", "bio_link_clicks", "email_clicks", "address_clicks", "phone_number_clicks", "app_download_clicks", "lead_submissions", "fetched_for_partition", "landed_at", "fetch_id"
        from "stg_tiktok__account_daily_metrics__dbt_tmp20261124051405449663"
    )
  