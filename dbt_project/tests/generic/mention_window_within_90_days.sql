{#-
    Rule book: mention_window_within_90_days (expectations/rules.py), WARN. A mentioned post of day `day_column` was
    published (`published_column`, a timestamp) on a UTC day within the `days`-day window ending on that day: not
    before its first day, not after its last. A missing time is not judged. Returns the offending rows.
-#}
{% test mention_window_within_90_days(model, day_column, published_column, days=90) %}
select *
from {{ model }}
where cast({{ utc_wall_clock(published_column) }} as date) < {{ day_column }} - {{ days - 1 }}
    or cast({{ utc_wall_clock(published_column) }} as date) > {{ day_column }}
{% endtest %}
