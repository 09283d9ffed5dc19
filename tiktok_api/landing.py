"""The raw landing zone: one immutable JSON file per fetch, written atomically, never edited.

The layout, declared here and nowhere else (dbt and the quality datasets take it from this module):

    $TIKTOK_DATA_DIR/raw/tiktok/<stream>/date=<YYYY-MM-DD>/account=<business_id>/<landed_at>_<fetch_id>.json

Hive-style folders, so DuckDB reads the partition columns from the path. Each file holds the fetch's
metadata and every HTTP answer of the fetch *exactly as the API sent it*: the response bodies are spliced
in as raw text, not re-serialised, so nothing is normalised away. File names start with a digit (the
landing time) and end in `.json`; temporary files being written (tiktok_api/files.py) start with a dot and end
in `.partial`, so neither `FILE_NAME_GLOB` nor a plain `*.json` ever reads one, and the next write into a
folder removes those a killed writer left behind.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from tiktok_api.client import Page
from tiktok_api.files import atomic_write_text

STREAMS = ("account", "videos", "comments", "mentions", "mention_terms", "benchmarks")
RAW_PATH = "raw/tiktok"
DATE_KEY = "date"
ACCOUNT_KEY = "account"
FILE_NAME_GLOB = "[0-9]*.json"  # a fetch file, never a temporary one
# The fetch files under a stream folder, every partition and account.
FILE_GLOB = f"{DATE_KEY}=*/{ACCOUNT_KEY}=*/{FILE_NAME_GLOB}"
_SAFE = re.compile(r"^[A-Za-z0-9_.\-]+$")


def stream_dir(root: Path, stream: str) -> Path:
    if stream not in STREAMS:
        raise ValueError(f"unknown raw stream {stream!r}; expected one of {STREAMS}")
    return Path(root) / RAW_PATH / stream


def partition_dir(root: Path, stream: str, partition_date: date) -> Path:
    return stream_dir(root, stream) / f"{DATE_KEY}={partition_date.isoformat()}"


def fetch_dir(root: Path, stream: str, partition_date: date, business_id: str) -> Path:
    if not _SAFE.match(business_id):
        raise ValueError(f"business_id {business_id!r} has characters that cannot name a folder")
    return partition_dir(root, stream, partition_date) / f"{ACCOUNT_KEY}={business_id}"


def page_json(page: Page) -> str:
    """One page as JSON text, with the response body spliced in verbatim."""
    head = {
        "endpoint": page.endpoint,
        "params": page.params,
        "http_status": page.http_status,
        "request_id": page.request_id,
        "log_id": page.log_id,
        "fetched_at": page.fetched_at,
    }
    json.loads(page.raw_text)  # the client only hands over decodable bodies; refuse anything else here
    return json.dumps(head, separators=(",", ":"))[:-1] + ',"response":' + page.raw_text + "}"


def write_fetch(
    root: Path,
    stream: str,
    partition_date: date,
    business_id: str,
    meta: dict[str, Any],
    pages: Iterable[Page],
    *,
    fetch_id: str | None = None,
    landed_at: datetime | None = None,
) -> Path:
    """Write one fetch atomically (temporary name in the same folder, fsync, rename) and return its path.

    `fetch_id` and `landed_at` default to a fresh random id and the wall clock; a caller that must write the
    same bytes on every run (tiktok_api/simulator/offline_fetch.py) passes fixed ones.
    """
    folder = fetch_dir(root, stream, partition_date, business_id)
    for each_stream in STREAMS:
        # every stream's folder, landed or not yet: Spark's raw tables sit over them (dbt_project/macros/raw.sql)
        stream_dir(root, each_stream).mkdir(parents=True, exist_ok=True)
    landed_at = datetime.now(UTC) if landed_at is None else landed_at.astimezone(UTC)
    fetch_id = uuid.uuid4().hex[:12] if fetch_id is None else fetch_id
    if not _SAFE.match(fetch_id):
        raise ValueError(f"fetch_id {fetch_id!r} has characters that cannot name a file")
    header = {
        "stream": stream,
        "partition_date": partition_date.isoformat(),
        "business_id": business_id,
        "fetch_id": fetch_id,
        "landed_at": landed_at.isoformat(),
        **meta,
    }
    body = json.dumps(header, separators=(",", ":"))[:-1] + ',"pages":[' + ",".join(map(page_json, pages)) + "]}"
    return atomic_write_text(folder / f"{landed_at.strftime('%Y%m%dT%H%M%S%fZ')}_{fetch_id}.json", body)


def partition_files(root: Path, stream: str, partition_date: date, business_id: str = "*") -> list[Path]:
    """The fetch files of one partition, every account (or one), in name order."""
    folder = partition_dir(root, stream, partition_date)
    return sorted(folder.glob(f"{ACCOUNT_KEY}={business_id}/{FILE_NAME_GLOB}")) if folder.exists() else []


def partition_accounts(root: Path, stream: str, partition_date: date) -> list[str]:
    """The accounts that have at least one fetch file in a partition."""
    return sorted(
        {path.parent.name.removeprefix(f"{ACCOUNT_KEY}=") for path in partition_files(root, stream, partition_date)}
    )


def list_fetches(root: Path, stream: str, partition_date: date, business_id: str) -> list[Path]:
    """Fetch files of one partition and account, oldest first (names sort by landing time)."""
    folder = fetch_dir(root, stream, partition_date, business_id)
    return sorted(folder.glob(FILE_NAME_GLOB)) if folder.exists() else []


def landed_partitions(root: Path, stream: str) -> list[date]:
    """The partition days of a stream that hold at least one fetch file."""
    folder = stream_dir(root, stream)
    return sorted(
        date.fromisoformat(day.name.removeprefix(f"{DATE_KEY}="))
        for day in folder.glob(f"{DATE_KEY}=*")
        if any(day.glob(f"{ACCOUNT_KEY}=*/{FILE_NAME_GLOB}"))
    )


def read_fetch(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)
