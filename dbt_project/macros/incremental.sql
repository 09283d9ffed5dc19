{#-
    Marts read staging tables, which already hold every fetch's newest rows. An incremental mart run
    takes the staging rows staged after the newest row the mart holds (a revised day, a re-run partition,
    a backfilled old day, a new day alike), so any run order gives the table a full refresh would.

    The watermark is staged_at, not landed_at: landed_at is when the landing process wrote the raw file,
    and partitions can be built out of order (a backfill of old days after newer ones), so rows that
    landed long ago can reach staging after the mart has moved past them. staged_at is stamped by the
    dbt run that wrote the row into staging, and dbt runs that write the warehouse are serialised (one
    DuckDB writer, a Dagster pool of limit 1), so a row staged by this run is always newer than anything
    the mart has already seen: no margin is needed. A staging row that did not change keeps its staged_at
    (macros/raw.sql), so the marts do not reprocess it.
-#}
{% macro staged_after_mart(staged_at_column='staged_at') -%}
    {%- if is_incremental() and (this | string).startswith('__dbt__cte__') -%}
    {#- a unit test: `this` is a fixture in the query itself -#}
    {{ staged_at_column }} > (select coalesce(max(staged_at), '1900-01-01'::timestamptz) from {{ this }})
    {%- elif is_incremental() -%}
    {#- the watermark as a literal, read first: a comparison with a subquery is not pushed below the unnest of an
        intermediate view, a literal is (macros/raw.sql, unnest_list) -#}
    {%- set newest = run_query('select cast(max(staged_at) as ' ~ text_type() ~ ') from ' ~ this).columns[0].values()[0] -%}
    {%- if newest is none -%}
    true
    {%- else -%}
    {{ staged_at_column }} > cast('{{ newest }}' as {{ timestamptz_type() }})
    {%- endif -%}
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}


{#-
    The materialization of the models built incrementally (each run merges its partition window into the table).
    DuckDB and PostgreSQL delete the keys a run brings and insert them (delete+insert). Spark's Parquet tables
    have neither delete nor merge: there these models are rebuilt whole on every run (docs/deployment.md, "Apache Spark").
-#}
{% macro incremental_or_table() -%}
    {{ return('table' if target.type == 'spark' else 'incremental') }}
{%- endmacro %}
