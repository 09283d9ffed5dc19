-- Quality rule: daily net followers = new - lost (error). Returns the days where the API's net disagrees.
with account_daily as (
    select * from {{ ref('fct_tiktok_account_daily') }}
),

final as (
    select business_id, metric_date, new_followers, lost_followers, net_followers, net_followers_computed
    from account_daily
    where net_followers <> net_followers_computed
)

select * from final
