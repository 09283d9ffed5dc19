{{ stg_post_breakdown('impression_sources', 'impression_source', 'impression_source') }}
