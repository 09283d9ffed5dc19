"""The raw landing zone: one immutable JSON file per fetch, written atomically, never edited.

Layout (hive-style, so DuckDB reads the partition columns from the path):

    $TIKTOK_DATA_DIR/raw/tiktok/<stream>/date=<YYYY-MM-DD>/account=<business_id>/<fetched_at>_<fetch_id>.json

Each file holds the fetch's metadata and every HTTP answer of the fetch *exactly as the API sent it*:
the response bodies are spliced in as raw text, not re-serialised, so nothing is normalised away.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from tiktok_api.client import Page

STREAMS = ("account", "videos", "comments")
_SAFE = re.compile(r"^[A-Za-z0-9_.\-]+$")


def stream_dir(root: Path, stream: str) -> Path:
    if stream not in STREAMS:
        raise ValueError(f"unknown raw stream {stream!r}; expected one of {STREAMS}")
    return root / "raw" / "tiktok" / stream


def fetch_dir(root: Path, stream: str, partition_date: date, business_id: str) -> Path:
    if not _SAFE.match(business_id):
        raise ValueError(f"business_id {business_id!r} has characters that cannot name a folder")
    return stream_dir(root, stream) / f"date={partition_date.isoformat()}" / f"account={business_id}"


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
) -> Path:
    """Write one fetch atomically (temporary name in the same folder, fsync, rename) and return its path."""
    folder = fetch_dir(root, stream, partition_date, business_id)
    folder.mkdir(parents=True, exist_ok=True)
    fetched_at = datetime.now(UTC)
    fetch_id = uuid.uuid4().hex[:12]
    header = {
        "stream": stream,
        "partition_date": partition_date.isoformat(),
        "business_id": business_id,
        "fetch_id": fetch_id,
        "landed_at": fetched_at.isoformat(),
        **meta,
    }
    body = json.dumps(header, separators=(",", ":"))[:-1] + ',"pages":[' + ",".join(map(page_json, pages)) + "]}"
    final = folder / f"{fetched_at.strftime('%Y%m%dT%H%M%S%fZ')}_{fetch_id}.json"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, final)  # atomic: readers see the whole file or nothing
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return final


def list_fetches(root: Path, stream: str, partition_date: date, business_id: str) -> list[Path]:
    """Fetch files of one partition and account, oldest first (names sort by landing time)."""
    folder = fetch_dir(root, stream, partition_date, business_id)
    return sorted(folder.glob("[0-9]*.json")) if folder.exists() else []


def read_fetch(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)
