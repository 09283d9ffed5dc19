-- The hashtag extraction dim_tiktok_videos uses (macros/hashtags.sql), on fixed captions: lowercased, each
-- tag once in order of first use, letters of any script, [] without tags, null without a caption. A test of
-- the macro rather than a unit test of the model, because a list fixture cannot be written for PostgreSQL
-- in a unit test's rows. Rows returned are captions whose tags differ from the expected ones.
-- It checks SQL logic, not data (no day's rows can change its result): tagged `sql_logic`, it runs in `make test`
-- (tests/dbt/test_marts.py) and `dbt build`, but not in the daily dbt asset, and it is no Dagster asset check.
{{ config(tags=['sql_logic']) }}
-- depends_on: {{ ref('dim_tiktok_videos') }}

with cases as (
    select
        'Morning #Coffee run #FYP #coffee #small_business!' as caption,
        {{ text_array(['coffee', 'fyp', 'small_business']) }} as expected_hashtags
    union all
    select 'no tags here', {{ text_array([]) }}
    union all
    select 'Crème #Brûlée #日本', {{ text_array(['brûlée', '日本']) }}
    union all
    select '#a#b #A', {{ text_array(['a', 'b']) }}
    union all
    select cast(null as {{ text_type() }}), cast(null as {{ text_array_type() }})
),

extracted as (
    select
        caption,
        expected_hashtags,
        {{ caption_hashtags('caption') }} as hashtags
    from cases
)

select *
from extracted
where hashtags is distinct from expected_hashtags
