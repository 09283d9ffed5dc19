{#-
    Industry benchmarks (stg_tiktok__benchmarks, marts/insights/fct_tiktok_account_benchmarks and
    fct_tiktok_account_percentiles; docs/decisions.md, "Industry benchmarks").
-#}

{#- The days of a trailing window: TikTok's benchmark averages cover the 30 days ending on their day
    (tiktok_api/contract.py, BENCHMARK_WINDOW_DAYS; tests/dbt/test_marts.py checks both agree), and the accounts'
    own figures are taken over the same days. -#}
{% macro benchmark_window_days() -%}
    30
{%- endmacro %}


{#- The follower-size band of a follower count: half-open bands, each ten times the one before; null when the count
    is unknown. -#}
{% macro follower_band(followers) -%}
    case
        when {{ followers }} is null then null
        when {{ followers }} < 1000 then 'under 1K'
        when {{ followers }} < 10000 then '1K to 10K'
        when {{ followers }} < 100000 then '10K to 100K'
        when {{ followers }} < 1000000 then '100K to 1M'
        else '1M and over'
    end
{%- endmacro %}
