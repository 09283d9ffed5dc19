{#-
    Rule book: times_are_possible (expectations/rules.py), WARN. Nothing is seen before it exists: `checks` is a
    list of {column, not_before, from, key}: the model's timestamp `column` (when the row's fetch landed) is never
    before the timestamp `not_before`, read from the same row, or from the ref `from` joined on `key` when given.
    A missing value is not judged here (values_in_domain requires the attributes). The model's rows may be the
    partition window's (macros/test_window.sql); `from` is read whole. Returns one row per impossible value: the
    checked column and value, and the time it must not precede.
-#}
{% test times_are_possible(model, checks) %}
with checked as (
    select * from {{ model }}
)

{% for check in checks -%}
{%- set bound = 'bound_' ~ loop.index if check.get('from') else 'checked' -%}
select
    cast('{{ check['column'] }}' as {{ text_type() }}) as checked_column,
    cast(checked.{{ check['column'] }} as {{ text_type() }}) as checked_value,
    cast('{{ check['not_before'] }}' as {{ text_type() }}) as not_before_column,
    cast({{ bound }}.{{ check['not_before'] }} as {{ text_type() }}) as not_before_value
from checked
{%- if check.get('from') %}
inner join {{ check['from'] }} as {{ bound }} on {{ bound }}.{{ check['key'] }} = checked.{{ check['key'] }}
{%- endif %}
where checked.{{ check['column'] }} < {{ bound }}.{{ check['not_before'] }}
{% if not loop.last %}union all
{% endif -%}
{%- endfor %}
{% endtest %}
