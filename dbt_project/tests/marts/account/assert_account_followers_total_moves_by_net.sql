{{ config(severity='warn') }}
-- Quality rule: follower totals move by about the net (warn). A day-over-day change of followers_total far
-- from net_followers means the per-day followers_count is not the end-of-day total (see docs/decisions.md):
-- e.g. it is the day's gain after all. Tolerance: 10 followers or 0.1% of the total, whichever is larger.
with account_daily as (
    select * from {{ ref('fct_tiktok_account_daily') }}
),

day_over_day as (
    select
        business_id,
        metric_date,
        followers_total,
        net_followers,
        followers_total - lag(followers_total) over (partition by business_id order by metric_date) as total_change,
        metric_date - lag(metric_date) over (partition by business_id order by metric_date) as days_since_previous
    from account_daily
),

final as (
    select *
    from day_over_day
    where days_since_previous = 1
      and abs(total_change - net_followers) > greatest(10, 0.001 * followers_total)
)

select * from final
