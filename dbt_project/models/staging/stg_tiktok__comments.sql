{{ config(
    materialized='incremental',
    unique_key=['comment_id'],
    incremental_strategy='delete+insert',
) }}
-- depends_on: {{ source('tiktok_raw', 'comments') }}

with pages as (
    {{ raw_pages('comments') }}
),

-- comments and replies from the comment list, and replies from the reply list (same page shape)
listed as (
    select pages.business_id, pages.partition_date, pages.landed_at, pages.fetch_id, listed.comment
    from pages,
        unnest(pages.data.comments) as listed(comment)
),

-- up to three replies arrive inline in a comment's reply_list
inline_replies as (
    select listed.business_id, listed.partition_date, listed.landed_at, listed.fetch_id,
        -- inline replies do not always repeat their parent: it is the comment they are listed under
        struct_insert(reply, parent_id := listed.comment.comment_id) as comment
    from listed,
        unnest(listed.comment.reply_list) as replies(reply)
),

all_comments as (
    select business_id, partition_date, landed_at, fetch_id, struct_insert(comment, parent_id := null::varchar) as comment
    from listed
    union all
    select business_id, partition_date, landed_at, fetch_id, comment
    from inline_replies
),

typed as (
    select
        comment.comment_id as comment_id,
        comment.video_id as item_id,
        business_id,
        nullif(coalesce(comment.parent_comment_id, comment.parent_id), '') as parent_comment_id,
        comment.user_id as author_user_id,
        comment.username as author_username,
        comment.display_name as author_display_name,
        comment.text as comment_text,
        comment.image_url,
        to_timestamp(cast(comment.create_time as bigint)) as created_at,
        comment.likes,
        comment.replies as reply_count,
        comment.owner as is_by_account_owner,
        comment.liked as is_liked_by_owner,
        comment.pinned as is_pinned,
        comment.status = 'HIDDEN' as is_hidden,
        comment.status,
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

final as (
    -- newest fetch wins for what changes (likes, replies, status); first and last seen span all fetches;
    -- the API repeats comments on busy posts, so one comment can appear several times in one fetch
    select
        * exclude (first_seen_date, last_seen_date, staged_at),
        min(first_seen_date) over (partition by comment_id) as first_seen_date,
        max(last_seen_date) over (partition by comment_id) as last_seen_date,
        -- the row keeps its staged_at only if it is unchanged: a backfilled older fetch loses to the newest
        -- fetch but can still move first_seen_date (or last_seen_date), and the mart must pick that up
        case
            when first_seen_date = min(first_seen_date) over (partition by comment_id)
                and last_seen_date = max(last_seen_date) over (partition by comment_id)
                then staged_at
            else current_timestamp
        end as staged_at
    from candidates
    {{ newest_fetch_per(['comment_id']) }}
)

select * from final
