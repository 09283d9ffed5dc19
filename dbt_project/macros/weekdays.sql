{#-
    Weekdays, written once for every warehouse (the posting-time marts).

    iso_weekday(timestamp): 1 (Monday) to 7 (Sunday) of a timestamp without time zone (a wall clock: UTC or
    local), as an integer on both warehouses (extract gives a bigint on DuckDB and a numeric on PostgreSQL).

    weekday_abbreviation(number): 'Mon' .. 'Sun' for an ISO weekday number, in English whatever the database's
    locale (to_char and strftime would follow it).
-#}
{% macro iso_weekday(timestamp) -%}
    {{ return(adapter.dispatch('iso_weekday')(timestamp)) }}
{%- endmacro %}

{% macro default__iso_weekday(timestamp) -%}
    cast(extract(isodow from {{ timestamp }}) as integer)
{%- endmacro %}

{% macro spark__iso_weekday(timestamp) -%}
    cast(extract(dayofweek_iso from {{ timestamp }}) as integer)
{%- endmacro %}

{% macro weekday_abbreviation(number) -%}
    case {{ number }}
        when 1 then 'Mon'
        when 2 then 'Tue'
        when 3 then 'Wed'
        when 4 then 'Thu'
        when 5 then 'Fri'
        when 6 then 'Sat'
        when 7 then 'Sun'
    end
{%- endmacro %}
