
        
            delete from "helper_video"."staging"."stg_tiktok__post_audience_cities" as DBT_INCREMENTAL_TARGET
            using "stg_tiktok__post_audience_cities__dbt_tmp20261124051405896035"
            where (
                
                    "stg_tiktok__post_audience_cities__dbt_tmp20261124051405896035".item_id = DBT_INCREMENTAL_TARGET.item_id
                    and 
                
                    "stg_tiktok__post_audience_cities__dbt_tmp20261124051405896035".snapshot_date = DBT_INCREMENTAL_TARGET.snapshot_date
                    
                
                
            );
        
    

    insert into "helper_video"."staging"."stg_tiktok__post_audience_cities" ("item_id", "business_id", "snapshot_date", "city", "share", "landed_at", "fetch_id")
    (
        select "item_id", "business_id", "snapshot_date", "city", "share", "landed_at", "fetch_id"
        from "stg_tiktok__post_audience_cities__dbt_tmp20261124051405896035"
    )
  