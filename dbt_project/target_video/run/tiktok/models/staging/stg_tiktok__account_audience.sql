
        
            delete from "helper_video"."staging"."stg_tiktok__account_audience" as DBT_INCREMENTAL_TARGET
            using "stg_tiktok__account_audience__dbt_tmp20261124051405446619"
            where (
                
                    "stg_tiktok__account_audience__dbt_tmp20261124051405446619".business_id = DBT_INCREMENTAL_TARGET.business_id
                    and 
                
                    "stg_tiktok__account_audience__dbt_tmp20261124051405446619".snapshot_date = DBT_INCREMENTAL_TARGET.snapshot_date
                    
                
                
            );
        
    

    insert into "helper_video"."staging"."stg_tiktok__account_audience" ("business_id", "snapshot_date", "dimension", "dimension_value", "share", "landed_at", "fetch_id")
    (
        select "business_id", "snapshot_date", "dimension", "dimension_value", "share", "landed_at", "fetch_id"
        from "stg_tiktok__account_audience__dbt_tmp20261124051405446619"
    )
  