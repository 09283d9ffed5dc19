"""The dbt marts built on simulator data landed by the real assets: contents, reconciliation, idempotence."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.dbt import (
    BUILD_EXCLUSIONS,
    DBT_EXECUTABLE,
    DBT_STEPS,
    SQL_LOGIC_TAG,
    DbtProgress,
    dbt_cli,
    dbt_project,
    dbt_window_env,
    group_for_fqn,
)
from assets.raw import raw_tiktok_benchmarks
from assets.resources import TikTokSource
from assets.team_config import tiktok_team_config
from assets.warehouse import Warehouse as WarehouseResource
from orchestration.definitions import defs
from tests.dbt.conftest import Warehouse, fetch_time, restored_environment
from tiktok_api import contract, landing
from tiktok_api.client import Page
from tiktok_api.simulator import Simulator, SimulatorServer

MARTS = {
    "dim_tiktok_accounts",
    "fct_tiktok_account_daily",
    "fct_tiktok_account_benchmarks",
    "fct_tiktok_account_percentiles",
    "dim_tiktok_videos",
    "fct_tiktok_video_daily",
    "fct_tiktok_account_audience",
    "fct_tiktok_audience_activity_hourly",
    "fct_tiktok_video_audience",
    "fct_tiktok_video_retention",
    "fct_tiktok_comments",
    "fct_tiktok_post_sentiment_daily",
    "fct_tiktok_account_sentiment_daily",
    "fct_tiktok_reply_queue",
    "fct_tiktok_response_times_daily",
    "fct_tiktok_mention_daily",
    "fct_tiktok_post_timing",
    "fct_tiktok_posting_performance",
    "fct_tiktok_recommended_slots",
    "fct_tiktok_account_metric_anomalies",
    "fct_tiktok_mention_terms_daily",
    "fct_tiktok_account_profile_daily",
    "fct_tiktok_social_media_rollup",
    "dim_tiktok_post_labels",
    "dim_tiktok_label_lines",
    "fct_tiktok_label_daily",
    "fct_tiktok_hashtag_daily",
}


def manifest() -> dict:
    return json.loads((dbt_project.project_dir / "target" / "manifest.json").read_text())


def table_rows(wh: Warehouse, schema: str, table: str, exclude: tuple[str, ...] = ()) -> list[tuple]:
    columns = f"* exclude ({', '.join(exclude)})" if exclude else "*"
    return sorted(wh.query(f"select {columns} from {schema}.{table}"), key=repr)


def all_tables(wh: Warehouse, exclude: tuple[str, ...] = ()) -> dict[str, list[tuple]]:
    names = wh.query(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema in ('staging', 'intermediate', 'marts') and table_type = 'BASE TABLE'"
    )
    return {f"{s}.{t}": table_rows(wh, s, t, exclude) for s, t in names}  # views are derived: not compared


def raw_newest(wh: Warehouse, stream: str) -> list[dict]:
    """Every landed fetch of a stream, newest last (the order staging resolves 'newest wins' by)."""
    fetches = []
    for path in sorted((wh.data_dir / "raw" / "tiktok" / stream).rglob("[0-9]*.json")):
        fetch = landing.read_fetch(path)
        if fetch["complete"]:
            fetches.append(fetch)
    return sorted(fetches, key=lambda f: (f["landed_at"], f["fetch_id"]))


def test_every_mart_is_built_and_non_empty_in_schema_marts(warehouse: Warehouse):
    built = {
        t for (t,) in warehouse.query("select table_name from information_schema.tables where table_schema = 'marts'")
    }
    assert built >= MARTS
    for mart in MARTS:
        [(rows,)] = warehouse.query(f"select count(*) from marts.{mart}")
        assert rows > 0, f"marts.{mart} is empty"


def test_marts_enforce_contracts_and_describe_every_column():
    nodes = [n for n in manifest()["nodes"].values() if n["resource_type"] == "model" and n["name"] in MARTS]
    assert {n["name"] for n in nodes} == MARTS
    for node in nodes:
        assert node["config"]["contract"]["enforced"], f"{node['name']} has no enforced contract"
        assert node["description"], f"{node['name']} has no description"
        for column, spec in node["columns"].items():
            assert spec.get("description"), f"{node['name']}.{column} has no description"
            assert spec.get("data_type"), f"{node['name']}.{column} has no data_type"


def test_an_exposure_names_the_bi_dashboards():
    exposures = manifest()["exposures"].values()
    assert exposures
    depended = {dep.split(".")[-1] for e in exposures for dep in e["depends_on"]["nodes"]}
    assert {"dim_tiktok_accounts", "fct_tiktok_account_daily", "fct_tiktok_comments"} <= depended


def test_sources_are_the_raw_assets_and_freshness_is_the_dagster_checks_alone():
    sources = [s for s in manifest()["sources"].values() if s["source_name"] == "tiktok_raw"]
    assert {s["name"] for s in sources} == {"account", "videos", "comments", "mentions", "mention_terms", "benchmarks"}
    for source in sources:
        # the mention terms land with the mention list, by raw_tiktok_mentions
        asset = "mentions" if source["name"] == "mention_terms" else source["name"]
        assert source["meta"]["dagster"]["asset_key"] == [f"raw_tiktok_{asset}"]
        # one implementation of the freshness rule: the partition_fresh_within_48h check (docs/decisions.md)
        freshness = source.get("freshness") or {}
        assert not freshness.get("warn_after", {}).get("count") and not freshness.get("error_after", {}).get("count")


def test_ids_survive_as_text_end_to_end(warehouse: Warehouse):
    id_columns = warehouse.query(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = 'marts' and (column_name like '%item_id' or column_name like '%comment_id')"
    )
    assert id_columns
    assert all(dtype == "VARCHAR" for _, _, dtype in id_columns), id_columns
    world = warehouse.server.simulator.world
    expected = {p.item_id for a in world.accounts for p in world.posts(a)}
    stored = {i for (i,) in warehouse.query("select item_id from marts.dim_tiktok_videos")}
    assert stored and stored <= expected, "every stored id is exactly one the API sent, digit for digit"
    assert all(len(i) == 19 and i.isdigit() for i in stored)


def test_account_metrics_reconcile_from_raw_to_intermediate_to_marts(warehouse: Warehouse):
    newest: dict[tuple[str, str], dict] = {}
    for fetch in raw_newest(warehouse, "account"):
        for page in fetch["pages"]:
            for day in page["response"]["data"].get("metrics") or []:
                newest[(fetch["business_id"], day["date"])] = day  # later fetches overwrite
    for metric in ("video_views", "likes", "comments", "shares", "daily_new_followers", "daily_lost_followers"):
        raw_total = sum(day.get(metric) or 0 for day in newest.values())
        [(staged,)] = warehouse.query(f"select sum({metric}) from intermediate.int_tiktok__account_daily_metrics")
        assert staged == raw_total, metric
    mart_column = {"video_views": "video_views", "likes": "likes", "daily_new_followers": "new_followers"}
    for metric, column in mart_column.items():
        [(mart,)] = warehouse.query(f"select sum({column}) from marts.fct_tiktok_account_daily")
        assert mart == sum(day.get(metric) or 0 for day in newest.values()), column
    [(rows,)] = warehouse.query("select count(*) from marts.fct_tiktok_account_daily")
    assert rows == len(newest)


def test_post_snapshots_reconcile_from_raw_to_staging_to_marts(warehouse: Warehouse):
    newest: dict[tuple[str, str], dict] = {}
    for fetch in raw_newest(warehouse, "videos"):
        for page in fetch["pages"]:
            for video in page["response"]["data"]["videos"]:
                newest[(video["item_id"], fetch["partition_date"])] = video
    by_day: dict[str, int] = defaultdict(int)
    for (_, day), video in newest.items():
        by_day[day] += video["video_views"]
    per_day = "select strftime(snapshot_date, '%Y-%m-%d'), sum(video_views) from {} group by 1"
    staged = dict(warehouse.query(per_day.format("staging.stg_tiktok__post_snapshots")))
    marts = dict(warehouse.query(per_day.format("marts.fct_tiktok_video_daily")))
    assert staged == marts == dict(by_day)


def test_retention_and_likes_curves_reconcile_from_raw_to_marts(warehouse: Warehouse):
    expected: dict[tuple[str, str, int], list] = {}
    for fetch in raw_newest(warehouse, "videos"):
        for page in fetch["pages"]:
            for video in page["response"]["data"]["videos"]:
                for column, field in ((0, "video_view_retention"), (1, "engagement_likes")):
                    for entry in video.get(field) or []:
                        key = (video["item_id"], fetch["partition_date"], int(entry["second"]))
                        expected.setdefault(key, [None, None])[column] = entry["percentage"]
    rows = warehouse.query(
        "select item_id, strftime(snapshot_date, '%Y-%m-%d'), video_second, retention_share, likes_share "
        "from marts.fct_tiktok_video_retention"
    )
    assert {(i, d, s): [r, lk] for i, d, s, r, lk in rows} == expected
    assert len(rows) == len(expected), "one row per post, day and second"


def test_each_raw_stream_is_parsed_by_one_staging_model_only():
    nodes = manifest()["nodes"].values()
    readers: dict[str, list[str]] = defaultdict(list)
    for node in nodes:
        if node["resource_type"] == "model" and "macro.tiktok.raw_pages" in node["depends_on"]["macros"]:
            for source in node["depends_on"]["nodes"]:
                readers[source.rsplit(".", 1)[-1]].append(node["name"])
    assert readers == {
        "account": ["stg_tiktok__account_snapshots"],
        "videos": ["stg_tiktok__post_snapshots"],
        "comments": ["stg_tiktok__comments"],
        "mentions": ["stg_tiktok__mentions"],
        "mention_terms": ["stg_tiktok__mention_terms"],
        "benchmarks": ["stg_tiktok__benchmarks"],
    }
    for node in nodes:
        if node["resource_type"] == "model" and node["fqn"][1] != "staging":
            assert "macro.tiktok.raw_pages" not in node["depends_on"]["macros"], node["name"]


def test_intermediate_models_unnest_without_parsing_json_or_deduplicating_exploded_rows():
    project = Path(dbt_project.project_dir)
    for path in sorted((project / "models" / "intermediate").glob("*.sql")):
        sql = path.read_text()
        assert "raw_pages" not in sql and "read_json" not in sql and "jsonb" not in sql, path.name
        assert "distinct" not in sql.lower(), path.name
        if path.stem == "int_tiktok__account_daily_metrics":
            # one metric day arrives in several snapshots: the newest wins among a handful of rows per key
            continue
        assert " over (" not in sql.lower() and "newest_fetch_per" not in sql, path.name


def test_staging_and_intermediate_models_and_every_column_are_described(warehouse: Warehouse):
    built = warehouse.query(
        "select table_name, column_name from information_schema.columns "
        "where table_schema in ('staging', 'intermediate')"
    )
    described = {
        node["name"]: {name for name, column in node["columns"].items() if column.get("description")}
        for node in manifest()["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] in ("staging", "intermediate") and node["description"]
    }
    assert {table for table, _ in built} == set(described)
    undescribed = sorted((table, column) for table, column in built if column not in described[table])
    assert undescribed == []


def test_a_days_data_tests_read_the_days_rows_only(warehouse: Warehouse, tmp_path):
    """With the partition window, the large marts' tests see the window's rows; without it, the whole table."""
    old_day, last_day = warehouse.days[0], warehouse.days[-1]
    copy = tmp_path / "warehouse.duckdb"  # a copy: the other tests share the module's warehouse
    shutil.copy(warehouse.path, copy)
    with duckdb.connect(str(copy)) as con:  # a key broken on an old day only
        con.execute(
            "insert into marts.fct_tiktok_video_daily select * from marts.fct_tiktok_video_daily "
            "where snapshot_date = ? limit 1",
            [old_day],
        )
    window = {"TIKTOK_DBT_MIN_DATE": last_day.isoformat(), "TIKTOK_DBT_MAX_DATE": str(last_day + timedelta(days=1))}
    select = ["--select", "fct_tiktok_video_daily,test_type:generic", "--profiles-dir", "."]
    scoped, full = (
        subprocess.run(
            [DBT_EXECUTABLE, "test", *select, "--target-path", str(tmp_path / name)],
            cwd=dbt_project.project_dir,
            capture_output=True,
            text=True,
            env={**os.environ, "TIKTOK_DUCKDB_PATH": str(copy), **extra},
        )
        for name, extra in (("scoped", window), ("full", {}))
    )
    assert scoped.returncode == 0, scoped.stdout[-3000:]
    assert full.returncode != 0 and "FAIL 1 keys_unique_not_null__fct_tiktok_video_daily" in full.stdout
    compiled = [path.read_text() for path in (tmp_path / "scoped" / "run").rglob("*.sql")]
    keys_test = [sql for sql in compiled if "group by item_id, snapshot_date" in sql]
    assert keys_test and f"snapshot_date >= date '{last_day.isoformat()}'" in keys_test[0]


def _dbt(args: list[str], target: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [DBT_EXECUTABLE, *args, "--profiles-dir", ".", "--target-path", str(target)],
        cwd=dbt_project.project_dir,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )


def test_each_rule_test_fails_on_rows_that_break_it_with_the_rules_severity(warehouse: Warehouse, tmp_path):
    """One generic test per (model, rule): every argument kind (keys and required columns, counts, shares,
    accepted values, ranges, references, impossible times) catches its broken row, ERROR rules fail and WARN rules
    warn."""
    copy = tmp_path / "warehouse.duckdb"  # a copy: the other tests share the module's warehouse
    shutil.copy(warehouse.path, copy)
    day = warehouse.days[-1]
    with duckdb.connect(str(copy)) as con:
        items = [i for (i,) in con.execute(
            "select item_id from marts.fct_tiktok_video_daily where snapshot_date = ? order by item_id limit 7", [day]
        ).fetchall()]  # fmt: skip
        video = "update marts.fct_tiktok_video_daily set {} where item_id = ? and snapshot_date = ?"
        con.execute(
            "insert into marts.fct_tiktok_video_daily select * from marts.fct_tiktok_video_daily "
            "where item_id = ? and snapshot_date = ?",
            [items[0], day],
        )
        con.execute(video.format("business_id = null"), [items[1], day])
        con.execute(video.format("likes = -1"), [items[2], day])
        con.execute(video.format("full_video_watched_rate = 1.5"), [items[3], day])
        con.execute(video.format("days_since_previous_snapshot = 0"), [items[4], day])
        con.execute(video.format("item_id = 'no_such_post'"), [items[5], day])
        # times_are_possible: a snapshot fetched before its post was published, a comment seen before it was written
        con.execute(video.format("landed_at = timestamptz '2000-01-01 00:00:00+00'"), [items[6], day])
        con.execute(
            "update marts.fct_tiktok_comments set landed_at = timestamptz '2000-01-01 00:00:00+00' "
            "where comment_id = (select min(comment_id) from marts.fct_tiktok_comments)"
        )
        [(account,)] = con.execute("select min(business_id) from marts.dim_tiktok_accounts").fetchall()
        con.execute("update marts.dim_tiktok_accounts set account_type = 'creator' where business_id = ?", [account])
        con.execute(
            "update marts.fct_tiktok_account_audience set share = null "
            "where (business_id, snapshot_date, dimension, dimension_value) in "
            "(select business_id, snapshot_date, dimension, dimension_value from marts.fct_tiktok_account_audience "
            "order by all limit 1)"
        )
    proc = _dbt(
        [
            "test",
            "--select",
            "fct_tiktok_video_daily dim_tiktok_accounts fct_tiktok_account_audience fct_tiktok_comments,test_type:data",
        ],
        tmp_path / "target",
        {"TIKTOK_DUCKDB_PATH": str(copy)},
    )
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    outcome = {  # the tests' results, not the on-run-start hook's
        r["unique_id"].split(".")[2]: (r["status"], r["failures"])
        for r in results
        if r["status"] != "pass" and r["unique_id"].startswith("test.")
    }
    assert outcome == {
        "keys_unique_not_null__fct_tiktok_video_daily": ("fail", 2),  # one duplicate key, one missing business_id
        "counts_not_negative__fct_tiktok_video_daily": ("fail", 1),
        "share_in_unit_interval__fct_tiktok_video_daily": ("fail", 1),
        "values_in_domain__fct_tiktok_video_daily": ("warn", 1),
        "references_resolve__fct_tiktok_video_daily": ("warn", 1),
        "times_are_possible__fct_tiktok_video_daily": ("warn", 1),
        "times_are_possible__fct_tiktok_comments": ("warn", 1),
        "values_in_domain__dim_tiktok_accounts": ("warn", 1),
        "share_in_unit_interval__fct_tiktok_account_audience": ("fail", 1),
    }, proc.stdout[-3000:]


def test_sql_logic_tests_run_in_make_test_but_not_in_the_daily_build(warehouse: Warehouse, tmp_path):
    """The hashtag extraction test checks SQL, not data: make test runs it (here), the dbt asset does not."""
    proc = _dbt(["test", "--select", f"tag:{SQL_LOGIC_TAG}"], tmp_path / "test")
    assert proc.returncode == 0 and "PASS assert_caption_hashtags_extraction" in proc.stdout, proc.stdout[-3000:]
    listed = _dbt(["ls", *BUILD_EXCLUSIONS, "--resource-type", "test", "--output", "name"], tmp_path / "ls")
    built_tests = {line.strip() for line in listed.stdout.splitlines() if "__" in line}
    assert "assert_caption_hashtags_extraction" not in listed.stdout
    check_keys = [key for step in DBT_STEPS for key in step.check_keys]
    assert built_tests == {key.name for key in check_keys}, "every data test the dbt steps build"
    assert len(check_keys) == len(built_tests), "each data test in one step"
    assert all(not key.name.startswith("assert_") for key in check_keys)


def test_walking_the_clock_through_ten_days_gives_correct_daily_gains(warehouse: Warehouse):
    lifetime: dict[str, dict[date, int]] = defaultdict(dict)
    for fetch in raw_newest(warehouse, "videos"):
        day = date.fromisoformat(fetch["partition_date"])
        for page in fetch["pages"]:
            for video in page["response"]["data"]["videos"]:
                lifetime[video["item_id"]][day] = video["video_views"]
    rows = warehouse.query(
        "select item_id, snapshot_date, video_views, video_views_gained, previous_snapshot_date "
        "from marts.fct_tiktok_video_daily"
    )
    assert len({r[1] for r in rows}) == len(warehouse.days), "a snapshot for every walked day"
    checked = 0
    for item_id, day, views, gained, previous in rows:
        history = lifetime[item_id]
        earlier = [d for d in history if d < day]
        assert views == history[day]
        if not earlier:
            assert gained is None and previous is None
        else:
            assert previous == max(earlier)
            assert gained == history[day] - history[max(earlier)]
            assert gained >= 0, "lifetime views never fall"
            checked += 1
    assert checked > 100


def test_comments_are_unique_with_threads_and_first_seen(warehouse: Warehouse):
    [(rows, distinct, replies)] = warehouse.query(
        "select count(*), count(distinct comment_id), count(*) filter (where is_reply) from marts.fct_tiktok_comments"
    )
    assert rows == distinct and replies > 0
    [(bad_roots,)] = warehouse.query(
        "select count(*) from marts.fct_tiktok_comments where thread_root_comment_id <> "
        "case when is_reply then parent_comment_id else comment_id end"
    )
    assert bad_roots == 0
    [(first_days,)] = warehouse.query("select count(distinct first_seen_date) from marts.fct_tiktok_comments")
    assert first_days > 1, "comments arriving on later days are first seen on those days"


def test_the_reply_queue_and_response_times_follow_the_threads(warehouse: Warehouse):
    """The queue holds the public top-level comments from others with no owner reply (the simulator deletes none,
    so all of them), aged to their post's newest fetch; the daily KPIs count the same comments by first-seen day."""
    waiting = (
        "not c.is_reply and not c.is_by_account_owner and not c.is_hidden"  # the simulator's replies are one level
    )
    [(queued, expected, stray, bad_age)] = warehouse.query(
        "select (select count(*) from marts.fct_tiktok_reply_queue), "
        f"(select count(*) from marts.fct_tiktok_comments as c where {waiting} and not c.has_owner_reply), "
        f"count(*) filter (where not ({waiting}) or c.has_owner_reply), "
        "count(*) filter (where q.age_hours < 0 or q.post_comments_fetched_at <> c.landed_at) "
        "from marts.fct_tiktok_reply_queue as q join marts.fct_tiktok_comments as c using (comment_id)"
    )
    assert queued == expected > 0 and stray == bad_age == 0
    [(owner_replied,)] = warehouse.query(
        "select count(*) from marts.fct_tiktok_reply_queue as q join marts.fct_tiktok_comments as r "
        "on r.parent_comment_id = q.comment_id where r.is_by_account_owner"
    )
    assert owner_replied == 0, "no queued comment has a reply by the account"
    days = warehouse.query(
        "select business_id, first_seen_date, comments, comments_answered, answered_share, comments_timed, "
        "median_hours_to_first_owner_reply, p90_hours_to_first_owner_reply from marts.fct_tiktok_response_times_daily"
    )
    counted = warehouse.query(
        "select business_id, first_seen_date, count(*), count(*) filter (where has_owner_reply) "
        f"from marts.fct_tiktok_comments as c where {waiting} group by all"
    )
    assert sorted(row[:4] for row in days) == sorted(counted)
    assert sum(row[3] for row in days) > 0, "the simulator writes owner replies"
    for _, _, comments, answered, share, timed, median, p90 in days:
        assert 0 <= share <= 1 and share == answered / comments and timed <= answered
        assert (median is None) == (timed == 0)
        assert median is None or 0 < median <= p90


def test_audience_insights_only_for_accounts_with_100_followers(warehouse: Warehouse):
    rows = warehouse.query(
        "select business_id, followers_count, is_eligible_for_audience_insights from marts.dim_tiktok_accounts"
    )
    assert {eligible for _, _, eligible in rows} == {True, False}
    for _, followers, eligible in rows:
        assert eligible == (followers >= 100)
    [(contradictions,)] = warehouse.query(
        "select count(*) from marts.fct_tiktok_account_audience join marts.dim_tiktok_accounts using (business_id) "
        "where not is_eligible_for_audience_insights"
    )
    assert contradictions == 0


def test_rerunning_a_day_gives_the_same_rows(warehouse: Warehouse):
    before = all_tables(warehouse)
    assert warehouse.build(warehouse.days[5]).success
    assert all_tables(warehouse) == before


def test_a_backfill_range_runs_as_one_dbt_invocation_with_the_same_result(warehouse: Warehouse):
    before = all_tables(warehouse)
    result = warehouse.build(partition_range=(warehouse.days[2], warehouse.days[-1]))
    assert result.success
    invocations = [e.step_key for e in result.all_events if e.event_type_value == "STEP_START"]
    assert sorted(invocations) == sorted(step.op.name for step in DBT_STEPS), "each dbt step once for the range"
    expected = [d.isoformat() for d in warehouse.days[2:]]
    for mart in ("dim_tiktok_videos", "fct_tiktok_account_daily"):
        partitions = [
            e.partition for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == mart
        ]
        assert sorted(partitions) == expected, f"{mart}: every partition of the range exactly once"
    assert all_tables(warehouse) == before


def test_a_full_refresh_equals_the_day_by_day_build(warehouse: Warehouse, tmp_path):
    # staged_at is the stamp of the dbt run that staged a row: a full refresh re-stages every row
    before = all_tables(warehouse, exclude=("staged_at",))
    proc = subprocess.run(
        [DBT_EXECUTABLE, "build", "--full-refresh", "--profiles-dir", ".", "--target-path", str(tmp_path / "target")],
        cwd=dbt_project.project_dir,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    after = all_tables(warehouse, exclude=("staged_at",))
    assert after.keys() == before.keys()
    for table, rows in before.items():
        assert after[table] == rows, f"{table} differs after a full refresh"


def test_dbt_docs_generate_works(warehouse: Warehouse, tmp_path):
    proc = subprocess.run(
        [DBT_EXECUTABLE, "docs", "generate", "--profiles-dir", ".", "--target-path", str(tmp_path / "docs")],
        cwd=dbt_project.project_dir,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    catalog = json.loads((tmp_path / "docs" / "catalog.json").read_text())
    assert any(key.endswith("dim_tiktok_accounts") for key in catalog["nodes"])


def test_unit_tests_of_every_kpi_pass(warehouse: Warehouse, tmp_path):
    unit_tests = [n for n in manifest()["unit_tests"].values()]
    tested = {u["model"] for u in unit_tests}
    assert {"fct_tiktok_account_daily", "dim_tiktok_videos", "fct_tiktok_video_daily", "fct_tiktok_comments"} <= tested
    proc = subprocess.run(
        [DBT_EXECUTABLE, "test", "--select", "test_type:unit", "--profiles-dir", ".", "--target-path", str(tmp_path)],
        cwd=dbt_project.project_dir,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]


@pytest.mark.parametrize(
    ("fqn", "group"),
    [
        (["tiktok", "staging", "stg_tiktok__comments"], "tiktok_staging"),
        (["tiktok", "marts", "account", "dim_tiktok_accounts"], "tiktok_account"),
        (["tiktok", "marts", "comment", "fct_tiktok_comments"], "tiktok_comment"),
    ],
)
def test_groups_follow_dbt_folders(fqn, group):
    assert group_for_fqn(fqn) == group


def test_the_graph_runs_raw_to_staging_to_marts_with_dbt_tests_as_checks():
    graph = defs.resolve_asset_graph()
    staging = graph.get(dg.AssetKey("stg_tiktok__post_snapshots"))
    assert staging.group_name == "tiktok_staging"
    assert dg.AssetKey("raw_tiktok_videos") in staging.parent_keys
    videos = graph.get(dg.AssetKey("dim_tiktok_videos"))
    assert videos.group_name == "tiktok_video"
    assert dg.AssetKey("stg_tiktok__post_snapshots") in videos.parent_keys
    assert isinstance(videos.partitions_def, dg.DailyPartitionsDefinition)
    assert videos.backfill_policy == dg.BackfillPolicy.single_run()
    dbt_checks = [k for k in graph.asset_check_keys if k.asset_key.to_user_string() in MARTS]
    assert len(dbt_checks) > 20, "dbt tests appear as asset checks"


def test_the_partition_window_reaches_dbt_as_its_environment():
    window = dg.TimeWindow(
        datetime.fromisoformat("2026-11-08T00:00:00+00:00"), datetime.fromisoformat("2026-11-18T00:00:00+00:00")
    )
    assert dbt_window_env(window) == {"TIKTOK_DBT_MIN_DATE": "2026-11-08", "TIKTOK_DBT_MAX_DATE": "2026-11-18"}
    assert dbt_window_env(None) == {"TIKTOK_DBT_MIN_DATE": "", "TIKTOK_DBT_MAX_DATE": ""}


def test_dbt_progress_is_one_line_per_model_and_test_with_its_time_and_count():
    progress = DbtProgress(models=2, tests=1)
    model = dg.Output(None, "stg_x", metadata={"unique_id": "model.tiktok.stg_x", "Execution Duration": 1.25})
    check = dg.AssetCheckResult(
        asset_key=dg.AssetKey("stg_x"), check_name="keys_unique_not_null__stg_x", passed=False,
        severity=dg.AssetCheckSeverity.WARN, metadata={"Execution Duration": 0.4},
    )  # fmt: skip
    assert progress.line(model) == ("info", "dbt built stg_x in 1.2 s (1/2 models)")
    assert progress.line(check) == (
        "warning",
        "dbt test keys_unique_not_null__stg_x on stg_x FAILED (WARN) in 0.4 s (1/1 tests)",
    )
    assert progress.line(dg.AssetObservation(asset_key="stg_x")) is None


def test_the_weekly_full_check_runs_every_dbt_test_over_whole_tables(warehouse: Warehouse, tmp_path, monkeypatch):
    """The weekly job runs the dbt tests alone, without a window: a key broken on an old day fails it."""
    copy = tmp_path / "warehouse.duckdb"  # a copy: the other tests share the module's warehouse
    shutil.copy(warehouse.path, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute(
            "insert into marts.fct_tiktok_video_daily select * from marts.fct_tiktok_video_daily "
            "where snapshot_date = ? limit 1",
            [warehouse.days[0]],
        )
    monkeypatch.setenv("TIKTOK_DUCKDB_PATH", str(copy))
    chosen = WarehouseResource.from_env()
    job = defs.resolve_job_def("tiktok_weekly_full_check")
    instance = dg.DagsterInstance.ephemeral()
    result = job.execute_in_process(
        resources={"dbt": dbt_cli(chosen), "warehouse": chosen}, raise_on_error=False, instance=instance
    )
    evaluations = result.get_asset_check_evaluations()
    assert not result.get_asset_materialization_events(), "no model is built"
    # every dbt data test, once: `dbt test`, which (unlike `dbt build`) runs the tests of the models downstream
    # of a failed test too
    assert len(evaluations) == sum(len(step.check_keys) for step in DBT_STEPS), "every dbt data test, once"
    failed = [e for e in evaluations if not e.passed]
    assert [e.check_name for e in failed] == ["keys_unique_not_null__fct_tiktok_video_daily"]
    # every check result names its rule, severity and runbook section (from the test's meta in the manifest)
    meta = {key: value.value for key, value in failed[0].metadata.items()}
    assert (meta["rule_id"], meta["severity"]) == ("keys_unique_not_null", "ERROR")
    # nothing is built, so nothing is held back: Dagster's severity is WARN (or the step would fail and skip the
    # derived marts' tests); the metadata, which the alert reads, keeps the rule's ERROR
    assert failed[0].severity == dg.AssetCheckSeverity.WARN
    assert meta["runbook"].startswith("file://") and meta["runbook"].endswith("docs/runbook.md#keys-unique-not-null")
    assert meta["dagster_dbt/failed_row_count"] == 1
    # each dbt step's log counts its tests as they finish, one line each
    logs = instance.all_logs(result.run_id)
    for step in DBT_STEPS:
        total = len(step.check_keys)
        progress = [
            e.user_message for e in logs if e.step_key == step.op.name and e.user_message.startswith("dbt test ")
        ]
        assert len(progress) == total and progress[-1].endswith(f"({total}/{total} tests)"), step.op.name
    assert sum("FAILED (ERROR)" in e.user_message for e in logs if e.user_message.startswith("dbt test ")) == 1
    for evaluation in evaluations:
        rule_id = evaluation.metadata["rule_id"].value
        assert evaluation.check_name == f"{rule_id}__{evaluation.asset_key.to_user_string()}"


def test_mentions_reconcile_from_raw_with_ranks_and_first_and_last_seen(warehouse: Warehouse):
    """Each day's newest complete mention fetch is the day's list: its order is the rank; first and last seen
    span the days a post was listed, and a post that left the list and came back keeps its first day."""
    listed: dict[tuple[str, str, str], int] = {}
    for fetch in raw_newest(warehouse, "mentions"):
        posts = [v for page in fetch["pages"] for v in page["response"]["data"]["videos"]]
        for key in [k for k in listed if k[0] == fetch["business_id"] and k[2] == fetch["partition_date"]]:
            del listed[key]  # a newer fetch of the day replaces the older one's list
        for rank, post in enumerate(posts, start=1):
            listed[(fetch["business_id"], post["item_id"], fetch["partition_date"])] = rank
    rows = warehouse.query(
        "select business_id, item_id, cast(snapshot_date as text), mention_rank, cast(first_seen_date as text), "
        "cast(last_seen_date as text), days_listed from marts.fct_tiktok_mention_daily"
    )
    assert rows and {(b, i, d): r for b, i, d, r, *_ in rows} == listed
    days: dict[tuple[str, str], list[str]] = defaultdict(list)
    for business_id, item_id, day in listed:
        days[(business_id, item_id)].append(day)
    for business_id, item_id, _, _, first, last, count in rows:
        seen = sorted(days[(business_id, item_id)])
        assert (first, last, count) == (seen[0], seen[-1], len(seen))
    came_back = [r for r in rows if (date.fromisoformat(r[5]) - date.fromisoformat(r[4])).days + 1 > r[6]]
    assert came_back, "some post left the list for a day and came back"
    per_day = warehouse.query("select max(n) from (select count(*) as n from marts.fct_tiktok_mention_daily group by "
                              "business_id, snapshot_date) as d")  # fmt: skip
    assert per_day == [(1000,)], "the most mentioned account's days hold the 1,000 the API lists"


def _raw_term_lists(warehouse: Warehouse) -> dict[tuple[str, str, str, str], tuple[int, int, int]]:
    """(account, day, term type, term) -> (rank, post count, views) of each account-day's newest complete fetch of
    the mention terms: its two lists, whole, in the API's order."""
    days: dict[tuple[str, str], dict] = {}
    for fetch in raw_newest(warehouse, "mention_terms"):
        lists: dict[str, list] = {"hashtag": [], "word": []}
        for page in fetch["pages"]:
            data = page["response"]["data"]
            lists["hashtag"] += [(t["hashtag_name"], t["post_count"], t["views"]) for t in data.get("hashtags") or []]
            lists["word"] += [(t["word"], t["post_count"], t["views"]) for t in data.get("words") or []]
        days[(fetch["business_id"], fetch["partition_date"])] = lists  # a newer fetch replaces the day whole
    return {
        (business_id, day, kind, term): (rank, count, views)
        for (business_id, day), lists in days.items()
        for kind, terms in lists.items()
        for rank, (term, count, views) in enumerate(terms, start=1)
    }


def test_mention_terms_reconcile_from_raw_and_count_the_days_mention_list(warehouse: Warehouse):
    """Each account-day's newest terms fetch is the day's two lists (their order the rank) in staging and the mart;
    each hashtag counts the posts of the same day's mention list whose caption carries it."""
    expected = _raw_term_lists(warehouse)
    assert {kind for _, _, kind, _ in expected} == {"hashtag", "word"}
    for model in ("staging.stg_tiktok__mention_terms", "marts.fct_tiktok_mention_terms_daily"):
        rows = warehouse.query(
            "select business_id, cast(snapshot_date as text), term_type, term, term_rank, post_count, views "
            f"from {model}"
        )
        assert {row[:4]: row[4:] for row in rows} == expected and len(rows) == len(expected), model
    captions: dict[tuple[str, str], list[set[str]]] = defaultdict(list)
    for business_id, day, caption in warehouse.query(
        "select business_id, cast(snapshot_date as text), caption from marts.fct_tiktok_mention_daily"
    ):
        captions[(business_id, day)].append({t[1:] for t in caption.lower().split() if t.startswith("#")})
    assert {(b, d) for b, d, _, _ in expected} == set(captions), "terms for every account-day with mentions"
    for (business_id, day, kind, term), (_, post_count, _) in expected.items():
        if kind == "hashtag":
            assert post_count == sum(term in tags for tags in captions[(business_id, day)]), (business_id, day, term)
    ranks = warehouse.query(
        "select max(term_rank), count(*) from marts.fct_tiktok_mention_terms_daily group by business_id, "
        "snapshot_date, term_type order by 1 desc limit 1"
    )
    assert ranks == [(10, 10)], "the busiest lists hold the 10 terms the API lists, ranked 1..10"


def test_a_newer_terms_fetch_replaces_the_account_days_lists_whole(warehouse: Warehouse, tmp_path: Path):
    """A re-fetch whose word list is shorter: the day's words are the new fetch's only (none of the older fetch's
    survives), its hashtags come from the new fetch too, and every other account-day is untouched."""
    stream = Path("raw") / "tiktok" / "mention_terms"
    data_dir, copy, day = tmp_path / "data", tmp_path / "warehouse.duckdb", warehouse.days[-1]
    shutil.copytree(warehouse.data_dir / stream, data_dir / stream)
    shutil.copy(warehouse.path, copy)
    query = "select * exclude (staged_at) from marts.fct_tiktok_mention_terms_daily order by all"
    before = warehouse.query(query)
    [(business_id,)] = warehouse.query(
        "select business_id from marts.fct_tiktok_mention_terms_daily where snapshot_date = "
        f"'{day}' and term_type = 'word' group by 1 order by count(*) desc, 1 limit 1"
    )
    older = landing.read_fetch(landing.list_fetches(data_dir, "mention_terms", day, business_id)[-1])
    pages = []
    for page in older["pages"]:
        data = dict(page["response"]["data"])
        if "words" in data:
            data["words"] = data["words"][:3]
            data["cursor"] = 3
        body = json.dumps({**page["response"], "data": data})
        pages.append(
            Page(page["endpoint"], page["params"], 200, page["request_id"], None, page["fetched_at"], body, data)
        )
    kept = [word["word"] for page in pages for word in page.data.get("words") or []]
    landed = datetime.fromisoformat(older["landed_at"]) + timedelta(hours=1)
    meta = {"source": "simulator", "run_id": "refetch", "complete": True}
    landing.write_fetch(data_dir, "mention_terms", day, business_id, meta, pages, fetch_id="refetch", landed_at=landed)
    window = {"TIKTOK_DBT_MIN_DATE": day.isoformat(), "TIKTOK_DBT_MAX_DATE": str(day + timedelta(days=1))}
    env = {"TIKTOK_DUCKDB_PATH": str(copy), "TIKTOK_DATA_DIR": str(data_dir), **window}
    proc = _dbt(["build", "--select", "stg_tiktok__mention_terms fct_tiktok_mention_terms_daily"], tmp_path / "t", env)
    assert proc.returncode == 0, proc.stdout[-3000:]
    with duckdb.connect(str(copy), read_only=True) as con:
        after = con.execute(query).fetchall()
        for model in ("staging.stg_tiktok__mention_terms", "marts.fct_tiktok_mention_terms_daily"):
            words = con.execute(
                f"select term, term_rank, fetch_id from {model} where business_id = ? and snapshot_date = ? "
                "and term_type = 'word' order by term_rank",
                [business_id, day],
            ).fetchall()
            assert words == [(word, rank, "refetch") for rank, word in enumerate(kept, start=1)], model
            fetches = con.execute(
                f"select distinct fetch_id from {model} where business_id = ? and snapshot_date = ?", [business_id, day]
            ).fetchall()
            assert fetches == [("refetch",)], f"{model}: the lists of two fetches are never mixed"
    untouched = [row for row in before if (row[0], row[1]) != (business_id, day)]
    assert [row for row in after if (row[0], row[1]) != (business_id, day)] == untouched


@dataclass
class Benchmarked:
    """A copy of the module's warehouse whose accounts have business categories, its days' benchmarks landed and
    built: the data folder, the DuckDB file, each account's category (None: a line without one) and the raw asset's
    materialisations."""

    data_dir: Path
    path: Path
    categories: dict[str, str | None]
    landings: list[dg.AssetMaterialization]

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def benchmarked(warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Benchmarked:
    """The module's warehouse lands no benchmarks (it has no accounts.csv): a copy writes one (two accounts of one
    category, one of another, one line without a category), loads it, lands the benchmarks of every day the way
    the daily run does and builds the benchmark models over the days."""
    folder = tmp_path_factory.mktemp("benchmarked")
    copy = folder / "warehouse.duckdb"
    shutil.copy(warehouse.path, copy)
    ids = [account.business_id for account in warehouse.server.simulator.world.accounts]
    assert warehouse.server.simulator.seed == 42 and len(ids) == 4
    categories = dict(zip(ids, ["food_and_beverage", "food_and_beverage", "beauty", None], strict=True))
    lines = "".join(f"{business_id},,{category or ''}\n" for business_id, category in categories.items())
    (folder / "accounts.csv").write_text("business_id,time_zone,business_category\n" + lines)
    landings = []
    # a simulator of the same world, its clock walked forward from the first day (the module's has passed them)
    simulator = Simulator(seed=42, accounts=4, now=fetch_time(warehouse.days[0]), speed=600.0)
    with restored_environment(("TIKTOK_DATA_DIR", "TIKTOK_DUCKDB_PATH")), SimulatorServer(simulator) as server:
        os.environ["TIKTOK_DATA_DIR"], os.environ["TIKTOK_DUCKDB_PATH"] = str(folder), str(copy)
        resources = {"warehouse": WarehouseResource.from_env()}
        assert dg.materialize([tiktok_team_config], partition_key=warehouse.days[0].isoformat(), resources=resources)
        for day in warehouse.days:
            simulator.clock.set(now=fetch_time(day))
            result = dg.materialize(
                [raw_tiktok_benchmarks],
                partition_key=day.isoformat(),
                resources={"tiktok": TikTokSource(simulator_url=server.url)},
            )
            landings += [event.materialization for event in result.get_asset_materialization_events()]
        window = {
            "TIKTOK_DBT_MIN_DATE": str(warehouse.days[0]),
            "TIKTOK_DBT_MAX_DATE": str(warehouse.days[-1] + timedelta(days=1)),
        }
        models = "stg_tiktok__benchmarks fct_tiktok_account_benchmarks fct_tiktok_account_percentiles"
        proc = _dbt(["build", "--select", models], folder / "target", window)
        assert proc.returncode == 0, proc.stdout[-3000:]
    return Benchmarked(folder, copy, categories, landings)


def test_benchmarks_land_for_configured_accounts_and_skip_one_without_a_category(benchmarked: Benchmarked):
    without = next(business_id for business_id, category in benchmarked.categories.items() if category is None)
    for landed in benchmarked.landings:
        assert landed.metadata["failed_accounts"].value == {}
        assert list(landed.metadata["skipped"].value) == [without]
        assert "accounts.csv line 5 leaves business_category empty" in landed.metadata["skipped"].value[without]
        assert landed.metadata["records"].value == 3
    fetches = [
        landing.read_fetch(path)
        for path in sorted((benchmarked.data_dir / "raw" / "tiktok" / "benchmarks").rglob("[0-9]*.json"))
    ]
    assert {(f["business_id"], f["business_category"]) for f in fetches} == {
        (business_id, category) for business_id, category in benchmarked.categories.items() if category
    }


def test_the_category_averages_reconcile_from_raw_beside_each_accounts_30_days(
    warehouse: Warehouse, benchmarked: Benchmarked
):
    """Staging holds each category-day's newest answer; the mart sets it beside every configured account's day and
    says why it has none; the account's 30-day figures are its own marts' rows of the 30 days, summed."""
    answers: dict[tuple[str, date], dict] = {}
    for path in sorted((benchmarked.data_dir / "raw" / "tiktok" / "benchmarks").rglob("[0-9]*.json")):
        fetch = landing.read_fetch(path)
        data = fetch["pages"][0]["response"]["data"]
        answers[(data["business_category"], date.fromisoformat(data["date"]))] = data
    assert {day for _, day in answers} == set(warehouse.days), "each day's run lands the day itself (after the lag)"
    averages = ", ".join(contract.BENCHMARK_METRICS)
    staged = benchmarked.query(
        f"select business_category, benchmark_date, {averages} from staging.stg_tiktok__benchmarks"
    )
    assert {(c, d): dict(zip(contract.BENCHMARK_METRICS, values, strict=True)) for c, d, *values in staged} == {
        key: {metric: answer[metric] for metric in contract.BENCHMARK_METRICS} for key, answer in answers.items()
    }
    assert len(staged) == len(answers) == 2 * len(warehouse.days), "one row per category and day"

    rows = benchmarked.query(
        "select business_id, metric_date, business_category, category_average_followers, "
        "category_average_engagement_rate, no_benchmark_reason, metric_days, video_views_30d, engagement_rate_30d, "
        "videos_posted_30d, videos_measured, likes_per_video_30d, net_followers_30d "
        "from marts.fct_tiktok_account_benchmarks"
    )
    days = benchmarked.query(
        "select business_id, metric_date, video_views, engagements, new_followers - lost_followers "
        "from marts.fct_tiktok_account_daily"
    )
    assert {(r[0], r[1]) for r in rows} == {(d[0], d[1]) for d in days}, "every account-day, configured or not"
    videos = benchmarked.query(
        "select business_id, item_id, cast(timezone('UTC', published_at) as date) from marts.dim_tiktok_videos"
    )
    likes = {
        (i, d): n
        for i, d, n in benchmarked.query("select item_id, snapshot_date, likes from marts.fct_tiktok_video_daily")
    }
    checked = 0
    for (
        business_id,
        day,
        category,
        followers,
        rate,
        reason,
        metric_days,
        views,
        engagement_rate,
        posted,
        measured,
        per_video,
        net,
    ) in rows:
        expected_category = benchmarked.categories[business_id]
        assert category == expected_category
        answer = answers.get((category, day))
        if category is None:
            assert (followers, rate, reason) == (None, None, "no business category configured in accounts.csv")
        elif answer is None:
            assert (followers, rate, reason) == (None, None, "no benchmark of the category landed for this day")
        else:
            assert (followers, rate, reason) == (answer["average_followers"], answer["average_engagement_rate"], None)
            checked += 1
        window = [d for d in days if d[0] == business_id and day - timedelta(days=30) < d[1] <= day]
        assert metric_days == len(window)
        assert views == sum(d[2] for d in window)
        total_engagements = sum(d[3] for d in window)
        assert engagement_rate == (total_engagements / views if views else None)
        assert net == sum(d[4] for d in window)
        in_window = [
            item
            for owner, item, published_on in videos
            if owner == business_id and day - timedelta(days=30) < published_on <= day
        ]
        assert posted == len(in_window)
        counted = [likes[(item, day)] for item in in_window if (item, day) in likes]
        assert measured == len(counted)
        assert per_video == (sum(counted) / len(counted) if counted else None)
    assert checked == 3 * len(warehouse.days), "the three configured accounts have their category beside each day"


def _percent_rank(value: float | None, values: list[float | None]) -> float | None:
    ranked = [v for v in values if v is not None]
    if value is None or len(ranked) < 2:
        return None
    return sum(v < value for v in ranked) / (len(ranked) - 1)


def test_the_percentiles_rank_each_figure_among_all_accounts_and_within_the_follower_band(benchmarked: Benchmarked):
    rows = benchmarked.query(
        "select business_id, metric_date, metric_name, metric_value, follower_band, accounts_ranked, "
        "accounts_ranked_in_band, percent_rank, percent_rank_in_band from marts.fct_tiktok_account_percentiles"
    )
    [(account_days,)] = benchmarked.query("select count(*) from marts.fct_tiktok_account_benchmarks")
    assert len(rows) == 8 * account_days, "the eight figures of every account-day"
    groups: dict[tuple, list[tuple]] = defaultdict(list)
    for row in rows:
        groups[(row[1], row[2])].append(row)
    bands = set()
    for members in groups.values():
        values = [m[3] for m in members]
        for business_id, _, _, value, band, ranked, in_band, rank, rank_in_band in members:
            same_band = [m[3] for m in members if band is not None and m[4] == band]
            assert ranked == sum(v is not None for v in values)
            assert in_band == sum(v is not None for v in same_band)
            assert rank == _percent_rank(value, values), business_id
            assert rank_in_band == _percent_rank(value, same_band), business_id
            bands.add(band)
    assert len(bands - {None}) >= 2, "the demo accounts span several bands"
    alone = [r for r in rows if r[6] == 1 and r[3] is not None]
    assert alone and all(r[8] is None for r in alone), "an account alone in its band has no rank in it"


def test_the_profile_history_holds_each_days_profile_from_raw(warehouse: Warehouse):
    """One row per account and day with the profile of the day's newest fetch; the simulator renames no account, so
    after each account's first day (no previous snapshot: unknown) every change flag is false."""
    fields = ("username", "display_name", "bio_description", "followers_count", "following_count", "total_likes",
              "videos_count")  # fmt: skip
    newest = {}
    for fetch in raw_newest(warehouse, "account"):
        data = fetch["pages"][0]["response"]["data"]
        newest[(fetch["business_id"], fetch["partition_date"])] = tuple(data.get(f) for f in fields)
    rows = warehouse.query(
        f"select business_id, cast(snapshot_date as text), {', '.join(fields)}, cast(previous_snapshot_date as text), "
        "is_username_changed, is_display_name_changed, is_bio_changed from marts.fct_tiktok_account_profile_daily"
    )
    assert {(r[0], r[1]): r[2:9] for r in rows} == newest and len(rows) == len(newest)
    first_days = {}
    for business_id, day in sorted(newest):
        first_days.setdefault(business_id, day)
    for row in rows:
        business_id, day, previous, flags = row[0], row[1], row[9], list(row[10:])
        if day == first_days[business_id]:
            assert previous is None and flags == [None, None, None]
        else:
            assert previous == (date.fromisoformat(day) - timedelta(days=1)).isoformat()
            assert flags == [False, False, False]


def test_the_social_media_rollup_is_each_post_in_the_packages_shape(warehouse: Warehouse):
    """One row per post of dim_tiktok_videos with Fivetran's column names and types; clicks sum the newest
    snapshot's five click counters from raw, null (not 0) exactly for the Personal account's posts."""
    types = warehouse.query(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'marts' and table_name = 'fct_tiktok_social_media_rollup' order by ordinal_position"
    )
    assert types == [
        ("created_timestamp", "TIMESTAMP"), ("post_id", "VARCHAR"), ("post_message", "VARCHAR"),
        ("page_id", "VARCHAR"), ("page_name", "VARCHAR"), ("post_url", "VARCHAR"), ("platform", "VARCHAR"),
        ("clicks", "BIGINT"), ("impressions", "BIGINT"), ("likes", "BIGINT"), ("shares", "BIGINT"),
        ("comments", "BIGINT"), ("staged_at", "TIMESTAMP WITH TIME ZONE"),
    ]  # fmt: skip
    clicks = ("website_clicks", "phone_number_clicks", "email_clicks", "address_clicks", "app_download_clicks")
    newest: dict[str, dict] = {}
    for fetch in raw_newest(warehouse, "videos"):  # newest last, and later days after earlier ones
        for page in fetch["pages"]:
            for video in page["response"]["data"]["videos"]:
                key = video["item_id"]
                if key not in newest or fetch["partition_date"] >= newest[key]["day"]:
                    newest[key] = {"day": fetch["partition_date"], "video": video}
    expected_clicks = {}
    for item_id, snapshot in newest.items():
        reported = [snapshot["video"].get(f) for f in clicks if snapshot["video"].get(f) is not None]
        expected_clicks[item_id] = sum(reported) if reported else None
    rows = warehouse.query(
        "select r.post_id, r.clicks, a.account_type, "
        "r.created_timestamp = timezone('UTC', v.published_at) and r.post_message is not distinct from v.caption "
        "and r.page_id = v.business_id and r.page_name = a.display_name and r.post_url = v.share_url "
        "and r.platform = 'tiktok' and r.impressions = v.video_views and r.likes = v.likes and r.shares = v.shares "
        "and r.comments = v.comments "
        "from marts.fct_tiktok_social_media_rollup as r "
        "join marts.dim_tiktok_videos as v on v.item_id = r.post_id "
        "join marts.dim_tiktok_accounts as a on a.business_id = v.business_id"
    )
    [(posts,)] = warehouse.query("select count(*) from marts.dim_tiktok_videos")
    assert len(rows) == posts == len(newest) > 0
    assert all(same for *_, same in rows), "every column maps from its source"
    assert {post_id: c for post_id, c, _, _ in rows} == expected_clicks
    assert {c is None for _, c, account_type, _ in rows if account_type == "personal"} == {True}
    assert {c is None for _, c, account_type, _ in rows if account_type == "business"} == {False}


def test_posts_are_read_at_day_1_and_day_7_and_the_slots_count_them(warehouse: Warehouse):
    """Each post's day-N figures are its snapshot of the first day ending at or after published_at + N days (the day
    of the instant before that moment), or null with a reason when that one day has no snapshot; the slot marts count
    the same posts, and 10 days give every account a reason instead of a recommended slot (thin data)."""
    posts = warehouse.query(
        "select item_id, epoch(published_at), day_1_snapshot_date, day_1_video_views, day_1_null_reason, "
        "day_7_snapshot_date, day_7_video_views, day_7_null_reason from marts.fct_tiktok_post_timing"
    )
    snapshots = warehouse.query("select item_id, snapshot_date, video_views from marts.fct_tiktok_video_daily")
    views = {(item_id, day): count for item_id, day, count in snapshots}
    videos = warehouse.query("select item_id from marts.dim_tiktok_videos")
    assert sorted(p[0] for p in posts) == sorted(item_id for (item_id,) in videos)
    measured = {1: 0, 7: 0}
    for item_id, published, *figures in posts:
        for n, (day, day_views, reason) in ((1, figures[0:3]), (7, figures[3:6])):
            assert day == date(1970, 1, 1) + timedelta(days=(published + n * 86400 - 1e-6) // 86400), (item_id, n)
            assert day_views == views.get((item_id, day)) and (reason is None) == ((item_id, day) in views)
            measured[n] += day_views is not None
    assert measured[1] > 0 and measured[7] > 0, "ten days measure some posts at day 1 and at day 7"
    [(slot_posts, slot_measured)] = warehouse.query(
        "select sum(posts), sum(posts_measured_day_7) from marts.fct_tiktok_posting_performance "
        "where time_basis = 'utc'"
    )
    assert slot_posts == len(posts) and slot_measured == measured[7]
    slots = warehouse.query(
        "select business_id, slot, no_recommendation_reason from marts.fct_tiktok_recommended_slots"
    )
    accounts = warehouse.query("select business_id from marts.dim_tiktok_accounts")
    assert sorted(b for b, *_ in slots) == sorted(b for (b,) in accounts), "one row per account (and clock)"
    assert {(slot, reason is not None) for _, slot, reason in slots} == {("none", True)}


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def test_the_metric_anomalies_are_the_28_days_before_each_day_of_the_account_daily(warehouse: Warehouse):
    """Every account-day of fct_tiktok_account_daily has its four metrics; each day's history is the metric's values
    of the 28 days before it, recomputed here. The module's 13 days of history are under the default minimum of 14,
    so no day is scored: the first day has no history, the others thin history (no false alarm)."""
    metrics = ("video_views", "net_followers", "engagement_rate", "profile_views")
    daily = warehouse.query(
        f"select business_id, metric_date, {', '.join(metrics)} from marts.fct_tiktok_account_daily"
    )
    values = {(row[0], row[1], metric): row[2 + i] for row in daily for i, metric in enumerate(metrics)}
    rows = warehouse.query(
        "select business_id, metric_date, metric, metric_value, history_days, history_median, history_mad, "
        "robust_score, score_null_reason, is_anomaly, direction from marts.fct_tiktok_account_metric_anomalies"
    )
    assert {(b, d, m) for b, d, m, *_ in rows} == set(values) and len(rows) == len(values) == 4 * len(daily)
    for business_id, day, metric, value, days, median, mad, score, reason, is_anomaly, direction in rows:
        history = [
            float(v)
            for (b, d, m), v in values.items()
            if (b, m) == (business_id, metric) and day - timedelta(days=28) <= d < day and v is not None
        ]
        assert value == values[(business_id, day, metric)] and days == len(history)
        if history:
            assert median == pytest.approx(_median(history), rel=1e-12)
            assert mad == pytest.approx(_median([abs(v - _median(history)) for v in history]), rel=1e-12, abs=1e-12)
        else:
            assert median is None and mad is None
        expected = "no value" if value is None else "no history" if not history else "thin history"
        assert (score, reason, is_anomaly, direction) == (None, expected, False, None)
    assert max(row[4] for row in rows) == 12, "13 days of account metrics"


def test_the_anomaly_check_alerts_on_the_newest_day_of_the_window_only(warehouse: Warehouse, tmp_path):
    """metrics_within_usual_range reads the newest day of the partition window (a backfill alerts on its last day,
    not on history), or the newest day of the table without a window (the weekly full check)."""
    copy = tmp_path / "warehouse.duckdb"  # a copy: the other tests share the module's warehouse
    shutil.copy(warehouse.path, copy)
    old_day, last_day = warehouse.days[-5], warehouse.days[-1]
    with duckdb.connect(str(copy)) as con:  # two anomalies on an old day, one on the newest
        con.execute(
            "update marts.fct_tiktok_account_metric_anomalies set is_anomaly = true "
            "where (metric_date = ? and metric in ('video_views', 'profile_views')) "
            "or (metric_date = ? and metric = 'video_views')",
            [old_day, last_day],
        )
        flagged = dict(
            con.execute(
                "select metric_date, count(*) from marts.fct_tiktok_account_metric_anomalies where is_anomaly "
                "group by metric_date"
            ).fetchall()
        )
    assert set(flagged) == {old_day, last_day} and flagged[old_day] == 2 * flagged[last_day] > 0
    test = "metrics_within_usual_range__fct_tiktok_account_metric_anomalies"

    def warned(window: tuple[date, date] | None) -> tuple[str, int]:
        env = {"TIKTOK_DUCKDB_PATH": str(copy), **dbt_window_env(None)}
        if window:
            env |= {"TIKTOK_DBT_MIN_DATE": window[0].isoformat(), "TIKTOK_DBT_MAX_DATE": window[1].isoformat()}
        target = tmp_path / f"target-{len(list(tmp_path.iterdir()))}"
        _dbt(["test", "--select", test], target, env)
        results = json.loads((target / "run_results.json").read_text())["results"]
        [result] = [r for r in results if r["unique_id"].split(".")[2] == test]  # not the on-run-start hook
        return result["status"], result["failures"]

    day = timedelta(days=1)
    assert warned((last_day, last_day + day)) == ("warn", flagged[last_day])
    assert warned((old_day, old_day + day)) == ("warn", flagged[old_day])
    assert warned((old_day, last_day + day)) == ("warn", flagged[last_day]), "a backfill: its last day only"
    assert warned((old_day + day, old_day + 2 * day)) == ("pass", 0)
    assert warned(None) == ("warn", flagged[last_day]), "no window: the table's newest day"


def _post_day_gains(warehouse: Warehouse) -> dict[tuple[str, date], tuple[str, int | None]]:
    """(post, snapshot day) -> (account, the day's views gained) as docs/decisions.md attributes them: the gain
    since the previous snapshot; on a first snapshot, the lifetime views of a post published at most a day before."""
    rows = warehouse.query(
        "select d.item_id, d.business_id, d.snapshot_date, d.previous_snapshot_date, d.video_views, "
        "d.video_views_gained, cast(timezone('UTC', v.published_at) as date) "
        "from marts.fct_tiktok_video_daily as d join marts.dim_tiktok_videos as v using (item_id)"
    )
    gains = {}
    for item_id, account, day, previous, views, gained, published in rows:
        if previous is not None:
            gains[(item_id, day)] = (account, gained)
        else:
            gains[(item_id, day)] = (account, views if published >= day - timedelta(days=1) else None)
    return gains


def _per_group(gains: dict, members: set[tuple[str, str]]) -> dict[tuple, tuple[int, int | None]]:
    """(account, group, day) -> (posts, views gained) for posts in groups (`members`: (item_id, group))."""
    groups: dict[str, set[str]] = defaultdict(set)
    for item_id, group in members:
        groups[item_id].add(group)
    totals: dict[tuple, list] = defaultdict(lambda: [0, None])
    for (item_id, day), (account, gained) in gains.items():
        for group in groups.get(item_id, ()):
            total = totals[(account, group, day)]
            total[0] += 1
            if gained is not None:
                total[1] = (total[1] or 0) + gained
    return {key: tuple(value) for key, value in totals.items()}


def test_labels_match_the_posts_the_file_names_and_their_days_reconcile(warehouse: Warehouse):
    """The label marts against a recount in Python from the labels file (tiktok_api/team_config.py reads it) and
    the video marts: which posts each line labels, each post once per label, and the posts and views per day."""
    import re

    from tests.dbt.conftest import TEST_LABELS
    from tiktok_api.team_config import parse_labels

    rules = parse_labels(TEST_LABELS).rows
    videos = warehouse.query("select item_id, caption, hashtags from marts.dim_tiktok_videos")

    def matches(rule, item_id: str, caption: str | None, hashtags: list[str] | None) -> bool:
        if rule.item_id:
            return item_id == rule.item_id
        if rule.hashtag:
            return rule.hashtag in (hashtags or [])
        pattern = ".*".join(re.escape(part) for part in rule.match_value.split("*"))
        return caption is not None and re.search(pattern, caption, re.IGNORECASE | re.DOTALL) is not None

    matched = {rule.line: {v[0] for v in videos if matches(rule, *v)} for rule in rules}
    lines = dict(warehouse.query("select line_number, posts_matched from marts.dim_tiktok_label_lines"))
    assert lines == {line: len(posts) for line, posts in matched.items()}
    assert lines[5] == 0 and all(lines[line] > 0 for line in (2, 3, 4)), "#nosuchtag labels nothing, the rest do"
    expected = {(item_id, rule.label) for rule in rules for item_id in matched[rule.line]}
    post_labels = warehouse.query("select item_id, label from marts.dim_tiktok_post_labels")
    assert len(post_labels) == len(set(post_labels)) and set(post_labels) == expected

    gains = _post_day_gains(warehouse)
    daily = warehouse.query(
        "select business_id, label, snapshot_date, posts, video_views_gained from marts.fct_tiktok_label_daily"
    )
    assert {(a, g, d): (p, v) for a, g, d, p, v in daily} == _per_group(gains, expected) != {}
    assert any(v for *_, v in daily), "some labelled views were gained"


def test_hashtag_days_count_each_tag_of_each_caption(warehouse: Warehouse):
    tags = {
        (item_id, tag)
        for item_id, hashtags in warehouse.query("select item_id, hashtags from marts.dim_tiktok_videos")
        for tag in hashtags or []
    }
    daily = warehouse.query(
        "select business_id, hashtag, snapshot_date, posts, video_views_gained from marts.fct_tiktok_hashtag_daily"
    )
    assert {(a, t, d): (p, v) for a, t, d, p, v in daily} == _per_group(_post_day_gains(warehouse), tags) != {}
    rates = warehouse.query(
        "select engagement_rate, completion_rate from marts.fct_tiktok_hashtag_daily where video_views_gained > 0"
    )
    assert rates and all(rate is not None and 0 <= completion <= 1 for rate, completion in rates if completion)
