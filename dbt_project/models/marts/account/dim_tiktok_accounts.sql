with profiles as (
    select * from {{ ref('stg_tiktok__account_snapshots') }}
),

snapshots_ranked as (
    select
        *,
        min(snapshot_date) over (partition by business_id) as first_snapshot_date,
        -- the row draws on all the account's snapshots (first_snapshot_date), so it takes their newest staged_at
        max(staged_at) over (partition by business_id) as last_staged_at,
        row_number() over (
            partition by business_id order by snapshot_date desc, landed_at desc, fetch_id desc
        ) as snapshot_recency
    from profiles
),

final as (
    select
        business_id,
        username,
        display_name,
        bio_description,
        profile_deep_link,
        profile_image_url,
        is_verified,
        is_business_account,
        -- is_business_account needs the user.account.type scope; without it the API leaves the field out, and a
        -- field the scope does not grant never blocks a day: the type is 'unknown' (docs/decisions.md)
        case
            when is_business_account then 'business'
            when not is_business_account then 'personal'
            else 'unknown'
        end as account_type,
        followers_count,
        following_count,
        total_likes,
        videos_count,
        -- TikTok gives audience insights only from 100 followers on
        followers_count >= 100 as is_eligible_for_audience_insights,
        has_audience_data,
        first_snapshot_date,
        snapshot_date as latest_snapshot_date,
        fetch_id,
        landed_at,
        last_staged_at as staged_at
    from snapshots_ranked
    where snapshot_recency = 1
)

select * from final
