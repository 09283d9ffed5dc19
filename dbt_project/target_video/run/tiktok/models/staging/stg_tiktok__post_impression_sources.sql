
        
            delete from "helper_video"."staging"."stg_tiktok__post_impression_sources" as DBT_INCREMENTAL_TARGET
            using "stg_tiktok__post_impression_sources__dbt_tmp20261124051407044950"
            where (
                
                    "stg_tiktok__post_impression_sources__dbt_tmp20261124051407044950".item_id = DBT_INCREMENTAL_TARGET.item_id
                    and 
                
                    "stg_tiktok__post_impression_sources__dbt_tmp20261124051407044950".snapshot_date = DBT_INCREMENTAL_TARGET.snapshot_date
                    
                
                
            );
        
    

    insert into "helper_video"."staging"."stg_tiktok__post_impression_sources" ("item_id", "business_id", "snapshot_date", "impression_source", "share", "landed_at", "fetch_id")
    (
        select "item_id", "business_id", "snapshot_date", "impression_source", "share", "landed_at", "fetch_id"
        from "stg_tiktok__post_impression_sources__dbt_tmp20261124051407044950"
    )
  