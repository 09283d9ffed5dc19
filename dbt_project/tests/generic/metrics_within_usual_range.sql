{#-
    Rule book: metrics_within_usual_range (expectations/rules.py), WARN, a performance rule: no account metric of
    the newest partition day is an anomaly (`flag`, true beyond the threshold of the robust score;
    fct_tiktok_account_metric_anomalies). The newest day is the last day of the partition window when one is
    given (a daily run: its day; a backfill: its last day, so that history does not alert again), else the newest
    `date_column` of the table (the weekly full check). Returns one row per anomalous account metric of that day.
-#}
{% test metrics_within_usual_range(model, date_column, flag, columns=[]) %}
{%- set window = partition_window() if execute else none %}

with in_window as (
    select * from {{ model }}
    {%- if window is not none %}
    where {{ date_column }} >= date '{{ window[0] }}' and {{ date_column }} < date '{{ window[1] }}'
    {%- endif %}
),

newest as (
    select max({{ date_column }}) as newest_day from in_window
)

select {{ (columns | join(', ')) if columns else '*' }}
from in_window
where {{ flag }}
    and {{ date_column }} = (select newest_day from newest)
{% endtest %}
