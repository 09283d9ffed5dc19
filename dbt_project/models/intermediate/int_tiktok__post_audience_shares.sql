-- One row per post, snapshot day and audience bucket: the five share breakdowns of the day's snapshot
-- (countries and cities: top 10; genders; viewer types; impression sources) unnested into one
-- dimension/value/share shape.

{% set breakdowns = [
    ('country', 'audience_countries', 'country'),
    ('city', 'audience_cities', 'city_name'),
    ('gender', 'audience_genders', 'gender'),
    ('viewer_type', 'audience_types', 'type'),
    ('impression_source', 'impression_sources', 'impression_source'),
] %}

with snapshots as (
    select * from {{ ref('stg_tiktok__post_snapshots') }}
),

{% for dimension, list_field, key in breakdowns %}
{{ dimension }}_shares as (
    select
        item_id,
        business_id,
        snapshot_date,
        cast('{{ dimension }}' as {{ text_type() }}) as dimension,
        entry_{{ key }} as dimension_value,
        entry_percentage as share,
        fetch_id,
        landed_at,
        staged_at
    from {{ unnest_list(
        'snapshots', list_field, 'entry', 'share:' ~ key,
        ['item_id', 'business_id', 'snapshot_date', 'fetch_id', 'landed_at', 'staged_at']
    ) }} as entries
),

{% endfor %}
final as (
    {% for dimension, list_field, key in breakdowns %}
    select * from {{ dimension }}_shares
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select * from final
