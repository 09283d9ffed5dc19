"""Docs are code: every command block of README.md and docs/*.md is tagged (tests/docs_blocks.py), and the blocks
tagged run, setup and background run here, as a reader would, against the data folder of a real demo.

What the reader fills in is filled in here: the repository's folder, the data folder, the alert's asset and
day (a day the demo built), a free port for a fixed one, and the simulator's tokens for <access_token> and
<open_id>. A block passes when it exits 0 and prints what it is there to show.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.docs_blocks import DOCS, REPO_ROOT, DocBlock, command_blocks, doc_blocks
from tests.postgres_server import PostgresServer

RAN_HERE = ("run", "setup", "background", "run on PostgreSQL")
DEMO_DAYS = 2
DEMO_ACCOUNTS = 2

# What each block that runs here is there to show, by a piece of its text: the output must contain it.
SHOWS = {
    "curl -G": '"code":0',
    "dbt docs generate": "Catalog written",
    "AlertOutbox().pending()": "",
    "ls -l $TIKTOK_DATA_DIR/raw": ".json",
    "marts.fct_tiktok_video_daily": "item_id",
    "land the day again": "",
    "concurrency get --all": "tiktok_warehouse",
    "tracked_videos.txt": "",
    "import duckdb": "",
}


def test_every_command_block_says_which_test_runs_it():
    problems = []
    for block in command_blocks():
        tag = block.tag
        if tag.startswith("by "):
            runner = REPO_ROOT / tag.removeprefix("by ")
            if not runner.is_file() or block.doc.name not in runner.read_text():
                problems.append(f"{block}: {runner} does not exist or does not read {block.doc.name}")
        elif tag.startswith("not run: "):
            if len(tag.removeprefix("not run: ")) < 20:
                problems.append(f"{block}: say why it cannot run")
        elif tag not in RAN_HERE:
            problems.append(f"{block}: no docs-test tag (tests/docs_blocks.py), or an unknown one: {tag!r}")
        elif tag == "run" and not any(piece in block.text for piece in SHOWS):
            problems.append(f"{block}: add what it shows to SHOWS")
    assert problems == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _reader_env(data: Path) -> dict[str, str]:
    """A reader's environment: none of the test run's platform settings, the demo's data folder. The docs' dbt
    commands write their target folder beside it, not into the project's, where the other test worker's Dagster
    processes read the manifest."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TIKTOK_", "DAGSTER_HOME"))}
    return {
        **env,
        "TIKTOK_DATA_DIR": str(data),
        "DAGSTER_HOME": str(data / "dagster"),
        "DBT_TARGET_PATH": str(data.parent / "dbt_target"),
        "BROWSER": "true",
    }


def _wait_until(ready: Callable[[], bool], what: str, timeout: float = 120) -> None:
    """Wait for a server a block started (a condition, polled), failing after `timeout` seconds."""
    deadline = datetime.now(UTC).timestamp() + timeout
    pause = threading.Event()
    while not ready():
        assert datetime.now(UTC).timestamp() < deadline, f"{what} did not come up"
        pause.wait(0.2)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code < 500
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data folder of a real demo (two days, two accounts), as the docs' reader has after `make demo`."""
    data = tmp_path_factory.mktemp("docs") / "data"
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.demo", "--days", str(DEMO_DAYS), "--accounts", str(DEMO_ACCOUNTS)],
        cwd=REPO_ROOT, env=_reader_env(data), capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return data


def _demo_days() -> list[date]:
    from orchestration.demo import demo_partitions

    return demo_partitions(datetime.now(UTC).date(), DEMO_DAYS)


class DocShell:
    """Runs a document's blocks in order as its reader would: setup blocks first in every later shell, background
    blocks left running until the document is done."""

    def __init__(self, data: Path, fill_in: dict[str, str], settings: str = "") -> None:
        self.data, self.fill_in, self.settings = data, fill_in, settings
        self.prelude = "set -euo pipefail\n"
        self.background: list[tuple[subprocess.Popen, Path]] = []

    def filled(self, text: str) -> str:
        for placeholder, value in self.fill_in.items():
            text = text.replace(placeholder, value)
        return text

    def run(self, block: DocBlock) -> str:
        script = self.filled(block.text)
        if block.tag == "setup":
            self.prelude += script + self.settings
            return ""
        env = _reader_env(self.data)
        if block.language == "python":
            reader = self.data.parent / "reader"  # the guides' relative paths (data/bi/...) from a reader's folder
            reader.mkdir(exist_ok=True)
            if not (reader / "data").exists():
                (reader / "data").symlink_to(self.data)
            command, cwd = [sys.executable, "-c", script], reader
        else:
            command, cwd = ["bash", "-c", self.prelude + script], REPO_ROOT
        if block.tag == "background":
            log = self.data.parent / f"background-{block.line}.log"
            process = subprocess.Popen(
                command, cwd=cwd, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True
            )
            self.background.append((process, log))
            return str(log)
        result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"{block} failed:\n{script}\n{output[-4000:]}"
        assert "Traceback" not in output, f"{block}:\n{output[-4000:]}"
        shows = next(shown for piece, shown in SHOWS.items() if piece in block.text)
        assert shows in output, f"{block} does not show {shows!r}:\n{output[-4000:]}"
        return output

    def stop(self) -> None:
        for process, _ in self.background:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                # Dagster maps SIGTERM to SIGINT's handler in this process (dagster._utils.interrupts): a suite
                # started with SIGINT ignored (in the background, say) starts servers that ignore SIGTERM too
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def shell(demo: Path) -> Iterator[Callable[..., DocShell]]:
    shells: list[DocShell] = []

    def make(fill_in: dict[str, str], settings: str = "") -> DocShell:
        shells.append(DocShell(demo, fill_in, settings))
        return shells[-1]

    yield make
    for made in shells:
        made.stop()


def _blocks(doc: str, *tags: str) -> list[DocBlock]:
    return [b for b in doc_blocks(REPO_ROOT / doc) if b.tag in tags]


def test_the_readme_runs(shell: Callable[..., DocShell]):
    """The simulator and a curl query against it with the tokens it prints; the dbt docs built and served."""
    sim_port, docs_port = str(_free_port()), str(_free_port())
    readme = shell({"8765": sim_port, "8080": docs_port})
    generate, serve, simulator, curl = _blocks("README.md", "run", "background")
    assert "tiktok_api.simulator" in simulator.text and "curl" in curl.text
    log = Path(readme.run(simulator))
    _wait_until(lambda: _answers(f"http://127.0.0.1:{sim_port}/_simulator/clock"), "the simulator")
    account = json.loads(log.read_text().splitlines()[1])
    readme.fill_in |= {"<access_token>": account["access_token"], "<open_id>": account["open_id"]}
    assert '"username"' in readme.run(curl)
    assert "docs generate" in generate.text and "docs serve" in serve.text
    readme.run(generate)
    readme.run(serve)
    _wait_until(lambda: _answers(f"http://127.0.0.1:{docs_port}/"), "dbt docs serve")
    page = httpx.get(f"http://127.0.0.1:{docs_port}/catalog.json", timeout=30).json()
    assert "model.tiktok.fct_tiktok_account_daily" in page["nodes"], "the docs show the demo's tables"


def test_the_bi_guide_runs(shell: Callable[..., DocShell]):
    guide = shell({})
    for block in _blocks("docs/bi.md", "run"):
        guide.run(block)


def test_the_runbook_runs(demo: Path, shell: Callable[..., DocShell], simulator_factory: Callable[..., object]):
    """The on-call commands on the demo's instance and warehouse; a re-run fetches the alert's day again from a
    simulator at the time the daily schedule fetched it."""
    from orchestration.demo import fetch_time

    first, last = _demo_days()
    server = simulator_factory(seed=42, accounts=DEMO_ACCOUNTS, now=fetch_time(last), speed=60.0)
    # what the reader sets, after the setup block, from the alert and for their data folder
    settings = (
        f"\nexport TIKTOK_DATA_DIR={demo} DAGSTER_HOME={demo / 'dagster'} TIKTOK_SIMULATOR_URL={server.url}\n"
        f"ASSET=raw_tiktok_videos PARTITION={last} FIRST={first}\n"
    )
    runbook = shell({"/path/to/the/repo": str(REPO_ROOT)}, settings)
    landed_before = set((demo / "raw").rglob("*.json"))
    for block in _blocks("docs/runbook.md", "setup", "run"):
        runbook.run(block)
    landed_again = set((demo / "raw").rglob("*.json")) - landed_before
    # the alert's asset and what is built from it (comments are fetched for the posts the videos list)
    landed = {p.relative_to(demo / "raw" / "tiktok").parts[:2] for p in landed_again}
    assert landed == {("videos", f"date={last}"), ("comments", f"date={last}")}, landed


def test_the_deployment_guide_runs_on_postgresql(postgres_server: PostgresServer):
    """The database the deployment guide creates, created on a real PostgreSQL server."""
    [block] = _blocks("docs/deployment.md", "run on PostgreSQL")
    engine = sa.create_engine(postgres_server.url, isolation_level="AUTOCOMMIT")
    statements = [s.strip() for s in block.text.split(";") if s.strip()]
    try:
        with engine.connect() as con:
            for statement in statements:
                con.execute(sa.text(statement))
            owner = con.execute(
                sa.text("select pg_get_userbyid(datdba) from pg_database where datname = 'tiktok'")
            ).scalar()
            assert owner == "tiktok"
    finally:
        with engine.connect() as con:
            con.execute(sa.text("drop database if exists tiktok"))
            con.execute(sa.text("drop role if exists tiktok"))
        engine.dispose()


def test_every_doc_with_blocks_to_run_has_its_test():
    tested = {"README.md", "bi.md", "runbook.md", "deployment.md"}
    for doc in DOCS:
        if any(b.tag in RAN_HERE for b in doc_blocks(doc)):
            assert doc.name in tested, f"{doc.name} has blocks to run: add its test here"
