{#-
    Data tests of the large incremental marts look at the partition window only, when one is given: a day's
    tests are a day's work. dbt_project.yml gives every mart test `where: "__partition_window__"`; here, when the
    test runs, that placeholder becomes `<column> >= date '<first day>' and <column> < date '<day after>'` on the
    column the tested model names in its `meta.partition_column`, and the test reads the whole table when the
    model names none (the dims, the small account facts) or no window is given (`make test`, the weekly full
    check). Generic test configs cannot call macros at parse time; overriding get_where_subquery to replace a
    placeholder at run time is dbt's documented way to do this.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') | replace('__partition_window__', partition_window_predicate()) -%}
    {%- if where and where != '1 = 1' -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {% do return(filtered) %}
    {%- else -%}
        {% do return(relation) %}
    {%- endif -%}
{%- endmacro %}


{#- The predicate that keeps the tested model's rows of the window, or `1 = 1`. -#}
{% macro partition_window_predicate() -%}
    {%- set tested = graph.nodes.get(model.attached_node) if model.attached_node else none -%}
    {%- set column = tested.config.meta.get('partition_column') if tested else none -%}
    {%- set window = partition_window() -%}
    {%- if column and window is not none -%}
        {{ column }} >= date '{{ window[0] }}' and {{ column }} < date '{{ window[1] }}'
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}
