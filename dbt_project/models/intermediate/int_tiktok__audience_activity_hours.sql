-- One row per account, metric day and UTC hour: the day's active followers by hour, from the same fetch as
-- the day's other metrics (int_tiktok__account_daily_metrics).

with daily_metrics as (
    select * from {{ ref('int_tiktok__account_daily_metrics') }}
),

final as (
    select
        business_id,
        metric_date as activity_date,
        -- the API sends the UTC hour as a string "0".."23"
        cast(hour_entry_hour as integer) as hour_utc,
        hour_entry_count as active_followers,
        landed_at,
        fetch_id,
        staged_at
    from {{ unnest_list(
        'daily_metrics', 'audience_activity', 'hour_entry', 'activity_hour',
        ['business_id', 'metric_date', 'landed_at', 'fetch_id', 'staged_at']
    ) }} as hours
)

select * from final
