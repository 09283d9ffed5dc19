
        
            delete from "helper_video"."staging"."stg_tiktok__post_view_retention" as DBT_INCREMENTAL_TARGET
            using "stg_tiktok__post_view_retention__dbt_tmp20261124051407510058"
            where (
                
                    "stg_tiktok__post_view_retention__dbt_tmp20261124051407510058".item_id = DBT_INCREMENTAL_TARGET.item_id
                    and 
                
                    "stg_tiktok__post_view_retention__dbt_tmp20261124051407510058".snapshot_date = DBT_INCREMENTAL_TARGET.snapshot_date
                    
                
                
            );
        
    

    insert into "helper_video"."staging"."stg_tiktok__post_view_retention" ("item_id", "business_id", "snapshot_date", "video_second", "share", "landed_at", "fetch_id")
    (
        select "item_id", "business_id", "snapshot_date", "video_second", "share", "landed_at", "fetch_id"
        from "stg_tiktok__post_view_retention__dbt_tmp20261124051407510058"
    )
  