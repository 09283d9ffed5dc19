
        
            delete from "helper_video"."staging"."stg_tiktok__post_audience_genders" as DBT_INCREMENTAL_TARGET
            using "stg_tiktok__post_audience_genders__dbt_tmp20261124051406463054"
            where (
                
                    "stg_tiktok__post_audience_genders__dbt_tmp20261124051406463054".item_id = DBT_INCREMENTAL_TARGET.item_id
                    and 
                
                    "stg_tiktok__post_audience_genders__dbt_tmp20261124051406463054".snapshot_date = DBT_INCREMENTAL_TARGET.snapshot_date
                    
                
                
            );
        
    

    insert into "helper_video"."staging"."stg_tiktok__post_audience_genders" ("item_id", "business_id", "snapshot_date", "gender", "share", "landed_at", "fetch_id")
    (
        select "item_id", "business_id", "snapshot_date", "gender", "share", "landed_at", "fetch_id"
        from "stg_tiktok__post_audience_genders__dbt_tmp20261124051406463054"
    )
  