-- Response-time KPIs per account and day: over the top-level comments from people other than the account first
-- seen that day, how many the account answered and how fast (hours from the comment's creation to the creation
-- of the account's first reply in its thread). Definitions: docs/decisions.md ("The reply queue and response
-- times"). A table, rebuilt whole on every run: an owner reply that lands today changes the row of the day its
-- comment was first seen, whichever day that was.

with comments as (
    select * from {{ ref('fct_tiktok_comments') }}
),

accounts as (
    select * from {{ ref('dim_tiktok_accounts') }}
),

-- an owner reply anywhere in a thread answers its top-level comment; a reply whose parent is itself a reply is
-- followed one step further up (the same threads as fct_tiktok_reply_queue)
owner_replies as (
    select
        coalesce(parents.parent_comment_id, replies.parent_comment_id) as top_comment_id,
        replies.created_at,
        replies.staged_at
    from comments as replies
    left join comments as parents
        on replies.parent_comment_id = parents.comment_id
    where replies.parent_comment_id is not null
        and replies.is_by_account_owner
),

-- top-level, from someone other than the account, not hidden; a comment deleted later still counts for its day
asked as (
    select
        comment_id,
        business_id,
        first_seen_date,
        created_at,
        staged_at
    from comments
    where parent_comment_id is null
        and not coalesce(is_by_account_owner, false)
        and not coalesce(is_hidden, false)
),

responses as (
    select
        asked.comment_id,
        count(owner_replies.top_comment_id) > 0 as is_answered,
        -- only a reply written after the comment measures a response: a reply time at or before the comment's
        -- cannot be, and must not give a zero or negative time (the comment still counts as answered)
        min(case when owner_replies.created_at > asked.created_at then owner_replies.created_at end)
            as first_owner_reply_at,
        -- the newest stamp of what the comment's figures come from: the comment and its owner replies (greatest
        -- skips a null on both warehouses)
        greatest(max(asked.staged_at), max(owner_replies.staged_at)) as staged_at
    from asked
    left join owner_replies
        on asked.comment_id = owner_replies.top_comment_id
    group by asked.comment_id
),

timed as (
    select
        asked.business_id,
        asked.first_seen_date,
        responses.is_answered,
        {{ hours_between('asked.created_at', 'responses.first_owner_reply_at') }} as hours_to_first_owner_reply,
        responses.staged_at
    from asked
    inner join responses
        on asked.comment_id = responses.comment_id
),

daily as (
    select
        business_id,
        first_seen_date,
        count(*) as comments,
        count(case when is_answered then 1 end) as comments_answered,
        count(hours_to_first_owner_reply) as comments_timed,
        {{ continuous_percentile('hours_to_first_owner_reply', 0.5) }} as median_hours_to_first_owner_reply,
        {{ continuous_percentile('hours_to_first_owner_reply', 0.9) }} as p90_hours_to_first_owner_reply,
        max(staged_at) as staged_at
    from timed
    group by business_id, first_seen_date
),

final as (
    select
        daily.business_id,
        accounts.username,
        daily.first_seen_date,
        daily.comments,
        daily.comments_answered,
        daily.comments - daily.comments_answered as comments_unanswered,
        cast(daily.comments_answered as {{ double_type() }}) / daily.comments as answered_share,
        daily.comments_timed,
        daily.median_hours_to_first_owner_reply,
        daily.p90_hours_to_first_owner_reply,
        daily.staged_at
    from daily
    left join accounts
        on daily.business_id = accounts.business_id
)

select * from final
