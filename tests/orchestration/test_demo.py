"""`make demo` for a newcomer: wrong settings end in one line naming the variable, and a second run reuses what
the first landed and built (issue 16)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from tiktok_api.settings import load_env_file

REPO_ROOT = Path(__file__).resolve().parents[2]
PLATFORM_VARIABLES = ("TIKTOK_", "DAGSTER_HOME")


def _clean_env(data: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(PLATFORM_VARIABLES)}
    return {**env, "TIKTOK_DATA_DIR": str(data), **settings}


def _demo(data: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orchestration.demo", *args],
        cwd=REPO_ROOT,
        env=_clean_env(data, **settings),
        capture_output=True,
        text=True,
        timeout=900,
    )


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("settings", "variable"),
    [
        ({"TIKTOK_WAREHOUSE": "oracle"}, "TIKTOK_WAREHOUSE='oracle'"),
        ({"TIKTOK_WAREHOUSE": "spark", "TIKTOK_SPARK_WAREHOUSE": "{file}/warehouse"}, "TIKTOK_SPARK_WAREHOUSE)"),
        ({"TIKTOK_WAREHOUSE": "postgres", "TIKTOK_POSTGRES_PORT": "not-a-port"}, "TIKTOK_POSTGRES_PORT"),
        ({"TIKTOK_WAREHOUSE": "postgres", "TIKTOK_POSTGRES_HOST": "127.0.0.1"}, "TIKTOK_POSTGRES_HOST"),
        ({"TIKTOK_START_DATE": "2026-13-01"}, "TIKTOK_START_DATE"),
        ({"TIKTOK_SIMULATOR_FAULTS": "everything=1"}, "TIKTOK_SIMULATOR_FAULTS"),
        ({"TIKTOK_ASSET_OWNER": "team:"}, "TIKTOK_ASSET_OWNER"),
        ({"TIKTOK_ANOMALY_MIN_HISTORY_DAYS": "1"}, "TIKTOK_ANOMALY_MIN_HISTORY_DAYS='1'"),
        ({"TIKTOK_DATA_DIR": "{file}"}, "(data folder): not a directory"),  # root writes anywhere: a file, not a mode
    ],
    ids=[
        "unknown-warehouse",
        "spark-warehouse-not-writable",
        "port-not-a-number",
        "postgres-unreachable",
        "bad-start-date",
        "bad-faults",
        "bad-owner",
        "anomaly-history-too-short",
        "data-folder-not-writable",
    ],  # fmt: skip
)
def test_a_wrong_setting_is_one_line_naming_the_variable_and_nothing_is_written(
    tmp_path: Path, settings: dict[str, str], variable: str
):
    if settings.get("TIKTOK_POSTGRES_HOST"):
        settings = {**settings, "TIKTOK_POSTGRES_PORT": str(_free_port())}  # nothing listens there
    data = tmp_path / "data"
    (tmp_path / "a-file").write_text("")
    settings = {name: value.replace("{file}", str(tmp_path / "a-file")) for name, value in settings.items()}
    result = _demo(data, "--days", "1", **settings)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("make demo: ") and variable in lines[0], result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert _files(data) == [], "nothing fetched, no run recorded"


def test_a_duckdb_warehouse_held_by_another_process_is_named(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
         "time.sleep(600)", str(data / "warehouse.duckdb")],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "ready"
        result = _demo(data, "--days", "1")
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 2 and "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert f"cannot open the DuckDB warehouse {data / 'warehouse.duckdb'} for writing (TIKTOK_DATA_DIR)" in line
    assert _files(data) == ["warehouse.duckdb"]


def test_dot_env_is_read_below_what_the_shell_exports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    env_file = tmp_path / ".env"
    env_file.write_text("# comment\nTIKTOK_TEST_FROM_FILE=file\nTIKTOK_TEST_BOTH=file\n")
    monkeypatch.delenv("TIKTOK_TEST_FROM_FILE", raising=False)
    monkeypatch.setenv("TIKTOK_TEST_BOTH", "shell")
    assert load_env_file(env_file)
    assert os.environ["TIKTOK_TEST_FROM_FILE"] == "file" and os.environ["TIKTOK_TEST_BOTH"] == "shell"
    monkeypatch.delenv("TIKTOK_TEST_FROM_FILE")
    assert not load_env_file(tmp_path / "missing.env")


def _mart_rows(data: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        tables = [
            t for (t,) in con.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()
        ]
        return {t: sorted(con.execute(f"select * from marts.{t}").fetchall(), key=repr) for t in sorted(tables)}


def test_a_second_make_demo_reuses_what_the_first_landed_and_built(tmp_path: Path):
    data = tmp_path / "data"
    small = "DEMO_ARGS=--days 2 --accounts 2"

    def make_demo(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["make", "--no-print-directory", "demo", small, *extra],
            cwd=REPO_ROOT, env=_clean_env(data), capture_output=True, text=True, timeout=1800,
        )  # fmt: skip

    first = make_demo()
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "skipped" not in first.stdout
    raw, marts = _files(data / "raw"), _mart_rows(data)
    assert raw and marts["fct_tiktok_account_daily"]
    _the_label_table_is_printed(first.stdout, data)
    _the_recommended_slots_or_their_reasons_are_printed(first.stdout, data)
    _the_benchmark_lines_are_printed(first.stdout, data)

    second = make_demo()
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    skipped = [
        line for line in second.stdout.splitlines() if "skipped: landed and built by an earlier make demo" in line
    ]
    assert len(skipped) == 2, second.stdout
    assert _files(data / "raw") == raw, "nothing fetched again"
    assert _mart_rows(data) == marts, "the same mart rows"

    fresh = make_demo("FRESH=1")
    assert fresh.returncode == 0, fresh.stdout[-3000:] + fresh.stderr[-3000:]
    assert "Starting over: removed the demo's files" in fresh.stdout and "skipped" not in fresh.stdout
    # fetched again: new fetches (their ids and landing times differ), the same days and accounts
    assert _files(data / "raw") and set(_files(data / "raw")).isdisjoint(raw)
    assert {tuple(p.split("/")[1:4]) for p in _files(data / "raw")} == {tuple(p.split("/")[1:4]) for p in raw}
    assert set(_mart_rows(data)) == set(marts)


def _the_recommended_slots_or_their_reasons_are_printed(stdout: str, data: Path) -> None:
    """After the day table, one line per account: its recommended slots, or the mart's reason for none (2 days are
    far too few for a slot with 3 posts measured a week after publishing)."""
    assert "\nWhen to post (" in stdout, stdout[-3000:]
    printed = stdout.split("\nWhen to post (", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        reasons = con.execute(
            "select username, no_recommendation_reason from marts.fct_tiktok_recommended_slots as s where time_basis = "
            "(select min(time_basis) from marts.fct_tiktok_recommended_slots where business_id = s.business_id) "
            "order by username"
        ).fetchall()
    assert len(printed) == len(reasons) == 2, printed
    for line, (username, reason) in zip(printed, reasons, strict=True):
        assert line.split()[0] == f"@{username}"
        assert reason and line.endswith(f"no recommendation: {reason}"), "thin data: the reason, never a guess"


def _the_benchmark_lines_are_printed(stdout: str, data: Path) -> None:
    """After the day table, one line per account: its engagement rate of the last 30 days beside its category's, as
    the mart holds them on the newest day; an account the data folder's accounts.csv gives a category is compared
    (the demo lands its benchmarks), any other says why it is not."""
    from orchestration.demo import BENCHMARKS_SQL, benchmark_line

    assert "\nBenchmarks (" in stdout, stdout[-3000:]
    printed = stdout.split("\nBenchmarks (", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(BENCHMARKS_SQL).fetchall()
    assert printed == [benchmark_line(*row) for row in rows] and len(printed) == 2, printed
    accounts = data / "accounts.csv"
    configured = (
        [line for line in accounts.read_text().splitlines()[1:] if line.split(",")[-1]] if accounts.exists() else []
    )
    assert sum(" vs " in line for line in printed) == len(configured), (printed, configured)


def test_the_slot_lines_show_each_accounts_slots_in_rank_order_or_why_there_are_none():
    from orchestration.demo import slots_lines

    rows = [
        ("acme", "Europe/Berlin", "Tue 18:00", None),
        ("acme", "Europe/Berlin", "Thu 09:00", None),
        ("acme", "Europe/Berlin", "Fri 09:00", None),  # tied with Thu 09:00: both are recommended
        ("jules", "UTC", "none", "no post measured at day 7 yet (3 published)"),
    ]
    assert slots_lines(rows) == [
        "  @acme           Tue 18:00, Thu 09:00, Fri 09:00 (Europe/Berlin)",
        "  @jules          no recommendation: no post measured at day 7 yet (3 published)",
    ]


def test_a_benchmark_line_sets_the_accounts_rate_beside_its_categorys_or_says_why_not():
    from orchestration.demo import benchmark_line

    assert benchmark_line("acme", "food_and_beverage", 0.0857, 0.0846, None) == (
        "  @acme            8.57% engagement rate  vs  8.46% for food_and_beverage"
    )
    reason = "no business category configured in accounts.csv"
    assert benchmark_line("jules", None, float("nan"), None, reason) == (
        "  @jules          no data engagement rate  (no benchmark: no business category configured in accounts.csv)"
    )


def _the_label_table_is_printed(stdout: str, data: Path) -> None:
    """The demo wrote its example team files (none were there) and prints, after the day table, one line per label
    that labels a post: its posts and the views its posts gained over the days built, as the marts hold them."""
    assert "Wrote example accounts.csv and labels.csv" in stdout
    assert (data / "labels.csv").exists() and (data / "accounts.csv").exists()
    assert "\nLabels (labels.csv" in stdout, stdout[-3000:]
    assert stdout.index("\nLabels (labels.csv") > stdout.index("  day         run"), "after the day table"
    printed = stdout.split("\nLabels (labels.csv", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
        posts = dict(con.execute("select label, count(*) from marts.dim_tiktok_post_labels group by 1").fetchall())
        views = dict(
            con.execute("select label, sum(video_views_gained) from marts.fct_tiktok_label_daily group by 1").fetchall()
        )
    assert len(printed) == len(posts) >= 4, printed
    for line in printed:
        label = next(name for name in posts if line.strip().startswith(name))
        assert f" {posts[label]} posts" in line
        assert (f" {views[label]} views" in line) if views.get(label) is not None else "no data views" in line


def test_the_example_team_files_configure_the_demo_accounts_and_never_replace_a_teams(tmp_path: Path):
    from orchestration.demo import example_team_config, write_example_team_config
    from tiktok_api.simulator.world import World
    from tiktok_api.team_config import parse_accounts, parse_labels

    world = World(seed=42, accounts=5)
    files = example_team_config(world, date(2026, 11, 10))
    accounts, labels = parse_accounts(files["accounts.csv"]), parse_labels(files["labels.csv"])
    assert accounts.problems == labels.problems == []
    assert [a.business_id for a in accounts.rows] == [a.business_id for a in world.accounts]
    assert (
        accounts.rows[0].time_zone == "America/New_York" and accounts.rows[0].business_category == "food_and_beverage"
    )
    assert (accounts.rows[4].time_zone, accounts.rows[4].business_category) == ("UTC", "other")
    assert {rule.match_kind for rule in labels.rows} == {"hashtag", "caption", "url"}
    [launch] = [rule for rule in labels.rows if rule.match_kind == "url"]
    first = world.accounts[0]
    assert launch.item_id in {post.item_id for post in world.posts(first)}

    (tmp_path / "labels.csv").write_text("#ours,Ours\n")
    assert write_example_team_config(tmp_path, files) == ["accounts.csv"]
    assert (tmp_path / "labels.csv").read_text() == "#ours,Ours\n", "a team's own file is never overwritten"
    assert (tmp_path / "accounts.csv").read_text() == files["accounts.csv"]
    assert write_example_team_config(tmp_path, files) == []


def test_a_demo_with_other_faults_or_another_world_is_not_the_same_demo(tmp_path: Path):
    from assets.warehouse import Warehouse
    from orchestration.demo import days_built, demo_key, record_day_built

    warehouse = Warehouse(kind="duckdb", duckdb_path=str(tmp_path / "w.duckdb"))
    clean = demo_key(warehouse, 42, 4, "")
    record_day_built(tmp_path, clean, date(2026, 11, 10))
    assert days_built(tmp_path, clean) == {"2026-11-10"}
    assert days_built(tmp_path, demo_key(warehouse, 42, 4, "break=share_in_unit_interval")) == set()
    assert days_built(tmp_path, demo_key(warehouse, 7, 4, "")) == set()
    other = Warehouse(kind="duckdb", duckdb_path=str(tmp_path / "other.duckdb"))
    assert days_built(tmp_path, demo_key(other, 42, 4, "")) == set()


def test_make_ui_preflight_names_a_client_id_without_its_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from orchestration.preflight import problems

    monkeypatch.setenv("TIKTOK_DATA_DIR", str(tmp_path))
    settings = {"TIKTOK_CLIENT_ID": "my-app", "TIKTOK_DUCKDB_PATH": str(tmp_path / "w.duckdb")}
    assert any("TIKTOK_CLIENT_SECRET" in p for p in problems(settings))
    assert problems(settings, real_api=False) == [], "the demo uses the simulator whatever the credentials"
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.preflight"],
        cwd=REPO_ROOT, env=_clean_env(tmp_path / "data", TIKTOK_WAREHOUSE="oracle"),
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 2 and result.stderr.startswith("configuration: TIKTOK_WAREHOUSE='oracle'")
    assert "Traceback" not in result.stderr


def test_a_fault_demo_shows_its_progress_and_failures_in_lines_not_stack_traces(tmp_path: Path):
    """The README's fault demo (one day, one account here): a day that fails (an ERROR rule breaks on raw) reads
    as its day line and one line per failed step; the progress line (forced, as on a terminal) counts the day's
    dbt models and checks."""
    from tests.docs_blocks import tagged

    readme = tagged("README.md", "by tests/orchestration/test_demo.py", "break=share_in_unit_interval")
    result = subprocess.run(
        ["bash", "-c", readme.text], cwd=REPO_ROOT, capture_output=True, text=True, timeout=900,
        env=_clean_env(tmp_path / "data", DEMO_ARGS="--days 1 --accounts 1", TIKTOK_DEMO_PROGRESS="1"),
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 2, output[-3000:]  # make's code for a failed recipe; the demo's own is 1
    assert "Traceback" not in output and "DagsterAssetCheckFailedError" not in output
    assert re.search(r"\d{4}-\d\d-\d\d  FAILED .* HELD", result.stdout), result.stdout
    assert re.search(r"failed step quality_raw_tiktok_videos: 1 blocking asset check failed", result.stdout)
    assert re.search(r"dbt 0/\d+ models, \d+/\d+ checks · quality_raw_tiktok_videos", result.stdout), result.stdout
    assert "FAILED raw_tiktok_videos / share_in_unit_interval" in result.stdout
    assert f"dbt's output: {tmp_path / 'data' / 'logs' / 'demo_dbt.log'}" in result.stdout
    assert "\x1b[" not in (tmp_path / "data" / "logs" / "demo_dbt.log").read_text(), "the dbt log is plain text"


def _alerts(data: Path) -> list[dict]:
    path = data / "alerts.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_spike_demo_raises_exactly_one_performance_alert_and_the_same_quality_alerts(tmp_path: Path):
    """The README's spike demo (one day, the first account, 3 days of history: what one daily run lands) beside the
    same demo without the fault: the spiked run has exactly one performance alert, the anomaly check's on the day,
    naming the first account's views as a spike 10 times the usual; its data-quality alerts are the clean run's."""
    from orchestration.demo import demo_partitions
    from tests.docs_blocks import tagged

    readme = tagged("README.md", "by tests/orchestration/test_demo.py", "spike=")
    without_fault = re.sub(r'TIKTOK_SIMULATOR_FAULTS="[^"]*"\s*', "", readme.text)
    assert "spike" not in without_fault and "TIKTOK_ANOMALY_MIN_HISTORY_DAYS=3" in without_fault
    # The block names its day from the clock (`date -u -d '3 days ago'`), as the demo does: a pair of runs that
    # midnight UTC falls between ran two different days, and runs again (at most once more: a day is long).
    for attempt in range(2):
        [day] = demo_partitions(datetime.now(UTC).date(), 1)
        folders = {"spiked": tmp_path / f"spiked{attempt}", "clean": tmp_path / f"clean{attempt}"}
        days_run = set()
        for name, command in (("spiked", readme.text), ("clean", without_fault)):
            result = subprocess.run(
                ["bash", "-c", command], cwd=REPO_ROOT, capture_output=True, text=True, timeout=900,
                env=_clean_env(folders[name]),
            )  # fmt: skip
            assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
            days_run.add(f"{day} .. {day}" in result.stdout)
            # the quality summary tells an anomaly from bad data
            summary = result.stdout.split("\nQuality: ", 1)[1]
            if name == "spiked":
                assert "ANOMALY fct_tiktok_account_metric_anomalies / metrics_within_usual_range" in summary, summary
            assert "FAILED fct_tiktok_account_metric_anomalies" not in summary, summary
        if days_run == {True} and demo_partitions(datetime.now(UTC).date(), 1) == [day]:
            break
    else:
        pytest.fail("midnight UTC passed during both pairs of demo runs")

    performance = [a for a in _alerts(folders["spiked"]) if a["kind"] == "performance"]
    assert len(performance) == 1, [a["summary"] for a in _alerts(folders["spiked"])]
    [alert] = performance
    assert (alert["rule_id"], alert["asset_key"], alert["severity"], alert["partition"]) == (
        "metrics_within_usual_range", "fct_tiktok_account_metric_anomalies", "WARN", str(day)
    )  # fmt: skip
    assert alert["summary"].startswith(f"[WARN][performance] fct_tiktok_account_metric_anomalies {day}: ")

    def quality(data: Path) -> list[tuple]:
        return sorted(
            (a["rule_id"], a["asset_key"], a["partition"], a["offending_count"])
            for a in _alerts(data)
            if a["kind"] == "data_quality"
        )

    assert quality(folders["spiked"]) == quality(folders["clean"]), "the spike breaks no data-quality rule"

    views = (
        "select business_id, metric_value, history_median, history_mad, robust_score, is_anomaly, direction "
        "from marts.fct_tiktok_account_metric_anomalies where metric = 'video_views' and metric_date = ?"
    )
    rows = {}
    for name, data in folders.items():
        with duckdb.connect(str(data / "warehouse.duckdb"), read_only=True) as con:
            rows[name] = con.execute(views, [day]).fetchall()
    [(account, value, median, mad, score, is_anomaly, direction)] = rows["spiked"]
    [(clean_account, clean_value, *_)] = rows["clean"]
    assert account == clean_account and value == 10 * clean_value > 0
    assert is_anomaly and direction == "spike" and score > 3.5
    assert score == pytest.approx((value - median) / (1.4826 * mad), rel=1e-12)
