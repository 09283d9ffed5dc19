
-- depends_on: read_json('/tmp/demo_data/raw/tiktok/videos/*/*/*.json', columns=struct_pack(partition_date := 'DATE', business_id := 'VARCHAR', landed_at := 'TIMESTAMPTZ'))

with pages as (
    select
        files.business_id,
        files.partition_date,
        files.fetch_id,
        files.landed_at,
        files.source as fetch_source,
        pages.page.endpoint as endpoint,
        pages.page.request_id as request_id,
        pages.page.response.data as data
    from read_json(
        '/tmp/demo_data/raw/tiktok/videos/*/*/*.json',
        columns = {
            partition_date: 'DATE', business_id: 'VARCHAR', fetch_id: 'VARCHAR', landed_at: 'TIMESTAMPTZ',
            source: 'VARCHAR', complete: 'BOOLEAN',
            pages: 'STRUCT(endpoint VARCHAR, request_id VARCHAR, response STRUCT(code INTEGER, data STRUCT(
        videos STRUCT(
            item_id VARCHAR, create_time VARCHAR, caption VARCHAR, media_type VARCHAR, is_ad BOOLEAN,
            thumbnail_url VARCHAR, share_url VARCHAR, embed_url VARCHAR, video_duration DOUBLE,
            video_views BIGINT, reach BIGINT, likes BIGINT, comments BIGINT, shares BIGINT, favorites BIGINT,
            total_time_watched DOUBLE, average_time_watched DOUBLE, full_video_watched_rate DOUBLE,
            new_followers BIGINT, profile_views BIGINT, website_clicks BIGINT, phone_number_clicks BIGINT,
            lead_submissions BIGINT, app_download_clicks BIGINT, email_clicks BIGINT, address_clicks BIGINT,
            impression_sources STRUCT(impression_source VARCHAR, percentage DOUBLE)[],
            audience_countries STRUCT(country VARCHAR, percentage DOUBLE)[], audience_cities STRUCT(city_name VARCHAR, percentage DOUBLE)[],
            audience_genders STRUCT(gender VARCHAR, percentage DOUBLE)[], audience_types STRUCT(type VARCHAR, percentage DOUBLE)[],
            video_view_retention STRUCT(second VARCHAR, percentage DOUBLE)[], engagement_likes STRUCT(second VARCHAR, percentage DOUBLE)[]
        )[]
    )))[]'
        },
        hive_partitioning = true,
        hive_types = {'date': DATE, 'account': VARCHAR},
        format = 'auto'
    ) as files,
    unnest(files.pages) as pages(page)
    where files.complete
),

entries as (
    select
        video.item_id as item_id,
        pages.business_id,
        pages.partition_date as snapshot_date,
        cast(entry.country as varchar) as country,
        entry.percentage as share,
        pages.landed_at,
        pages.fetch_id
    from pages,
        unnest(pages.data.videos) as videos(video),
        unnest(video.audience_countries) as entries(entry)
),

candidates as (
    select * from entries
    union all by name
    select * from "helper_video"."staging"."stg_tiktok__post_audience_countries" as existing
    where exists (
        select 1 from entries as touched
        where touched.item_id = existing.item_id and touched.snapshot_date = existing.snapshot_date
    )
),

final as (
    select distinct * from candidates
    qualify dense_rank() over (
        partition by item_id, snapshot_date order by landed_at desc, fetch_id desc
    ) = 1
)

select * from final