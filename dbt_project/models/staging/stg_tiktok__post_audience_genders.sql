{{ stg_post_breakdown('audience_genders', 'gender', 'gender') }}
