{#-
    The metric-anomaly score's settings (fct_tiktok_account_metric_anomalies; docs/decisions.md, "Metric
    anomalies"): the trailing window, the threshold, MAD's scale to a standard deviation, and the history a score
    needs.

    anomaly_min_history_days(): TIKTOK_ANOMALY_MIN_HISTORY_DAYS, a whole number from 2 to the window's 28 days
    (default 14). Read when the model runs, never while parsing (like partition_window in raw.sql), so a changed
    value does not re-parse the project; anything else stops the build with a message naming the variable.
-#}
{% macro anomaly_window_days() -%}
    {{ return(28) }}
{%- endmacro %}

{% macro anomaly_threshold() -%}
    {{ return(3.5) }}
{%- endmacro %}

{% macro anomaly_mad_scale() -%}
    {{ return(1.4826) }}
{%- endmacro %}

{% macro anomaly_min_history_days() -%}
    {%- set default = 14 -%}
    {%- if not execute -%}
        {{ return(default) }}
    {%- endif -%}
    {%- set text = env_var('TIKTOK_ANOMALY_MIN_HISTORY_DAYS', '') | trim -%}
    {%- if not text -%}
        {{ return(default) }}
    {%- endif -%}
    {%- if not text.isdigit() or (text | int) < 2 or (text | int) > anomaly_window_days() -%}
        {{ exceptions.raise_compiler_error(
            "TIKTOK_ANOMALY_MIN_HISTORY_DAYS=" ~ text ~ " is not a whole number of days from 2 to "
            ~ anomaly_window_days() ~ " (the trailing window); unset it for the default, " ~ default
        ) }}
    {%- endif -%}
    {{ return(text | int) }}
{%- endmacro %}
