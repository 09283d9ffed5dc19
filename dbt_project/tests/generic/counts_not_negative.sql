{#-
    Rule book: counts_not_negative (expectations/rules.py). None of the count `columns` is below 0 (a missing
    count is not judged). One scan per model; returns the offending rows.
-#}
{% test counts_not_negative(model, columns) %}
select *
from {{ model }}
where {% for column in columns %}{{ column }} < 0{% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}
