{{ config(severity='warn') }}
-- Quality rule: accounts under 100 followers get no audience insights; audience data for them is a
-- contradiction (warn: the follower count may have just crossed 100 between the profile and the breakdown).
with accounts as (
    select * from {{ ref('dim_tiktok_accounts') }}
),

final as (
    select business_id, username, followers_count, has_audience_data
    from accounts
    where not is_eligible_for_audience_insights
      and has_audience_data
)

select * from final
