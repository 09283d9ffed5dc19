{#-
    Reading the raw landing files: $TIKTOK_DATA_DIR/raw/tiktok/<stream>/date=<D>/account=<id>/<fetch>.json

    DuckDB parses the JSON with explicit column types: a field the API adds is ignored, a field it drops
    arrives as null, so neither breaks the build. Only complete fetches are read (a fetch that broke off
    stays in raw for the record). Incremental runs read only the partition window's folders: DuckDB prunes
    the hive folders by the `date` filter.
-#}

{% macro raw_root() -%}
    {{ env_var('TIKTOK_DATA_DIR', '../data') }}/raw/tiktok
{%- endmacro %}


{% macro comment_struct(with_replies) -%}
    STRUCT(comment_id VARCHAR, video_id VARCHAR, parent_comment_id VARCHAR, user_id VARCHAR,
           unique_identifier VARCHAR, username VARCHAR, display_name VARCHAR, profile_image VARCHAR,
           text VARCHAR, image_url VARCHAR, create_time VARCHAR, likes BIGINT, replies BIGINT,
           owner BOOLEAN, liked BOOLEAN, pinned BOOLEAN, status VARCHAR
           {%- if with_replies %}, reply_list {{ comment_struct(false) }}[]{% endif %})
{%- endmacro %}


{% macro share_list(key) -%}
    STRUCT({{ key }} VARCHAR, percentage DOUBLE)[]
{%- endmacro %}


{% macro raw_data_type(stream) -%}
    {%- if stream == 'account' -%}
    STRUCT(
        username VARCHAR, display_name VARCHAR, profile_image VARCHAR, bio_description VARCHAR,
        is_verified BOOLEAN, is_business_account BOOLEAN, profile_deep_link VARCHAR,
        followers_count BIGINT, following_count BIGINT, total_likes BIGINT, videos_count BIGINT,
        audience_ages {{ share_list('age') }}, audience_genders {{ share_list('gender') }},
        audience_countries {{ share_list('country') }}, audience_cities {{ share_list('city_name') }},
        metrics STRUCT(
            "date" DATE, video_views BIGINT, unique_video_views BIGINT, profile_views BIGINT, likes BIGINT,
            comments BIGINT, shares BIGINT, followers_count BIGINT, daily_new_followers BIGINT,
            daily_lost_followers BIGINT, daily_total_followers BIGINT, engaged_audience BIGINT,
            bio_link_clicks BIGINT, email_clicks BIGINT, address_clicks BIGINT, phone_number_clicks BIGINT,
            app_download_clicks BIGINT, lead_submissions BIGINT,
            audience_activity STRUCT(hour VARCHAR, count BIGINT)[]
        )[]
    )
    {%- elif stream == 'videos' -%}
    STRUCT(
        videos STRUCT(
            item_id VARCHAR, create_time VARCHAR, caption VARCHAR, media_type VARCHAR, is_ad BOOLEAN,
            thumbnail_url VARCHAR, share_url VARCHAR, embed_url VARCHAR, video_duration DOUBLE,
            video_views BIGINT, reach BIGINT, likes BIGINT, comments BIGINT, shares BIGINT, favorites BIGINT,
            total_time_watched DOUBLE, average_time_watched DOUBLE, full_video_watched_rate DOUBLE,
            new_followers BIGINT, profile_views BIGINT, website_clicks BIGINT, phone_number_clicks BIGINT,
            lead_submissions BIGINT, app_download_clicks BIGINT, email_clicks BIGINT, address_clicks BIGINT,
            impression_sources {{ share_list('impression_source') }},
            audience_countries {{ share_list('country') }}, audience_cities {{ share_list('city_name') }},
            audience_genders {{ share_list('gender') }}, audience_types {{ share_list('type') }},
            video_view_retention {{ share_list('second') }}, engagement_likes {{ share_list('second') }}
        )[]
    )
    {%- elif stream == 'comments' -%}
    STRUCT(comments {{ comment_struct(true) }}[])
    {%- else -%}
    {{ exceptions.raise_compiler_error("unknown raw stream " ~ stream) }}
    {%- endif -%}
{%- endmacro %}


{#- Whether this run reads only the partition window (an incremental run with a window given). -#}
{% macro reads_window() -%}
    {{ return(is_incremental() and var('min_date') is not none and var('max_date') is not none) }}
{%- endmacro %}


{#- One row per page of every complete fetch of a stream: fetch metadata plus the page's `data`. -#}
{% macro raw_pages(stream) -%}
    {%- set pattern = raw_root() ~ '/' ~ stream ~ '/*/*/*.json' -%}
    {%- if execute and not raw_files_exist(pattern) %}
    -- no fetch of this stream has landed yet (e.g. a first backfill of days too old for snapshots):
    -- an empty relation of the same types, so that the build goes on
    select
        null::varchar as business_id,
        null::date as partition_date,
        null::varchar as fetch_id,
        null::timestamptz as landed_at,
        null::varchar as fetch_source,
        null::varchar as endpoint,
        null::varchar as request_id,
        null::{{ raw_data_type(stream) }} as data
    where false
    {%- else %}
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
        '{{ pattern }}',
        columns = {
            partition_date: 'DATE', business_id: 'VARCHAR', fetch_id: 'VARCHAR', landed_at: 'TIMESTAMPTZ',
            source: 'VARCHAR', complete: 'BOOLEAN',
            pages: 'STRUCT(endpoint VARCHAR, request_id VARCHAR, response STRUCT(code INTEGER, data {{ raw_data_type(stream) }}))[]'
        },
        hive_partitioning = true,
        hive_types = {'date': DATE, 'account': VARCHAR},
        format = 'auto'
    ) as files,
    unnest(files.pages) as pages(page)
    where files.complete
    {%- if reads_window() %}
      and files."date" >= '{{ var("min_date") }}' and files."date" < '{{ var("max_date") }}'
    {%- endif %}
    {%- endif %}
{%- endmacro %}


{% macro raw_files_exist(pattern) -%}
    {%- set result = run_query("select count(*) from glob('" ~ pattern ~ "')") -%}
    {{ return(result.columns[0].values()[0] > 0) }}
{%- endmacro %}


{#-
    The rows of `batch` plus, in an incremental run, the rows the table already holds for the keys the
    batch touches. Picking the newest fetch per key over this union gives the same table whatever order
    the partitions run in, and a full refresh gives the same result as day-by-day runs.

    The batch's rows carry `current_timestamp as staged_at` (the dbt run that read them from raw); the rows
    unioned back from the table keep the staged_at they were written with. Marts pick up staging rows by
    staged_at (macros/incremental.sql, staged_after_mart).
-#}
{% macro with_existing_rows(batch, keys) -%}
    select * from {{ batch }}
    {%- if is_incremental() %}
    union all by name
    select * from {{ this }} as existing
    where exists (
        select 1 from {{ batch }} as touched
        where {% for key in keys %}touched.{{ key }} = existing.{{ key }}{% if not loop.last %} and {% endif %}{% endfor %}
    )
    {%- endif %}
{%- endmacro %}


{#-
    Keep the newest fetch's rows per key: one row (row_number) or all rows of that fetch (dense_rank).

    A fetch the table already holds and the batch reads again (a re-run or a backfill of its partition)
    appears twice in the union with the same values: the copy staged first wins (staged_at ascending), so
    an unchanged row keeps its staged_at and the marts do not reprocess it. staged_at never changes which
    fetch wins: a full refresh, where all rows share one staged_at, keeps the same fetches.
-#}
{% macro newest_fetch_per(keys, all_rows_of_fetch=false) -%}
    qualify {{ 'dense_rank' if all_rows_of_fetch else 'row_number' }}() over (
        partition by {{ keys | join(', ') }} order by landed_at desc, fetch_id desc, staged_at
    ) = 1
{%- endmacro %}


{#- The staging model of one post breakdown list: post x snapshot day x entry. -#}
{% macro stg_post_breakdown(list_field, entry_key, entry_column, entry_type='varchar') -%}
{{ config(
    materialized='incremental',
    unique_key=['item_id', 'snapshot_date'],
    incremental_strategy='delete+insert',
) }}
-- depends_on: {{ source('tiktok_raw', 'videos') }}

with pages as (
    {{ raw_pages('videos') }}
),

entries as (
    select
        video.item_id as item_id,
        pages.business_id,
        pages.partition_date as snapshot_date,
        cast(entry.{{ entry_key }} as {{ entry_type }}) as {{ entry_column }},
        entry.percentage as share,
        pages.landed_at,
        pages.fetch_id,
        current_timestamp as staged_at
    from pages,
        unnest(pages.data.videos) as videos(video),
        unnest(video.{{ list_field }}) as entries(entry)
),

candidates as (
    {{ with_existing_rows('entries', ['item_id', 'snapshot_date']) }}
),

final as (
    select distinct * from candidates
    {{ newest_fetch_per(['item_id', 'snapshot_date'], all_rows_of_fetch=true) }}
)

select * from final
{%- endmacro %}
