"""Errors of the TikTok Accounts API, one class per way a caller must react.

Messages name the code, endpoint, account and request_id (what TikTok support asks for) and never a
token: the server's own message is redacted of any secret the client knows before it is stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tiktok_api import contract
from tiktok_api.secrets import Secret, redact

REAUTHORISE_HINT = "re-authorise this account (the owner must grant consent again)"


class TikTokError(Exception):
    """Any failure of a TikTok API call, after whatever retrying the client does."""

    retryable = False  # whether trying again later could succeed (rate limit, outage)

    def __init__(
        self,
        code: int | None,
        message: str,
        *,
        request_id: str | None = None,
        endpoint: str | None = None,
        business_id: str | None = None,
        http_status: int | None = None,
        attempts: int | None = None,
        redact_secrets: Iterable[Secret | str | None] = (),
    ) -> None:
        self.code = code
        self.message = redact(str(message), redact_secrets)
        self.request_id = request_id
        self.endpoint = endpoint
        self.business_id = business_id
        self.http_status = http_status
        self.attempts = attempts
        self.partial: Any = None  # what a paginated fetch received before it failed
        super().__init__(self.message)

    @property
    def is_retryable(self) -> bool:
        return self.retryable

    def __str__(self) -> str:
        head = "TikTok API error"
        if self.code is not None:
            head += f" {self.code}"
        elif self.http_status is not None:
            head += f" (HTTP {self.http_status})"
        if self.endpoint:
            head += f" on {self.endpoint}"
        if self.business_id:
            head += f" for account {self.business_id}"
        tail = f"request_id={self.request_id}"
        if self.attempts:
            tail += f", after {self.attempts} attempts"
        return f"{head}: {self.message} ({tail})"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def __reduce__(self):  # type: ignore[override]
        # Exceptions cross process boundaries (executors); keep keyword attributes through pickling.
        return (_rebuild, (type(self), self.code, self.message, self.__dict__.copy()))


def _rebuild(cls: type[TikTokError], code: int | None, message: str, state: dict) -> TikTokError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    error.code, error.message = code, message
    return error


class PermissionDeniedError(TikTokError):
    """40001: scope missing, or the business_id is not the token's account. Fail that account."""


class BadParameterError(TikTokError):
    """40002: unknown field, bad JSON, max_count too large, date out of range. A bug on our side."""


class UnknownPathError(TikTokError):
    """40006: the endpoint does not exist (wrong base URL or API version)."""


class RateLimitedError(TikTokError):
    """40100 that outlived every retry: the account or the app is over its quota."""

    retryable = True


class ReauthorizeError(TikTokError):
    """40105 that a refresh could not cure: only the account owner can fix it, by consenting again."""

    def __init__(self, code: int | None, message: str, **kwargs) -> None:
        if "re-authorise this account" not in message:
            message = f"{message}; {REAUTHORISE_HINT}"
        super().__init__(code, message, **kwargs)


class AuthCodeExpiredError(TikTokError):
    """40131: the authorisation code is expired or already used; the owner must consent again."""


class TransientError(TikTokError):
    """5xx, 50000/50002, timeouts, undecodable bodies: the service misbehaved, try again later."""

    retryable = True


_BY_CODE: dict[int, type[TikTokError]] = {
    contract.NO_PERMISSION: PermissionDeniedError,
    contract.BAD_PARAMETER: BadParameterError,
    contract.UNKNOWN_PATH: UnknownPathError,
    contract.RATE_LIMITED: RateLimitedError,
    contract.INVALID_TOKEN: ReauthorizeError,
    contract.AUTH_CODE_EXPIRED: AuthCodeExpiredError,
    contract.INTERNAL_ERROR: TransientError,
    contract.INTERNAL_ERROR_2: TransientError,
}


def error_class_for(code: int | None) -> type[TikTokError]:
    if code is None:  # no envelope at all: transport trouble
        return TransientError
    return _BY_CODE.get(code, TikTokError)


def error_for(code: int | None, message: str, **kwargs) -> TikTokError:
    """The exception for an envelope code (None: no usable envelope); unknown codes give TikTokError."""
    return error_class_for(code)(code, message, **kwargs)
