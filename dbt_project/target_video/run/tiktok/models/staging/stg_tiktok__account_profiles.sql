
        
            delete from "helper_video"."staging"."stg_tiktok__account_profiles" as DBT_INCREMENTAL_TARGET
            using "stg_tiktok__account_profiles__dbt_tmp20261124051405686713"
            where (
                
                    "stg_tiktok__account_profiles__dbt_tmp20261124051405686713".business_id = DBT_INCREMENTAL_TARGET.business_id
                    and 
                
                    "stg_tiktok__account_profiles__dbt_tmp20261124051405686713".snapshot_date = DBT_INCREMENTAL_TARGET.snapshot_date
                    
                
                
            );
        
    

    insert into "helper_video"."staging"."stg_tiktok__account_profiles" ("business_id", "snapshot_date", "username", "display_name", "bio_description", "profile_image_url", "profile_deep_link", "is_verified", "is_business_account", "followers_count", "following_count", "total_likes", "videos_count", "has_audience_data", "request_id", "landed_at", "fetch_id")
    (
        select "business_id", "snapshot_date", "username", "display_name", "bio_description", "profile_image_url", "profile_deep_link", "is_verified", "is_business_account", "followers_count", "following_count", "total_likes", "videos_count", "has_audience_data", "request_id", "landed_at", "fetch_id"
        from "stg_tiktok__account_profiles__dbt_tmp20261124051405686713"
    )
  