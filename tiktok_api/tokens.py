"""OAuth token sets per account, and where they are kept between runs.

The refresh token may rotate on every refresh (unconfirmed), so whatever comes back is persisted at
once and atomically: losing a rotated refresh token means the owner has to consent again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from tiktok_api.files import atomic_write, exclusive_lock
from tiktok_api.secrets import Secret


@dataclass
class TokenSet:
    """The tokens of one authorised account; expiry times are wall-clock epoch seconds."""

    business_id: str
    access_token: Secret
    refresh_token: Secret
    access_expires_at: float | None
    refresh_expires_at: float | None
    scope: str = ""

    def __post_init__(self) -> None:
        # Accept plain strings from callers, but hold Secrets from here on.
        self.access_token = Secret(self.access_token)
        self.refresh_token = Secret(self.refresh_token)

    def access_expired(self, now: float, skew: float = 0.0) -> bool:
        return self.access_expires_at is not None and now >= self.access_expires_at - skew

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(s.strip() for s in self.scope.split(",") if s.strip())

    @classmethod
    def from_token_response(cls, data: Mapping[str, Any], now: float) -> TokenSet:
        """Build from the ``data`` of a token or refresh answer, received at wall-clock ``now``."""
        missing = [k for k in ("access_token", "refresh_token", "open_id") if not data.get(k)]
        if missing:
            raise ValueError(f"token answer lacks {', '.join(missing)}")
        return cls(
            business_id=str(data["open_id"]),
            access_token=Secret(str(data["access_token"])),
            refresh_token=Secret(str(data["refresh_token"])),
            access_expires_at=_expiry(now, data.get("expires_in")),
            # A refresh may answer with the remaining life rather than a fresh year (unconfirmed):
            # now + the value is right under either reading.
            refresh_expires_at=_expiry(now, data.get("refresh_token_expires_in")),
            scope=str(data.get("scope") or ""),
        )

    def to_storage(self) -> dict[str, Any]:
        """The plain (revealed) fields, for a token store's file. Never log this."""
        return {
            "access_token": self.access_token.reveal(),
            "refresh_token": self.refresh_token.reveal(),
            "access_expires_at": self.access_expires_at,
            "refresh_expires_at": self.refresh_expires_at,
            "scope": self.scope,
        }

    @classmethod
    def from_storage(cls, business_id: str, fields: Mapping[str, Any]) -> TokenSet:
        return cls(
            business_id=business_id,
            access_token=Secret(fields["access_token"]),
            refresh_token=Secret(fields["refresh_token"]),
            access_expires_at=fields.get("access_expires_at"),
            refresh_expires_at=fields.get("refresh_expires_at"),
            scope=fields.get("scope") or "",
        )


def _expiry(now: float, seconds: Any) -> float | None:
    try:
        return now + float(seconds)  # tolerant: the lifetime may arrive as a string
    except (TypeError, ValueError):
        return None


from_token_response = TokenSet.from_token_response


class TokenNotFoundError(KeyError):
    """No tokens are stored for an account. Names the account, never a secret."""

    def __init__(self, business_id: str, where: str) -> None:
        self.business_id = business_id
        self.message = (
            f"no tokens stored for account {business_id!r} in {where}; "
            "authorise the account first (exchange an auth code)"
        )
        super().__init__(self.message)

    def __str__(self) -> str:  # KeyError would quote the whole message
        return self.message


@runtime_checkable
class TokenStore(Protocol):
    def get(self, business_id: str) -> TokenSet: ...

    def put(self, token_set: TokenSet) -> None: ...

    def business_ids(self) -> list[str]: ...


class MemoryTokenStore:
    """Tokens held in memory only: for scripts and tests."""

    def __init__(self, token_sets: Iterable[TokenSet] = ()) -> None:
        self._lock = threading.Lock()
        self._sets = {ts.business_id: ts for ts in token_sets}

    def get(self, business_id: str) -> TokenSet:
        with self._lock:
            try:
                return self._sets[business_id]
            except KeyError:
                raise TokenNotFoundError(business_id, "the memory token store") from None

    def put(self, token_set: TokenSet) -> None:
        with self._lock:
            self._sets[token_set.business_id] = token_set

    def business_ids(self) -> list[str]:
        with self._lock:
            return sorted(self._sets)

    def __repr__(self) -> str:
        return f"MemoryTokenStore(accounts={self.business_ids()!r})"


class FileTokenStore:
    """One JSON file mapping business_id -> token fields, readable by its owner only (0600).

    Writes go to a 0600 temporary file in the same directory, then a rename (`tiktok_api.files`): a reader
    never sees a half-written file. Every ``get`` re-reads the file so a rotation done by another process is seen.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()

    def get(self, business_id: str) -> TokenSet:
        with self._lock:
            fields = self._read().get(business_id)
        if fields is None:
            raise TokenNotFoundError(business_id, str(self.path))
        return TokenSet.from_storage(business_id, fields)

    def put(self, token_set: TokenSet) -> None:
        with self._lock, self._file_lock():
            # Read-modify-write under both locks, so tokens of other accounts written meanwhile survive.
            data = self._read()
            data[token_set.business_id] = token_set.to_storage()
            self._write(data)

    def business_ids(self) -> list[str]:
        with self._lock:
            return sorted(self._read())

    @contextlib.contextmanager
    def refresh_lock(self, business_id: str) -> Iterator[None]:
        """Held by a client across one account's refresh, by every thread and process using this file.

        A refresh spends the refresh token (it may rotate): two processes refreshing at once would have
        the slower one rejected before the faster one has written the new tokens, and it would then ask
        for a re-authorisation that is not needed. Under this lock the second re-reads the file instead.
        One lock file per account (named by a hash, the id is not a safe file name), so a slow refresh
        delays neither other accounts nor ``get``/``put``.
        """
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        digest = hashlib.sha256(business_id.encode("utf-8")).hexdigest()[:16]
        with exclusive_lock(self.path.with_name(f"{self.path.name}.refresh-{digest}.lock"), mode=0o600):
            yield

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self.path)!r})"

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:  # the content holds secrets: name the place only
            raise ValueError(f"token file {self.path} is not valid JSON (line {exc.lineno})") from None
        if not isinstance(data, dict):
            raise ValueError(f"token file {self.path} must hold a JSON object")
        return data

    def _write(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        atomic_write(self.path, lambda handle: json.dump(data, handle, indent=2, sort_keys=True), mode=0o600)

    def _file_lock(self) -> contextlib.AbstractContextManager[None]:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        return exclusive_lock(self.path.with_name(self.path.name + ".lock"), mode=0o600)
