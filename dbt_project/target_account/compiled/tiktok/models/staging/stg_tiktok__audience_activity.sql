
-- depends_on: read_json('/tmp/demo_data/raw/tiktok/account/*/*/*.json', columns=struct_pack(partition_date := 'DATE', business_id := 'VARCHAR', landed_at := 'TIMESTAMPTZ'))

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
        '/tmp/demo_data/raw/tiktok/account/*/*/*.json',
        columns = {
            partition_date: 'DATE', business_id: 'VARCHAR', fetch_id: 'VARCHAR', landed_at: 'TIMESTAMPTZ',
            source: 'VARCHAR', complete: 'BOOLEAN',
            pages: 'STRUCT(endpoint VARCHAR, request_id VARCHAR, response STRUCT(code INTEGER, data STRUCT(
        username VARCHAR, display_name VARCHAR, profile_image VARCHAR, bio_description VARCHAR,
        is_verified BOOLEAN, is_business_account BOOLEAN, profile_deep_link VARCHAR,
        followers_count BIGINT, following_count BIGINT, total_likes BIGINT, videos_count BIGINT,
        audience_ages STRUCT(age VARCHAR, percentage DOUBLE)[], audience_genders STRUCT(gender VARCHAR, percentage DOUBLE)[],
        audience_countries STRUCT(country VARCHAR, percentage DOUBLE)[], audience_cities STRUCT(city_name VARCHAR, percentage DOUBLE)[],
        metrics STRUCT(
            "date" DATE, video_views BIGINT, unique_video_views BIGINT, profile_views BIGINT, likes BIGINT,
            comments BIGINT, shares BIGINT, followers_count BIGINT, daily_new_followers BIGINT,
            daily_lost_followers BIGINT, daily_total_followers BIGINT, engaged_audience BIGINT,
            bio_link_clicks BIGINT, email_clicks BIGINT, address_clicks BIGINT, phone_number_clicks BIGINT,
            app_download_clicks BIGINT, lead_submissions BIGINT,
            audience_activity STRUCT(hour VARCHAR, count BIGINT)[]
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

activity as (
    select
        pages.business_id,
        day."date" as activity_date,
        -- the API sends the UTC hour as a string "0".."23"
        cast(hour_entry.hour as integer) as hour_utc,
        hour_entry.count as active_followers,
        pages.landed_at,
        pages.fetch_id
    from pages,
        unnest(pages.data.metrics) as days(day),
        unnest(day.audience_activity) as hours(hour_entry)
),

candidates as (
    select * from activity
),

final as (
    select distinct * from candidates
    qualify dense_rank() over (
        partition by business_id, activity_date order by landed_at desc, fetch_id desc
    ) = 1
)

select * from final