
        
            delete from "helper_video"."staging"."stg_tiktok__post_audience_countries" as DBT_INCREMENTAL_TARGET
            using "stg_tiktok__post_audience_countries__dbt_tmp20261124051406277043"
            where (
                
                    "stg_tiktok__post_audience_countries__dbt_tmp20261124051406277043".item_id = DBT_INCREMENTAL_TARGET.item_id
                    and 
                
                    "stg_tiktok__post_audience_countries__dbt_tmp20261124051406277043".snapshot_date = DBT_INCREMENTAL_TARGET.snapshot_date
                    
                
                
            );
        
    

    insert into "helper_video"."staging"."stg_tiktok__post_audience_countries" ("item_id", "business_id", "snapshot_date", "country", "share", "landed_at", "fetch_id")
    (
        select "item_id", "business_id", "snapshot_date", "country", "share", "landed_at", "fetch_id"
        from "stg_tiktok__post_audience_countries__dbt_tmp20261124051406277043"
    )
  