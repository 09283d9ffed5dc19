{#-
    Clocks, written once for every warehouse. Instants are timestamps with time zone on DuckDB and PostgreSQL, and
    Spark timestamps (instants, shown in the session's UTC: profiles.yml) on Spark. Wall clocks are timestamps without
    time zone, Spark's timestamp_ntz.

    utc_wall_clock(instant): the UTC wall clock of an instant (a timestamp without time zone).
    local_wall_clock(time_zone, instant): its wall clock in an IANA time zone.
    utc_instant(wall_clock): the instant a UTC wall clock names.
-#}
{% macro utc_wall_clock(instant) -%}{{ return(adapter.dispatch('utc_wall_clock')(instant)) }}{%- endmacro %}
{% macro default__utc_wall_clock(instant) -%}timezone('UTC', {{ instant }}){%- endmacro %}
{% macro spark__utc_wall_clock(instant) -%}cast({{ instant }} as timestamp_ntz){%- endmacro %}

{% macro local_wall_clock(time_zone, instant) -%}
    {{ return(adapter.dispatch('local_wall_clock')(time_zone, instant)) }}
{%- endmacro %}
{% macro default__local_wall_clock(time_zone, instant) -%}timezone({{ time_zone }}, {{ instant }}){%- endmacro %}
{% macro spark__local_wall_clock(time_zone, instant) -%}
    cast(from_utc_timestamp({{ instant }}, {{ time_zone }}) as timestamp_ntz)
{%- endmacro %}

{% macro utc_instant(wall_clock) -%}{{ return(adapter.dispatch('utc_instant')(wall_clock)) }}{%- endmacro %}
{% macro default__utc_instant(wall_clock) -%}timezone('UTC', {{ wall_clock }}){%- endmacro %}
{% macro spark__utc_instant(wall_clock) -%}cast({{ wall_clock }} as timestamp){%- endmacro %}
