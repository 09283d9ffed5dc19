-- Metric anomalies: per account, day and metric (views, net followers, engagement rate, profile views), the
-- day's value against the same metric's median and MAD over the 28 days before it, and a robust score
-- (value - median) / (1.4826 * MAD). Definitions and the reasons for the window, threshold and minimum history:
-- docs/decisions.md ("Metric anomalies"). A table rebuilt whole on every run: a revised day (the API revises up
-- to 48 h later) changes the history of the 28 days after it.
{%- set window_days = anomaly_window_days() %}
{%- set threshold = anomaly_threshold() %}
{%- set min_history_days = anomaly_min_history_days() %}

with account_daily as (
    select * from {{ ref('fct_tiktok_account_daily') }}
),

-- one row per account, day and metric: the long form the score is computed on
metric_values as (
    select business_id, metric_date, 'video_views' as metric, cast(video_views as {{ double_type() }}) as metric_value, staged_at
    from account_daily
    union all
    select business_id, metric_date, 'net_followers', cast(net_followers as {{ double_type() }}), staged_at
    from account_daily
    union all
    select business_id, metric_date, 'engagement_rate', engagement_rate, staged_at
    from account_daily
    union all
    select business_id, metric_date, 'profile_views', cast(profile_views as {{ double_type() }}), staged_at
    from account_daily
),

-- a day's history: the same metric's values on the {{ window_days }} days before it, the day itself left out (a
-- spike must not move its own baseline); days without a value do not count
history as (
    select
        days.business_id,
        days.metric_date,
        days.metric,
        past.metric_value,
        past.staged_at
    from metric_values as days
    inner join metric_values as past
        on past.business_id = days.business_id
        and past.metric = days.metric
        and past.metric_date >= days.metric_date - {{ window_days }}
        and past.metric_date < days.metric_date
    where past.metric_value is not null
),

medians as (
    select
        business_id,
        metric_date,
        metric,
        count(*) as history_days,
        {{ continuous_percentile('metric_value', 0.5) }} as history_median,
        max(staged_at) as history_staged_at
    from history
    group by business_id, metric_date, metric
),

-- the median absolute deviation: the median of the history's distances from its median
mads as (
    select
        history.business_id,
        history.metric_date,
        history.metric,
        {{ continuous_percentile('abs(history.metric_value - medians.history_median)', 0.5) }} as history_mad
    from history
    inner join medians
        on history.business_id = medians.business_id
        and history.metric_date = medians.metric_date
        and history.metric = medians.metric
    group by history.business_id, history.metric_date, history.metric
),

described as (
    select
        metric_values.business_id,
        metric_values.metric_date,
        metric_values.metric,
        metric_values.metric_value,
        coalesce(medians.history_days, 0) as history_days,
        medians.history_median,
        mads.history_mad,
        -- never a guess: no score without a value, without {{ min_history_days }} days of history, or when
        -- more than half the history equals its median (MAD 0: any other value would score infinite)
        case
            when metric_values.metric_value is null then 'no value'
            when medians.history_days is null then 'no history'
            when medians.history_days < {{ min_history_days }} then 'thin history'
            when mads.history_mad = 0 then 'no spread in history'
        end as score_null_reason,
        greatest(metric_values.staged_at, medians.history_staged_at) as staged_at
    from metric_values
    left join medians
        on metric_values.business_id = medians.business_id
        and metric_values.metric_date = medians.metric_date
        and metric_values.metric = medians.metric
    left join mads
        on metric_values.business_id = mads.business_id
        and metric_values.metric_date = mads.metric_date
        and metric_values.metric = mads.metric
),

scored as (
    select
        *,
        case
            when score_null_reason is null
                then (metric_value - history_median)
                    / (cast({{ anomaly_mad_scale() }} as {{ double_type() }}) * history_mad)
        end as robust_score
    from described
),

final as (
    select
        business_id,
        metric_date,
        metric,
        metric_value,
        history_days,
        history_median,
        history_mad,
        robust_score,
        score_null_reason,
        coalesce(abs(robust_score) > {{ threshold }}, false) as is_anomaly,
        case
            when robust_score > {{ threshold }} then 'spike'
            when robust_score < -{{ threshold }} then 'drop'
        end as direction,
        staged_at
    from scored
)

select * from final
