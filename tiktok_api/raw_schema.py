"""The raw record schema: the one declaration of the fields and types of every API record the platform lands.

Everything that parses raw payloads takes its types from here: the dbt macros (rendered into
`dbt_project/macros/raw_schema.sql` by `python -m tiktok_api.raw_schema`, a test keeps that file current),
the raw quality datasets (`expectations/datasets.py`) and the PostgreSQL column definition lists. A field the
API adds is ignored and a field it drops arrives as null, so neither breaks a reader.

Types: text, bigint, integer, double, boolean, date, or `list:<record>` for a list of records; a record
`share:<key>` is the {<key>, percentage} entry of a share list.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tiktok_api import landing

_COMMENT: list[tuple[str, str]] = [
    ("comment_id", "text"),
    ("video_id", "text"),
    ("parent_comment_id", "text"),
    ("user_id", "text"),
    ("unique_identifier", "text"),
    ("username", "text"),
    ("display_name", "text"),
    ("profile_image", "text"),
    ("text", "text"),
    ("image_url", "text"),
    ("create_time", "text"),
    ("likes", "bigint"),
    ("replies", "bigint"),
    ("owner", "boolean"),
    ("liked", "boolean"),
    ("pinned", "boolean"),
    ("status", "text"),
]

RECORDS: dict[str, list[tuple[str, str]]] = {
    # /business/get/ data
    "account": [
        ("username", "text"),
        ("display_name", "text"),
        ("profile_image", "text"),
        ("bio_description", "text"),
        ("is_verified", "boolean"),
        ("is_business_account", "boolean"),
        ("profile_deep_link", "text"),
        ("followers_count", "bigint"),
        ("following_count", "bigint"),
        ("total_likes", "bigint"),
        ("videos_count", "bigint"),
        ("audience_ages", "list:share:age"),
        ("audience_genders", "list:share:gender"),
        ("audience_countries", "list:share:country"),
        ("audience_cities", "list:share:city_name"),
        ("metrics", "list:account_metric"),
    ],
    "account_metric": [
        ("date", "date"),
        ("video_views", "bigint"),
        ("unique_video_views", "bigint"),
        ("profile_views", "bigint"),
        ("likes", "bigint"),
        ("comments", "bigint"),
        ("shares", "bigint"),
        ("followers_count", "bigint"),
        ("daily_new_followers", "bigint"),
        ("daily_lost_followers", "bigint"),
        ("daily_total_followers", "bigint"),
        ("engaged_audience", "bigint"),
        ("bio_link_clicks", "bigint"),
        ("email_clicks", "bigint"),
        ("address_clicks", "bigint"),
        ("phone_number_clicks", "bigint"),
        ("app_download_clicks", "bigint"),
        ("lead_submissions", "bigint"),
        ("audience_activity", "list:activity_hour"),
    ],
    "activity_hour": [("hour", "text"), ("count", "bigint")],
    # /business/video/list/ data
    "videos": [("videos", "list:video")],
    "video": [
        ("item_id", "text"),
        ("create_time", "text"),
        ("caption", "text"),
        ("media_type", "text"),
        ("is_ad", "boolean"),
        ("thumbnail_url", "text"),
        ("share_url", "text"),
        ("embed_url", "text"),
        ("video_duration", "double"),
        ("video_views", "bigint"),
        ("reach", "bigint"),
        ("likes", "bigint"),
        ("comments", "bigint"),
        ("shares", "bigint"),
        ("favorites", "bigint"),
        ("total_time_watched", "double"),
        ("average_time_watched", "double"),
        ("full_video_watched_rate", "double"),
        ("new_followers", "bigint"),
        ("profile_views", "bigint"),
        ("website_clicks", "bigint"),
        ("phone_number_clicks", "bigint"),
        ("lead_submissions", "bigint"),
        ("app_download_clicks", "bigint"),
        ("email_clicks", "bigint"),
        ("address_clicks", "bigint"),
        ("impression_sources", "list:share:impression_source"),
        ("audience_countries", "list:share:country"),
        ("audience_cities", "list:share:city_name"),
        ("audience_genders", "list:share:gender"),
        ("audience_types", "list:share:type"),
        ("video_view_retention", "list:share:second"),
        ("engagement_likes", "list:share:second"),
    ],
    # /business/comment/list/ and /business/comment/reply/list/ data
    "comments": [("comments", "list:comment")],
    "comment": [*_COMMENT, ("reply_list", "list:reply")],
    "reply": _COMMENT,
    # /business/mention/video/list/ data: the list's order is the rank, so the page's cursor (the offset after
    # it) is kept to place each page's posts
    "mentions": [("videos", "list:mention"), ("cursor", "bigint")],
    "mention": [
        ("item_id", "text"),
        ("create_time", "text"),
        ("video_link", "text"),
        ("caption", "text"),
        ("likes", "bigint"),
        ("comments", "bigint"),
        ("shares", "bigint"),
        ("views", "bigint"),
        ("reach", "bigint"),
        ("thumbnail_url", "text"),
    ],
    # /business/mention/top_hashtag/list/ and /business/mention/top_word/list/ data, landed together in one fetch
    # (the stream mention_terms): a page holds one of the two lists; its order is the rank, as for mentions
    "mention_terms": [("hashtags", "list:mention_hashtag"), ("words", "list:mention_word"), ("cursor", "bigint")],
    "mention_hashtag": [("hashtag_name", "text"), ("post_count", "bigint"), ("views", "bigint")],
    "mention_word": [("word", "text"), ("post_count", "bigint"), ("views", "bigint")],
    # /business/benchmark/ data (the stream benchmarks): one object, a business category's averages over the 30 days
    # ending on `date`
    "benchmarks": [
        ("business_category", "text"),
        ("date", "date"),
        ("average_likes_per_video", "double"),
        ("average_comments_per_video", "double"),
        ("average_shares_per_video", "double"),
        ("average_videos_posted_30d", "double"),
        ("average_followers", "double"),
        ("average_follower_growth_rate_30d", "double"),
        ("average_engagement_rate", "double"),
        ("average_video_views_30d", "double"),
    ],
}

# The fields a record cannot be without (its key): a record lacking one can be no row of any model, so the client
# refuses the page that carries it (tiktok_api/client.py) rather than land a record no reader can place.
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "account_metric": ("date",),
    "video": ("item_id",),
    "comment": ("comment_id",),
    "reply": ("comment_id",),
    "mention": ("item_id",),
    "mention_hashtag": ("hashtag_name",),
    "mention_word": ("word",),
    "benchmarks": ("business_category", "date"),
}

# The fetch header of a landing file, as DuckDB reads it (see tiktok_api.landing.write_fetch).
FETCH_HEADER: list[tuple[str, str]] = [
    ("partition_date", "date"),
    ("business_id", "text"),
    ("fetch_id", "text"),
    ("landed_at", "timestamptz"),
    ("source", "text"),
    ("complete", "boolean"),
]

_DUCKDB_SCALARS = {
    "text": "VARCHAR",
    "bigint": "BIGINT",
    "integer": "INTEGER",
    "double": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamptz": "TIMESTAMPTZ",
}


def record_fields(record: str) -> list[tuple[str, str]]:
    """(field, type) of a record; `share:<key>` gives the two fields of a share-list entry."""
    if record.startswith("share:"):
        return [(record.removeprefix("share:"), "text"), ("percentage", "double")]
    try:
        return RECORDS[record]
    except KeyError:
        raise ValueError(f"unknown raw record {record!r}; expected one of {sorted(RECORDS)}") from None


def duckdb_type(field_type: str, *, scalars_as_text: bool = False) -> str:
    """The DuckDB type of a field: a list of records is a list of structs. With `scalars_as_text`, every scalar
    of the record is read as text (a reader that casts each value itself, so that no value stops the read)."""
    if field_type.startswith("list:"):
        return duckdb_struct(field_type.removeprefix("list:"), scalars_as_text=scalars_as_text) + "[]"
    return _DUCKDB_SCALARS["text" if scalars_as_text else field_type]


def duckdb_struct(record: str, *, scalars_as_text: bool = False) -> str:
    fields = (f'"{name}" {duckdb_type(kind, scalars_as_text=scalars_as_text)}' for name, kind in record_fields(record))
    return "STRUCT(" + ", ".join(fields) + ")"


def duckdb_pages_type(stream: str, *, scalars_as_text: bool = False) -> str:
    """The DuckDB type of a landing file's `pages` for one stream: each page's envelope with the typed data (with
    `scalars_as_text`, the data's scalars as text; the envelope stays typed)."""
    envelope = f"response STRUCT(code INTEGER, data {duckdb_struct(stream, scalars_as_text=scalars_as_text)})"
    return f"STRUCT(endpoint VARCHAR, request_id VARCHAR, {envelope})[]"


def _jinja(value: object) -> str:
    """A Python literal of lists, tuples and strings as Jinja (the same syntax for these)."""
    if isinstance(value, str):
        return "'" + value + "'"
    if isinstance(value, tuple):
        return "(" + ", ".join(map(_jinja, value)) + ")"
    if isinstance(value, list):
        return "[" + ", ".join(map(_jinja, value)) + "]"
    raise TypeError(f"cannot render {value!r}")


def dbt_macros() -> str:
    """The text of dbt_project/macros/raw_schema.sql: the schema and the landing layout as dbt macros."""
    records = ",\n".join(
        f"        '{name}': [\n" + "".join(f"            {_jinja(field)},\n" for field in fields) + "        ]"
        for name, fields in RECORDS.items()
    )
    header = ",\n".join(f"        {_jinja(field)}" for field in FETCH_HEADER)
    return f"""{{#- Generated by `python -m tiktok_api.raw_schema` from tiktok_api/raw_schema.py and
    tiktok_api/landing.py: do not edit here (a test fails when this file and those modules disagree). -#}}

{{#- The records of the API's `data` objects: (field, type); see tiktok_api/raw_schema.py. -#}}
{{% macro raw_records() -%}}
    {{{{ return({{
{records},
    }}) }}}}
{{%- endmacro %}}

{{#- The fetch header of a landing file: (field, type). -#}}
{{% macro raw_fetch_header() -%}}
    {{{{ return([
{header},
    ]) }}}}
{{%- endmacro %}}

{{#- The landed streams, each a folder of the landing zone. -#}}
{{% macro raw_streams() -%}}
    {{{{ return({_jinja(list(landing.STREAMS))}) }}}}
{{%- endmacro %}}

{{#- The landing folder of one stream. -#}}
{{% macro raw_stream_root(stream) -%}}
    {{{{ return(env_var('TIKTOK_DATA_DIR', '../data') ~ '/{landing.RAW_PATH}/' ~ stream) }}}}
{{%- endmacro %}}

{{#- The landing files of one stream, every partition and account (temporary files excluded). -#}}
{{% macro raw_file_glob(stream) -%}}
    {{{{ return(raw_stream_root(stream) ~ '/{landing.FILE_GLOB}') }}}}
{{%- endmacro %}}

{{#- The hive partition keys of the landing folders and their types. -#}}
{{% macro raw_partition_keys() -%}}
    {{{{ return({{'{landing.DATE_KEY}': 'date', '{landing.ACCOUNT_KEY}': 'text'}}) }}}}
{{%- endmacro %}}
"""


DBT_MACROS_PATH = Path(__file__).resolve().parent.parent / "dbt_project" / "macros" / "raw_schema.sql"


def main(argv: list[str] | None = None) -> int:
    """Write dbt_project/macros/raw_schema.sql from this module."""
    DBT_MACROS_PATH.write_text(dbt_macros(), encoding="utf-8")
    print(f"wrote {DBT_MACROS_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
