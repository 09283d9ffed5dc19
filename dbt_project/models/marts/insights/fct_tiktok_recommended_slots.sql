-- The recommended publishing slots of each account: the weekday x hour slots whose posts had the most views at
-- day 7, among the slots with enough posts measured at day 7, and only those beating the account's median post.
-- An account without a recommendation has one row (slot 'none') that says why. On the UTC clock for every account,
-- and on the account's own clock when the team configured its time zone. Rule and reasons: docs/decisions.md
-- ("When to post"). A table, rebuilt whole on every run.

-- the rule's two numbers, overridable with --vars (docs/decisions.md says why these)
{%- set min_posts = var('recommended_slot_min_posts', 3) %}
{%- set top_slots = var('recommended_slots_per_account', 3) %}

with posts as (
    select * from {{ ref('fct_tiktok_post_timing') }}
),

performance as (
    select * from {{ ref('fct_tiktok_posting_performance') }}
),

accounts as (
    select * from {{ ref('dim_tiktok_accounts') }}
),

-- the team's accounts.csv: an IANA time zone per account, or none (not configured)
account_settings as (
    select * from {{ source('tiktok_config', 'account_settings') }}
    where time_zone is not null
),

-- every account on the UTC clock, and on its own when configured
account_clocks as (
    select
        business_id,
        username,
        'utc' as time_basis,
        'UTC' as time_zone,
        staged_at
    from accounts

    union all

    select
        accounts.business_id,
        accounts.username,
        'local' as time_basis,
        account_settings.time_zone,
        accounts.staged_at
    from accounts
    inner join account_settings
        on accounts.business_id = account_settings.business_id
),

post_slots as (
    select
        business_id,
        'utc' as time_basis,
        weekday_utc as weekday_number,
        hour_utc as hour_of_day,
        day_7_video_views,
        day_7_engagement_rate,
        day_7_completion_rate,
        staged_at
    from posts
    where published_at is not null

    union all

    select
        business_id,
        'local' as time_basis,
        weekday_local as weekday_number,
        hour_local as hour_of_day,
        day_7_video_views,
        day_7_engagement_rate,
        day_7_completion_rate,
        staged_at
    from posts
    where published_at is not null
        and time_zone is not null
),

-- the account's typical post at day 7, the bar a recommended slot must clear
account_baseline as (
    select
        business_id,
        time_basis,
        count(*) as posts,
        count(day_7_video_views) as posts_measured_day_7,
        {{ continuous_percentile('cast(day_7_video_views as ' ~ double_type() ~ ')', 0.5) }}
            as account_median_day_7_video_views,
        max(staged_at) as staged_at
    from post_slots
    group by business_id, time_basis
),

-- every format together: the audience active in a slot is the same whatever is posted
slot_audience as (
    select
        business_id,
        time_basis,
        weekday_number,
        hour_of_day,
        max(average_active_followers) as average_active_followers
    from performance
    group by business_id, time_basis, weekday_number, hour_of_day
),

slots as (
    select
        business_id,
        time_basis,
        weekday_number,
        hour_of_day,
        count(day_7_video_views) as posts_measured_day_7,
        {{ continuous_percentile('cast(day_7_video_views as ' ~ double_type() ~ ')', 0.5) }} as median_day_7_video_views,
        {{ continuous_percentile('day_7_engagement_rate', 0.5) }} as median_day_7_engagement_rate,
        {{ continuous_percentile('day_7_completion_rate', 0.5) }} as median_day_7_completion_rate
    from post_slots
    group by business_id, time_basis, weekday_number, hour_of_day
),

-- a slot counts with enough posts measured at day 7, and is a candidate when its median beats the account's
candidates as (
    select
        slots.*,
        rank() over (
            partition by slots.business_id, slots.time_basis order by slots.median_day_7_video_views desc
        ) as slot_rank
    from slots
    inner join account_baseline
        on slots.business_id = account_baseline.business_id
        and slots.time_basis = account_baseline.time_basis
    where slots.posts_measured_day_7 >= {{ min_posts }}
        and slots.median_day_7_video_views > account_baseline.account_median_day_7_video_views
),

-- tied slots share a rank, so a tie at the last place recommends every tied slot (the list can be longer)
recommended as (
    select * from candidates
    where slot_rank <= {{ top_slots }}
),

-- why an account has no recommendation, from the first condition that holds
thin_accounts as (
    select
        account_clocks.business_id,
        account_clocks.time_basis,
        case
            when coalesce(account_baseline.posts_measured_day_7, 0) = 0
                then 'no post measured at day 7 yet ('
                    || cast(coalesce(account_baseline.posts, 0) as {{ text_type() }}) || ' published)'
            when max(slots.posts_measured_day_7) < {{ min_posts }}
                then 'no slot has {{ min_posts }} posts measured at day 7 yet (the most: '
                    || cast(max(slots.posts_measured_day_7) as {{ text_type() }}) || '; '
                    || cast(account_baseline.posts_measured_day_7 as {{ text_type() }}) || ' posts measured in all)'
            else 'no slot with {{ min_posts }} posts measured at day 7 has more views than the account''s median post'
        end as no_recommendation_reason
    from account_clocks
    left join account_baseline
        on account_clocks.business_id = account_baseline.business_id
        and account_clocks.time_basis = account_baseline.time_basis
    left join slots
        on account_clocks.business_id = slots.business_id
        and account_clocks.time_basis = slots.time_basis
    where not exists (
        select 1 from recommended
        where recommended.business_id = account_clocks.business_id
            and recommended.time_basis = account_clocks.time_basis
    )
    group by
        account_clocks.business_id,
        account_clocks.time_basis,
        account_baseline.posts,
        account_baseline.posts_measured_day_7
),

final as (
    select
        account_clocks.business_id,
        account_clocks.username,
        account_clocks.time_basis,
        account_clocks.time_zone,
        coalesce(
            {{ weekday_abbreviation('recommended.weekday_number') }}
                || ' ' || lpad(cast(recommended.hour_of_day as {{ text_type() }}), 2, '0') || ':00',
            'none'
        ) as slot,
        cast(recommended.slot_rank as integer) as slot_rank,
        recommended.weekday_number,
        recommended.hour_of_day,
        recommended.posts_measured_day_7,
        recommended.median_day_7_video_views,
        recommended.median_day_7_engagement_rate,
        recommended.median_day_7_completion_rate,
        account_baseline.account_median_day_7_video_views,
        slot_audience.average_active_followers,
        thin_accounts.no_recommendation_reason,
        greatest(account_clocks.staged_at, account_baseline.staged_at) as staged_at
    from account_clocks
    left join recommended
        on account_clocks.business_id = recommended.business_id
        and account_clocks.time_basis = recommended.time_basis
    left join thin_accounts
        on account_clocks.business_id = thin_accounts.business_id
        and account_clocks.time_basis = thin_accounts.time_basis
    left join account_baseline
        on account_clocks.business_id = account_baseline.business_id
        and account_clocks.time_basis = account_baseline.time_basis
    left join slot_audience
        on recommended.business_id = slot_audience.business_id
        and recommended.time_basis = slot_audience.time_basis
        and recommended.weekday_number = slot_audience.weekday_number
        and recommended.hour_of_day = slot_audience.hour_of_day
)

select * from final
