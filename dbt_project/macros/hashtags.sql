{#-
    The hashtags of a caption: the word characters after each '#' (letters of any script, digits, '_'),
    lowercased, each tag once in order of first use; null when the caption is missing, [] when it has no
    tags. A text[] on every warehouse.

    PostgreSQL's [[:alnum:]] follows the database's character type: on a UTF-8 ctype (e.g. C.UTF-8) it
    takes letters of every script, as DuckDB's \p{L} does; it does not take combining marks (\p{M}), so a tag
    written with a combining accent ends at the mark there (docs/decisions.md).
-#}
{% macro caption_hashtags(caption) -%}
    {{ return(adapter.dispatch('caption_hashtags')(caption)) }}
{%- endmacro %}

{% macro default__caption_hashtags(caption) -%}
    {%- set tags -%}
    list_transform(regexp_extract_all({{ caption }}, '#([\p{L}\p{M}\p{N}_]+)', 1), lambda tag: lower(tag))
    {%- endset %}
    cast(list_filter({{ tags }}, lambda tag, position: list_position({{ tags }}, tag) = position) as {{ text_array_type() }})
{%- endmacro %}

{#- Spark: Java's regular expressions know the same Unicode classes; array_distinct keeps first uses in order. -#}
{% macro spark__caption_hashtags(caption) -%}
    array_distinct(transform(regexp_extract_all({{ caption }}, '#([\\p{L}\\p{M}\\p{N}_]+)', 1), tag -> lower(tag)))
{%- endmacro %}

{% macro postgres__caption_hashtags(caption) -%}
    case when {{ caption }} is not null then array(
        select tags.tag
        from (
            select lower(found.match[1]) as tag, found.position
            from regexp_matches({{ caption }}, '#([[:alnum:]_]+)', 'g') with ordinality as found(match, position)
        ) as tags
        group by tags.tag
        order by min(tags.position)
    ) end
{%- endmacro %}
