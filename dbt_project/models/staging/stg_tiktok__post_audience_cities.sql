{{ stg_post_breakdown('audience_cities', 'city_name', 'city') }}
