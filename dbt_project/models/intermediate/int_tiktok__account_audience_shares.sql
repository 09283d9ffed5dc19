-- One row per account, snapshot day and audience bucket (ages, genders, countries, cities): the audience
-- lists of the day's snapshot unnested. No list for accounts under 100 followers.

{% set dimensions = [
    ('age', 'audience_ages', 'age'),
    ('gender', 'audience_genders', 'gender'),
    ('country', 'audience_countries', 'country'),
    ('city', 'audience_cities', 'city_name'),
] %}

with snapshots as (
    select * from {{ ref('stg_tiktok__account_snapshots') }}
),

{% for dimension, list_field, key in dimensions %}
{{ dimension }}_shares as (
    select
        business_id,
        snapshot_date,
        cast('{{ dimension }}' as {{ text_type() }}) as dimension,
        entry_{{ key }} as dimension_value,
        entry_percentage as share,
        landed_at,
        fetch_id,
        staged_at
    from {{ unnest_list(
        'snapshots', list_field, 'entry', 'share:' ~ key,
        ['business_id', 'snapshot_date', 'landed_at', 'fetch_id', 'staged_at']
    ) }} as entries
),

{% endfor %}
final as (
    {% for dimension, list_field, key in dimensions %}
    select * from {{ dimension }}_shares
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select * from final
