{{ config(
    materialized='incremental',
    unique_key=['business_id', 'snapshot_date'],
    incremental_strategy='delete+insert',
) }}
-- depends_on: {{ source('tiktok_raw', 'account') }}

with pages as (
    {{ raw_pages('account') }}
),

{% set dimensions = [
    ('age', 'audience_ages', 'age'),
    ('gender', 'audience_genders', 'gender'),
    ('country', 'audience_countries', 'country'),
    ('city', 'audience_cities', 'city_name'),
] %}

shares as (
    {% for dimension, list_field, key in dimensions %}
    select
        pages.business_id,
        pages.partition_date as snapshot_date,
        cast('{{ dimension }}' as text) as dimension,
        entry.{{ key }} as dimension_value,
        entry.percentage as share,
        pages.landed_at,
        pages.fetch_id,
        current_timestamp as staged_at
    from pages,
        {{ unnest_records('pages.' ~ list_field, 'entry', 'share:' ~ key) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

candidates as (
    {{ with_existing_rows('shares', ['business_id', 'snapshot_date']) }}
),

final as (
    {{ newest_fetch_per('candidates', ['business_id', 'snapshot_date'], all_rows_of_fetch=true) }}
)

select * from final
