{#-
    unnest_list (macros/raw.sql) plus each entry's 1-based position in its list, as `<alias>_position`: for lists
    whose order is information (the brand-mention list is ranked by its order). A null or empty list gives no row.

    DuckDB zips the unnest with generate_subscripts in the same select list (one row per entry, in order);
    PostgreSQL numbers the entries with `with ordinality` before reading each as a record.
-#}
{% macro unnest_list_numbered(relation, list_column, alias, record, columns) -%}
    {{ return(adapter.dispatch('unnest_list_numbered')(relation, list_column, alias, record, columns)) }}
{%- endmacro %}

{% macro default__unnest_list_numbered(relation, list_column, alias, record, columns) -%}
    (
        select
            {%- for column in columns %}
            {{ column }},
            {%- endfor %}
            {%- for name, type in raw_record_fields(record) %}
            {{ alias }}."{{ name }}" as {{ alias }}_{{ name }},
            {%- endfor %}
            {{ alias }}_position
        from (
            select
                {% for column in columns %}{{ column }}, {% endfor %}
                unnest({{ list_column }}) as {{ alias }},
                generate_subscripts({{ list_column }}, 1) as {{ alias }}_position
            from {{ relation }}
        ) as {{ alias }}_rows
    )
{%- endmacro %}

{#- Spark numbers the entries with posexplode (0-based). -#}
{% macro spark__unnest_list_numbered(relation, list_column, alias, record, columns) -%}
    (
        select
            {%- for column in columns %}
            {{ alias }}_rows.{{ column }},
            {%- endfor %}
            {%- for name, type in raw_record_fields(record) %}
            {{ alias }}.{{ adapter.quote(name) }} as {{ alias }}_{{ name }},
            {%- endfor %}
            {{ alias }}_index + 1 as {{ alias }}_position
        from {{ relation }} as {{ alias }}_rows
        lateral view posexplode({{ alias }}_rows.{{ list_column }}) {{ alias }}_entries as {{ alias }}_index, {{ alias }}
    )
{%- endmacro %}

{% macro postgres__unnest_list_numbered(relation, list_column, alias, record, columns) -%}
    (
        select
            {%- for column in columns %}
            listed.{{ column }},
            {%- endfor %}
            {%- for name, type in raw_record_fields(record) %}
            {{ alias }}."{{ name }}" as {{ alias }}_{{ name }},
            {%- endfor %}
            {{ alias }}_entries.position as {{ alias }}_position
        from {{ relation }} as listed
        cross join lateral jsonb_array_elements(listed.{{ list_column }})
            with ordinality as {{ alias }}_entries (entry, position)
        cross join lateral jsonb_to_record({{ alias }}_entries.entry) as {{ alias }}({{ postgres_raw_columns(record) }})
    )
{%- endmacro %}
