{{ stg_post_breakdown('engagement_likes', 'second', 'video_second', 'integer') }}
