"""Token sets, the file and memory stores, and Secret masking."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from tiktok_api.secrets import Secret
from tiktok_api.tokens import (
    FileTokenStore,
    MemoryTokenStore,
    TokenNotFoundError,
    TokenSet,
    TokenStore,
    from_token_response,
)

ACCESS = "act.secret-access-value"
REFRESH = "rft.secret-refresh-value"


def token_set(business_id: str = "biz-1", access: str = ACCESS, refresh: str = REFRESH) -> TokenSet:
    return TokenSet(business_id, Secret(access), Secret(refresh), 2_000.0, 3_000.0, "video.list,comment.list")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# ----- Secret -----------------------------------------------------------------------------------


def test_secret_is_masked_everywhere() -> None:
    s = Secret(ACCESS)
    assert repr(s) == "Secret('***')"
    assert str(s) == "***"
    shown_as = (f"{s}", f"{s!r}", f"{s:>30}", format(s, ""), "%s" % s, repr([s]), repr({"t": s}))  # noqa: UP031
    for shown in shown_as:
        assert ACCESS not in shown
    assert s.reveal() == ACCESS


def test_secret_equality_and_hash() -> None:
    assert Secret("a") == Secret("a")
    assert Secret("a") != Secret("b")
    assert Secret("a") != "a"  # a plain string is not a secret
    assert len({Secret("a"), Secret("a"), Secret("b")}) == 2
    assert Secret(Secret("a")) == Secret("a")


def test_token_set_repr_hides_tokens() -> None:
    ts = token_set()
    assert ACCESS not in repr(ts) and REFRESH not in repr(ts)
    assert TokenSet("b", ACCESS, REFRESH, None, None).access_token == Secret(ACCESS)  # type: ignore[arg-type]


def test_from_token_response() -> None:
    data = {
        "access_token": ACCESS,
        "expires_in": 86400,
        "open_id": "biz-7",
        "refresh_token": REFRESH,
        "refresh_token_expires_in": "31536000",
        "scope": "user.info.basic,video.list",
        "token_type": "Bearer",
    }
    ts = from_token_response(data, now=1_000.0)
    assert ts.business_id == "biz-7"
    assert ts.access_token.reveal() == ACCESS and ts.refresh_token.reveal() == REFRESH
    assert ts.access_expires_at == 87_400.0
    assert ts.refresh_expires_at == 1_000.0 + 31_536_000
    assert ts.scopes == {"user.info.basic", "video.list"}
    assert ts.access_expired(87_400.0) and not ts.access_expired(87_399.0)
    with pytest.raises(ValueError, match="access_token"):
        from_token_response({"open_id": "x", "refresh_token": "r"}, now=0)


# ----- stores -----------------------------------------------------------------------------------


def test_file_store_round_trip_and_0600(tmp_path: Path) -> None:
    path = tmp_path / "state" / "tokens.json"
    store = FileTokenStore(path)
    assert isinstance(store, TokenStore)
    assert store.business_ids() == []
    store.put(token_set("biz-1"))
    store.put(token_set("biz-2", access="other"))
    assert mode(path) == 0o600
    again = FileTokenStore(path)
    assert again.get("biz-1") == token_set("biz-1")
    assert again.get("biz-2").access_token.reveal() == "other"
    assert again.business_ids() == ["biz-1", "biz-2"]
    assert json.loads(path.read_text())["biz-1"]["refresh_token"] == REFRESH
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_file_store_is_0600_even_with_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        path = tmp_path / "tokens.json"
        FileTokenStore(path).put(token_set())
    finally:
        os.umask(old)
    assert mode(path) == 0o600


def test_file_store_replaces_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "tokens.json"
    store = FileTokenStore(path)
    store.put(token_set(access="first"))
    replaced: list[tuple[str, str, int]] = []
    real_replace = os.replace

    def spy(src, dst):
        replaced.append((str(Path(src).parent), str(dst), mode(Path(src))))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    store.put(token_set(access="second"))
    assert replaced == [(str(tmp_path), str(path), 0o600)]  # a 0600 temp file in the same directory

    def broken(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError):
        store.put(token_set(access="third"))
    # The old file is intact and no temp file is left behind.
    assert store.get("biz-1").access_token.reveal() == "second"
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == ["tokens.json"]


def test_file_store_sees_another_writers_rotation(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    reader, writer = FileTokenStore(path), FileTokenStore(path)
    writer.put(token_set(access="old"))
    assert reader.get("biz-1").access_token.reveal() == "old"
    writer.put(token_set(access="new", refresh="rotated"))
    assert reader.get("biz-1").refresh_token.reveal() == "rotated"


@pytest.mark.parametrize("kind", ["file", "memory"])
def test_missing_account_names_it_without_secrets(tmp_path: Path, kind: str) -> None:
    store = FileTokenStore(tmp_path / "t.json") if kind == "file" else MemoryTokenStore()
    store.put(token_set("biz-1"))
    with pytest.raises(KeyError) as info:
        store.get("biz-404")
    assert isinstance(info.value, TokenNotFoundError)
    text = str(info.value)
    assert "biz-404" in text
    assert ACCESS not in text and REFRESH not in text


def test_memory_store() -> None:
    store = MemoryTokenStore([token_set("b")])
    store.put(token_set("a"))
    assert store.business_ids() == ["a", "b"]
    assert store.get("a") == token_set("a")
    assert ACCESS not in repr(store)
