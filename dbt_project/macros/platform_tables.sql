{#-
    The tables the platform itself writes and dbt reads (assets/warehouse.py, PLATFORM_TABLES): the account-days the
    raw checks quarantined (macros/raw.sql, not_quarantined) and the comment text scores (macros/comment_scores.sql).
    On DuckDB and PostgreSQL the platform creates them on first use, and dbt reads them once they exist. On Spark they
    are Parquet files the platform writes under the warehouse folder (_Spark in assets/warehouse.py): this hook
    declares them as tables over their folders before every run (on-run-start in dbt_project.yml), with the columns of
    the platform's statements in Spark's types. A folder not written yet reads as an empty table.
-#}
{% macro create_platform_tables() -%}
    {{ return(adapter.dispatch('create_platform_tables')()) }}
{%- endmacro %}

{% macro default__create_platform_tables() -%}
{%- endmacro %}

{#- Spark runs one statement at a time: the hook runs them itself and leaves nothing to run. -#}
{% macro spark__create_platform_tables() -%}
    {%- if execute -%}
    {%- do spark_parquet_table('tiktok_quarantine', 'account_days',
        'business_id string, partition_date date, asset string, rule_id string, offending_rows bigint, '
        ~ 'quarantined_at timestamp') -%}
    {%- do spark_parquet_table('tiktok_enrichment', 'comment_text_scores',
        'text_hash string, language string, sentiment_label string, sentiment_compound double, '
        ~ 'sentiment_null_reason string, scorer string, scored_partition date, scored_at timestamp') -%}
    {%- endif -%}
{%- endmacro %}


{#- A Parquet table of `columns` over the folder <warehouse>/<schema>.db/<name>, where the platform writes it
    (Spark's file tables take no not null). -#}
{% macro spark_parquet_table(schema, name, columns) -%}
    {%- do run_query('create schema if not exists ' ~ schema) -%}
    {%- do run_query(
        'create table if not exists ' ~ schema ~ '.' ~ name ~ ' (' ~ columns ~ ') using parquet location \''
        ~ spark_warehouse_dir() ~ '/' ~ schema ~ '.db/' ~ name ~ '\''
    ) -%}
{%- endmacro %}


{#- The folder of the Spark warehouse's tables (profiles.yml, spark.sql.warehouse.dir). -#}
{% macro spark_warehouse_dir() -%}
    {{ return(env_var('TIKTOK_SPARK_WAREHOUSE', env_var('TIKTOK_DATA_DIR', '../data') ~ '/spark/warehouse')) }}
{%- endmacro %}
