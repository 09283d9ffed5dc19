{{ config(
    materialized='incremental',
    unique_key=['comment_id'],
    incremental_strategy=replace_keys_strategy(),
    partition_by=day_partitions('last_seen_date'),
    on_schema_change='fail',
) }}
-- One row per comment or reply, deduplicated on comment_id by staging (the newest fetch wins; first and
-- last seen span every fetch). has_owner_reply depends on the whole thread, so an incremental run
-- re-derives every thread the batch touches: a reply by the account owner that arrives later for an old
-- comment re-writes that comment's row too. Language and sentiment are the scores of the comment's text (by
-- its hash), which the asset tiktok_comment_scores writes before dbt runs.
-- depends_on: {{ source('tiktok_enrichment', 'comment_text_scores') }}

with staged_comments as (
    select * from {{ ref('stg_tiktok__comments') }}
),

text_scores as (
    {{ comment_text_scores() }}
),

comments as (
    select
        *,
        -- replies are one level deep on TikTok: a reply's thread is its parent's
        coalesce(parent_comment_id, comment_id) as thread_root_comment_id
    from staged_comments
),

{%- if is_incremental() %}

-- comments the mart holds as not scored whose text has been scored since (a build that ran before the scoring
-- step, or read days beyond its window): re-written with their scores, and picked up by the sentiment summaries
late_scored as (
    select held.comment_id
    from {{ this }} as held
    where held.sentiment_null_reason = 'not scored'
        and {{ text_hash('held.comment_text') }} in (select text_hash from text_scores)
),
{%- endif %}

batch as (
    select comment_id, thread_root_comment_id
    from comments
    where {{ staged_after_mart() }}
    {%- if is_incremental() %}
        or comment_id in (select comment_id from late_scored)
    {%- endif %}
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
        text_scores.language,
        text_scores.sentiment_label,
        text_scores.sentiment_compound,
        -- why there is no sentiment; 'not scored' while the scoring step has not seen the text
        case
            when text_scores.text_hash is null then 'not scored'
            else text_scores.sentiment_null_reason
        end as sentiment_null_reason,
        comments.fetch_id,
        comments.landed_at,
        {%- if is_incremental() %}
        -- a late score is a change the summaries downstream must pick up, as a new fetch would be
        case
            when comments.comment_id in (select comment_id from late_scored) then current_timestamp
            else comments.staged_at
        end as staged_at
        {%- else %}
        comments.staged_at
        {%- endif %}
    from comments
    inner join touched_threads
        on comments.thread_root_comment_id = touched_threads.thread_root_comment_id
    left join text_scores
        on {{ text_hash('comments.comment_text') }} = text_scores.text_hash
    -- the batch's rows, and the top-level comment of every thread the batch touches
    where comments.comment_id in (select comment_id from batch)
        or comments.comment_id = comments.thread_root_comment_id
)

select * from final
