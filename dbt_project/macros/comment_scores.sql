{#-
    The comment text scores the asset tiktok_comment_scores writes (assets/enrichment.py, tiktok_api/comment_scores.py;
    the table COMMENT_SCORES_TABLE of assets/warehouse.py). A model that reads them names the source in a
    `-- depends_on:` comment, so that Dagster orders the asset before it.
-#}

{#- The key of a text's score: SHA-256 of its UTF-8 bytes as lower-case hex, a null text read as the empty text
    (tiktok_api/comment_scores.py, text_hash). -#}
{% macro text_hash(text_expression) -%}
    {{ return(adapter.dispatch('text_hash')(text_expression)) }}
{%- endmacro %}

{% macro default__text_hash(text_expression) -%}
    sha256(coalesce({{ text_expression }}, ''))
{%- endmacro %}

{% macro spark__text_hash(text_expression) -%}
    sha2(coalesce({{ text_expression }}, ''), 256)
{%- endmacro %}

{% macro postgres__text_hash(text_expression) -%}
    encode(sha256(convert_to(coalesce({{ text_expression }}, ''), 'UTF8')), 'hex')
{%- endmacro %}


{#- The scores, or no rows of the same columns while the table does not exist (nothing scored yet: every
    comment then reads as 'not scored'). -#}
{% macro comment_text_scores() -%}
    {%- set scores = source('tiktok_enrichment', 'comment_text_scores') -%}
    {#- in a unit test the source is the test's fixture, a CTE of the query itself -#}
    {%- set is_fixture = (scores | string).startswith('__dbt__cte__') -%}
    {%- if is_fixture or (execute and adapter.get_relation(scores.database, scores.schema, scores.identifier) is not none) %}
    select text_hash, language, sentiment_label, sentiment_compound, sentiment_null_reason
    from {{ scores }}
    {%- else %}
    select
        cast(null as {{ text_type() }}) as text_hash,
        cast(null as {{ text_type() }}) as language,
        cast(null as {{ text_type() }}) as sentiment_label,
        cast(null as {{ double_type() }}) as sentiment_compound,
        cast(null as {{ text_type() }}) as sentiment_null_reason
    where false
    {%- endif %}
{%- endmacro %}
