{#-
    Labels and hashtags, written once for every warehouse (the label and hashtag marts, docs/decisions.md "Labels").

    label_line_matches(label_lines, videos): one row per label line of tiktok_config.post_labels and post of
    dim_tiktok_videos it matches (line_number, match_kind, label, item_id, business_id and the post's staged_at),
    given the two relations
    (the models' import CTEs). A post id or URL line matches its post; a hashtag line the posts whose caption
    hashtags hold the tag; a caption line the posts whose caption is ILIKE its pattern (tiktok_api/team_config.py
    makes the pattern: '%' for '*', a literal '%', '_' or '\' escaped with '\', which both warehouses take as the
    escape character only when told so).
-#}
{% macro label_line_matches(label_lines, videos) -%}
    select
        {{ label_lines }}.line_number,
        {{ label_lines }}.match_kind,
        {{ label_lines }}.label,
        {{ videos }}.item_id,
        {{ videos }}.business_id,
        {{ videos }}.staged_at
    from {{ label_lines }}
    inner join {{ videos }}
        on {{ label_lines }}.item_id = {{ videos }}.item_id
    where {{ label_lines }}.match_kind in ('post_id', 'url')

    union all

    select
        {{ label_lines }}.line_number,
        {{ label_lines }}.match_kind,
        {{ label_lines }}.label,
        post_hashtags.item_id,
        post_hashtags.business_id,
        post_hashtags.staged_at
    from {{ label_lines }}
    inner join (
        -- each tag once per post already (caption_hashtags)
        select item_id, business_id, staged_at, {{ unnest_values('hashtags') }} as hashtag
        from {{ videos }}
    ) as post_hashtags
        on {{ label_lines }}.hashtag = post_hashtags.hashtag
    where {{ label_lines }}.match_kind = 'hashtag'

    union all

    select
        {{ label_lines }}.line_number,
        {{ label_lines }}.match_kind,
        {{ label_lines }}.label,
        {{ videos }}.item_id,
        {{ videos }}.business_id,
        {{ videos }}.staged_at
    from {{ label_lines }}
    inner join {{ videos }}
        on {{ caption_like(videos ~ '.caption', label_lines ~ '.caption_like') }}
    where {{ label_lines }}.match_kind = 'caption'
{%- endmacro %}


{#-
    post_day_performance(daily, videos): one row per post and snapshot day (fct_tiktok_video_daily, `daily`) with
    what the day adds: the gains since the previous snapshot, and on a post's first snapshot its lifetime figures
    when it was published at most a day before that snapshot's day (everything it has, it gained since publishing:
    a new post's first day is not lost); a first snapshot of an older post (the data folder's first days, a
    tracked old post) gains nothing known (null). With the lifetime views and completion rate as of the day, and
    whether the post was published (UTC) that day. `videos` is dim_tiktok_videos (published_at).
-#}
{% macro post_day_performance(daily, videos) -%}
    {%- set is_new_post -%}
        cast({{ utc_wall_clock(videos ~ '.published_at') }} as date) >= {{ daily }}.snapshot_date - 1
    {%- endset -%}
    select
        {{ daily }}.item_id,
        {{ daily }}.business_id,
        {{ daily }}.snapshot_date,
        cast({{ utc_wall_clock(videos ~ '.published_at') }} as date) = {{ daily }}.snapshot_date as is_published_on_day,
        {{ daily }}.video_views,
        {{ daily }}.full_video_watched_rate,
        {%- for metric in ['video_views', 'likes', 'comments', 'shares', 'new_followers'] %}
        case
            when {{ daily }}.previous_snapshot_date is not null then {{ daily }}.{{ metric }}_gained
            when {{ is_new_post }} then {{ daily }}.{{ metric }}
        end as {{ metric }}_gained,
        {%- endfor %}
        {{ daily }}.staged_at
    from {{ daily }}
    inner join {{ videos }}
        on {{ daily }}.item_id = {{ videos }}.item_id
{%- endmacro %}


{#-
    performance_measures(): the measures of a group of post_day_performance rows (one post once per group and day):
    posts, posts published that day, lifetime views as of the day, the day's gains, engagement rate over the day's
    views, and the view-weighted completion rate. Sums are cast to bigint (DuckDB sums bigints to a 128-bit integer,
    PostgreSQL to numeric); the weighted completion is summed exactly (decimal) and divided once, so both warehouses
    give the same double, whatever order they add the rows in.
-#}
{% macro performance_measures() -%}
        count(*) as posts,
        count(case when is_published_on_day then 1 end) as posts_published,
        cast(sum(video_views) as bigint) as video_views,
        cast(sum(video_views_gained) as bigint) as video_views_gained,
        cast(sum(likes_gained + comments_gained + shares_gained) as bigint) as engagements_gained,
        cast(sum(likes_gained + comments_gained + shares_gained) as {{ double_type() }})
            / nullif(cast(sum(video_views_gained) as {{ double_type() }}), 0) as engagement_rate,
        cast(sum(cast(full_video_watched_rate * video_views as decimal(38, 6))) as {{ double_type() }})
            / nullif(cast(sum(case when full_video_watched_rate is not null then video_views end) as {{ double_type() }}), 0)
            as completion_rate,
        cast(sum(new_followers_gained) as bigint) as new_followers_gained,
        max(staged_at) as staged_at
{%- endmacro %}


{#- Whether a caption matches a line's like pattern, case-insensitively, a backslash escaping % and _ (Spark's like
    escapes with it by default). -#}
{% macro caption_like(caption, pattern) -%}{{ return(adapter.dispatch('caption_like')(caption, pattern)) }}{%- endmacro %}
{% macro default__caption_like(caption, pattern) -%}{{ caption }} ilike {{ pattern }} escape '\'{%- endmacro %}
{% macro spark__caption_like(caption, pattern) -%}{{ caption }} ilike {{ pattern }}{%- endmacro %}
