{#-
    Rule book: share_in_unit_interval (expectations/rules.py). Every share or rate of `columns` lies within
    [0, 1] (NaN sorts above every number in DuckDB and PostgreSQL, so it fails too); a missing one is not judged,
    except in the `required` columns (e.g. the share of an audience bucket, which exists only with its share).
    One scan per model; returns the offending rows.
-#}
{% test share_in_unit_interval(model, columns, required=[]) %}
select *
from {{ model }}
where {% for column in columns %}{{ column }} < 0 or {{ column }} > 1{% if not loop.last %} or {% endif %}{% endfor %}
    {%- for column in required %}
    or {{ column }} is null
    {%- endfor %}
{% endtest %}
