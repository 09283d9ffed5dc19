-- Where each account stands among the team's own accounts (an agency's clients), per day and metric: the percent
-- rank of its trailing-30-day figure (fct_tiktok_account_benchmarks) among every account's, and among the accounts of
-- its follower-size band (macros/benchmarks.sql, follower_band; docs/decisions.md, "Industry benchmarks"). Higher is
-- better for every metric, so 1 is the top. An account without the figure is not ranked; a rank among one account
-- alone says nothing, so it is null. A table, rebuilt whole on every run.

with figures as (
    select * from {{ ref('fct_tiktok_account_benchmarks') }}
),

{%- set metrics = [
    'followers_total',
    'follower_growth_rate_30d',
    'videos_posted_30d',
    'likes_per_video_30d',
    'comments_per_video_30d',
    'shares_per_video_30d',
    'video_views_30d',
    'engagement_rate_30d',
] %}

metric_values as (
    {%- for metric in metrics %}
    select
        business_id,
        metric_date,
        followers_total,
        '{{ metric }}' as metric_name,
        cast({{ metric }} as {{ double_type() }}) as metric_value,
        staged_at
    from figures
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

banded as (
    select
        *,
        {{ follower_band('followers_total') }} as follower_band
    from metric_values
),

ranked as (
    select
        *,
        count(metric_value) over (partition by metric_date, metric_name) as accounts_ranked,
        count(metric_value) over (partition by metric_date, metric_name, follower_band) as accounts_ranked_in_band,
        -- the accounts without the figure rank apart (and are left out below)
        percent_rank() over (
            partition by metric_date, metric_name, metric_value is null order by metric_value
        ) as rank_among_all,
        percent_rank() over (
            partition by metric_date, metric_name, follower_band, metric_value is null order by metric_value
        ) as rank_in_band
    from banded
),

final as (
    select
        business_id,
        metric_date,
        metric_name,
        metric_value,
        follower_band,
        cast(accounts_ranked as integer) as accounts_ranked,
        cast(case when follower_band is not null then accounts_ranked_in_band else 0 end as integer)
            as accounts_ranked_in_band,
        case when metric_value is not null and accounts_ranked > 1 then rank_among_all end as percent_rank,
        case
            when metric_value is not null and follower_band is not null and accounts_ranked_in_band > 1
                then rank_in_band
        end as percent_rank_in_band,
        staged_at
    from ranked
)

select * from final
