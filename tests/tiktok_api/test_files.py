"""Crash safety of the file helpers: temporary files are never read and are cleaned up; unwritable folders say so."""

from __future__ import annotations

import fnmatch
import os
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tiktok_api import landing, raw_schema, settings
from tiktok_api.files import (
    STALE_TEMPORARY_SECONDS,
    FolderNotWritable,
    append_lines,
    atomic_write_text,
    exclusive_lock,
    is_temporary,
    replaced_atomically,
    writable_folder,
)

DAY = date(2026, 11, 17)
HALF_A_FETCH = '{"stream": "videos", "complete": true, "pages": ['  # what a writer killed mid-write leaves


def land(root: Path, business_id: str = "acc1") -> Path:
    return landing.write_fetch(root, "videos", DAY, business_id, {"complete": True}, [])


def leftovers(folder: Path, age_seconds: float) -> list[Path]:
    """A killed writer's temporary files, of the old naming (`.tmp-*.json`) and the current one (`.partial`)."""
    paths = [folder / ".tmp-k1ll3d.json", folder / ".tmp-k1ll3d.json.partial"]
    for path in paths:
        path.write_text(HALF_A_FETCH)
        then = time.time() - age_seconds
        os.utime(path, (then, then))
    return paths


def test_a_temporary_name_matches_no_reader_glob(tmp_path: Path):
    target = tmp_path / "20261117T000000000000Z_abc.json"
    with replaced_atomically(target) as tmp:
        assert is_temporary(tmp) and tmp.parent == tmp_path and tmp.name.endswith(".json.partial")
        assert not any(fnmatch.fnmatch(tmp.name, pattern) for pattern in ("*.json", landing.FILE_NAME_GLOB))
        tmp.write_text("{}")
    assert target.read_text() == "{}" and [p.name for p in tmp_path.iterdir()] == [target.name]


def test_leftover_temporary_files_break_no_raw_read(tmp_path: Path):
    fetch = land(tmp_path)
    leftovers(fetch.parent, age_seconds=0)
    assert landing.partition_files(tmp_path, "videos", DAY) == [fetch]
    assert landing.list_fetches(tmp_path, "videos", DAY, "acc1") == [fetch]
    assert landing.landed_partitions(tmp_path, "videos") == [DAY]
    # dbt reads the glob of the generated macro (macros/raw_schema.sql, raw_file_glob): the same FILE_GLOB
    assert landing.FILE_GLOB in raw_schema.DBT_MACROS_PATH.read_text(encoding="utf-8")
    pattern = str(landing.stream_dir(tmp_path, "videos") / landing.FILE_GLOB)
    with duckdb.connect() as con:
        rows = con.execute(
            f"select fetch_id, account from read_json('{pattern}', format = 'auto', hive_partitioning = true)"
        ).fetchall()
        assert rows == [(fetch.stem.split("_", 1)[1], "acc1")]
        # the current naming is safe even from a plain *.json glob; the old one only from FILE_GLOB
        loose = str(landing.stream_dir(tmp_path, "videos") / "date=*" / "account=*" / "*.json")
        names = {Path(p).name for (p,) in con.execute(f"select file from glob('{loose}')").fetchall()}
    assert names == {fetch.name, ".tmp-k1ll3d.json"}


def test_the_next_write_removes_stale_temporary_files_and_keeps_young_ones(tmp_path: Path):
    folder = land(tmp_path).parent
    stale = leftovers(folder, age_seconds=STALE_TEMPORARY_SECONDS + 60)
    (folder / "young").mkdir()
    young = leftovers(folder / "young", age_seconds=60)  # a concurrent writer may still be filling these
    second = land(tmp_path)
    assert not any(path.exists() for path in stale), "the next write into the folder removes them"
    assert sorted(p.name for p in folder.iterdir() if p.is_file()) == sorted(
        p.name for p in landing.list_fetches(tmp_path, "videos", DAY, "acc1")
    )
    assert second in landing.partition_files(tmp_path, "videos", DAY)
    for path in young:  # a write into that folder leaves files younger than the limit alone
        os.utime(path, (time.time() - 60, time.time() - 60))
    atomic_write_text(folder / "young" / "other.json", "{}")
    assert all(path.exists() for path in young)


def under_a_file(tmp_path: Path, name: str) -> Path:
    """A folder no one can create, root included: its parent is a regular file."""
    (tmp_path / "a_file").write_text("not a folder")
    return tmp_path / "a_file" / name


def test_an_unwritable_folder_is_one_line_naming_it(tmp_path: Path):
    folder = under_a_file(tmp_path, "data")
    with pytest.raises(FolderNotWritable) as raised:
        writable_folder(folder, "data folder")
    assert str(raised.value) == f"cannot write to {folder} (data folder): not a directory"
    assert isinstance(raised.value, OSError) and raised.value.folder == folder
    for write in (
        lambda: atomic_write_text(folder / "x.json", "{}"),
        lambda: append_lines(folder / "alerts.jsonl", ["{}"]),
        lambda: exclusive_lock(folder / "x.lock").__enter__(),
    ):
        with pytest.raises(FolderNotWritable, match=f"^cannot write to {folder}: not a directory$"):
            write()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a 0o500 folder regardless")
def test_a_folder_without_write_permission_is_one_line_naming_it(tmp_path: Path):
    folder = tmp_path / "data"
    folder.mkdir(mode=0o500)
    with pytest.raises(FolderNotWritable, match=f"^cannot write to {folder} \\(data folder\\): permission denied$"):
        writable_folder(folder, "data folder")


@pytest.mark.parametrize(
    ("variable", "role"),
    [("TIKTOK_DATA_DIR", "data folder"), ("TIKTOK_TOKEN_STORE", "secrets folder")],
)
def test_the_settings_check_names_the_unwritable_folder(tmp_path: Path, monkeypatch, variable: str, role: str):
    monkeypatch.setenv("TIKTOK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TIKTOK_TOKEN_STORE", raising=False)
    bad = under_a_file(tmp_path, "folder")
    monkeypatch.setenv(variable, str(bad / "tokens.json" if variable == "TIKTOK_TOKEN_STORE" else bad))
    with pytest.raises(FolderNotWritable, match=f"^cannot write to {bad} \\({role}\\): not a directory$"):
        settings.check_writable_folders()


def test_the_state_folder_is_checked(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("TIKTOK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TIKTOK_TOKEN_STORE", raising=False)
    (tmp_path / "state").write_text("a file where the folder should be")
    with pytest.raises(FolderNotWritable, match=r"\(state folder\): not a directory$"):
        settings.check_writable_folders()
    assert settings.secrets_dir() == tmp_path / "secrets"


def test_the_first_landed_file_creates_every_streams_folder(tmp_path: Path):
    """Spark's raw tables sit over the stream folders (dbt_project/macros/raw.sql): a stream never landed (an app
    without the mentions approval) still has its empty folder, which reads as no rows."""
    land(tmp_path)
    folders = sorted(p.name for p in (tmp_path / landing.RAW_PATH).iterdir())
    assert folders == sorted(landing.STREAMS)
    assert not list(landing.stream_dir(tmp_path, "mentions").iterdir())
