-- One row per line of labels.csv that loaded (tiktok_config.post_labels): how many posts and accounts it labels.
-- A line that labels nothing (0 posts) is named by the WARN check labels_match_posts.

with label_lines as (
    select * from {{ source('tiktok_config', 'post_labels') }}
),

videos as (
    select * from {{ ref('dim_tiktok_videos') }}
),

matches as (
    {{ label_line_matches('label_lines', 'videos') }}
),

-- the posts the lines were matched against: the newest of them staged
newest_post as (
    select max(staged_at) as staged_at
    from videos
),

matched as (
    select
        line_number,
        count(*) as posts_matched,
        count(distinct business_id) as accounts_matched
    from matches
    group by line_number
),

final as (
    select
        label_lines.line_number,
        label_lines.match_kind,
        label_lines.match_value,
        label_lines.label,
        coalesce(matched.posts_matched, 0) as posts_matched,
        coalesce(matched.accounts_matched, 0) as accounts_matched,
        newest_post.staged_at
    from label_lines
    cross join newest_post
    left join matched
        on label_lines.line_number = matched.line_number
)

select * from final
