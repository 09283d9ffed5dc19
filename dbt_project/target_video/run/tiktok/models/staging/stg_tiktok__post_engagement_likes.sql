
        
            delete from "helper_video"."staging"."stg_tiktok__post_engagement_likes" as DBT_INCREMENTAL_TARGET
            using "stg_tiktok__post_engagement_likes__dbt_tmp20261124051406895045"
            where (
                
                    "stg_tiktok__post_engagement_likes__dbt_tmp20261124051406895045".item_id = DBT_INCREMENTAL_TARGET.item_id
                    and 
                
                    "stg_tiktok__post_engagement_likes__dbt_tmp20261124051406895045".snapshot_date = DBT_INCREMENTAL_TARGET.snapshot_date
                    
                
                
            );
        
    

    insert into "helper_video"."staging"."stg_tiktok__post_engagement_likes" ("item_id", "business_id", "snapshot_date", "video_second", "share", "landed_at", "fetch_id")
    (
        select "item_id", "business_id", "snapshot_date", "video_second", "share", "landed_at", "fetch_id"
        from "stg_tiktok__post_engagement_likes__dbt_tmp20261124051406895045"
    )
  