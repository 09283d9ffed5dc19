-- One row per post, shaped like the post-level rollup of Fivetran's social_media_reporting package
-- (social_media_reporting__rollup_report): the same column names, order and types, platform 'tiktok', so TikTok
-- unions with other platforms' organic posts (docs/bi.md, docs/decisions.md "Cross-platform rollup"). Unlike that
-- package, a figure TikTok does not report stays null: missing is not zero.

with videos as (
    select * from {{ ref('dim_tiktok_videos') }}
),

accounts as (
    select * from {{ ref('dim_tiktok_accounts') }}
),

-- the post's click counters of the same snapshot the dim shows (dim_tiktok_videos does not carry them)
snapshot_clicks as (
    select
        item_id,
        snapshot_date,
        website_clicks,
        phone_number_clicks,
        email_clicks,
        address_clicks,
        app_download_clicks
    from {{ ref('stg_tiktok__post_snapshots') }}
),

final as (
    select
        -- UTC wall-clock time, without a zone, as the package's platforms give it
        {{ utc_wall_clock('videos.published_at') }} as created_timestamp,
        videos.item_id as post_id,
        videos.caption as post_message,
        videos.business_id as page_id,
        coalesce(accounts.display_name, accounts.username) as page_name,
        videos.share_url as post_url,
        cast('tiktok' as {{ text_type() }}) as platform,
        -- Business-only counters: null for a Personal account's post, which reports none of them
        case
            when coalesce(
                snapshot_clicks.website_clicks, snapshot_clicks.phone_number_clicks, snapshot_clicks.email_clicks,
                snapshot_clicks.address_clicks, snapshot_clicks.app_download_clicks
            ) is not null
                then coalesce(snapshot_clicks.website_clicks, 0) + coalesce(snapshot_clicks.phone_number_clicks, 0)
                    + coalesce(snapshot_clicks.email_clicks, 0) + coalesce(snapshot_clicks.address_clicks, 0)
                    + coalesce(snapshot_clicks.app_download_clicks, 0)
        end as clicks,
        -- TikTok reports plays, not impressions: a view is the post shown and started, as Instagram's views are
        -- to the package
        videos.video_views as impressions,
        videos.likes,
        videos.shares,
        videos.comments,
        videos.staged_at
    from videos
    left join accounts
        on videos.business_id = accounts.business_id
    left join snapshot_clicks
        on videos.item_id = snapshot_clicks.item_id
        and videos.latest_snapshot_date = snapshot_clicks.snapshot_date
)

select * from final
