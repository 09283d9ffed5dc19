{{ config(
    materialized='incremental',
    unique_key=['comment_id'],
    incremental_strategy=replace_keys_strategy(),
    partition_by=day_partitions('last_seen_date'),
) }}
-- depends_on: {{ source('tiktok_raw', 'comments') }}

{%- set comment_fields = [
    'comment_id', 'video_id', 'user_id', 'username', 'display_name', 'text', 'image_url', 'create_time',
    'likes', 'replies', 'owner', 'liked', 'pinned', 'status',
] %}

with pages as (
    {{ raw_pages('comments') }}
),

-- comments and replies from the comment list, and replies from the reply list (same page shape)
listed as (
    select
        business_id,
        partition_date,
        landed_at,
        fetch_id,
        {%- for field in comment_fields %}
        comment_{{ field }} as {{ field }},
        {%- endfor %}
        comment_parent_comment_id as parent_comment_id,
        comment_reply_list as reply_list
    from {{ unnest_list(
        'pages', 'comments', 'comment', 'comment', ['business_id', 'partition_date', 'landed_at', 'fetch_id']
    ) }} as comments
),

all_comments as (
    select
        business_id, partition_date, landed_at, fetch_id,
        {%- for field in comment_fields %} {{ field }},{% endfor %}
        nullif(parent_comment_id, '') as parent_comment_id
    from listed
    union all
    -- up to three replies arrive inline in a comment's reply_list
    select
        business_id, partition_date, landed_at, fetch_id,
        {%- for field in comment_fields %} reply_{{ field }},{% endfor %}
        -- inline replies do not always repeat their parent: it is the comment they are listed under
        nullif(coalesce(reply_parent_comment_id, comment_id), '') as parent_comment_id
    from {{ unnest_list(
        'listed', 'reply_list', 'reply', 'reply', ['business_id', 'partition_date', 'landed_at', 'fetch_id', 'comment_id']
    ) }} as replies
),

typed as (
    select
        comment_id,
        video_id as item_id,
        business_id,
        parent_comment_id,
        user_id as author_user_id,
        username as author_username,
        display_name as author_display_name,
        text as comment_text,
        image_url,
        {{ epoch_seconds_timestamp("cast(create_time as bigint)") }} as created_at,
        likes,
        replies as reply_count,
        owner as is_by_account_owner,
        liked as is_liked_by_owner,
        pinned as is_pinned,
        status = 'HIDDEN' as is_hidden,
        status,
        partition_date as first_seen_date,
        partition_date as last_seen_date,
        landed_at,
        fetch_id,
        current_timestamp as staged_at
    from all_comments
),

candidates as (
    {{ with_existing_rows('typed', ['comment_id']) }}
),

-- first and last seen span all fetches of the comment
seen as (
    select
        comment_id,
        item_id,
        business_id,
        parent_comment_id,
        author_user_id,
        author_username,
        author_display_name,
        comment_text,
        image_url,
        created_at,
        likes,
        reply_count,
        is_by_account_owner,
        is_liked_by_owner,
        is_pinned,
        is_hidden,
        status,
        min(first_seen_date) over (partition by comment_id) as first_seen_date,
        max(last_seen_date) over (partition by comment_id) as last_seen_date,
        landed_at,
        fetch_id,
        -- the row keeps its staged_at only if it is unchanged: a backfilled older fetch loses to the newest
        -- fetch but can still move first_seen_date (or last_seen_date), and the mart must pick that up
        case
            when first_seen_date = min(first_seen_date) over (partition by comment_id)
                and last_seen_date = max(last_seen_date) over (partition by comment_id)
                then staged_at
            else current_timestamp
        end as staged_at
    from candidates
),

final as (
    -- the newest fetch wins for what changes (likes, replies, status); the API repeats comments on busy
    -- posts, so one comment can appear several times in one fetch
    {{ newest_fetch_per('seen', ['comment_id']) }}
)

select * from final
