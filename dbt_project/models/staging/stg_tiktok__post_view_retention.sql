{{ stg_post_breakdown('video_view_retention', 'second', 'video_second', 'integer') }}
