"""Error messages carry what support asks for (code, endpoint, account, request_id) and never a token."""

from __future__ import annotations

import pickle

import pytest

from tiktok_api import contract
from tiktok_api.errors import (
    AuthCodeExpiredError,
    BadParameterError,
    PermissionDeniedError,
    RateLimitedError,
    ReauthorizeError,
    TikTokError,
    TransientError,
    UnknownPathError,
    error_for,
)
from tiktok_api.secrets import Secret

TOKEN = "act.example-access-token-0123456789"


def test_str_names_code_endpoint_account_and_request_id() -> None:
    err = BadParameterError(
        40002, "max_count: at most 20", request_id="req-1", endpoint=contract.VIDEO_LIST, business_id="biz-9"
    )
    assert str(err) == (
        "TikTok API error 40002 on /business/video/list/ for account biz-9: max_count: at most 20 (request_id=req-1)"
    )


def test_server_message_echoing_a_token_is_redacted() -> None:
    err = error_for(
        40105,
        f"token {TOKEN} is invalid",
        endpoint=contract.BUSINESS_GET,
        business_id="biz",
        request_id="r",
        redact_secrets=(Secret(TOKEN), None),
    )
    text = f"{err} {err!r} {err.message} {err.args}"
    assert TOKEN not in text
    assert "***" in str(err)


@pytest.mark.parametrize(
    ("code", "cls", "retryable"),
    [
        (40001, PermissionDeniedError, False),
        (40002, BadParameterError, False),
        (40006, UnknownPathError, False),
        (40100, RateLimitedError, True),
        (40105, ReauthorizeError, False),
        (40131, AuthCodeExpiredError, False),
        (50000, TransientError, True),
        (50002, TransientError, True),
        (None, TransientError, True),
        (41234, TikTokError, False),
    ],
)
def test_error_for_maps_codes(code: int | None, cls: type[TikTokError], retryable: bool) -> None:
    err = error_for(code, "boom", endpoint="/x/")
    assert type(err) is cls
    assert err.code == code
    assert err.is_retryable is retryable


def test_reauthorize_error_tells_what_to_do() -> None:
    err = ReauthorizeError(40105, "token revoked", business_id="biz")
    assert "re-authorise this account" in str(err)


def test_transport_error_without_code_and_attempts() -> None:
    err = TransientError(None, "timed out", endpoint="/business/get/", http_status=503, attempts=8)
    assert str(err).startswith("TikTok API error (HTTP 503) on /business/get/:")
    assert "after 8 attempts" in str(err)


def test_errors_survive_pickling() -> None:
    err = RateLimitedError(40100, "slow down", endpoint="/e/", business_id="b", request_id="r", attempts=3)
    clone = pickle.loads(pickle.dumps(err))
    assert type(clone) is RateLimitedError
    assert str(clone) == str(err)
