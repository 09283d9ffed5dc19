{#-
    Rule book: values_in_domain (expectations/rules.py), WARN. Enumerated and bounded values stay in their
    domain: `accepted_values` (column -> the values it may take), `ranges` (column -> {min, max}, either bound
    optional), `required` (attributes that must be present) and `one_of_required` (columns of which at least one
    must be present: a row whose values are all missing, such as a day with every metric null, is not data). A
    missing value is judged only when required. One scan per model; returns the offending rows.
-#}
{% test values_in_domain(model, accepted_values={}, ranges={}, required=[], one_of_required=[]) %}
select *
from {{ model }}
where false
    {%- for column, values in accepted_values.items() %}
    or {{ column }} not in ({% for value in values %}'{{ value | replace("'", "''") }}'{% if not loop.last %}, {% endif %}{% endfor %})
    {%- endfor %}
    {%- for column, bounds in ranges.items() %}
    {%- if bounds.get('min') is not none %}
    or {{ column }} < {{ bounds['min'] }}
    {%- endif %}
    {%- if bounds.get('max') is not none %}
    or {{ column }} > {{ bounds['max'] }}
    {%- endif %}
    {%- endfor %}
    {%- for column in required %}
    or {{ column }} is null
    {%- endfor %}
    {%- if one_of_required %}
    or ({% for column in one_of_required %}{{ column }} is null{% if not loop.last %} and {% endif %}{% endfor %})
    {%- endif %}
{% endtest %}
