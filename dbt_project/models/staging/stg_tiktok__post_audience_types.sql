{{ stg_post_breakdown('audience_types', 'type', 'viewer_type') }}
