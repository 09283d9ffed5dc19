"""Loading raw landing files into PostgreSQL raw tables, against a real server and files landed by real fetches.

The files are fetched once per module from the simulator over loopback HTTP (tiktok_api.ingestion.RawFetcher via
the TikTokSource resource); each test loads a copy of them into a fresh database.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg2
import psycopg2.extras
import pytest
from sqlalchemy.engine import URL

from assets.resources import TikTokSource
from tests.postgres_server import PostgresServer
from tiktok_api import landing
from tiktok_api.client import Page
from tiktok_api.raw_postgres import RawLoadError, RawLoadResult, load_raw_partitions, raw_table
from tiktok_api.simulator import FaultConfig, Simulator, SimulatorServer

PARTITION = date(2026, 11, 17)
NEXT_DAY = date(2026, 11, 18)
DAYS = (PARTITION, NEXT_DAY)
# The simulated clock: both days are within the snapshot window, and their account metrics are published.
SIM_NOW = datetime(2026, 11, 20, 1, tzinfo=UTC).timestamp()
FAST = 600.0  # simulated seconds per real second: rate-limit pacing takes milliseconds


@dataclass
class Landed:
    server: SimulatorServer
    root: Path
    accounts: list[str]


def fetch(server: SimulatorServer, stream: str, business_id: str, day: date) -> Path:
    """One real fetch of a stream into $TIKTOK_DATA_DIR; the landed file."""
    with TikTokSource(simulator_url=server.url, accounts=business_id).open_session(logging.getLogger(__name__)) as s:
        outcome = getattr(s.fetcher, f"fetch_{stream}")(business_id, day)
    assert outcome.error is None and outcome.path, outcome
    return Path(outcome.path)


@pytest.fixture(scope="module")
def landed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Landed]:
    root = tmp_path_factory.mktemp("landed")
    server = SimulatorServer(Simulator(seed=42, accounts=4, faults=FaultConfig(), now=SIM_NOW, speed=FAST)).start()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("TIKTOK_DATA_DIR", str(root))
            accounts = [a.business_id for a in server.simulator.world.accounts][1:]  # the first has ~10 MB of comments
            # every account with a business category, so that the benchmarks stream lands too
            lines = "".join(f"{business_id},,travel\n" for business_id in accounts)
            (root / "accounts.csv").write_text("business_id,time_zone,business_category\n" + lines)
            for business_id in accounts:
                for day in DAYS:
                    for stream in landing.STREAMS:
                        fetch(server, stream, business_id, day)
        yield Landed(server, root, accounts)
    finally:
        server.stop()


@pytest.fixture
def data_dir(landed: Landed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the landed files, so a test can add and break files freely."""
    root = tmp_path / "data"
    shutil.copytree(landed.root, root)
    monkeypatch.setenv("TIKTOK_DATA_DIR", str(root))
    return root


@pytest.fixture
def db(postgres_server: PostgresServer, request: pytest.FixtureRequest) -> Iterator[URL]:
    """A fresh database per test, dropped after it (the server may be a shared one: TIKTOK_TEST_POSTGRES_URL)."""
    name = "raw_" + hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:12]
    yield postgres_server.create_database(name)
    connection = psycopg2.connect(**postgres_server.connect_args())
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'drop database if exists "{name}" with (force)')
    finally:
        connection.close()


def rows(server: PostgresServer, url: URL, stream: str, day: date | None = None) -> dict[tuple[str, int], dict]:
    """The table's rows by (fetch_id, page_number)."""
    connection = psycopg2.connect(**server.connect_args(url))
    try:
        with connection.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cursor:
            where = "" if day is None else " where partition_date = %s"
            cursor.execute(f"select * from {raw_table(stream)}{where}", (day,))
            return {(r["fetch_id"], r["page_number"]): dict(r) for r in cursor.fetchall()}
    finally:
        connection.close()


def files(root: Path, stream: str, day: date) -> list[Path]:
    return sorted((landing.stream_dir(root, stream) / f"date={day}").glob("account=*/[0-9]*.json"))


def expected(root: Path, stream: str, day: date) -> dict[tuple[str, int], dict[str, Any]]:
    """What the rows of a partition should be, read straight from its landing files."""
    out = {}
    for path in files(root, stream, day):
        head = landing.read_fetch(path)
        for number, page in enumerate(head["pages"]):
            out[(head["fetch_id"], number)] = {
                "partition_date": day,
                "business_id": head["business_id"],
                "landed_at": datetime.fromisoformat(head["landed_at"]),
                "fetch_source": head["source"],
                "complete": head["complete"],
                "run_id": head["run_id"],
                "endpoint": page["endpoint"],
                "request_id": page["request_id"],
                "http_status": page["http_status"],
                "fetched_at": datetime.fromisoformat(page["fetched_at"]),
                "landing_file": path.relative_to(root).as_posix(),
                "payload": page["response"],
            }
    return out


def as_page(page: dict[str, Any]) -> Page:
    """A landed page back as the client's Page, to land it again in a hand-made fetch."""
    fields = ("endpoint", "params", "http_status", "request_id", "log_id", "fetched_at")
    return Page(**{f: page[f] for f in fields}, raw_text=json.dumps(page["response"]), data=page["response"]["data"])


def rewrite(path: Path, change) -> None:
    fetch = landing.read_fetch(path)
    change(fetch)
    path.write_text(json.dumps(fetch))


def test_every_page_of_every_file_is_one_row_carrying_its_payload(postgres_server, db, data_dir):
    # an in-flight file (still being written) is not a fetch yet
    folder = files(data_dir, "videos", PARTITION)[0].parent
    (folder / ".tmp-abc123.json").write_text('{"half a fi')
    result = load_raw_partitions(db, data_dir, DAYS)
    assert isinstance(result, RawLoadResult)
    assert {(load.stream, load.partition_date) for load in result.loads} == {
        (s, d) for s in landing.STREAMS for d in DAYS
    }
    for stream in landing.STREAMS:
        for day in DAYS:
            want = expected(data_dir, stream, day)
            got = rows(postgres_server, db, stream, day)
            assert got.keys() == want.keys()
            for key, row in got.items():
                assert {k: row[k] for k in want[key]} == want[key], key
                assert row["loaded_at"] is not None
            load = result.get(stream, day)
            landed_files = files(data_dir, stream, day)
            assert load.fetches == len(landed_files) and load.pages == len(want)
            # fetches without pages (comments of accounts with nothing new) load no rows but are counted
            assert load.empty_fetches == tuple(
                p.relative_to(data_dir).as_posix() for p in landed_files if not landing.read_fetch(p)["pages"]
            )
    assert result.pages == sum(len(rows(postgres_server, db, s)) for s in landing.STREAMS)
    assert any(load.empty_fetches for load in result.loads), "expected some comment fetches with no pages"
    assert all(load.pages > 0 for load in result.loads if load.stream != "comments")


def test_loading_twice_gives_the_same_rows(postgres_server, db, data_dir):
    first = load_raw_partitions(db, data_dir, [PARTITION])
    before = {s: rows(postgres_server, db, s) for s in landing.STREAMS}
    second = load_raw_partitions(db, data_dir, [PARTITION])
    after = {s: rows(postgres_server, db, s) for s in landing.STREAMS}
    for stream in landing.STREAMS:
        assert after[stream].keys() == before[stream].keys() and before[stream]
        for key, row in after[stream].items():
            assert row.pop("loaded_at") > before[stream][key].pop("loaded_at")  # reloaded, not left in place
            assert row == before[stream][key]
        assert second.get(stream, PARTITION).replaced_rows == first.get(stream, PARTITION).pages
    assert (second.fetches, second.pages) == (first.fetches, first.pages)


def test_a_fetch_landed_later_appears_on_reload_next_to_the_old_one(landed, postgres_server, db, data_dir):
    load_raw_partitions(db, data_dir, [PARTITION], streams=["account"])
    old = rows(postgres_server, db, "account")
    business_id = landed.accounts[0]
    new_file = fetch(landed.server, "account", business_id, PARTITION)  # a re-run of the partition
    result = load_raw_partitions(db, data_dir, [PARTITION], streams=["account"])
    now = rows(postgres_server, db, "account")
    new_fetch = landing.read_fetch(new_file)
    new_keys = {(new_fetch["fetch_id"], n) for n in range(len(new_fetch["pages"]))}
    assert new_keys and now.keys() == old.keys() | new_keys
    assert all(now[k]["landing_file"] == new_file.relative_to(data_dir).as_posix() for k in new_keys)
    assert result.get("account", PARTITION).fetches == len(landed.accounts) + 1


def test_an_incomplete_fetch_is_loaded_as_incomplete_and_an_empty_one_is_counted(postgres_server, db, data_dir):
    [source] = files(data_dir, "videos", PARTITION)[:1]
    head = landing.read_fetch(source)
    business_id = head["business_id"]
    pages = [as_page(p) for p in head["pages"][:1]]
    meta = {"source": "simulator", "run_id": "r-broken", "complete": False, "error": "HTTP 500 on page 2"}
    broken = landing.write_fetch(data_dir, "videos", PARTITION, business_id, meta, pages)
    empty = landing.write_fetch(data_dir, "videos", PARTITION, business_id, {**meta, "complete": True}, [])
    result = load_raw_partitions(db, data_dir, [PARTITION], streams=["videos"])
    got = rows(postgres_server, db, "videos")
    broken_id = landing.read_fetch(broken)["fetch_id"]
    assert got[(broken_id, 0)]["complete"] is False and got[(broken_id, 0)]["run_id"] == "r-broken"
    assert got[(broken_id, 0)]["payload"] == head["pages"][0]["response"]
    assert all(r["complete"] is True for k, r in got.items() if k[0] != broken_id)
    load = result.get("videos", PARTITION)
    assert load.fetches == len(files(data_dir, "videos", PARTITION))
    assert load.empty_fetches == (empty.relative_to(data_dir).as_posix(),)
    assert load.pages == len(got)


def test_loading_a_partition_does_not_touch_other_partitions(postgres_server, db, data_dir):
    load_raw_partitions(db, data_dir, DAYS)
    other_day = rows(postgres_server, db, "videos", NEXT_DAY)
    shutil.rmtree(landing.stream_dir(data_dir, "videos") / f"date={PARTITION}")  # the folder is gone
    result = load_raw_partitions(db, data_dir, [PARTITION], streams=["videos"])
    assert rows(postgres_server, db, "videos", PARTITION) == {}
    assert (result.fetches, result.pages) == (0, 0) and result.get("videos", PARTITION).replaced_rows > 0
    assert rows(postgres_server, db, "videos", NEXT_DAY) == other_day  # loaded_at included: not even rewritten
    assert rows(postgres_server, db, "account", PARTITION)


def test_a_broken_file_fails_its_partition_and_keeps_the_rows_it_had(postgres_server, db, data_dir):
    load_raw_partitions(db, data_dir, DAYS)
    before = {(s, d): rows(postgres_server, db, s, d) for s in landing.STREAMS for d in DAYS}
    gone = files(data_dir, "account", PARTITION)[0]
    gone.unlink()  # changes PARTITION's account rows, loaded before the broken partition in the same call
    good = files(data_dir, "videos", NEXT_DAY)[0]
    broken = good.with_name("20991231T000000000000Z_0123456789ab.json")
    broken.write_text(good.read_text()[:500])  # cut short, as a disk-full copy would be
    with pytest.raises(RawLoadError) as caught:
        load_raw_partitions(db, data_dir, DAYS)
    assert str(broken) in str(caught.value) and "cannot read" in str(caught.value)
    assert rows(postgres_server, db, "videos", NEXT_DAY) == before[("videos", NEXT_DAY)]
    # what came before the failure is committed; what came after was not reached
    assert rows(postgres_server, db, "account", PARTITION).keys() < before[("account", PARTITION)].keys()
    loaded = caught.value.loaded
    assert loaded is not None
    assert [(x.stream, x.partition_date) for x in loaded.loads] == [
        *[(s, PARTITION) for s in landing.STREAMS],
        ("account", NEXT_DAY),
    ]


@pytest.mark.parametrize("field", ["business_id", "fetch_id", "landed_at", "pages"])
def test_a_file_without_a_required_header_field_is_refused(postgres_server, db, data_dir, field):
    load_raw_partitions(db, data_dir, [PARTITION], streams=["comments"])
    before = rows(postgres_server, db, "comments")
    target = files(data_dir, "comments", PARTITION)[-1]
    rewrite(target, lambda fetch: fetch.pop(field))
    with pytest.raises(RawLoadError, match=field) as caught:
        load_raw_partitions(db, data_dir, [PARTITION], streams=["comments"])
    assert str(target) in str(caught.value)
    assert rows(postgres_server, db, "comments") == before and before


def _other_account(path: Path, landed: Landed) -> Path:
    account = next(a for a in landed.accounts if f"account={a}" != path.parent.name)
    return path.parent.parent / f"account={account}" / path.name


def _other_day(path: Path, landed: Landed) -> Path:
    return path.parent.parent.parent / f"date={NEXT_DAY}" / path.parent.name / path.name


def _same_folder(path: Path, landed: Landed) -> Path:
    return path.with_name("29990101T000000000000Z_copy.json")


@pytest.mark.parametrize(
    ("move", "problem"),
    [
        (_other_account, "business_id"),
        (_other_day, "partition_date"),
        (_same_folder, "also the fetch_id"),
    ],
)
def test_a_file_in_the_wrong_folder_or_a_copied_file_is_refused(landed, postgres_server, db, data_dir, move, problem):
    source = files(data_dir, "account", PARTITION)[0]
    target = move(source, landed)
    shutil.copy(source, target)
    with pytest.raises(RawLoadError, match=problem) as caught:
        load_raw_partitions(db, data_dir, DAYS, streams=["account"])
    assert str(target) in str(caught.value)


def test_a_row_postgres_refuses_is_traced_to_its_file_and_page(postgres_server, db, data_dir):
    [first, *_] = files(data_dir, "videos", PARTITION)
    head = landing.read_fetch(first)
    pages = [as_page(head["pages"][0]), as_page(head["pages"][0])]
    pages[1].raw_text = pages[1].raw_text.replace('"data"', '"nul":"a\\u0000b","data"', 1)  # jsonb refuses NUL
    meta = {"source": "simulator", "run_id": "r", "complete": True}
    bad = landing.write_fetch(data_dir, "videos", PARTITION, head["business_id"], meta, pages)
    with pytest.raises(RawLoadError) as caught:
        load_raw_partitions(db, data_dir, [PARTITION], streams=["videos"])
    assert f"{bad}: PostgreSQL refused page 1" in str(caught.value)
    assert rows(postgres_server, db, "videos") == {}


def test_a_wrong_password_is_a_clear_error_without_the_password(postgres_server, db, data_dir):
    wrong = db.set(password="not-" + str(db.password))
    with pytest.raises(RawLoadError) as caught:
        load_raw_partitions(wrong, data_dir, [PARTITION])
    message = str(caught.value)
    assert f"{db.username}@{db.host}:{db.port}/{db.database}" in message
    assert "password authentication failed" in message
    assert str(db.password) not in message and str(wrong.password) not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_the_password_is_never_logged(postgres_server, db, data_dir, caplog):
    caplog.set_level(logging.DEBUG)
    load_raw_partitions(db, data_dir, DAYS)
    with pytest.raises(RawLoadError):
        load_raw_partitions(db.set(port=1), data_dir, DAYS)  # nothing listens there
    assert "raw_tiktok.videos 2026-11-17: loaded" in caplog.text
    assert str(db.password) not in caplog.text
    assert all(str(db.password) not in str(r.args) for r in caplog.records)


def test_streams_and_dates_are_checked_before_connecting(data_dir):
    nowhere = URL.create("postgresql+psycopg2", username="u", password="p", host="127.0.0.1", port=1, database="d")
    with pytest.raises(ValueError, match="'posts'"):
        load_raw_partitions(nowhere, data_dir, [PARTITION], streams=["account", "posts"])
    with pytest.raises(TypeError, match="datetime.date"):
        load_raw_partitions(nowhere, data_dir, [datetime(2026, 11, 17)])
