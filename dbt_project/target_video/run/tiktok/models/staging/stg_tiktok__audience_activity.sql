
        
            delete from "helper_video"."staging"."stg_tiktok__audience_activity" as DBT_INCREMENTAL_TARGET
            using "stg_tiktok__audience_activity__dbt_tmp20261124051405732562"
            where (
                
                    "stg_tiktok__audience_activity__dbt_tmp20261124051405732562".business_id = DBT_INCREMENTAL_TARGET.business_id
                    and 
                
                    "stg_tiktok__audience_activity__dbt_tmp20261124051405732562".activity_date = DBT_INCREMENTAL_TARGET.activity_date
                    
                
                
            );
        
    

    insert into "helper_video"."staging"."stg_tiktok__audience_activity" ("business_id", "activity_date", "hour_utc", "active_followers", "landed_at", "fetch_id")
    (
        select "business_id", "activity_date", "hour_utc", "active_followers", "landed_at", "fetch_id"
        from "stg_tiktok__audience_activity__dbt_tmp20261124051405732562"
    )
  