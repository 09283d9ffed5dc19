{#-
    Rule book: keys_unique_not_null (expectations/rules.py). The model's key (`columns`, together) is never null
    and never repeated, and the columns that identify a row besides its key (`required`: the owning account, a
    staging row's fetch) are set. One query per model, whatever the number of columns. Returns one row per
    offending key: rows with a missing column (rows_with_this_key = 1 each) and keys held by several rows.
-#}
{% test keys_unique_not_null(model, columns, required=[]) %}
with checked as (
    select {{ (columns + required) | join(', ') }}
    from {{ model }}
),

missing as (
    select {{ columns | join(', ') }}, cast(1 as bigint) as rows_with_this_key, cast('null' as {{ text_type() }}) as problem
    from checked
    where {% for column in columns + required %}{{ column }} is null{% if not loop.last %} or {% endif %}{% endfor %}
),

duplicated as (
    select {{ columns | join(', ') }}, count(*) as rows_with_this_key, cast('duplicate' as {{ text_type() }}) as problem
    from checked
    where {% for column in columns %}{{ column }} is not null{% if not loop.last %} and {% endif %}{% endfor %}
    group by {{ columns | join(', ') }}
    having count(*) > 1
)

select * from missing
union all
select * from duplicated
{% endtest %}
