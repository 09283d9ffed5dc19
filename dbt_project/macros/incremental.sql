{#-
    Marts read staging tables, which already hold every fetch's newest rows. An incremental mart run
    takes the staging rows that landed after the newest row the mart holds (a revised day, a re-run
    partition, a new day alike), so any run order gives the table a full refresh would.

    The hour of margin covers a fetch stamped a little before another but renamed into place after it
    (landing and dbt may run at the same time); re-deriving those rows again is harmless with
    delete+insert.
-#}
{% macro landed_after_mart(landed_at_column='landed_at') -%}
    {%- if is_incremental() -%}
    {{ landed_at_column }} > (
        select coalesce(max(landed_at), '1900-01-01'::timestamptz) - interval 1 hour from {{ this }}
    )
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}
