{#-
    The SQL types the models cast to, by warehouse: the standard's names on DuckDB and PostgreSQL (the marts'
    contracts name them), Spark's own where it has no such name. A model writes `cast(x as {{ text_type() }})`
    where it would write `cast(x as {{ text_type() }})`.
-#}
{% macro text_type() -%}{{ return(adapter.dispatch('text_type')()) }}{%- endmacro %}
{% macro default__text_type() -%}text{%- endmacro %}
{% macro spark__text_type() -%}string{%- endmacro %}

{% macro double_type() -%}{{ return(adapter.dispatch('double_type')()) }}{%- endmacro %}
{% macro default__double_type() -%}double precision{%- endmacro %}
{% macro spark__double_type() -%}double{%- endmacro %}

{#- Spark's timestamp is an instant shown in the session's time zone (UTC, profiles.yml): the same values. -#}
{% macro timestamptz_type() -%}{{ return(adapter.dispatch('timestamptz_type')()) }}{%- endmacro %}
{% macro default__timestamptz_type() -%}timestamp with time zone{%- endmacro %}
{% macro spark__timestamptz_type() -%}timestamp{%- endmacro %}

{% macro text_array_type() -%}{{ return(adapter.dispatch('text_array_type')()) }}{%- endmacro %}
{% macro default__text_array_type() -%}text[]{%- endmacro %}
{% macro spark__text_array_type() -%}array<string>{%- endmacro %}


{#- The instant `seconds` (epoch seconds, a bigint) names. -#}
{% macro epoch_seconds_timestamp(seconds) -%}{{ return(adapter.dispatch('epoch_seconds_timestamp')(seconds)) }}{%- endmacro %}
{% macro default__epoch_seconds_timestamp(seconds) -%}to_timestamp({{ seconds }}){%- endmacro %}
{% macro spark__epoch_seconds_timestamp(seconds) -%}timestamp_seconds({{ seconds }}){%- endmacro %}


{#-
    The marts' contracts name the standard's types (text, double precision, timestamp with time zone, text[]), which
    DuckDB and PostgreSQL report as such. On Spark the contract is checked against Spark's names for the same types:
    dbt builds the expected schema from this query (dbt's get_empty_schema_sql, overridden for Spark only).
-#}
{% macro spark_contract_type(data_type) -%}
    {%- set name = data_type | trim | lower -%}
    {{- return({
        'text': 'string', 'double precision': 'double', 'timestamp with time zone': 'timestamp',
        'timestamptz': 'timestamp', 'timestamp without time zone': 'timestamp_ntz', 'timestamp': 'timestamp_ntz', 'text[]': 'array<string>', 'integer': 'int',
    }.get(name, name)) -}}
{%- endmacro %}

{% macro spark__get_empty_schema_sql(columns) -%}
    select
    {%- for name in columns %}
        cast(null as {{ spark_contract_type(columns[name]['data_type']) }}) as {{ columns[name]['name'] }}
        {{- ", " if not loop.last }}
    {%- endfor %}
{%- endmacro %}
