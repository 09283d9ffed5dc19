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
    How a model built incrementally merges a run's rows into its table: the run's rows replace the table's rows of
    the keys they bring (unique_key), the other rows stay. DuckDB and PostgreSQL delete those keys and insert the
    run's rows (delete+insert). Spark's Parquet tables can neither delete nor merge: they are partitioned by day
    (day_partitions), and a run rewrites only the days it touches (insert_overwrite, get_insert_overwrite_sql below).
-#}
{% macro replace_keys_strategy() -%}
    {{ return('insert_overwrite' if target.type == 'spark' else 'delete+insert') }}
{%- endmacro %}

{#- The column a model's Spark table is partitioned by: a folder per day. DuckDB and PostgreSQL tables have none. -#}
{% macro day_partitions(day_column) -%}
    {{ return([day_column] if target.type == 'spark' else none) }}
{%- endmacro %}


{#-
    Spark's insert_overwrite with delete+insert's result (this overrides dbt-spark's macro of the same name). The days
    rewritten are the days of the run's rows and, where the key does not hold the day (a comment's last_seen_date
    moves), the days the table holds those keys on. Each is rewritten with the run's rows and the table's rows of the
    day's other keys. dbt-spark sets partitionOverwriteMode to dynamic, so the days not touched are not rewritten. The
    run's rows (a temporary view) are computed once, cached, before the statement reads them three times.
-#}
{% macro get_insert_overwrite_sql(source_relation, target_relation, existing_relation) %}
    {%- set keys = config.get('unique_key') -%}
    {%- set keys = [keys] if keys is string else keys -%}
    {%- set days = config.get('partition_by') -%}
    {%- if not keys or not days or (days is not string and days | length != 1) -%}
    {%- do exceptions.raise_compiler_error(
        model.name ~ ': insert_overwrite here needs a unique_key and one day column in partition_by (day_partitions)'
    ) -%}
    {%- endif -%}
    {%- set day = days if days is string else days[0] -%}
    {%- set columns = adapter.get_columns_in_relation(target_relation) | map(attribute='quoted') | join(', ') -%}
    {%- set same_key -%}
        {%- for key in keys %}run.{{ key }} = held.{{ key }}{% if not loop.last %} and {% endif %}{% endfor -%}
    {%- endset -%}
    {%- do run_query('cache table ' ~ source_relation) -%}
    insert overwrite table {{ target_relation }} {{ partition_cols(label="partition") }}
    select {{ columns }} from {{ source_relation }}
    union all
    select {{ columns }} from {{ target_relation }} as held
    where held.{{ day }} in (
        select {{ day }} from {{ source_relation }}
        {%- if day not in keys %}
        union
        select held.{{ day }} from {{ target_relation }} as held
        where exists (select 1 from {{ source_relation }} as run where {{ same_key }})
        {%- endif %}
    )
    and not exists (select 1 from {{ source_relation }} as run where {{ same_key }})
{% endmacro %}


{#-
    Spark: a day-partitioned table whose run wrote no row has no file to read its columns from, and lists its day
    column last. This post-hook writes an empty Parquet file of the model's columns, in the model's order, to the
    table folder's `_columns` (Spark skips folders named with `_`), from which the platform reads the table through
    DuckDB (assets/warehouse.py).
-#}
{% macro spark_columns_file() -%}
    {%- if target.type == 'spark' and config.get('partition_by') and execute -%}
    {%- set names = model.columns.keys() | list if config.get('contract').enforced else [] -%}
    insert overwrite directory '{{ spark_warehouse_dir() }}/{{ this.schema }}.db/{{ this.identifier }}/_columns' using parquet
    select {{ names | join(', ') if names else '*' }} from {{ this }} where false
    {%- endif -%}
{%- endmacro %}
