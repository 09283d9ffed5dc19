-- One row per post and label: the team's labels (labels.csv, loaded into tiktok_config.post_labels) on the posts
-- they match, each label once per post however many lines match it, with how it matched. Rebuilt whole on every
-- run: a line added today labels the posts of every day.

with label_lines as (
    select * from {{ source('tiktok_config', 'post_labels') }}
),

videos as (
    select * from {{ ref('dim_tiktok_videos') }}
),

matches as (
    {{ label_line_matches('label_lines', 'videos') }}
),

final as (
    select
        item_id,
        business_id,
        label,
        {{ text_list('match_kind', 'match_kind', distinct=true) }} as matched_by,
        {{ text_list('cast(line_number as ' ~ text_type() ~ ')', 'line_number') }} as label_lines,
        min(line_number) as first_label_line,
        max(staged_at) as staged_at
    from matches
    group by item_id, business_id, label
)

select * from final
