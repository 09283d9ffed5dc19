{#-
    Durations and percentiles, written once for every warehouse (the reply-queue and response-time marts).

    hours_between(start, end): the hours from `start` to `end` (timestamps with time zone) as double precision,
    negative when `end` is earlier. Both warehouses count whole microseconds as an integer and divide once, so
    DuckDB and PostgreSQL give the same double to the last bit (PostgreSQL's extract(epoch) is numeric, DuckDB's
    a double: dividing those would differ in the last digit on some rows, and the marts are compared row for row).
-#}
{% macro hours_between(start, end) -%}
    {{ return(adapter.dispatch('hours_between')(start, end)) }}
{%- endmacro %}

{% macro default__hours_between(start, end) -%}
    cast(
        cast((extract(epoch from {{ end }}) - extract(epoch from {{ start }})) * 1000000 as bigint)
        as double precision
    ) / 3600000000.0
{%- endmacro %}

{% macro spark__hours_between(start, end) -%}
    cast(unix_micros({{ end }}) - unix_micros({{ start }}) as double) / 3600000000.0
{%- endmacro %}

{% macro duckdb__hours_between(start, end) -%}
    cast(epoch_us({{ end }}) - epoch_us({{ start }}) as {{ double_type() }}) / 3600000000.0
{%- endmacro %}


{#- days_between(start, end): the days from the date `start` to the date `end`, an integer (Spark's date difference is an
    interval). -#}
{% macro days_between(start, end) -%}{{ return(adapter.dispatch('days_between')(start, end)) }}{%- endmacro %}
{% macro default__days_between(start, end) -%}({{ end }} - {{ start }}){%- endmacro %}
{% macro spark__days_between(start, end) -%}datediff({{ end }}, {{ start }}){%- endmacro %}


{#-
    continuous_percentile(expression, fraction): the aggregate percentile of `expression` with linear
    interpolation between the two nearest values (fraction 0.5: the median); nulls are ignored, and a group
    without a value gives null. The SQL standard's ordered-set aggregate on PostgreSQL (and most warehouses);
    DuckDB's own quantile_cont, the function DuckDB rewrites the standard form to.
-#}
{% macro continuous_percentile(expression, fraction) -%}
    {{ return(adapter.dispatch('continuous_percentile')(expression, fraction)) }}
{%- endmacro %}

{% macro default__continuous_percentile(expression, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{#- Spark's exact percentile interpolates linearly as percentile_cont does. -#}
{% macro spark__continuous_percentile(expression, fraction) -%}
    percentile({{ expression }}, {{ fraction }})
{%- endmacro %}

{% macro duckdb__continuous_percentile(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}
