"""The datasets the suites validate: the SQL that reads ONE partition of each.

Every dataset has one suite (`expectations/suites/<dataset>.json`), its key columns (what the runner reports
for offending rows) and the SQL that reads one daily partition D:

- raw (before dbt): DuckDB's `read_json` over the partition's landing files (tiktok_api/landing.py), keeping
  the newest complete fetch per account, flattened with `unnest` (an in-memory DuckDB, nothing is written),
  whichever warehouse the marts live in. The types are those of tiktok_api/raw_schema.py, as in dbt, but every
  payload scalar is read as text and then try_cast: a value no type can hold (NaN, Infinity, 2026-02-30, "many")
  becomes NULL for a rule to name, never an exception that stops the check.
- marts: schema `marts` of the warehouse, rows filtered on the mart's date column (= D, or D-1..D where a rule
  compares with the day before). One SQL text per mart serves every warehouse: it names the partition date
  `{partition}`, rendered by `partition_sql` as a `date 'YYYY-MM-DD'` literal, and otherwise uses SQL all
  of them understand.

`expectations.runner` validates each partition inside a database with GX's SQL engine: raw SQL in an in-memory
DuckDB, mart SQL inside the warehouse (whose SQLAlchemy URL the warehouse resource gives, `assets.warehouse`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from expectations import rules
from tiktok_api import contract, landing, raw_schema


@dataclass(frozen=True)
class Dataset:
    name: str
    layer: str  # "raw" or "mart"
    description: str
    key_columns: tuple[str, ...]
    date_filter: str
    sql: Callable[[list[str]], str]
    """The SQL for the partition; raw SQL gets the partition's fetch files, mart SQL names `{partition}`."""
    stream: str | None = None  # raw only: the landing stream read


# --- raw landing files (typed by tiktok_api/raw_schema.py, laid out by tiktok_api/landing.py) -----------------

_VIDEO_BREAKDOWNS = {
    # list field -> the key of its entries
    field: raw_schema.record_fields(kind.removeprefix("list:"))[0][0]
    for field, kind in raw_schema.record_fields("video")
    if kind.startswith("list:share:")
}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _cast(expression: str, record: str, field: str) -> str:
    """`expression` (a payload scalar, read as text: `_files_source`) cast to its raw_schema type: NULL where it
    cannot be, and NULL for NaN and +-Infinity (no count or share is infinite; a NaN would slip through every range
    check).

    A value the API sent in a shape its type cannot hold (NaN, Infinity, "2026-02-30", "12 likes") must not make
    `read_json` throw and stop every account's check: it becomes NULL, which a rule can name (keys never pass as
    NULL)."""
    kind = dict(raw_schema.record_fields(record))[field]
    if kind == "text":
        return expression
    typed = f"try_cast({expression} as {raw_schema.duckdb_type(kind)})"
    if kind == "double":
        return f"(case when isfinite({typed}) then {typed} end)"
    return typed


def _files_source(stream: str, files: list[str]) -> str:
    """The fetch files as rows (one per file); an empty, typed relation when the partition has none."""
    header = [(name, raw_schema.duckdb_type(kind)) for name, kind in raw_schema.FETCH_HEADER]
    pages = raw_schema.duckdb_pages_type(stream, scalars_as_text=True)
    if not files:
        nulls = ", ".join(f"null::{kind} as {name}" for name, kind in header)
        return f"(select {nulls}, null::{pages} as pages where false)"
    columns = "{" + ", ".join(f"{name}: '{kind}'" for name, kind in header) + f", pages: '{pages}'}}"
    return f"read_json([{', '.join(map(_quote, files))}], columns = {columns}, format = 'auto')"


def _newest_pages(stream: str, files: list[str]) -> str:
    """CTEs `newest_fetch` (the newest complete fetch per account) and `pages` (one row per page)."""
    return f"""
        newest_fetch as (
            select business_id, fetch_id, landed_at, pages
            from {_files_source(stream, files)}
            where complete
            qualify row_number() over (partition by business_id order by landed_at desc, fetch_id desc) = 1
        ),
        pages as (
            select newest_fetch.business_id, newest_fetch.fetch_id, newest_fetch.landed_at,
                page.response.data as data
            from newest_fetch, unnest(newest_fetch.pages) as pages(page)
        )"""


# The daily account metrics that are counts: all but the net (which may be negative) and the activity list.
_METRIC_COUNTS = tuple(m for m in contract.ACCOUNT_METRICS if m not in ("daily_total_followers", "audience_activity"))


def _raw_account_sql(files: list[str]) -> str:
    metrics = ",\n                ".join(
        f"{_cast(f'day.{name}', 'account_metric', name)} as {name}" for name in _METRIC_COUNTS
    )
    profile = ",\n            ".join(
        f"{_cast(f'pages.data.{name}', 'account', name)} as profile_{name}"
        for name in ("followers_count", "following_count", "total_likes", "videos_count")
    )
    return f"""
        with {_newest_pages("account", files)}
        select
            pages.business_id,
            {_cast('day."date"', "account_metric", "date")} as metric_date,
            {metrics},
            {_cast("day.daily_total_followers", "account_metric", "daily_total_followers")} as daily_net_followers,
            {profile},
            pages.fetch_id,
            pages.landed_at
        from pages, unnest(pages.data.metrics) as days(day)
    """


def _raw_account_audience_sql(files: list[str]) -> str:
    lists = [
        ("age", "audience_ages", "age"),
        ("gender", "audience_genders", "gender"),
        ("country", "audience_countries", "country"),
        ("city", "audience_cities", "city_name"),
    ]
    selects = "\n        union all\n".join(
        f"""        select pages.business_id, '{dimension}' as dimension, entry.{key} as dimension_value,
            {_cast("entry.percentage", f"share:{key}", "percentage")} as share,
            {_cast("pages.data.followers_count", "account", "followers_count")} as followers_count, pages.fetch_id
        from pages, unnest(pages.data.{field}) as entries(entry)"""
        for dimension, field, key in lists
    )
    return f"with {_newest_pages('account', files)}\n{selects}"


_VIDEO_FIELDS = contract.VIDEO_METRIC_FIELDS


def _raw_videos_sql(files: list[str]) -> str:
    fields = ",\n            ".join(f"{_cast(f'video.{name}', 'video', name)} as {name}" for name in _VIDEO_FIELDS)
    return f"""
        with {_newest_pages("videos", files)}
        select
            pages.business_id,
            video.item_id,
            {fields},
            pages.fetch_id,
            pages.landed_at
        from pages, unnest(pages.data.videos) as videos(video)
    """


# The viewer-type list holds two distributions (as fct_tiktok_video_audience's dimension_group says)
_VIEWER_TYPE_GROUP = (
    "case when entry.type in ('NEW_VIEWER', 'RETURN_VIEWER') then 'new_vs_returning' "
    "when entry.type in ('FOLLOWER_PERCENT', 'NON_FOLLOWER_PERCENT') then 'follower_vs_non_follower' "
    "else 'audience_types' end"
)


def _raw_video_breakdowns_sql(files: list[str]) -> str:
    selects = "\n        union all\n".join(
        f"""        select videos.business_id, videos.item_id, '{field}' as breakdown, entry.{key} as entry_key,
            {_VIEWER_TYPE_GROUP if field == "audience_types" else repr(field)} as share_group,
            {_cast("entry.percentage", f"share:{key}", "percentage")} as share, videos.fetch_id
        from videos, unnest(videos.video.{field}) as entries(entry)"""
        for field, key in _VIDEO_BREAKDOWNS.items()
    )
    return f"""
        with {_newest_pages("videos", files)},
        -- each post's lists once: a post listed twice is keys_unique_not_null's (raw_tiktok_videos), and would
        -- otherwise double its shares here
        listed as (
            select pages.business_id, pages.fetch_id, video.item_id as item_id, video
            from pages, unnest(pages.data.videos) as videos(video)
        ),
        videos as (
            select * from listed
            qualify row_number() over (partition by business_id, item_id order by fetch_id) = 1
        )
{selects}
    """


# --- marts (the warehouse, schema `marts`) -----------------------------------------------------------------


PARTITION = "{partition}"
"""Where mart SQL names the partition date (rendered by `partition_sql` as a standard SQL date literal)."""


def _mart_sql(sql: str) -> Callable[[list[str]], str]:
    return lambda _files: sql


_ACCOUNT_DAILY_SQL = f"""
    select
        *,
        metric_date = {PARTITION} as in_partition,
        -- followers_total_matches_profile: |followers_total - the profile read at the end of the day| as a fraction
        -- of the follower-total tolerance max(absolute, relative * profile); null on days no fetch read the profile
        cast(abs(followers_total - profile_followers_count) as double precision)
            / greatest({rules.FOLLOWER_TOTAL_ABSOLUTE_TOLERANCE}, {rules.FOLLOWER_TOTAL_RELATIVE_TOLERANCE}
                * profile_followers_count) as followers_total_profile_gap
    from marts.fct_tiktok_account_daily
    where metric_date between {PARTITION} - 1 and {PARTITION}
"""

_ACCOUNTS_SQL = """
    with audience as (
        select business_id, count(*) as audience_rows
        from marts.fct_tiktok_account_audience
        where snapshot_date = {partition}
        group by business_id
    )
    select
        accounts.business_id,
        accounts.account_type,
        accounts.followers_count,
        accounts.following_count,
        accounts.total_likes,
        accounts.videos_count,
        accounts.is_eligible_for_audience_insights,
        accounts.has_audience_data,
        accounts.first_snapshot_date,
        accounts.latest_snapshot_date,
        coalesce(audience.audience_rows, 0) as audience_rows_on_partition,
        -- audience rows on D while D is the snapshot the dim (and its eligibility) describes
        coalesce(accounts.latest_snapshot_date = {partition} and audience.audience_rows > 0, false)
            as has_audience_rows_on_partition
    from marts.dim_tiktok_accounts as accounts
    left join audience on audience.business_id = accounts.business_id
    where accounts.first_snapshot_date <= {partition}
"""

_ACCOUNT_AUDIENCE_SQL = """
    select
        audience.business_id,
        audience.snapshot_date,
        audience.dimension,
        audience.dimension_value,
        audience.share,
        -- the account's followers when the dim's (latest) snapshot is this one, else null (not judged here;
        -- the raw contract checks every fetch)
        case when accounts.latest_snapshot_date = audience.snapshot_date then accounts.followers_count end
            as followers_count_on_snapshot,
        audience.fetch_id
    from marts.fct_tiktok_account_audience as audience
    left join marts.dim_tiktok_accounts as accounts on accounts.business_id = audience.business_id
    where audience.snapshot_date = {partition}
"""

_VIDEO_DAILY_SQL = "select * from marts.fct_tiktok_video_daily where snapshot_date = {partition}"
_VIDEO_AUDIENCE_SQL = "select * from marts.fct_tiktok_video_audience where snapshot_date = {partition}"
_VIDEO_RETENTION_SQL = "select * from marts.fct_tiktok_video_retention where snapshot_date = {partition}"


DATASETS: dict[str, Dataset] = {
    dataset.name: dataset
    for dataset in (
        Dataset(
            "raw_tiktok_account",
            "raw",
            "Daily metric rows (/business/get/ metrics, one per account and day of the fetch window) of the "
            "partition's newest complete account fetch per account, with the profile's lifetime counters.",
            ("business_id", "metric_date"),
            "the account landing files of D, newest complete fetch per account",
            _raw_account_sql,
            stream="account",
        ),
        Dataset(
            "raw_tiktok_account_audience",
            "raw",
            "Audience share rows (ages, genders, countries, cities) of the partition's newest complete account "
            "fetch per account, with the profile's followers_count.",
            ("business_id", "dimension", "dimension_value"),
            "the account landing files of D, newest complete fetch per account",
            _raw_account_audience_sql,
            stream="account",
        ),
        Dataset(
            "raw_tiktok_videos",
            "raw",
            "One row per post snapshot (lifetime counters) of the partition's newest complete videos fetch per "
            "account.",
            ("business_id", "item_id"),
            "the videos landing files of D, newest complete fetch per account",
            _raw_videos_sql,
            stream="videos",
        ),
        Dataset(
            "raw_tiktok_video_breakdowns",
            "raw",
            "One row per entry of a post's breakdown lists (impression sources, countries, cities, genders, "
            "viewer types, retention and likes curves) of the partition's newest complete videos fetch per account; "
            "`share_group` is the distribution an entry belongs to (the list, or one of the viewer-type pairs).",
            ("item_id", "breakdown", "entry_key"),
            "the videos landing files of D, newest complete fetch per account",
            _raw_video_breakdowns_sql,
            stream="videos",
        ),
        Dataset(
            "fct_tiktok_account_daily",
            "mart",
            "marts.fct_tiktok_account_daily for D and D-1 (the profile read by D's fetch describes the end of D-1); "
            "`in_partition` marks D's rows, the other rules look at those only; `followers_total_profile_gap` is "
            "|followers_total - profile_followers_count| over the follower-total tolerance.",
            ("business_id", "metric_date"),
            "metric_date between D-1 and D (rules other than the profile gap of followers_total_matches_profile: "
            "metric_date = D)",
            _mart_sql(_ACCOUNT_DAILY_SQL),
        ),
        Dataset(
            "dim_tiktok_accounts",
            "mart",
            "marts.dim_tiktok_accounts (one row per account known by D) with the number of "
            "fct_tiktok_account_audience rows of D when D is the snapshot the dim describes.",
            ("business_id",),
            "first_snapshot_date <= D; audience rows where snapshot_date = D",
            _mart_sql(_ACCOUNTS_SQL),
        ),
        Dataset(
            "fct_tiktok_account_audience",
            "mart",
            "marts.fct_tiktok_account_audience for D joined to the account's eligibility (followers) in "
            "dim_tiktok_accounts when the dim describes D's snapshot.",
            ("business_id", "snapshot_date", "dimension", "dimension_value"),
            "snapshot_date = D",
            _mart_sql(_ACCOUNT_AUDIENCE_SQL),
        ),
        Dataset(
            "fct_tiktok_video_daily",
            "mart",
            "marts.fct_tiktok_video_daily: one row per post snapshot of D with the gains since the previous one.",
            ("item_id", "snapshot_date"),
            "snapshot_date = D",
            _mart_sql(_VIDEO_DAILY_SQL),
        ),
        Dataset(
            "fct_tiktok_video_audience",
            "mart",
            "marts.fct_tiktok_video_audience: the breakdown shares of every post snapshot of D.",
            ("item_id", "snapshot_date", "dimension", "dimension_value"),
            "snapshot_date = D",
            _mart_sql(_VIDEO_AUDIENCE_SQL),
        ),
        Dataset(
            "fct_tiktok_video_retention",
            "mart",
            "marts.fct_tiktok_video_retention: retention and likes curves of every post snapshot of D.",
            ("item_id", "snapshot_date", "video_second"),
            "snapshot_date = D",
            _mart_sql(_VIDEO_RETENTION_SQL),
        ),
    )
}

RAW_DATASETS = tuple(name for name, dataset in DATASETS.items() if dataset.layer == "raw")
MART_DATASETS = tuple(name for name, dataset in DATASETS.items() if dataset.layer == "mart")


SUITES_DIR = Path(__file__).resolve().parent / "suites"


def suite_path(dataset: str) -> Path:
    """The reviewed suite file of `dataset`."""
    return SUITES_DIR / f"{get_dataset(dataset).name}.json"


def suite_rule_ids(dataset: str) -> list[str]:
    """The rule ids the suite of `dataset` checks, in file order, without importing Great Expectations."""
    document = json.loads(suite_path(dataset).read_text(encoding="utf-8"))
    return list(dict.fromkeys(expectation["meta"]["rule_id"] for expectation in document["expectations"]))


def get_dataset(name: str) -> Dataset:
    try:
        return DATASETS[name]
    except KeyError:
        raise ValueError(f"unknown dataset {name!r}; expected one of {sorted(DATASETS)}") from None


def raw_partition_files(data_dir: Path, stream: str, partition: date, account: str | None = None) -> list[str]:
    """The fetch files of one raw partition (every account, or only `account`), never a temporary file."""
    return [str(path) for path in landing.partition_files(Path(data_dir), stream, partition, account or "*")]


def partition_sql(dataset: str, partition: date, data_dir: Path | None = None, account: str | None = None) -> str:
    """The SQL that reads one partition of `dataset`.

    Mart SQL is standard SQL that every warehouse runs, the partition a `date 'YYYY-MM-DD'` literal. Raw SQL
    reads the landing files under data_dir with DuckDB: every account's, or only `account`'s.
    """
    spec = get_dataset(dataset)
    if spec.stream is not None:
        if data_dir is None:
            raise ValueError(f"{dataset} reads raw files: data_dir is required")
        return spec.sql(raw_partition_files(data_dir, spec.stream, partition, account))
    return spec.sql([]).replace(PARTITION, f"date '{partition.isoformat()}'")
