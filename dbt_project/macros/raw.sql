{#-
    Reading the raw payloads, written once for every warehouse.

    DuckDB reads the landing files themselves (`raw_file_glob`, the layout of tiktok_api/landing.py).
    PostgreSQL reads the raw tables the platform loads them into (tiktok_api/raw_postgres.py, one jsonb row
    per page): raw_tiktok.<stream>. Spark reads the landing files too, through text tables over their folders
    (create_raw_tables).

    All parse the JSON with the explicit types of `raw_records` (macros/raw_schema.sql, generated from
    tiktok_api/raw_schema.py): a field the API adds is ignored, a field it drops arrives as null, so neither
    breaks the build. Only complete fetches are read (a fetch that
    broke off stays in raw for the record). Incremental runs read only the partition window (DuckDB prunes the hive
    folders by the `date` filter, as Spark does; PostgreSQL filters on partition_date).

    raw_pages(stream) gives one row per page of every complete fetch: the fetch metadata plus the top-level
    fields of the page's `data` as columns. Lists are unnested with unnest_list, whose rows expose an entry's
    fields as `<alias>_<field>` columns on every warehouse.
-#}

{% macro raw_record_fields(record) -%}
    {%- if record.startswith('share:') -%}
    {{ return([(record[6:], 'text'), ('percentage', 'double')]) }}
    {%- endif -%}
    {%- set records = raw_records() -%}
    {%- if record not in records -%}
    {{ exceptions.raise_compiler_error("unknown raw record " ~ record) }}
    {%- endif -%}
    {{ return(records[record]) }}
{%- endmacro %}


{#- DuckDB: the type of a field (a list of records is a list of structs). -#}
{% macro duckdb_raw_type(field_type) -%}
    {%- if field_type.startswith('list:') -%}
    STRUCT(
        {%- for name, type in raw_record_fields(field_type[5:]) -%}
        "{{ name }}" {{ duckdb_raw_type(type) }}{% if not loop.last %}, {% endif %}
        {%- endfor -%}
    )[]
    {%- else -%}
    {{ {'text': 'VARCHAR', 'bigint': 'BIGINT', 'integer': 'INTEGER', 'double': 'DOUBLE', 'boolean': 'BOOLEAN',
        'date': 'DATE', 'timestamptz': 'TIMESTAMPTZ'}[field_type] }}
    {%- endif -%}
{%- endmacro %}

{#- Spark: the type of a field in from_json's schema (a list of records is an array of structs). -#}
{% macro spark_raw_type(field_type) -%}
    {%- if field_type.startswith('list:') -%}
    array<struct<
        {%- for name, type in raw_record_fields(field_type[5:]) -%}
        `{{ name }}`: {{ spark_raw_type(type) }}{% if not loop.last %}, {% endif %}
        {%- endfor -%}
    >>
    {%- else -%}
    {{ {'text': 'string', 'integer': 'int', 'timestamptz': 'timestamp'}.get(field_type, field_type) }}
    {%- endif -%}
{%- endmacro %}

{% macro postgres_raw_type(field_type) -%}
    {{ 'jsonb' if field_type.startswith('list:') else {'double': 'double precision'}.get(field_type, field_type) }}
{%- endmacro %}


{#- PostgreSQL: the column definition list of a record (its lists stay jsonb until they are unnested). -#}
{% macro postgres_raw_columns(record) -%}
    {%- for name, type in raw_record_fields(record) -%}
    "{{ name }}" {{ postgres_raw_type(type) }}
    {%- if not loop.last %}, {% endif %}
    {%- endfor -%}
{%- endmacro %}


{#-
    The partition window of this run, [first day, day after the last], or none: the dbt asset passes it as the
    environment variables TIKTOK_DBT_MIN_DATE and TIKTOK_DBT_MAX_DATE (end exclusive). Environment variables,
    not --vars: a change of vars makes dbt re-parse the whole project (seconds per run), while these are read
    only when a model or test runs, never while parsing (callers check is_incremental() or execute first).
-#}
{% macro partition_window() -%}
    {%- set first, last = env_var('TIKTOK_DBT_MIN_DATE', ''), env_var('TIKTOK_DBT_MAX_DATE', '') -%}
    {{ return([first, last] if first and last else none) }}
{%- endmacro %}


{#- Whether this run reads only the partition window (an incremental run with a window given). -#}
{% macro reads_window() -%}
    {{ return(is_incremental() and partition_window() is not none) }}
{%- endmacro %}


{% macro raw_pages(stream) -%}
    {{ return(adapter.dispatch('raw_pages')(stream)) }}
{%- endmacro %}


{#- No fetch of this stream has landed yet (e.g. a first backfill of days too old for snapshots): an empty
    relation of the same columns, so that the build goes on. -#}
{% macro empty_raw_pages(stream, type_of) -%}
    select
        cast(null as {{ text_type() }}) as business_id,
        cast(null as date) as partition_date,
        cast(null as {{ text_type() }}) as fetch_id,
        cast(null as {{ timestamptz_type() }}) as landed_at,
        cast(null as {{ text_type() }}) as fetch_source,
        cast(null as {{ text_type() }}) as endpoint,
        cast(null as {{ text_type() }}) as request_id
        {%- for name, type in raw_record_fields(stream) %},
        cast(null as {{ type_of(type) }}) as {{ adapter.quote(name) }}
        {%- endfor %}
    where false
{%- endmacro %}


{% macro default__raw_pages(stream) -%}
    {%- set pattern = raw_file_glob(stream) -%}
    {%- if execute and not raw_files_exist(pattern) %}
    {{ empty_raw_pages(stream, duckdb_raw_type) }}
    {%- else %}
    select
        files.business_id,
        files.partition_date,
        files.fetch_id,
        files.landed_at,
        files.source as fetch_source,
        pages.page.endpoint as endpoint,
        pages.page.request_id as request_id
        {%- for name, type in raw_record_fields(stream) %},
        pages.page.response.data."{{ name }}" as "{{ name }}"
        {%- endfor %}
    from (
        -- the window filter sits next to read_json, before the unnest: only there does DuckDB prune the
        -- hive folders (after a lateral unnest it parses every file of history, docs/benchmarks.md)
        select *
        from read_json(
            '{{ pattern }}',
            columns = {
                {%- for name, type in raw_fetch_header() %}
                {{ name }}: '{{ duckdb_raw_type(type) }}',
                {%- endfor %}
                pages: 'STRUCT(endpoint VARCHAR, request_id VARCHAR, response STRUCT(code INTEGER, data STRUCT(
                    {%- for name, type in raw_record_fields(stream) -%}
                    "{{ name }}" {{ duckdb_raw_type(type) }}{% if not loop.last %}, {% endif %}
                    {%- endfor -%}
                )))[]'
            },
            hive_partitioning = true,
            hive_types = {
                {%- for key, type in raw_partition_keys().items() %}
                '{{ key }}': {{ duckdb_raw_type(type) }}{% if not loop.last %},{% endif %}
                {%- endfor %}
            },
            format = 'auto'
        ) as fetches
        where complete
        {%- if reads_window() %}
          and "date" >= '{{ partition_window()[0] }}' and "date" < '{{ partition_window()[1] }}'
        {%- endif %}
        {{- not_quarantined('fetches.business_id', 'fetches.partition_date') }}
    ) as files,
    unnest(files.pages) as pages(page)
    {%- endif %}
{%- endmacro %}



{% macro postgres__raw_pages(stream) -%}
    {%- set raw_table = source('tiktok_raw', stream) -%}
    {%- if execute and adapter.get_relation(raw_table.database, raw_table.schema, raw_table.identifier) is none %}
    {{ empty_raw_pages(stream, postgres_raw_type) }}
    {%- else %}
    select
        raw.business_id,
        raw.partition_date,
        raw.fetch_id,
        raw.landed_at,
        raw.fetch_source,
        raw.endpoint,
        raw.request_id
        {%- for name, type in raw_record_fields(stream) %},
        data."{{ name }}"
        {%- endfor %}
    from {{ raw_table }} as raw,
        jsonb_to_record(raw.payload -> 'data') as data({{ postgres_raw_columns(stream) }})
    where raw.complete
    {%- if reads_window() %}
      and raw.partition_date >= '{{ partition_window()[0] }}' and raw.partition_date < '{{ partition_window()[1] }}'
    {%- endif %}
    {{- not_quarantined('raw.business_id', 'raw.partition_date') }}
    {%- endif %}
{%- endmacro %}


{#-
    Spark: the raw tables over the landing folders (create_raw_tables below) hold each fetch file as one line of
    text, partitioned by the folders' `date` and `account` (a window filter prunes folders before any file is
    read), and from_json parses a fetch with the same explicit types as the other warehouses.
-#}
{% macro spark__raw_pages(stream) -%}
    select
        files.fetch.business_id as business_id,
        files.fetch.partition_date as partition_date,
        files.fetch.fetch_id as fetch_id,
        files.fetch.landed_at as landed_at,
        files.fetch.source as fetch_source,
        pages.page.endpoint as endpoint,
        pages.page.request_id as request_id
        {%- for name, type in raw_record_fields(stream) %},
        pages.page.response.data.{{ adapter.quote(name) }} as {{ adapter.quote(name) }}
        {%- endfor %}
    from (
        select from_json(raw.value, '
            {%- for name, type in raw_fetch_header() %}`{{ name }}` {{ spark_raw_type(type) }}, {% endfor -%}
            pages array<struct<endpoint: string, request_id: string, response: struct<code: int, data: struct<
            {%- for name, type in raw_record_fields(stream) -%}
            `{{ name }}`: {{ spark_raw_type(type) }}{% if not loop.last %}, {% endif %}
            {%- endfor -%}
            >>>>') as fetch
        from {{ source('tiktok_raw', stream) }} as raw
        {%- if reads_window() %}
        where raw.`date` >= '{{ partition_window()[0] }}' and raw.`date` < '{{ partition_window()[1] }}'
        {%- endif %}
    ) as files
    lateral view explode(files.fetch.pages) pages as page
    where files.fetch.complete
    {{- not_quarantined('files.fetch.business_id', 'files.fetch.partition_date') }}
{%- endmacro %}


{#-
    One row per entry of the list column `list_column` of `relation`: the `columns` of `relation` and the entry's
    fields (those of `record`) as columns named `<alias>_<field>`. A null or empty list gives no row.

    DuckDB unnests in the select list. Written as a lateral join (`from t, unnest(t.list)`), a filter from outside
    the query (a mart's staged_at watermark, a data test's window) does not reach the table below the unnest once
    a CTE or a union sits in between: DuckDB 2.0 then unnests every row of the table first, seconds instead of
    milliseconds on a year of history (docs/decisions.md). PostgreSQL pushes such filters through its lateral
    joins.
-#}
{% macro unnest_list(relation, list_column, alias, record, columns) -%}
    {{ return(adapter.dispatch('unnest_list')(relation, list_column, alias, record, columns)) }}
{%- endmacro %}

{% macro default__unnest_list(relation, list_column, alias, record, columns) -%}
    (
        select
            {%- for column in columns %}
            {{ column }},
            {%- endfor %}
            {%- for name, type in raw_record_fields(record) %}
            {{ alias }}.{{ adapter.quote(name) }} as {{ alias }}_{{ name }}{% if not loop.last %},{% endif %}
            {%- endfor %}
        from (
            select {% for column in columns %}{{ column }}, {% endfor %}unnest({{ list_column }}) as {{ alias }}
            from {{ relation }}
        ) as {{ alias }}_rows
    )
{%- endmacro %}

{% macro postgres__unnest_list(relation, list_column, alias, record, columns) -%}
    (
        select
            {%- for column in columns %}
            listed.{{ column }},
            {%- endfor %}
            {%- for name, type in raw_record_fields(record) %}
            {{ alias }}."{{ name }}" as {{ alias }}_{{ name }}{% if not loop.last %},{% endif %}
            {%- endfor %}
        from {{ relation }} as listed,
            jsonb_to_recordset(listed.{{ list_column }}) as {{ alias }}({{ postgres_raw_columns(record) }})
    )
{%- endmacro %}


{% macro spark__unnest_list(relation, list_column, alias, record, columns) -%}
    (
        select
            {%- for column in columns %}
            {{ alias }}_rows.{{ column }},
            {%- endfor %}
            {%- for name, type in raw_record_fields(record) %}
            {{ alias }}.{{ adapter.quote(name) }} as {{ alias }}_{{ name }}{% if not loop.last %},{% endif %}
            {%- endfor %}
        from {{ relation }} as {{ alias }}_rows
        lateral view explode({{ alias }}_rows.{{ list_column }}) {{ alias }}_entries as {{ alias }}
    )
{%- endmacro %}


{#- The number of entries of a list field (null for a null list). -#}
{% macro list_length(list_expression) -%}
    {{ return(adapter.dispatch('list_length')(list_expression)) }}
{%- endmacro %}

{% macro default__list_length(list_expression) -%}
    len({{ list_expression }})
{%- endmacro %}

{#- Spark's size() of a null list is -1 unless ANSI mode is on (dbt-spark turns it off). -#}
{% macro spark__list_length(list_expression) -%}
    case when {{ list_expression }} is not null then size({{ list_expression }}) end
{%- endmacro %}

{% macro postgres__list_length(list_expression) -%}
    jsonb_array_length({{ list_expression }})
{%- endmacro %}


{#-
    Leaves out the pages of the account-days a raw ERROR rule quarantined: the table the raw checks write
    (assets/warehouse.py, QUARANTINE_TABLE; expectations/quarantine.py). Before any check has written it, there is
    nothing to leave out.
-#}
{% macro not_quarantined(business_id, partition_date) -%}
    {%- set quarantine = adapter.get_relation(target.database, 'tiktok_quarantine', 'account_days') if execute else none -%}
    {%- if quarantine is not none %}
          and not exists (
              select 1
              from {{ quarantine }} as quarantined
              where quarantined.business_id = {{ business_id }}
                and quarantined.partition_date = {{ partition_date }}
          )
    {%- endif %}
{%- endmacro %}


{#-
    Spark reads the landing zone through one external table per stream (raw_tiktok.<stream>, the source tiktok_raw):
    each fetch file is a line of text, the folders' `date` and `account` are its partitions. Created before every
    run (on-run-start in dbt_project.yml) and synced with the folders on disk (`repair table`), so that a day landed
    since the last run is read. Every stream's folder exists once anything has landed (tiktok_api/landing.py creates
    them all with the first file). The other warehouses need nothing here.
-#}
{% macro create_raw_tables() -%}
    {{ return(adapter.dispatch('create_raw_tables')()) }}
{%- endmacro %}

{% macro default__create_raw_tables() -%}
{%- endmacro %}

{#- Spark runs one statement at a time: the hook runs them itself and leaves nothing to run. -#}
{% macro spark__create_raw_tables() -%}
    {%- if execute -%}
    {%- do run_query('create schema if not exists raw_tiktok') -%}
    {%- for stream in raw_streams() -%}
    {%- do run_query(
        'create table if not exists raw_tiktok.' ~ stream ~ ' (value string, `date` date, account string) '
        ~ 'using text partitioned by (`date`, account) location \'' ~ raw_stream_root(stream) ~ '\''
    ) -%}
    {%- do run_query('repair table raw_tiktok.' ~ stream) -%}
    {%- endfor -%}
    {%- endif -%}
{%- endmacro %}


{% macro raw_files_exist(pattern) -%}
    {%- set result = run_query("select count(*) from glob('" ~ pattern ~ "')") -%}
    {{ return(result.columns[0].values()[0] > 0) }}
{%- endmacro %}


{#-
    The rows of `batch` plus, in an incremental run, the rows the table already holds for the keys the
    batch touches. Picking the newest fetch per key over this union gives the same table whatever order
    the partitions run in, and a full refresh gives the same result as day-by-day runs. Both sides are
    selected by the table's column names, so the union never depends on column order.

    The batch's rows carry `current_timestamp as staged_at` (the dbt run that read them from raw); the rows
    unioned back from the table keep the staged_at they were written with. Marts pick up staging rows by
    staged_at (macros/incremental.sql, staged_after_mart).
-#}
{% macro with_existing_rows(batch, keys) -%}
    {%- if is_incremental() -%}
    {%- set columns = [] -%}
    {%- for column in adapter.get_columns_in_relation(this) -%}{%- do columns.append(adapter.quote(column.name)) -%}{%- endfor -%}
    {%- set column_list = columns | join(', ') %}
    select {{ column_list }} from {{ batch }}
    union all
    select {{ column_list }} from {{ this }} as existing
    where exists (
        select 1 from {{ batch }} as touched
        where {% for key in keys %}touched.{{ key }} = existing.{{ key }}{% if not loop.last %} and {% endif %}{% endfor %}
    )
    {%- else %}
    select * from {{ batch }}
    {%- endif %}
{%- endmacro %}


{#-
    The rows of `relation` from the newest fetch per key: one row per key.

    A fetch the table already holds and the batch reads again (a re-run or a backfill of its partition)
    appears twice in the union with the same values: the copy staged first wins (staged_at ascending), so
    an unchanged row keeps its staged_at and the marts do not process it again. staged_at never changes which
    fetch wins: a full refresh, where all rows share one staged_at, keeps the same fetches.
-#}
{% macro newest_fetch_per(relation, keys) -%}
    {{ return(adapter.dispatch('newest_fetch_per')(relation, keys)) }}
{%- endmacro %}

{% macro default__newest_fetch_per(relation, keys) -%}
    select * from {{ relation }}
    qualify row_number() over (
        partition by {{ keys | join(', ') }} order by landed_at desc, fetch_id desc, staged_at
    ) = 1
{%- endmacro %}

{#- Spark 3.5 has no qualify, nor a select of all columns but one: the newest row per key is the greatest by
    (landed_at, fetch_id, earliest staged_at), kept whole as a struct and expanded again. -#}
{% macro spark__newest_fetch_per(relation, keys) -%}
    select newest.row.*
    from (
        select max_by(struct(*), struct(landed_at, fetch_id, -unix_micros(staged_at))) as row
        from {{ relation }}
        group by {{ keys | join(', ') }}
    ) as newest
{%- endmacro %}

{#- PostgreSQL has no qualify: distinct on picks the first row per key in the same order. -#}
{% macro postgres__newest_fetch_per(relation, keys) -%}
    select distinct on ({{ keys | join(', ') }}) *
    from {{ relation }}
    order by {{ keys | join(', ') }}, landed_at desc, fetch_id desc, staged_at
{%- endmacro %}
