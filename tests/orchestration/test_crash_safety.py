"""Crash safety: a run killed with SIGKILL anywhere leaves nothing that stops the next one.

- The instance config (orchestration/dagster.yaml) is valid and its run monitoring fails a dead run and frees
  the pool slots it held.
- dbt dies with the process that started it.
- `make demo` names an unwritable folder in one line.
- A real daily run, in a process of its own, killed at landing, the raw checks and dbt (`TIKTOK_CRASH_MATRIX=full`
  adds fetch and publishing): the next run completes unattended and the marts equal those of a clean run.

Run as a script (`python -m tests.orchestration.test_crash_safety`) it is the Zygote below: it imports the code
location once and forks one run worker per request.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

REPO = Path(__file__).resolve().parents[2]
DAY = date(2026, 11, 17)
ACCOUNTS = 2
INSTANCE_CONFIG = REPO / "orchestration" / "dagster.yaml"


# ---------------------------------------------------------------------------------------------------------------
# helpers


def wait_for(condition: Callable[[], object], timeout: float, what: str, process: RunWorker | None = None):
    """Poll `condition` until it returns something truthy; fail after `timeout` s or when `process` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if process is not None and process.poll() is not None:
            pytest.fail(f"the run exited ({process.returncode}) before {what}:\n{read_log(process)}")
        time.sleep(0.02)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def alive(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie, killed but not yet reaped by its new parent, is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def children(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the live child processes of `pid`."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] not in ("Z", "X"):
                cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                found.append((int(stat.parent.name), cmdline))
        except (OSError, IndexError, ValueError):
            continue
    return found


def read_log(process: RunWorker) -> str:
    log = process.log_path
    return log.read_text(errors="replace")[-4000:] if log.exists() else ""


# ---------------------------------------------------------------------------------------------------------------
# the instance config


def load_instance(home: Path):
    import dagster as dg

    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copy(INSTANCE_CONFIG, home / "dagster.yaml")
    return dg.DagsterInstance.from_config(str(home))


@contextmanager
def daemon_clock(seconds_later: float) -> Iterator[None]:
    """The monitoring daemon's clock moved forward (its timeouts are minutes; a test does not wait them out)."""
    import dagster._daemon.monitoring.concurrency as concurrency
    import dagster._daemon.monitoring.run_monitoring as run_monitoring

    saved = concurrency.get_current_datetime, run_monitoring.get_current_timestamp
    concurrency.get_current_datetime = lambda: datetime.now(UTC) + timedelta(seconds=seconds_later)
    run_monitoring.get_current_timestamp = lambda: time.time() + seconds_later
    try:
        yield
    finally:
        concurrency.get_current_datetime, run_monitoring.get_current_timestamp = saved


def monitoring_daemon_pass(instance, seconds_later: float) -> None:
    """One iteration of the monitoring daemon (what `make ui` runs every poll_interval_seconds), `seconds_later`:
    first failing dead runs, then, after as long again, freeing the slots of runs that ended."""
    import logging

    from dagster._daemon.monitoring import execute_concurrency_slots_iteration, execute_run_monitoring_iteration

    context = SimpleNamespace(instance=instance, create_request_context=lambda: None)
    logger = logging.getLogger("test_crash_safety.monitoring")
    with daemon_clock(seconds_later):
        list(execute_run_monitoring_iteration(context, logger))
    with daemon_clock(2 * seconds_later):
        list(execute_concurrency_slots_iteration(context, logger))


def test_the_instance_config_is_valid_and_monitors_runs(tmp_path: Path):
    instance = load_instance(tmp_path)
    settings = instance.run_monitoring_settings
    assert instance.run_monitoring_enabled and "MONITORING" in instance.get_required_daemon_types()
    assert settings["max_resume_run_attempts"] == 0, "the default launcher cannot resume a run"
    assert settings["poll_interval_seconds"] <= 120 and settings["free_slots_after_run_end_seconds"] <= 300
    assert 0 < settings["max_runtime_seconds"] <= 3600
    assert instance.event_log_storage.supports_global_concurrency_limits


def test_monitoring_fails_a_dead_run_and_frees_its_pool_slot(tmp_path: Path):
    import dagster as dg
    from dagster._core.events import DagsterEventType
    from dagster._core.storage.dagster_run import DagsterRunStatus

    instance = load_instance(tmp_path)
    storage = instance.event_log_storage
    # a run that took the warehouse pool's slot and was killed: STARTED forever, its slot held
    run = instance.create_run_for_job(dg.GraphDefinition(name="killed", node_defs=[]).to_job())
    instance.report_dagster_event(
        dg.DagsterEvent(DagsterEventType.RUN_START.value, job_name=run.job_name, message="started"), run.run_id
    )
    storage.initialize_concurrency_limit_to_default("tiktok_warehouse")
    assert storage.claim_concurrency_slot("tiktok_warehouse", run.run_id, "tiktok_dbt_models").is_claimed
    assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.STARTED
    other = storage.claim_concurrency_slot("tiktok_warehouse", "next-run", "tiktok_dbt_models")
    assert not other.is_claimed, "the next run waits for the slot"

    max_runtime = instance.run_monitoring_settings["max_runtime_seconds"]
    monitoring_daemon_pass(instance, seconds_later=max_runtime + 60)

    assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.FAILURE
    assert storage.get_concurrency_info("tiktok_warehouse").claimed_slots == []
    assert storage.claim_concurrency_slot("tiktok_warehouse", "next-run", "tiktok_dbt_models").is_claimed


def _started_run(instance, pid: int):
    """A run STARTED by a worker of `pid`, recorded as Dagster records it ("Started process for run (pid: N).")."""
    import dagster as dg
    from dagster._core.events import DagsterEventType, EngineEventData

    run = instance.create_run_for_job(dg.GraphDefinition(name="killed", node_defs=[]).to_job())
    instance.report_dagster_event(
        dg.DagsterEvent(DagsterEventType.RUN_START.value, job_name=run.job_name, message="started"), run.run_id
    )
    instance.report_engine_event(f"Started process for run (pid: {pid}).", run, EngineEventData.in_process(pid))
    return run


def test_a_run_whose_process_died_is_failed_at_the_next_sensor_tick(tmp_path: Path):
    """The local run launcher cannot see a dead worker, so run monitoring alone fails such a run only after
    max_runtime_seconds; the dead-run sensor fails it within a minute, and the monitoring frees its slot."""
    import dagster as dg
    from dagster._core.storage.dagster_run import DagsterRunStatus

    from orchestration.sensors import dead_run_sensor, run_worker_pid

    instance = load_instance(tmp_path)
    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    killed = _started_run(instance, worker.pid)
    worker.kill()
    worker.wait()
    alive = _started_run(instance, os.getpid())
    storage = instance.event_log_storage
    storage.initialize_concurrency_limit_to_default("tiktok_warehouse")
    assert storage.claim_concurrency_slot("tiktok_warehouse", killed.run_id, "tiktok_dbt_models").is_claimed
    assert run_worker_pid(instance, killed.run_id) == worker.pid

    skip = dead_run_sensor(dg.build_sensor_context(instance=instance))
    assert killed.run_id in skip.skip_message
    assert instance.get_run_by_id(killed.run_id).status == DagsterRunStatus.FAILURE
    assert instance.get_run_by_id(alive.run_id).status == DagsterRunStatus.STARTED, "a live run is left alone"
    failure = [e for e in instance.all_logs(killed.run_id) if e.dagster_event and e.dagster_event.is_run_failure]
    assert failure and f"pid {worker.pid}" in (failure[0].dagster_event.message or "")

    monitoring_daemon_pass(instance, seconds_later=instance.run_monitoring_settings["poll_interval_seconds"])
    assert storage.get_concurrency_info("tiktok_warehouse").claimed_slots == []
    assert dead_run_sensor(dg.build_sensor_context(instance=instance)).skip_message == "no dead run"


# ---------------------------------------------------------------------------------------------------------------
# dbt dies with its parent


PARENT = """
import json, subprocess, sys
child = subprocess.Popen(json.loads(sys.argv[1]))
print(child.pid, flush=True)
child.wait()
"""


def test_dbt_dies_with_the_process_that_started_it():
    from assets.dbt import DBT_EXECUTABLE, dbt_cli, die_with_parent
    from assets.warehouse import Warehouse

    resource = dbt_cli(Warehouse.from_env())
    assert [resource.dbt_executable, *resource.global_config_flags] == die_with_parent([DBT_EXECUTABLE]), (
        "dagster-dbt starts [dbt_executable, *global_config_flags, *args]: dbt through the stub"
    )
    sleeper = shutil.which("sleep")
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, json.dumps(die_with_parent([sleeper, "600"]))], stdout=subprocess.PIPE, text=True
    )
    child = int(parent.stdout.readline())
    try:
        # the stub has exec'd the command: the child is `sleep` itself, not a Python in between
        wait_for(lambda: Path(f"/proc/{child}/cmdline").read_bytes().startswith(sleeper.encode()), 10, "the exec")
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        wait_for(lambda: not alive(child), 10, "the child to die with its parent")
    finally:
        if alive(child):
            os.kill(child, signal.SIGKILL)


def test_the_stub_runs_dbt():
    from assets.dbt import DBT_EXECUTABLE, die_with_parent

    done = subprocess.run(die_with_parent([DBT_EXECUTABLE, "--version"]), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "installed" in done.stdout


# ---------------------------------------------------------------------------------------------------------------
# make demo and an unwritable folder


def test_the_demo_names_an_unwritable_data_folder_in_one_line(tmp_path: Path, monkeypatch, capsys):
    from orchestration import demo

    (tmp_path / "a_file").write_text("a regular file, so nothing can be created under it, not even by root")
    data = tmp_path / "a_file" / "data"
    monkeypatch.setenv("TIKTOK_DATA_DIR", str(data))
    monkeypatch.setenv("DAGSTER_HOME", str(data / "dagster"))
    monkeypatch.delenv("TIKTOK_TOKEN_STORE", raising=False)
    assert demo.main(["--days", "1"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == f"make demo: cannot write to {data} (data folder): not a directory\n"


# ---------------------------------------------------------------------------------------------------------------
# a real run killed at several points


class RunWorker:
    """One daily run in a process of its own, forked from the Zygote (the imports done once, not per run)."""

    def __init__(self, zygote: Zygote, pid: int, log: Path) -> None:
        self.zygote, self.pid, self.log_path, self.returncode = zygote, pid, log, None

    def poll(self) -> int | None:
        if self.returncode is None and not alive(self.pid):
            self.returncode = self.zygote.reap(self.pid)
        return self.returncode

    def wait(self, timeout: float) -> int:
        wait_for(lambda: self.poll() is not None, timeout, f"run worker {self.pid} to end")
        return self.returncode  # type: ignore[return-value]

    def send_signal(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class Zygote:
    """A process that imports the code location, the dbt resource and Great Expectations once, then forks one
    run worker per run (`python -m tests.orchestration.test_crash_safety zygote`): a run costs its steps, not
    seconds of imports. It forks before any thread or connection exists; the worker is a real separate process
    (its own pid, its own dbt child), killed with SIGKILL like any run worker."""

    def __init__(self, url: str, team_files: dict[str, str]) -> None:
        self.url = url
        self.team_files = team_files  # accounts.csv and labels.csv, written into each data folder
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.orchestration.test_crash_safety", "zygote"],
            cwd=REPO,
            env={
                **{k: v for k, v in os.environ.items() if k not in ("TIKTOK_DUCKDB_PATH", "TIKTOK_TOKEN_STORE")},
                "TIKTOK_ALERT_WEBHOOK_URL": "",
                "TIKTOK_WAREHOUSE": "duckdb",
                "PYTHONPATH": str(REPO),
            },
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.workers: list[RunWorker] = []
        assert self._ask({"command": "ready"}) == {"ready": True}

    def _ask(self, request: dict) -> dict:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            pytest.fail(f"the zygote exited ({self.process.wait()})")
        return json.loads(line)

    def start_run(self, root: Path) -> RunWorker:
        """The daily job of DAY on the data of `root`, the instance in `root`/dagster (orchestration/dagster.yaml)."""
        home = root / "dagster"
        home.mkdir(parents=True, exist_ok=True)
        if not (home / "dagster.yaml").exists():
            shutil.copy(INSTANCE_CONFIG, home / "dagster.yaml")  # the instance config of `make demo` / `make ui`
        log = root / "logs" / f"run-{time.monotonic_ns()}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        env = {"TIKTOK_DATA_DIR": str(root), "DAGSTER_HOME": str(home)}
        from orchestration.demo import write_example_team_config

        write_example_team_config(root, self.team_files)  # so that the label and benchmark marts have rows too
        answer = self._ask({"command": "run", "env": env, "log": str(log), "url": self.url})
        worker = RunWorker(self, answer["pid"], log)
        self.workers.append(worker)
        return worker

    def reap(self, pid: int) -> int:
        return self._ask({"command": "reap", "pid": pid})["code"]

    def stop(self) -> None:
        for worker in self.workers:
            if alive(worker.pid):
                worker.kill()
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def landed(root: Path) -> list[Path]:
    from tiktok_api import landing

    return [f for stream in landing.STREAMS for f in landing.partition_files(root, stream, DAY)]


def dbt_child(process: RunWorker) -> int | None:
    return next((pid for pid, cmdline in children(process.pid) if "dbt" in cmdline), None)


# Where to kill, in pipeline order: each waits for something the run produces, never for a time.
KILL_POINTS: dict[str, Callable[[Path, RunWorker], object]] = {
    # the session has opened (simulator tokens stored): the raw steps are fetching
    "fetch": lambda root, run: (root / "secrets" / "simulator_tokens.json").exists(),
    # the first fetch file has landed; the other streams are still fetching or writing
    "landing": lambda root, run: landed(root),
    # the raw GX checks are writing their Data Docs
    "checks": lambda root, run: (root / "quality").exists(),
    # `dbt build` is running
    "dbt": lambda root, run: dbt_child(run),
    # the BI copy is published (the report, after it, is not yet)
    "publish": lambda root, run: any(
        p.suffix == ".duckdb" for p in root.rglob("*.duckdb") if p.name != "warehouse.duckdb"
    ),
}


# Each kill point costs a run worker up to that point (seconds of imports, then the steps before it): by default
# the three that matter most, `TIKTOK_CRASH_MATRIX=full` adds the first and the last.
CRASH_MATRIX = list(KILL_POINTS) if os.environ.get("TIKTOK_CRASH_MATRIX") == "full" else ["landing", "checks", "dbt"]


def marts(root: Path) -> dict[str, list[tuple]]:
    """Every mart's rows, sorted, without the columns that say when a row was built or fetched."""
    import duckdb

    run_columns = ("staged_at", "landed_at", "fetch_id", "built_at", "loaded_at", "updated_at", "run_id")
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        tables = [
            t for (t,) in con.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()
        ]
        rows = {}
        for table in sorted(tables):
            columns = [
                c
                for (c,) in con.execute(
                    "select column_name from duckdb_columns() where schema_name = 'marts' and table_name = ? "
                    "order by column_index",
                    [table],
                ).fetchall()
                if not c.endswith(run_columns)
            ]
            select = ", ".join(f'"{c}"' for c in columns)
            found = con.execute(f"select {select} from marts.{table}").fetchall()
            # a mean of doubles depends on the order DuckDB's threads add them in: equal to 12 places is equal
            found = [tuple(round(v, 12) if isinstance(v, float) else v for v in row) for row in found]
            rows[table] = sorted(found, key=repr)
    return rows


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote]:
    """One simulator for every run, its clock stopped at DAY's daily run time and its limits lifted: every run,
    killed or not, is served the same answers, so the marts can be compared. Runs fork from one Zygote."""
    from orchestration.demo import example_team_config
    from tiktok_api.days import daily_run_time
    from tiktok_api.simulator import Simulator, SimulatorServer
    from tiktok_api.simulator.offline_fetch import standing_still

    simulator = Simulator(accounts=ACCOUNTS, now=daily_run_time(DAY).timestamp(), speed=600)
    with SimulatorServer(simulator) as server, standing_still(simulator):
        zygote = Zygote(server.url, example_team_config(simulator.world, DAY))
        try:
            yield zygote
        finally:
            zygote.stop()


# A run killed after raw_tiktok_videos landed and before raw_tiktok_comments did: the next run's videos fetch holds
# only the recent posts (the final-snapshot horizon moved), so the comments read every complete videos fetch of
# the day (tiktok_api/ingestion.py, latest_videos_snapshot), or the older posts' comments would be lost.
def test_a_run_killed_anywhere_does_not_stop_the_next_one(tmp_path: Path, zygote: Zygote):
    """One data folder and instance; a run killed at each point in turn (each killed run's successor gets past
    the point its predecessor died at, or it could not be killed at a later one); then a run that completes.
    Between runs the monitoring daemon does one pass, its clock moved past its timeouts."""
    from dagster._core.storage.dagster_run import DagsterRunStatus

    clean = tmp_path / "clean"
    started = time.monotonic()
    run = zygote.start_run(clean)
    assert run.wait(timeout=240) == 0, read_log(run)
    print(f"clean run: {time.monotonic() - started:.1f} s")
    expected = marts(clean)
    empty = [table for table, rows in expected.items() if not rows]
    assert expected and empty == [], f"the clean run builds every mart; empty: {empty}"

    root = tmp_path / "killed"
    instance = load_instance(root / "dagster")
    max_runtime = instance.run_monitoring_settings["max_runtime_seconds"]
    for point in CRASH_MATRIX:
        reached = KILL_POINTS[point]
        run = zygote.start_run(root)
        wait_for(lambda: reached(root, run), 400, f"the kill point {point}", run)  # noqa: B023
        dbt = dbt_child(run)
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=30)
        if dbt is not None:
            wait_for(lambda: not alive(dbt), 30, "dbt to die with its run")  # noqa: B023
        if point == "landing":  # a kill inside write_fetch: a half-written temporary file, of either naming
            folder = landed(root)[0].parent
            (folder / ".tmp-k1ll3d.json").write_text('{"pages": [')
            (folder / ".tmp-k1ll3d.json.partial").write_text('{"pages": [')
        monitoring_daemon_pass(instance, seconds_later=max_runtime + 60)
        stuck = instance.get_run_records(
            dg_filter(statuses=[DagsterRunStatus.STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.QUEUED])
        )
        assert stuck == [], f"after the kill at {point} a run is still in progress"
        for pool in ("tiktok_api", "tiktok_warehouse"):
            assert instance.event_log_storage.get_concurrency_info(pool).claimed_slots == [], (point, pool)

    run = zygote.start_run(root)
    assert run.wait(timeout=240) == 0, read_log(run)
    print(f"kill points {CRASH_MATRIX}: {time.monotonic() - started:.1f} s in all")
    got = marts(root)
    assert set(got) == set(expected)
    differ = [table for table in expected if got[table] != expected[table]]
    assert differ == [], "the marts after the kills equal those of a clean run"


def dg_filter(**kwargs):
    import dagster as dg

    return dg.RunsFilter(**kwargs)


# ---------------------------------------------------------------------------------------------------------------
# the run worker


def _run_daily_job(url: str) -> int:
    import dagster as dg

    from assets.dbt import dbt_cli
    from assets.resources import TikTokSource
    from assets.warehouse import Warehouse
    from orchestration.definitions import defs

    warehouse = Warehouse.from_env()
    result = defs.resolve_job_def("tiktok_daily").execute_in_process(
        partition_key=DAY.isoformat(),
        instance=dg.DagsterInstance.get(),
        raise_on_error=False,
        resources={"tiktok": TikTokSource(simulator_url=url), "warehouse": warehouse, "dbt": dbt_cli(warehouse)},
    )
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    print(json.dumps({"success": result.success, "failed_checks": len(failed)}), flush=True)
    return 0 if result.success else 1


def _zygote() -> None:
    """Import once, then per request on stdin fork a run worker (`run`) or reap one (`reap`); answers on stdout."""
    import traceback

    import assets.resources
    import expectations.runner  # noqa: F401 - Great Expectations, imported once
    import orchestration.definitions  # noqa: F401 - the code location and the dbt manifest, loaded once
    from tiktok_api.simulator.offline_fetch import unlimited_client_limiter

    # the simulator stands still with its limits lifted (the zygote fixture): the client need not pace its calls,
    # which on a stopped clock it would do in real minutes
    assets.resources.ClientRateLimiter = lambda **_: unlimited_client_limiter()  # type: ignore[assignment]

    def answer(value: dict) -> None:
        sys.stdout.write(json.dumps(value) + "\n")
        sys.stdout.flush()

    for line in sys.stdin:
        request = json.loads(line)
        if request["command"] == "ready":
            answer({"ready": True})
        elif request["command"] == "reap":
            _, status = os.waitpid(request["pid"], 0)
            answer({"code": os.waitstatus_to_exitcode(status)})
        elif request["command"] == "run":
            pid = os.fork()
            if pid == 0:  # the run worker
                code = 3
                try:
                    os.setpgid(0, 0)
                    log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                    os.dup2(log, 1)
                    os.dup2(log, 2)
                    os.environ.update(request["env"])
                    code = _run_daily_job(request["url"])
                except BaseException:  # noqa: BLE001 - reported in the log, the exit code says it failed
                    traceback.print_exc()
                finally:
                    sys.stdout.flush()
                    sys.stderr.flush()
                    os._exit(code)
            answer({"pid": pid})


if __name__ == "__main__":
    _zygote()
