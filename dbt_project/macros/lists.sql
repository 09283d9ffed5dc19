{#-
    Lists in the marts, written once for every warehouse.

    unnest_values(list): in a select list, one row per value of a list column (a null or empty list gives none).
    text_list(expression, order_by, distinct): the aggregate of a group's values as one text, ', '-separated, in the
    order of `order_by` (with distinct, each value once and `order_by` must be the expression itself).

    text_array(values): a text[] literal of a Jinja list of strings.
-#}
{% macro unnest_values(list) -%}{{ return(adapter.dispatch('unnest_values')(list)) }}{%- endmacro %}
{% macro default__unnest_values(list) -%}unnest({{ list }}){%- endmacro %}
{% macro spark__unnest_values(list) -%}explode({{ list }}){%- endmacro %}

{% macro text_list(expression, order_by, distinct=false) -%}
    {{ return(adapter.dispatch('text_list')(expression, order_by, distinct)) }}
{%- endmacro %}

{% macro default__text_list(expression, order_by, distinct=false) -%}
    string_agg({{ 'distinct ' if distinct }}{{ expression }}, ', ' order by {{ order_by }})
{%- endmacro %}

{#- Spark collects the values with their sort key and sorts the array. -#}
{% macro spark__text_list(expression, order_by, distinct=false) -%}
    {%- if distinct -%}
    array_join(array_sort(collect_set({{ expression }})), ', ')
    {%- else -%}
    array_join(
        transform(array_sort(collect_list(named_struct('key', {{ order_by }}, 'value', {{ expression }}))), entry -> entry.value),
        ', '
    )
    {%- endif -%}
{%- endmacro %}


{% macro text_array(values) -%}{{ return(adapter.dispatch('text_array')(values)) }}{%- endmacro %}
{% macro default__text_array(values) -%}
    cast(array[{% for value in values %}'{{ value }}'{{ ', ' if not loop.last }}{% endfor %}] as text[])
{%- endmacro %}
{% macro spark__text_array(values) -%}
    cast(array({% for value in values %}'{{ value }}'{{ ', ' if not loop.last }}{% endfor %}) as array<string>)
{%- endmacro %}
