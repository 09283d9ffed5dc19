"""`make demo`: the whole pipeline on the built-in simulator, day by day over the last 14 days.

The simulator's clock is walked forward so that each day is fetched when a real daily run would fetch
it (once it is published for certain, tiktok_api/days.py). Runs are recorded in the Dagster instance under
$TIKTOK_DATA_DIR/dagster, so `make ui` shows them afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
import uuid
from collections import defaultdict
from contextlib import redirect_stdout
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from assets.warehouse import Warehouse
from expectations.rules import PERFORMANCE, rule_kind
from orchestration.preflight import problems
from orchestration.progress import RunCounts, RunFollower
from tiktok_api import landing
from tiktok_api.days import daily_run_time, newest_published_day
from tiktok_api.files import atomic_write_text
from tiktok_api.settings import data_dir, load_env_file
from tiktok_api.simulator import FaultConfig, Simulator, SimulatorServer
from tiktok_api.simulator.world import AccountSpec, World
from tiktok_api.team_config import ACCOUNTS_FILE, LABELS_FILE

DEMO_DAYS = 14
SKIPPED = "landed and built by an earlier make demo (make demo FRESH=1 starts over)"
LANDED_WIDTH = 66  # four streams' "name records/calls"


def demo_partitions(today: date, days: int = DEMO_DAYS) -> list[date]:
    """The last `days` days the API had published for certain by the start of `today`."""
    last = newest_published_day(datetime(today.year, today.month, today.day, tzinfo=UTC))
    return [last - timedelta(days=i) for i in reversed(range(days))]


def fetch_time(partition: date) -> float:
    return daily_run_time(partition).timestamp()


def prepare_dagster_home(home: Path) -> None:
    """The instance config (orchestration/dagster.yaml) goes where Dagster looks for it, once."""
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    if not target.exists():
        target.write_text((Path(__file__).parent / "dagster.yaml").read_text())


def demo_progress(days: int) -> Progress:
    """The live lines under the day table: the days done with elapsed time and an estimate of what is left, and
    the current day's step, dbt models and checks. Only on a terminal (TIKTOK_DEMO_PROGRESS=1 forces it, for
    tests); in a log file the day table alone is printed."""
    forced = os.environ.get("TIKTOK_DEMO_PROGRESS") == "1"
    # The terminal's stdout, bound now: while a day runs, sys.stdout is dbt's log file
    console = Console(file=sys.stdout, force_terminal=True if forced else None, soft_wrap=True, highlight=False,
                      markup=False)  # fmt: skip
    return Progress(
        TextColumn("  {task.description}"),
        BarColumn(bar_width=20),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal or days == 0,
    )


def failed_steps(result: dg.ExecuteInProcessResult) -> list[tuple[str, str]]:
    """Each failed step of a run and the first line of its error, without the exception's class (the stack trace
    stays in the run's log)."""
    failed = []
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data is not None:
            error = event.step_failure_data.error
            # Dagster wraps an asset's own error ("Error occurred while executing op ..."): say the asset's
            while error is not None and error.cause is not None and "Error occurred while executing" in error.message:
                error = error.cause
            lines = (error.message if error else "").strip().splitlines() or ["see the run in the UI"]
            kind, _, message = lines[0].partition(": ")
            failed.append((event.step_key or "", (message if kind.endswith("Error") and message else lines[0])[:160]))
    return failed


def print_headlines(warehouse: Warehouse) -> None:
    """A few headline numbers from the marts, read from the warehouse (the DuckDB file or the server)."""
    counts = warehouse.mart_row_counts()
    if not counts:
        return
    print(f"\nWarehouse: {warehouse.describe()}")
    for name, rows in counts.items():
        print(f"  marts.{name:40} {rows:>9} rows")
    if {"dim_tiktok_accounts", "fct_tiktok_account_daily"} <= set(counts):
        print("\nAccounts (latest day):")
        for row in warehouse.read_marts({"headlines": HEADLINE_SQL})["headlines"].itertuples(index=False):
            print(headline(*row))
    if set(counts) >= COMMUNITY_MARTS:
        print("\nCommunity (mentions, top hashtag: the latest lists; negative: of the last 7 days' scored comments):")
        for row in warehouse.read_marts({"community": COMMUNITY_SQL})["community"].itertuples(index=False):
            print(community_line(*row))
    if BENCHMARKS_MART in counts:
        print("\nBenchmarks (engagement rate over the last 30 days vs the average of the account's business category):")
        for row in warehouse.read_marts({"benchmarks": BENCHMARKS_SQL})["benchmarks"].itertuples(index=False):
            print(benchmark_line(*row))
    if SLOTS_MART in counts:
        print("\nWhen to post (slots whose posts had the most views 7 days after publishing; docs/decisions.md):")
        rows = warehouse.read_marts({"slots": SLOTS_SQL})["slots"].itertuples(index=False)
        for line in slots_lines(list(rows)):
            print(line)


def print_quality(
    root: Path, warehouse: Warehouse, checks_run: int, failed: dict, held_back: int, tick: object
) -> None:
    # a dbt test is named <rule_id>__<model>; a performance rule's failure is an anomaly, not bad data
    anomalies = {key for key in failed if rule_kind(key[1].split("__", 1)[0]) == PERFORMANCE}
    failures = sum(len(where) for key, where in failed.items() if key not in anomalies)
    found = sum(len(failed[key]) for key in anomalies)
    print(f"\nQuality: {checks_run} check evaluations, {failures} failed" + (f", {found} anomalies." if found else "."))
    for (asset, check), where in sorted(failed.items()):
        label = "ANOMALY" if (asset, check) in anomalies else "FAILED"
        print(f"  {label} {asset} / {check}: {len(where)} day(s), e.g. {where[0]}")
    if held_back:
        print(f"  Marts held back on {held_back} day(s): an ERROR check blocked them (see docs/runbook.md).")
    docs = root / "quality" / "data_docs" / "local_site" / "index.html"
    print(f"  Data Docs: {docs}")
    alerts = root / "alerts.jsonl"
    if os.environ.get("TIKTOK_ALERT_WEBHOOK_URL"):
        print("  Alerts: sent to the webhook in TIKTOK_ALERT_WEBHOOK_URL")
    else:
        count = len(alerts.read_text().splitlines()) if alerts.exists() else 0
        print(f"  Alerts: {count} in {alerts}")
    print(f"  Alert sensor: {getattr(tick, 'skip_message', tick)}")
    report = root / "reports" / "tiktok_report.html"
    if report.exists():
        print(f"\nReport: {report}")
        print(f"BI tools read {warehouse.describe_bi()} (docs/bi.md)")


def shown(value: object, spec: str) -> str:
    """A figure of a mart formatted with `spec`; NULL (None or NaN) reads "no data"."""
    return "no data" if value is None or bool(pd.isna(value)) else format(value, spec)


def headline(username: str, followers: object, net: object, views: object, engagement_rate: object) -> str:
    """One account's line; a NULL metric reads "no data", never 0 (docs/decisions.md: a rate without views)."""
    return (
        f"  @{username:<14} {shown(followers, '>8.0f')} followers  {shown(net, '>+6.0f')} net  "
        f"{shown(views, '>8.0f')} views  {shown(engagement_rate, '>6.2%')} engagement rate"
    )


def community_line(
    username: str,
    mentions: object,
    negative_share: object,
    waiting: object,
    oldest_hours: object,
    top_hashtag: object = None,
) -> str:
    """One account's community figures; NULL reads "no data" (mentions without the approval, no scored comment)."""
    oldest = "" if not waiting else f", the oldest for {shown(oldest_hours, '.0f')} h"
    tag = "" if top_hashtag is None or bool(pd.isna(top_hashtag)) else f"#{top_hashtag}"
    return (
        f"  @{username:<14} {shown(mentions, '>5.0f')} mentions {tag:<16} {shown(negative_share, '>6.1%')} negative  "
        f"{shown(waiting, '>4.0f')} comments waiting for a reply{oldest}"
    )


COMMUNITY_MARTS = {
    "fct_tiktok_mention_daily",
    "fct_tiktok_mention_terms_daily",
    "fct_tiktok_account_sentiment_daily",
    "fct_tiktok_reply_queue",
}
COMMUNITY_SQL = """
    with mentions as (
        select business_id, count(*) as mentions
        from marts.fct_tiktok_mention_daily
        where snapshot_date = (select max(snapshot_date) from marts.fct_tiktok_mention_daily)
        group by 1
    ),
    top_hashtags as (
        select business_id, term as top_hashtag
        from marts.fct_tiktok_mention_terms_daily
        where term_type = 'hashtag' and term_rank = 1
            and snapshot_date = (select max(snapshot_date) from marts.fct_tiktok_mention_terms_daily)
    ),
    sentiment as (
        select business_id, 1.0 * sum(negative_comments) / nullif(sum(comments_scored), 0) as negative_share
        from marts.fct_tiktok_account_sentiment_daily
        where comment_date >= (select max(comment_date) from marts.fct_tiktok_account_sentiment_daily) - 6
        group by 1
    ),
    queue as (
        select business_id, count(*) as waiting, max(age_hours) as oldest_hours
        from marts.fct_tiktok_reply_queue
        group by 1
    )
    select a.username, m.mentions, s.negative_share, coalesce(q.waiting, 0) as waiting, q.oldest_hours, t.top_hashtag
    from marts.dim_tiktok_accounts as a
    left join mentions as m using (business_id)
    left join top_hashtags as t using (business_id)
    left join sentiment as s using (business_id)
    left join queue as q using (business_id)
    order by a.username
"""


def benchmark_line(
    username: str, category: object, engagement_rate: object, category_rate: object, reason: object
) -> str:
    """One account's engagement rate over 30 days beside its category's average, or why there is none to compare."""
    own = f"  @{username:<14} {shown(engagement_rate, '>6.2%')} engagement rate"
    if reason is not None and not pd.isna(reason):
        return f"{own}  (no benchmark: {reason})"
    return f"{own}  vs {shown(category_rate, '>6.2%')} for {category}"


BENCHMARKS_MART = "fct_tiktok_account_benchmarks"
# each account's newest day: the engagement rate of its last 30 days beside its category's (docs/decisions.md)
BENCHMARKS_SQL = """
    select a.username, b.business_category, b.engagement_rate_30d, b.category_average_engagement_rate,
        b.no_benchmark_reason
    from marts.dim_tiktok_accounts as a
    join marts.fct_tiktok_account_benchmarks as b using (business_id)
    where b.metric_date = (select max(metric_date) from marts.fct_tiktok_account_benchmarks)
    order by a.username
"""


def slots_lines(rows: list[tuple]) -> list[str]:
    """One line per account from SLOTS_SQL's rows (username, time_zone, slot, no_recommendation_reason), in order:
    its recommended slots on its clock, or the reason it has none (thin data is a reason, never a guess)."""
    by_account: dict[str, list[tuple]] = defaultdict(list)
    for row in rows:
        by_account[row[0]].append(row)
    lines = []
    for username, slots in by_account.items():
        reason = slots[0][3]
        if reason is not None and not pd.isna(reason):
            lines.append(f"  @{username:<14} no recommendation: {reason}")
        else:
            lines.append(f"  @{username:<14} {', '.join(slot for _, _, slot, _ in slots)} ({slots[0][1]})")
    return lines


SLOTS_MART = "fct_tiktok_recommended_slots"
# each account's slots on one clock, in rank order: its own time zone when one is configured ('local' sorts before
# 'utc'), else UTC
SLOTS_SQL = """
    select username, time_zone, slot, no_recommendation_reason
    from marts.fct_tiktok_recommended_slots as s
    where time_basis = (
        select min(c.time_basis) from marts.fct_tiktok_recommended_slots as c where c.business_id = s.business_id
    )
    order by username, slot_rank, slot
"""


# The example team configuration the demo writes when the data folder has none (README, "Team configuration
# files"): the four demo accounts' time zones and business categories; accounts past the fourth are configured UTC.
DEMO_ACCOUNT_SETTINGS = {
    "acme_coffee": ("America/New_York", "food_and_beverage"),
    "jules.makes": ("Europe/London", "art_and_crafts"),
    "tiny_bakery": ("Europe/Berlin", "restaurants"),
    "new_studio": ("Asia/Tokyo", "entertainment"),
}


def example_team_config(world: World, first_day: date) -> dict[str, str]:
    """accounts.csv and labels.csv for the simulator's demo accounts: every account's settings, and labels by hashtag,
    by caption pattern (the same label twice: a post can match it both ways) and by the URL of the first account's
    newest post before `first_day` (a launch)."""
    accounts = ["business_id,time_zone,business_category"] + [
        f"{a.business_id},{','.join(DEMO_ACCOUNT_SETTINGS.get(a.username, ('UTC', 'other')))}" for a in world.accounts
    ]
    labels = ["match,label", "#coffee,Coffee", "#tutorial,How-to", "#behindthescenes,Behind the scenes",
              "behind*scenes,Behind the scenes"]  # fmt: skip
    first: AccountSpec = world.accounts[0]
    start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC).timestamp()
    launched = world.visible_posts(first, start)
    if launched:
        labels.append(f"https://www.tiktok.com/@{first.username}/video/{launched[-1].item_id},Launch")
    return {ACCOUNTS_FILE: "\n".join(accounts) + "\n", LABELS_FILE: "\n".join(labels) + "\n"}


def write_example_team_config(root: Path, files: dict[str, str]) -> list[str]:
    """Write each file that `root` does not have yet (a team's own file is never overwritten); the names written."""
    written = []
    for name, text in files.items():
        path = root / name
        if not path.exists():
            atomic_write_text(path, text)
            written.append(name)
    return written


def label_line(label: str, posts: object, views: object, engagement_rate: object) -> str:
    """One label's line; NULL reads "no data" (no view gained in the days built)."""
    return f"  {label[:24]:<24} {shown(posts, '>5.0f')} posts  {shown(views, '>9.0f')} views  " + (
        f"{shown(engagement_rate, '>6.2%')} engagement rate"
    )


LABELS_MART = "fct_tiktok_label_daily"
# each label's posts (every account), and the views its posts gained over the days built with their engagement rate
LABELS_SQL = """
    with posts as (
        select label, count(*) as posts
        from marts.dim_tiktok_post_labels
        group by label
    ),
    days as (
        select label, sum(video_views_gained) as views, sum(engagements_gained) as engagements
        from marts.fct_tiktok_label_daily
        group by label
    )
    select posts.label, posts.posts, days.views, 1.0 * days.engagements / nullif(days.views, 0) as engagement_rate
    from posts
    left join days on posts.label = days.label
    order by days.views desc nulls last, posts.label
"""


def print_labels(warehouse: Warehouse) -> None:
    """The label table: each label of labels.csv with its posts, and their views and engagement over the days built."""
    counts = warehouse.mart_row_counts()
    if LABELS_MART not in counts:
        return
    rows = list(warehouse.read_marts({"labels": LABELS_SQL})["labels"].itertuples(index=False))
    print(f"\nLabels ({LABELS_FILE}: the posts labelled, their views and engagement rate over the days built):")
    for row in rows:
        print(label_line(*row))
    if not rows:
        print("  no post carries a label yet")


HEADLINE_SQL = """
    select a.username, d.followers_total, d.net_followers, d.video_views, d.engagement_rate
    from marts.dim_tiktok_accounts as a
    join marts.fct_tiktok_account_daily as d using (business_id)
    where d.metric_date = (select max(metric_date) from marts.fct_tiktok_account_daily)
    order by d.followers_total desc
"""


# What `make demo FRESH=1` removes from the data folder before starting over (never the real API's tokens or the
# tracked posts list): everything the demo's runs wrote.
DEMO_PRODUCTS = ("raw", "state", "dagster", "quality", "alerts", "alerts.jsonl", "bi", "reports", "logs", "demo",
                 "secrets/simulator_tokens.json")  # fmt: skip


def days_built_file(root: Path) -> Path:
    """Which days earlier demos landed and built, per demo (demo_key): a day listed there is not run again."""
    return root / "demo" / "days_built.json"


def demo_key(warehouse: Warehouse, seed: int, accounts: int, faults: str) -> str:
    """What makes two demos the same: the warehouse and the simulator's world and faults (a fault demo after a
    clean one runs its days again, with the faults)."""
    return f"{warehouse.describe()} seed={seed} accounts={accounts} faults={faults}"


def days_built(root: Path, key: str) -> set[str]:
    path = days_built_file(root)
    return set(json.loads(path.read_text()).get(key, [])) if path.exists() else set()


def record_day_built(root: Path, key: str, partition: date) -> None:
    path = days_built_file(root)
    built = json.loads(path.read_text()) if path.exists() else {}
    built[key] = sorted({*built.get(key, []), partition.isoformat()})
    atomic_write_text(path, json.dumps(built, indent=1))


def start_over(root: Path, warehouse: Warehouse) -> None:
    """Remove what earlier demos wrote (DEMO_PRODUCTS, and what the pipeline built in the warehouse)."""
    for name in DEMO_PRODUCTS:
        path = root / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    print(f"Starting over: removed the demo's files under {root}; {warehouse.drop_built()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=DEMO_DAYS)
    parser.add_argument("--accounts", type=int, default=4)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--fresh", action="store_true", help="remove what earlier demos wrote, then start over")
    args = parser.parse_args(argv)
    demo_started = time.monotonic()

    load_env_file()
    root = data_dir()
    os.environ.setdefault("TIKTOK_DATA_DIR", str(root))
    os.environ.setdefault("DAGSTER_HOME", str(root / "dagster"))
    # Wrong settings are one line each naming the variable, before anything is fetched or written.
    found = problems(real_api=False)
    for problem in found:
        print(f"make demo: {problem}", file=sys.stderr)
    if found:
        return 2
    for name in ("TIKTOK_CLIENT_ID", "TIKTOK_CLIENT_SECRET"):
        if os.environ.pop(name, None):
            print(f"make demo: {name} is ignored: the demo runs on the built-in simulator")
    chosen = Warehouse.from_env()
    if args.fresh:
        start_over(root, chosen)
    prepare_dagster_home(Path(os.environ["DAGSTER_HOME"]))
    faults = FaultConfig.parse(os.environ.get("TIKTOK_SIMULATOR_FAULTS"))
    partitions = demo_partitions(datetime.now(UTC).date(), args.days)
    this_demo = demo_key(chosen, args.seed, args.accounts, os.environ.get("TIKTOK_SIMULATOR_FAULTS") or "")
    already = days_built(root, this_demo)
    # the demo's days are partitions even after an earlier, shorter demo landed only later days (assets/partitions.py)
    start = os.environ.get("TIKTOK_START_DATE")
    if not start or date.fromisoformat(start) > partitions[0]:
        os.environ["TIKTOK_START_DATE"] = partitions[0].isoformat()
    simulator = Simulator(seed=args.seed, accounts=args.accounts, faults=faults,
                          now=fetch_time(partitions[0]), speed=60.0)  # fmt: skip
    # the team's files, as examples for the demo's accounts, unless the data folder has its own
    written = write_example_team_config(root, example_team_config(simulator.world, partitions[0]))

    with SimulatorServer(simulator) as server:
        os.environ["TIKTOK_SIMULATOR_URL"] = server.url
        # Imported only now: the code location reads its configuration from the environment.
        from assets.dbt import DBT_STEPS
        from orchestration.definitions import defs

        dbt_models = {key for step in DBT_STEPS for key in step.keys}

        print(f"TikTok demo: built-in simulator at {server.url} (synthetic data, seed {args.seed}), "
              f"{len(simulator.world.accounts)} accounts, {partitions[0]} .. {partitions[-1]}")  # fmt: skip
        print(f"Data folder: {root}")
        if written:
            print(f'Wrote example {" and ".join(written)} (README, "Team configuration files"; never overwritten)')
        instance = dg.DagsterInstance.get()
        job = defs.resolve_job_def("tiktok_daily")
        # The terminal shows the day table and the progress line; every log line and a failed step's stack trace are in
        # the run's log (make ui), and the day's line names its failed steps.
        quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
        totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        log_path = root / "logs" / "demo_dbt.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        print(f"dbt's output: {log_path}")
        os.environ.setdefault("DBT_USE_COLORS", "false")  # the log is plain text
        dbt_log = open(log_path, "a")  # noqa: SIM115 - open for the whole walk
        failed_checks: dict[tuple[str, str], list[str]] = defaultdict(list)
        checks_run = failures = held_back = 0
        to_run = [p for p in partitions if p.isoformat() not in already]
        with demo_progress(len(to_run)) as progress:
            days_task = progress.add_task("days", total=len(to_run))
            day_task = progress.add_task("", total=None)
            say = progress.console.print
            say(f"  day         run     time   {'landed (records/API calls)':{LANDED_WIDTH}} marts    checks")
            for partition in partitions:
                if partition not in to_run:
                    say(f"  {partition}  skipped: {SKIPPED}")
                    continue
                simulator.clock.set(now=fetch_time(partition))
                started = time.monotonic()
                run_id = str(uuid.uuid4())  # known before the run starts, so that its events can be followed

                def show(counts: RunCounts, day: date = partition) -> None:
                    progress.update(day_task, description=f"{day}  {counts.describe()}", completed=counts.done,
                                    total=counts.total)  # fmt: skip

                with redirect_stdout(dbt_log), RunFollower(instance, job, run_id, show):
                    # dbt's own console output goes to the log file, not the screen
                    result = job.execute_in_process(partition_key=partition.isoformat(), instance=instance,
                                                    raise_on_error=False, run_config=quiet, run_id=run_id)  # fmt: skip
                landed = []
                marts_built = False
                for event in result.get_asset_materialization_events():
                    asset = event.asset_key.to_user_string()
                    if not asset.startswith("raw_"):
                        # the team's configuration and the comment scores are no marts: they load on a held day
                        marts_built = marts_built or event.asset_key in dbt_models
                        continue
                    meta = {k: v.value for k, v in event.materialization.metadata.items()}
                    for key in ("records", "api_calls", "bytes", "retries"):
                        totals[asset][key] += int(meta.get(key) or 0)
                    totals[asset]["files"] += len(meta.get("files") or [])
                    landed.append(f"{asset.removeprefix('raw_tiktok_')} {meta.get('records')}/{meta.get('api_calls')}")
                evaluations = result.get_asset_check_evaluations()
                checks_run += len(evaluations)
                for evaluation in evaluations:
                    if not evaluation.passed:
                        key = (evaluation.asset_key.to_user_string(), evaluation.check_name)
                        failed_checks[key].append(f"{partition} {evaluation.severity.value}")
                failed_today = sum(not e.passed for e in evaluations)
                held_back += not marts_built
                failures += not result.success
                if result.success and marts_built:
                    record_day_built(root, this_demo, partition)
                say(
                    f"  {partition}  {'ok' if result.success else 'FAILED':6} {time.monotonic() - started:5.1f}s   "
                    f"{', '.join(landed):{LANDED_WIDTH}} {'built' if marts_built else 'HELD':8} "
                    f"{len(evaluations) - failed_today} passed, {failed_today} failed"
                )
                for step, reason in failed_steps(result):
                    say(f"              failed step {step}: {reason}")
                progress.advance(days_task)
        dbt_log.close()
        # Whether every published day has landed (the real clock), then one tick of the alert sensor, as the
        # daemon under `make ui` would run them.
        freshness = defs.resolve_job_def("tiktok_freshness").execute_in_process(instance=instance, run_config=quiet)
        for evaluation in freshness.get_asset_check_evaluations():
            checks_run += 1
            if not evaluation.passed:
                failed_checks[(evaluation.asset_key.to_user_string(), evaluation.check_name)].append("now")
        from orchestration.sensors import quality_alert_sensor

        tick = quality_alert_sensor(dg.build_sensor_context(instance=instance))

    print(f"\nLanded (raw files under {root / landing.RAW_PATH}):")
    print(f"  {'stream':22} {'files':>6} {'records':>9} {'API calls':>10} {'MB':>8} {'retries':>8}")
    for stream, t in sorted(totals.items()):
        print(f"  {stream:22} {t['files']:>6} {t['records']:>9} {t['api_calls']:>10} "
              f"{t['bytes'] / 1e6:>8.1f} {t['retries']:>8}")  # fmt: skip
    print_headlines(chosen)
    print_labels(chosen)
    print_quality(root, chosen, checks_run, failed_checks, held_back, tick)
    print("\nOpen the Dagster UI over these runs with:  make ui   (then http://127.0.0.1:3000)")
    days = f"{len(partitions)} day{'s' if len(partitions) != 1 else ''}"
    print(f"The demo took {time.monotonic() - demo_started:.0f} s for {days}.")
    if failures:
        print(f"\n{failures} day(s) failed: see the runs in the UI.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    code = main()
    # Everything is written and reported. At the interpreter's teardown DuckDB's bindings (nanobind) report their
    # own objects as leaked, some 50 lines of noise after the summary: the teardown's stderr goes nowhere. (Leaving
    # with os._exit instead skips the finalizers, and multiprocessing's tracker then warns of a leaked semaphore.)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
    sys.exit(code)
