{#-
    Rule book: references_resolve (expectations/rules.py), WARN. Every reference of the model resolves:
    `references` is a list of {column, to, field}: each non-null `column` value exists as `field` in `to` (a
    ref). The model's rows may be the partition window's (macros/test_window.sql); `to` is read whole. Returns
    one row per unresolved value: the referencing column, the value, and how many rows carry it.
-#}
{% test references_resolve(model, references) %}
with
{%- for reference in references %}
referencing_{{ loop.index }} as (
    select {{ reference['column'] }} as value
    from {{ model }}
    where {{ reference['column'] }} is not null
),

referenced_{{ loop.index }} as (
    select {{ reference['field'] }} as value
    from {{ reference['to'] }}
),

unresolved_{{ loop.index }} as (
    select
        cast('{{ reference['column'] }}' as {{ text_type() }}) as referencing_column,
        cast(referencing.value as {{ text_type() }}) as unresolved_value,
        count(*) as rows_referencing_it
    from referencing_{{ loop.index }} as referencing
    where not exists (
        select 1 from referenced_{{ loop.index }} as referenced where referenced.value = referencing.value
    )
    group by referencing.value
){% if not loop.last %},{% endif %}
{%- endfor %}

{% for reference in references -%}
select * from unresolved_{{ loop.index }}
{% if not loop.last %}union all
{% endif -%}
{%- endfor %}
{% endtest %}
