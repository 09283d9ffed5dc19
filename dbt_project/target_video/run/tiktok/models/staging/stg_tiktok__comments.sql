
        
            delete from "helper_video"."staging"."stg_tiktok__comments" as DBT_INCREMENTAL_TARGET
            using "stg_tiktok__comments__dbt_tmp20261124051405840182"
            where (
                
                    "stg_tiktok__comments__dbt_tmp20261124051405840182".comment_id = DBT_INCREMENTAL_TARGET.comment_id
                    
                
                
            );
        
    

    insert into "helper_video"."staging"."stg_tiktok__comments" ("comment_id", "item_id", "business_id", "parent_comment_id", "author_user_id", "author_username", "author_display_name", "comment_text", "image_url", "created_at", "likes", "reply_count", "is_by_account_owner", "is_liked_by_owner", "is_pinned", "is_hidden", "status", "landed_at", "fetch_id", "first_seen_date", "last_seen_date")
    (
        select "comment_id", "item_id", "business_id", "parent_comment_id", "author_user_id", "author_username", "author_display_name", "comment_text", "image_url", "created_at", "likes", "reply_count", "is_by_account_owner", "is_liked_by_owner", "is_pinned", "is_hidden", "status", "landed_at", "fetch_id", "first_seen_date", "last_seen_date"
        from "stg_tiktok__comments__dbt_tmp20261124051405840182"
    )
  