{{ config(
    materialized='incremental',
    unique_key=['comment_id'],
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}
-- One row per comment or reply, deduplicated on comment_id by staging (the newest fetch wins; first and
-- last seen span every fetch). has_owner_reply depends on the whole thread, so an incremental run
-- re-derives every thread the batch touches: a reply by the account owner that arrives later for an old
-- comment re-writes that comment's row too.

with staged_comments as (
    select * from {{ ref('stg_tiktok__comments') }}
),

comments as (
    select
        *,
        -- replies are one level deep on TikTok: a reply's thread is its parent's
        coalesce(parent_comment_id, comment_id) as thread_root_comment_id
    from staged_comments
),

batch as (
    select comment_id, thread_root_comment_id
    from comments
    where {{ staged_after_mart() }}
),

touched_thread_comments as (
    select
        thread_root_comment_id,
        parent_comment_id is not null and coalesce(is_by_account_owner, false) as is_reply_by_owner
    from comments
    where thread_root_comment_id in (select thread_root_comment_id from batch)
),

touched_threads as (
    select
        thread_root_comment_id,
        bool_or(is_reply_by_owner) as has_owner_reply
    from touched_thread_comments
    group by thread_root_comment_id
),

final as (
    select
        comments.comment_id,
        comments.item_id,
        comments.business_id,
        comments.parent_comment_id,
        comments.thread_root_comment_id,
        comments.parent_comment_id is not null as is_reply,
        comments.author_user_id,
        comments.author_username,
        comments.author_display_name,
        comments.comment_text,
        comments.image_url,
        comments.likes,
        comments.reply_count,
        comments.is_by_account_owner,
        comments.is_pinned,
        comments.is_hidden,
        comments.is_liked_by_owner,
        comments.created_at,
        comments.first_seen_date,
        comments.last_seen_date,
        -- for a top-level comment: whether the account owner replied in its thread; false for replies
        comments.parent_comment_id is null and touched_threads.has_owner_reply as has_owner_reply,
        comments.fetch_id,
        comments.landed_at,
        comments.staged_at
    from comments
    inner join touched_threads
        on comments.thread_root_comment_id = touched_threads.thread_root_comment_id
    -- the batch's rows, and the top-level comment of every thread the batch touches
    where comments.comment_id in (select comment_id from batch)
        or comments.comment_id = comments.thread_root_comment_id
)

select * from final
