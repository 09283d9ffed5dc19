{{ config(
    materialized='incremental',
    unique_key=['business_id', 'comment_date'],
    incremental_strategy=replace_keys_strategy(),
    partition_by=day_partitions('comment_date'),
    on_schema_change='fail',
) }}
-- The audience's sentiment under all of an account's posts per day: comments and replies by people other than the
-- account, on the UTC day they were written. An incremental run re-counts every (account, day) the batch's
-- comments fall on, from all of that account-day's comments.

with audience_comments as (
    select
        business_id,
        item_id,
        -- the day the comment was written (UTC); the day it was first fetched when the API gave no time
        coalesce(cast({{ utc_wall_clock('created_at') }} as date), first_seen_date) as comment_date,
        sentiment_label,
        sentiment_compound,
        staged_at
    from {{ ref('fct_tiktok_comments') }}
    where not coalesce(is_by_account_owner, false)
),

touched_account_days as (
    select distinct business_id, comment_date
    from audience_comments
    where {{ staged_after_mart() }}
),

counted as (
    select
        audience_comments.business_id,
        audience_comments.comment_date,
        count(distinct audience_comments.item_id) as posts_commented,
        count(*) as comments,
        count(audience_comments.sentiment_label) as comments_scored,
        count(*) - count(audience_comments.sentiment_label) as comments_not_scored,
        count(case when audience_comments.sentiment_label = 'positive' then 1 end) as positive_comments,
        count(case when audience_comments.sentiment_label = 'neutral' then 1 end) as neutral_comments,
        count(case when audience_comments.sentiment_label = 'negative' then 1 end) as negative_comments,
        avg(audience_comments.sentiment_compound) as mean_sentiment_compound,
        max(audience_comments.staged_at) as staged_at
    from audience_comments
    inner join touched_account_days
        on audience_comments.business_id = touched_account_days.business_id
        and audience_comments.comment_date = touched_account_days.comment_date
    group by audience_comments.business_id, audience_comments.comment_date
),

final as (
    select
        business_id,
        comment_date,
        posts_commented,
        comments,
        comments_scored,
        comments_not_scored,
        positive_comments,
        neutral_comments,
        negative_comments,
        -- shares among the scored comments; null on a day without one (no fake 0%)
        cast(positive_comments as {{ double_type() }}) / nullif(comments_scored, 0) as share_positive,
        cast(neutral_comments as {{ double_type() }}) / nullif(comments_scored, 0) as share_neutral,
        cast(negative_comments as {{ double_type() }}) / nullif(comments_scored, 0) as share_negative,
        mean_sentiment_compound,
        staged_at
    from counted
)

select * from final
