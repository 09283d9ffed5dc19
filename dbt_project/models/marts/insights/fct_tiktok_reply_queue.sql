-- The reply queue: top-level comments from people other than the account, still up and public, that no reply
-- by the account answers, as of the newest fetch of each post's comments. Definitions: docs/decisions.md
-- ("The reply queue and response times"). A table, rebuilt whole from fct_tiktok_comments on every run: a
-- reply that lands today takes a comment of any day out of the queue, so no partition of it stands alone.

with comments as (
    select * from {{ ref('fct_tiktok_comments') }}
),

videos as (
    select * from {{ ref('dim_tiktok_videos') }}
),

accounts as (
    select * from {{ ref('dim_tiktok_accounts') }}
),

-- an owner reply anywhere in a thread answers its top-level comment. Replies are one level deep on TikTok
-- (a reply to a reply names the top-level comment as its parent); a reply whose parent is itself a reply, which
-- the API does not document, is followed one step further up. fct_tiktok_response_times_daily does the same.
owner_replies as (
    select coalesce(parents.parent_comment_id, replies.parent_comment_id) as top_comment_id
    from comments as replies
    left join comments as parents
        on replies.parent_comment_id = parents.comment_id
    where replies.parent_comment_id is not null
        and replies.is_by_account_owner
),

top_level_comments as (
    select * from comments
    where parent_comment_id is null
),

-- every complete fetch of a post lists all its top-level comments (status ALL, hidden ones too), and a comment
-- keeps the newest fetch that listed it: the newest of the post's is the newest fetch of the post's comments
post_fetches as (
    select
        item_id,
        max(landed_at) as post_comments_fetched_at
    from top_level_comments
    group by item_id
),

waiting as (
    select
        top_level_comments.*,
        post_fetches.post_comments_fetched_at
    from top_level_comments
    inner join post_fetches
        on top_level_comments.item_id = post_fetches.item_id
    -- from someone other than the account; a missing owner flag counts as someone else
    where not coalesce(top_level_comments.is_by_account_owner, false)
        -- hidden by the account or TikTok: moderated, not waiting
        and not coalesce(top_level_comments.is_hidden, false)
        -- still up: a newer fetch of the post that no longer lists it means it was deleted or removed
        and top_level_comments.landed_at = post_fetches.post_comments_fetched_at
        and top_level_comments.comment_id not in (select top_comment_id from owner_replies)
),

final as (
    select
        waiting.comment_id,
        waiting.business_id,
        accounts.username,
        waiting.item_id,
        -- the link TikTok gives for the post; built from the account's handle when the field is missing
        coalesce(
            videos.share_url,
            'https://www.tiktok.com/@' || accounts.username || '/video/' || waiting.item_id
        ) as post_url,
        waiting.comment_text,
        waiting.author_username,
        waiting.author_display_name,
        waiting.created_at,
        waiting.first_seen_date,
        waiting.post_comments_fetched_at,
        -- hours waited when the post's comments were last fetched (not wall-clock now: a rebuild gives the same
        -- rows); null when created_at is missing or after that fetch (times_are_possible reports it upstream)
        case
            when waiting.created_at <= waiting.post_comments_fetched_at
                then {{ hours_between('waiting.created_at', 'waiting.post_comments_fetched_at') }}
        end as age_hours,
        waiting.likes,
        waiting.reply_count,
        -- English comments only; fct_tiktok_comments.sentiment_null_reason says why another has none
        waiting.sentiment_label,
        -- the comment's row is staged again with every fetch of its post, which is what the queue row depends on
        waiting.staged_at
    from waiting
    left join videos
        on waiting.item_id = videos.item_id
    left join accounts
        on waiting.business_id = accounts.business_id
)

select * from final
