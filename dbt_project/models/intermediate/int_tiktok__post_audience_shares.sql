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
        snapshots.item_id,
        snapshots.business_id,
        snapshots.snapshot_date,
        cast('{{ dimension }}' as text) as dimension,
        entry.{{ key }} as dimension_value,
        entry.percentage as share,
        snapshots.fetch_id,
        snapshots.landed_at,
        snapshots.staged_at
    from snapshots,
        {{ unnest_records('snapshots.' ~ list_field, 'entry', 'share:' ~ key) }}
),

{% endfor %}
final as (
    {% for dimension, list_field, key in breakdowns %}
    select * from {{ dimension }}_shares
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select * from final
