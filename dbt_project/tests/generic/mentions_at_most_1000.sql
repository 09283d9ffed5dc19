{#-
    Rule book: mentions_at_most_1000 (expectations/rules.py), WARN. No `group_by` group (an account-day) holds more
    than `max_rows` rows: TikTok's brand-mention list is capped at 1,000 posts whatever the window. Returns one row
    per offending group with its count.
-#}
{% test mentions_at_most_1000(model, group_by, max_rows=1000) %}
select
    {{ group_by | join(', ') }},
    count(*) as listed_posts
from {{ model }}
group by {{ group_by | join(', ') }}
having count(*) > {{ max_rows }}
{% endtest %}
