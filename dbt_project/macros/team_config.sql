{#-
    The team's configuration tables (the source tiktok_config): the assets tiktok_account_settings and
    tiktok_post_labels load accounts.csv and labels.csv into them (tiktok_api/team_config.py, assets/team_config.py).
    dbt creates them empty when they do not exist yet, before every run (on-run-start in dbt_project.yml), so that a
    build never depends on those assets having run: no file, or no load yet, reads as nothing configured. The
    statements are those of TEAM_CONFIG_DDL in assets/warehouse.py (tests/assets/test_team_config.py compares the
    tables both make).
-#}
{% macro create_team_config_tables() -%}
    {{ return(adapter.dispatch('create_team_config_tables')()) }}
{%- endmacro %}

{% macro default__create_team_config_tables() -%}
    create schema if not exists tiktok_config;
    create table if not exists tiktok_config.account_settings (
        business_id text not null,
        time_zone text,
        business_category text
    );
    create table if not exists tiktok_config.post_labels (
        line_number integer not null,
        match_kind text not null,
        match_value text not null,
        item_id text,
        hashtag text,
        caption_like text,
        label text not null
    )
{%- endmacro %}


{#- Spark: Parquet tables of the same columns in Spark's types, where the platform writes the team's files
    (macros/platform_tables.sql). -#}
{% macro spark__create_team_config_tables() -%}
    {%- if execute -%}
    {%- do spark_parquet_table('tiktok_config', 'account_settings',
        'business_id string, time_zone string, business_category string') -%}
    {%- do spark_parquet_table('tiktok_config', 'post_labels',
        'line_number int, match_kind string, match_value string, item_id string, hashtag string, '
        ~ 'caption_like string, label string') -%}
    {%- endif -%}
{%- endmacro %}
