{{ config(
    materialized='incremental',
    unique_key=['business_id', 'snapshot_date'],
    incremental_strategy=replace_keys_strategy(),
    partition_by=day_partitions('snapshot_date'),
) }}
-- depends_on: {{ source('tiktok_raw', 'mention_terms') }}
-- One row per account, snapshot day, kind of term and term: the day's top hashtags and words of the posts
-- mentioning the brand (the 90-day window ending on the day). The newest complete fetch of an account-day holds
-- its lists whole and replaces them (a term an older fetch listed and the newest does not is gone), so the table
-- is replaced per account-day. The window's files are parsed once here.

with pages as (
    select
        *,
        -- a page holds one of the two lists; its terms sit just before its cursor (the offset after the page)
        {{ adapter.quote('cursor') }} - coalesce({{ list_length('hashtags') }}, {{ list_length('words') }}) as page_offset
    from (
        {{ raw_pages('mention_terms') }}
    ) as raw_term_pages
),

listed_hashtags as (
    select *
    from {{ unnest_list_numbered(
        'pages', 'hashtags', 'tag', 'mention_hashtag',
        ['business_id', 'partition_date', 'page_offset', 'request_id', 'landed_at', 'fetch_id']
    ) }} as hashtag_entries
),

listed_words as (
    select *
    from {{ unnest_list_numbered(
        'pages', 'words', 'word', 'mention_word',
        ['business_id', 'partition_date', 'page_offset', 'request_id', 'landed_at', 'fetch_id']
    ) }} as word_entries
),

terms as (
    select
        business_id,
        partition_date as snapshot_date,
        cast('hashtag' as {{ text_type() }}) as term_type,
        -- sent without the '#', lower case
        tag_hashtag_name as term,
        -- the list's order is the rank (1 = top)
        cast(page_offset + tag_position as integer) as term_rank,
        tag_post_count as post_count,
        tag_views as views,
        request_id,
        landed_at,
        fetch_id,
        current_timestamp as staged_at
    from listed_hashtags

    union all

    select
        business_id,
        partition_date as snapshot_date,
        cast('word' as {{ text_type() }}) as term_type,
        word_word as term,
        cast(page_offset + word_position as integer) as term_rank,
        word_post_count as post_count,
        word_views as views,
        request_id,
        landed_at,
        fetch_id,
        current_timestamp as staged_at
    from listed_words
),

candidates as (
    {{ with_existing_rows('terms', ['business_id', 'snapshot_date']) }}
),

-- the newest fetch per term (a fetch read again is there twice: the copy staged first wins, as elsewhere) ...
newest_per_term as (
    {{ newest_fetch_per('candidates', ['business_id', 'snapshot_date', 'term_type', 'term']) }}
),

-- ... and of those, only the account-day's newest fetch: the lists of two fetches are never mixed
day_fetches as (
    select
        business_id,
        snapshot_date,
        fetch_id,
        row_number() over (
            partition by business_id, snapshot_date order by landed_at desc, fetch_id desc
        ) as fetch_recency
    from (
        select distinct business_id, snapshot_date, landed_at, fetch_id
        from newest_per_term
    ) as fetches
),

final as (
    select newest_per_term.*
    from newest_per_term
    inner join day_fetches
        on newest_per_term.business_id = day_fetches.business_id
        and newest_per_term.snapshot_date = day_fetches.snapshot_date
        and newest_per_term.fetch_id = day_fetches.fetch_id
    where day_fetches.fetch_recency = 1
)

select * from final
