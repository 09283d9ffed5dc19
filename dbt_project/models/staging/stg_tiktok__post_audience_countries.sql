{{ stg_post_breakdown('audience_countries', 'country', 'country') }}
