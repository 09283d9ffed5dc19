-- One row per account, metric day and UTC hour: the day's active followers by hour, from the same fetch as
-- the day's other metrics (int_tiktok__account_daily_metrics).

with daily_metrics as (
    select * from {{ ref('int_tiktok__account_daily_metrics') }}
),

final as (
    select
        daily_metrics.business_id,
        daily_metrics.metric_date as activity_date,
        -- the API sends the UTC hour as a string "0".."23"
        cast(hour_entry.hour as integer) as hour_utc,
        hour_entry.count as active_followers,
        daily_metrics.landed_at,
        daily_metrics.fetch_id,
        daily_metrics.staged_at
    from daily_metrics,
        {{ unnest_records('daily_metrics.audience_activity', 'hour_entry', 'activity_hour') }}
)

select * from final
